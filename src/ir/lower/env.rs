//! `ENV k=v ...`: every pair is expanded against the environment from
//! before the instruction, then set in the build environment and in the
//! image config (replaced in place, or appended).

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::Env;

use crate::ir::env::split_key_value;
use crate::ir::plan::Command;

use super::{Stage, history};

pub(super) fn lower(stage: &mut Stage, cmd: &Command, env: &Env) -> Result<(), Diagnostic> {
    let mut pairs = Vec::with_capacity(env.pairs.len());
    for kv in &env.pairs {
        pairs.push((stage.expand(&kv.key, cmd)?, stage.expand(&kv.value, cmd)?));
    }
    let mut msg = String::from("ENV");
    for (k, v) in &pairs {
        msg.push_str(&format!(" {k}={v}"));
        stage.state.env.set(k, v);
        let entry = format!("{k}={v}");
        let cfg = &mut stage.state.image.config.env;
        match cfg.iter_mut().find(|e| split_key_value(e).0 == k) {
            Some(e) => *e = entry,
            None => cfg.push(entry),
        }
    }
    let epoch = stage.plan().epoch;
    history::commit(&mut stage.state.image, msg, false, false, epoch);
    Ok(())
}
