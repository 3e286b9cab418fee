//! `RUN`: an exec step with the stage's environment, working directory and
//! user. Shell form is wrapped in the image's shell; heredocs become the
//! script (or, for a `#!` script, a file mounted at `/dev/pipes/`).
//! Proxy build args, extra hosts, ulimits, `/dev/shm` size, hostname and
//! the network and security modes are attached here; mounts are in
//! [`super::mount`].

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::{CommandLine, NetworkMode, Run as RunInstruction, Security};
use crate::syntax::parser::heredoc::{chomp, parse_word};

use crate::ir::build::{
    FileAction, Files, Fs, Mount, MountKind, Network, Proxy, Run, Step, StepInfo, StepKind,
};
use crate::ir::env::{EnvList, Overlay};
use crate::ir::options::NetworkMode as DefaultNetwork;
use crate::ir::paths;
use crate::ir::plan::Command;

use super::cmd::with_shell;
use super::names::{process_cmd_env, summarize_heredoc, uppercase_cmd};
use super::{Stage, history, mount};

pub(super) fn lower(
    stage: &mut Stage,
    cmd: &Command,
    run: &RunInstruction,
) -> Result<(), Diagnostic> {
    let plan = stage.plan();
    let mut name_text = cmd.text.clone();
    let (mut args, prepend_shell) = match &run.command {
        CommandLine::Exec(a) => (a.iter().map(|s| s.value.clone()).collect::<Vec<_>>(), false),
        CommandLine::Shell(t) => (vec![t.value.clone()], true),
    };
    let mut extra_mounts = Vec::new();
    if let Some(first) = run.files.first() {
        let single = prepend_shell && args.len() == 1;
        if single && parse_word(&args[0]).ok().flatten().is_some() {
            let data = if first.chomp {
                chomp(&first.content)
            } else {
                first.content.clone()
            };
            if stage.state.image.platform.os != "windows" && data.starts_with("#!") {
                let file = first.name.clone();
                let script = stage.push(Step {
                    kind: StepKind::Files(Files {
                        base: Fs::Scratch,
                        actions: vec![FileAction::MakeFile {
                            path: paths::llb_normalize("/", &file, false),
                            mode: 0o755,
                            data,
                            owner: None,
                            created: None,
                        }],
                    }),
                    info: StepInfo {
                        name: Some("[internal] preparing inline document".to_owned()),
                        ..StepInfo::default()
                    },
                });
                extra_mounts.push(Mount {
                    target: "/dev/pipes/".to_owned(),
                    source: script,
                    selector: "/".to_owned(),
                    readonly: true,
                    output: false,
                    kind: MountKind::Bind,
                });
                args = vec![paths::join(&["/dev/pipes/", &file])];
            } else {
                args = vec![data];
            }
            name_text.push_str(&format!(" ({})", summarize_heredoc(&first.content)));
        } else if single {
            let mut text = args[0].clone();
            for f in &run.files {
                text.push('\n');
                text.push_str(&f.content);
                text.push_str(&f.name);
            }
            args = vec![text];
        }
    }
    if prepend_shell {
        args = with_shell(&stage.state.image, &args);
    }

    let mounts = mount::lower(stage, cmd, run)?;
    let mut all_mounts = extra_mounts;
    all_mounts.extend(mounts.mounts);
    let opts = &plan.options;
    if opts.shm_size > 0 && opts.supports("exec.mount.tmpfs.size") {
        all_mounts.push(Mount {
            target: "/dev/shm".to_owned(),
            source: Fs::Scratch,
            selector: String::new(),
            readonly: false,
            output: false,
            kind: MountKind::Tmpfs {
                size: opts.shm_size,
            },
        });
    }

    let network = match run.network.as_ref().map(|n| n.value) {
        Some(NetworkMode::None) => Network::None,
        Some(NetworkMode::Host) => Network::Host,
        Some(NetworkMode::Default) | None => match opts.network {
            DefaultNetwork::Sandbox => Network::Sandbox,
            DefaultNetwork::None => Network::None,
            DefaultNetwork::Host => Network::Host,
        },
    };
    let insecure = run
        .security
        .as_ref()
        .is_some_and(|s| s.value == Security::Insecure);

    // The step name: keyword upper-cased, variables expanded (unset ones
    // kept as written), quotes kept, secret env values masked.
    let mut masked = EnvList::new();
    for s in &mounts.secrets {
        if let Some(e) = &s.env {
            masked.set(e, "****");
        }
    }
    let name_lexer = crate::syntax::shell::Lexer::with_options(crate::syntax::shell::Options {
        escape: plan.escape,
        raw_quotes: true,
        skip_unset_env: true,
        ..Default::default()
    });
    let overlay = Overlay {
        top: &masked,
        base: &stage.state.env,
    };
    let text = uppercase_cmd(&process_cmd_env(&name_lexer, &name_text, &overlay));
    let platform = stage.state.platform.clone();
    let env = stage.state.env.clone();
    let name = stage.prefix(&text, Some(&platform), Some(&env));

    let mut exec_env = stage.state.env.clone();
    if let Some(first) = mounts.ssh.first()
        && exec_env.get("SSH_AUTH_SOCK").is_none()
    {
        exec_env.set("SSH_AUTH_SOCK", &first.target);
    }
    let step = Run {
        root: stage.state.fs,
        args: args.clone(),
        env: exec_env.to_strings(),
        cwd: stage.state.dir.clone(),
        user: stage.state.user.clone(),
        hostname: stage.state.hostname.clone(),
        extra_hosts: opts.extra_hosts.iter().map(Into::into).collect(),
        ulimits: if opts.supports("exec.meta.ulimit") {
            opts.ulimits.iter().map(Into::into).collect()
        } else {
            Vec::new()
        },
        cgroup_parent: if opts.supports("exec.meta.cgroup.parent") {
            opts.cgroup_parent.clone()
        } else {
            String::new()
        },
        proxy: proxy(&opts.build_args),
        network,
        insecure,
        mounts: all_mounts,
        secrets: mounts.secrets,
        ssh: mounts.ssh,
    };
    stage.state.fs = stage.push(Step {
        kind: StepKind::Run(Box::new(step)),
        info: StepInfo {
            name: Some(name),
            command: Some(cmd.text.clone()),
            lines: Some(vec![cmd.lines]),
            ignore_cache: stage.ignore_cache,
            platform: Some(platform),
            progress_group: None,
            resources: opts
                .resources
                .clone()
                .filter(|_| opts.supports("exec.meta.linux.resources")),
        },
    });
    let msg = format!(
        "RUN {}",
        run_command_string(&args, &stage.state.build_args, &stage.state.env)
    );
    let epoch = plan.epoch;
    history::commit(&mut stage.state.image, msg, true, true, epoch);
    Ok(())
}

