//! `MAINTAINER name`: sets the image author (not expanded).

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::Maintainer;

use super::{Stage, history};

pub(super) fn lower(stage: &mut Stage, m: &Maintainer) -> Result<(), Diagnostic> {
    stage.state.image.author.clone_from(&m.name.value);
    let epoch = stage.plan().epoch;
    let msg = format!("MAINTAINER {}", m.name.value);
    history::commit(&mut stage.state.image, msg, false, false, epoch);
    Ok(())
}
