//! `VOLUME path ...`: each path expanded and added to `Config.Volumes`.

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::Volume;

use crate::ir::codes;
use crate::ir::plan::Command;

use super::{Stage, history};

pub(super) fn lower(stage: &mut Stage, cmd: &Command, v: &Volume) -> Result<(), Diagnostic> {
    let mut paths = Vec::with_capacity(v.paths.len());
    for p in &v.paths {
        paths.push(stage.expand(p, cmd)?);
    }
    for (p, word) in paths.iter().zip(&v.paths) {
        if p.is_empty() {
            return Err(Diagnostic::error(
                codes::INVALID_VALUE,
                super::span(cmd, word.range),
                "VOLUME specified can not be an empty string",
            )
            .with_label("expands to nothing"));
        }
        stage.state.image.config.volumes.insert(p.clone(), ());
    }
    let epoch = stage.plan().epoch;
    let msg = format!("VOLUME {}", history::plain_list(&paths));
    history::commit(&mut stage.state.image, msg, false, false, epoch);
    Ok(())
}