/// `|N K=v … <args>`: the ARGs in scope (values from the environment when
/// set there), then the command.
fn run_command_string(
    args: &[String],
    build_args: &[(String, Option<String>)],
    env: &EnvList,
) -> String {
    let mut vars: Vec<(String, String)> = Vec::new();
    for (k, v) in build_args {
        let v = env
            .get(k)
            .map(str::to_owned)
            .unwrap_or_else(|| v.clone().unwrap_or_default());
        match vars.iter_mut().find(|(key, _)| key == k) {
            Some(slot) => slot.1 = v,
            None => vars.push((k.clone(), v)),
        }
    }
    let mut parts: Vec<String> = Vec::new();
    if !vars.is_empty() {
        parts.push(format!("|{}", vars.len()));
        parts.extend(vars.into_iter().map(|(k, v)| format!("{k}={v}")));
    }
    parts.extend(args.iter().cloned());
    parts.join(" ")
}

/// Proxy settings from the build args (any letter case; keys in sorted
/// order, the last match wins).
fn proxy(build_args: &std::collections::BTreeMap<String, String>) -> Option<Proxy> {
    let mut p = Proxy::default();
    let mut set = false;
    for (k, v) in build_args {
        let slot = match k.to_lowercase().as_str() {
            "http_proxy" => &mut p.http_proxy,
            "https_proxy" => &mut p.https_proxy,
            "ftp_proxy" => &mut p.ftp_proxy,
            "no_proxy" => &mut p.no_proxy,
            "all_proxy" => &mut p.all_proxy,
            _ => continue,
        };
        slot.clone_from(v);
        set = true;
    }
    set.then_some(p)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn history_lists_args() {
        let mut env = EnvList::new();
        env.set("A", "2");
        let args = vec!["/bin/sh".to_owned(), "-c".to_owned(), "echo".to_owned()];
        let build = vec![
            ("A".to_owned(), Some("1".to_owned())),
            ("B".to_owned(), None),
        ];
        assert_eq!(
            run_command_string(&args, &build, &env),
            "|2 A=2 B= /bin/sh -c echo"
        );
        assert_eq!(run_command_string(&args, &[], &env), "/bin/sh -c echo");
    }
}
