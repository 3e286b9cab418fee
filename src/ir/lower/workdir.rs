//! `WORKDIR path`: expanded, resolved against the previous working
//! directory of the image config; unless it is `/`, a directory is made
//! (mode 0755, parents, owned by the current USER).

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::Workdir;

use crate::ir::build::{FileAction, Files, Step, StepInfo, StepKind};
use crate::ir::paths;
use crate::ir::plan::Command;

use super::names::{process_cmd_env, uppercase_cmd};
use super::owner::owner_of;
use super::{Stage, history};

pub(super) fn lower(stage: &mut Stage, cmd: &Command, w: &Workdir) -> Result<(), Diagnostic> {
    let path = stage.expand(&w.path, cmd)?;
    stage.state.workdir_set = true;
    let wd = paths::normalize(&stage.state.image.config.working_dir, &path, false);
    stage.state.image.config.working_dir.clone_from(&wd);
    stage.state.dir.clone_from(&wd);
    let mut with_layer = false;
    if wd != "/" {
        let owner = (!stage.state.image.config.user.is_empty())
            .then(|| owner_of(&stage.state.image.config.user));
        let plan = stage.plan();
        let text = uppercase_cmd(&process_cmd_env(&plan.lexer, &cmd.text, &stage.state.env));
        let platform = stage.state.platform.clone();
        let env = stage.state.env.clone();
        let name = stage.prefix(&text, Some(&platform), Some(&env));
        let base = stage.state.fs;
        stage.state.fs = stage.push(Step {
            kind: StepKind::Files(Files {
                base,
                actions: vec![FileAction::MakeDir {
                    path: paths::llb_normalize(&wd, &wd, false),
                    mode: 0o755,
                    make_parents: true,
                    owner,
                    created: plan.epoch,
                }],
            }),
            info: StepInfo {
                name: Some(name),
                lines: Some(vec![cmd.lines]),
                ..StepInfo::default()
            },
        });
        with_layer = true;
    }
    let epoch = stage.plan().epoch;
    history::commit(
        &mut stage.state.image,
        format!("WORKDIR {wd}"),
        with_layer,
        false,
        epoch,
    );
    Ok(())
}
