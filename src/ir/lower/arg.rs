//! `ARG name[=default] ...`: a value from the build args, else the default
//! expanded against the stage environment, else the global ARG of that
//! name. A value goes into the build environment (never the image
//! config) and into RUN history; the name is recorded for the outline.

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::Arg;

use crate::ir::plan::{ArgInfo, Command};

use super::{Stage, history};

/// Build args that never become environment variables.
const NON_ENV_ARGS: [&str; 2] = ["BUILDKIT_SBOM_SCAN_CONTEXT", "BUILDKIT_SBOM_SCAN_STAGE"];

pub(super) fn lower(stage: &mut Stage, cmd: &Command, arg: &Arg) -> Result<(), Diagnostic> {
    let plan = stage.plan();
    let mut parts = Vec::with_capacity(arg.args.len());
    for def in &arg.args {
        let key = def.key.value.clone();
        let build_arg = plan.options.build_args.get(&key);
        let mut value: Option<String> = None;
        let mut inherited = false;
        if def.value.is_none()
            && build_arg.is_none()
            && let Some(v) = plan.global_args.get(&key)
        {
            value = Some(v.to_owned());
            inherited = true;
        }
        if let Some(v) = build_arg {
            value = Some(v.clone());
        } else if let Some(d) = &def.value {
            value = Some(stage.expand(d, cmd)?);
        }
        if let Some(v) = &value
            && !NON_ENV_ARGS.contains(&key.as_str())
        {
            stage.state.env.set(&key, v);
        }
        if !inherited {
            stage.outline.all_args.insert(
                key.clone(),
                ArgInfo {
                    name: key.clone(),
                    value: value.clone().unwrap_or_default(),
                    description: def.doc_comment.clone(),
                    deps: Default::default(),
                    lines: cmd.lines,
                },
            );
        }
        stage.outline.used_args.insert(key.clone());
        parts.push(match &value {
            Some(v) => format!("{key}={v}"),
            None => key.clone(),
        });
        stage.state.build_args.push((key, value));
    }
    let epoch = plan.epoch;
    history::commit(
        &mut stage.state.image,
        format!("ARG {}", parts.join(" ")),
        false,
        false,
        epoch,
    );
    Ok(())
}
