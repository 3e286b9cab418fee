//! CMD, ENTRYPOINT and SHELL: the container's command. Shell forms are
//! wrapped in the image's shell (`Config.Shell`, or `/bin/sh -c`, or
//! `cmd /S /C` on Windows). ENTRYPOINT clears an inherited CMD unless a
//! CMD came earlier in the same stage.

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::{Cmd, CommandLine, Entrypoint, Shell};

use crate::ir::image::ImageConfig;

use super::{Stage, history};

/// The shell of shell-form commands.
pub(super) fn shell_of(img: &ImageConfig) -> Vec<String> {
    if !img.config.shell.is_empty() {
        return img.config.shell.clone();
    }
    if img.platform.os == "windows" {
        vec!["cmd".into(), "/S".into(), "/C".into()]
    } else {
        vec!["/bin/sh".into(), "-c".into()]
    }
}

/// BuildKit's `withShell`: the shell plus the arguments joined by spaces.
pub(super) fn with_shell(img: &ImageConfig, args: &[String]) -> Vec<String> {
    let mut out = shell_of(img);
    out.push(args.join(" "));
    out
}

fn args_of(img: &ImageConfig, line: &CommandLine) -> Vec<String> {
    match line {
        CommandLine::Exec(args) => args.iter().map(|a| a.value.clone()).collect(),
        CommandLine::Shell(text) => with_shell(img, std::slice::from_ref(&text.value)),
    }
}

pub(super) fn lower_cmd(stage: &mut Stage, c: &Cmd) -> Result<(), Diagnostic> {
    let args = args_of(&stage.state.image, &c.command);
    stage.cmd_set = true;
    let img = &mut stage.state.image;
    img.config.cmd = Some(args.clone());
    img.config.args_escaped = true;
    let epoch = stage.plan().epoch;
    history::commit(
        &mut stage.state.image,
        format!("CMD {}", history::quoted_list(&args)),
        false,
        false,
        epoch,
    );
    Ok(())
}

pub(super) fn lower_entrypoint(stage: &mut Stage, e: &Entrypoint) -> Result<(), Diagnostic> {
    let args = args_of(&stage.state.image, &e.command);
    let img = &mut stage.state.image;
    img.config.entrypoint = Some(args.clone());
    if !stage.cmd_set {
        img.config.cmd = None;
    }
    let epoch = stage.plan().epoch;
    let msg = format!("ENTRYPOINT {}", history::quoted_list(&args));
    history::commit(&mut stage.state.image, msg, false, false, epoch);
    Ok(())
}

pub(super) fn lower_shell(stage: &mut Stage, s: &Shell) -> Result<(), Diagnostic> {
    let shell: Vec<String> = s.shell.iter().map(|a| a.value.clone()).collect();
    stage.state.image.config.shell.clone_from(&shell);
    let epoch = stage.plan().epoch;
    let msg = format!("SHELL {}", history::plain_list(&shell));
    history::commit(&mut stage.state.image, msg, false, false, epoch);
    Ok(())
}
