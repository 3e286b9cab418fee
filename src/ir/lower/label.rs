//! `LABEL k=v ...`: keys and values expanded, set in `Config.Labels`.

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::Label;

use crate::ir::plan::Command;

use super::{Stage, history};

pub(super) fn lower(stage: &mut Stage, cmd: &Command, label: &Label) -> Result<(), Diagnostic> {
    let mut pairs = Vec::with_capacity(label.pairs.len());
    for kv in &label.pairs {
        pairs.push((stage.expand(&kv.key, cmd)?, stage.expand(&kv.value, cmd)?));
    }
    let mut msg = String::from("LABEL");
    for (k, v) in pairs {
        msg.push_str(&format!(" {k}={v}"));
        stage.state.image.config.labels.insert(k, v);
    }
    let epoch = stage.plan().epoch;
    history::commit(&mut stage.state.image, msg, false, false, epoch);
    Ok(())
}
