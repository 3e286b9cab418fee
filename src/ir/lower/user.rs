//! `USER user[:group]`: expanded; sets `Config.User` and the user of later
//! RUN steps and WORKDIR directories.

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::User;

use crate::ir::plan::Command;

use super::{Stage, history};

pub(super) fn lower(stage: &mut Stage, cmd: &Command, user: &User) -> Result<(), Diagnostic> {
    let u = stage.expand(&user.user, cmd)?;
    stage.state.user.clone_from(&u);
    stage.state.image.config.user.clone_from(&u);
    let epoch = stage.plan().epoch;
    history::commit(
        &mut stage.state.image,
        format!("USER {u}"),
        false,
        false,
        epoch,
    );
    Ok(())
}
