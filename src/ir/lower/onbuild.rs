//! `ONBUILD <instruction>`: the trigger text is appended to
//! `Config.OnBuild`; nothing runs now and no history entry is written.

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::Onbuild;

use super::Stage;

pub(super) fn lower(stage: &mut Stage, o: &Onbuild) -> Result<(), Diagnostic> {
    stage.state.image.config.on_build.push(o.expression.clone());
    Ok(())
}
