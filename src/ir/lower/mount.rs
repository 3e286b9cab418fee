//! `RUN --mount`: each field value is expanded against the stage
//! environment, then the mount is parsed with BuildKit's rules and turned
//! into a bind, cache or tmpfs mount, a secret or an SSH socket.

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::mount::{
    Mount as ParsedMount, MountType, Sharing, csv_fields, parse_mount,
};
use crate::syntax::instructions::{Run, RunMount};
use crate::syntax::tree::Spanned;

use crate::ir::build::{
    CacheSharing, FileAction, Files, Fs, Ident, Mount, MountKind, Owner, Secret, Ssh, Step,
    StepInfo, StepKind,
};
use crate::ir::codes;
use crate::ir::paths;
use crate::ir::plan::Command;

use super::{Stage, stage};

/// The mounts of one RUN, split by kind.
pub(super) struct Mounts {
    pub mounts: Vec<Mount>,
    pub secrets: Vec<Secret>,
    pub ssh: Vec<Ssh>,
}

pub(super) fn lower(stage: &mut Stage, cmd: &Command, run: &Run) -> Result<Mounts, Diagnostic> {
    let mut out = Mounts {
        mounts: Vec::new(),
        secrets: Vec::new(),
        ssh: Vec::new(),
    };
    let mut parsed = Vec::with_capacity(run.mounts.len());
    for m in &run.mounts {
        parsed.push(expand_mount(stage, cmd, m)?);
    }
    for (i, (m, raw)) in parsed.into_iter().zip(&run.mounts).enumerate() {
        let invalid = |msg: String| {
            Diagnostic::error(
                codes::INVALID_FLAG_VALUE,
                super::span(cmd, raw.value.range),
                msg,
            )
            .with_label("in this mount")
        };
        let mut from = m.from.clone();
        if from.is_none() && m.kind == MountType::Cache {
            from = Some("scratch".to_owned());
        }
        let mut source = match &from {
            Some(_) => {
                let src = cmd.sources.get(i).copied().unwrap_or(0);
                match stage::source_fs(stage.lw, src) {
                    Some(fs) => fs,
                    None => {
                        let target = m.target.clone().unwrap_or_default();
                        return Err(stage::not_dispatched(
                            stage.lw,
                            src,
                            Some(stage.idx),
                            Some(&target),
                            cmd.range,
                        ));
                    }
                }
            }
            None => Fs::Scratch,
        };
        match m.kind {
            MountType::Secret => {
                out.secrets.push(secret(stage, cmd, &m).map_err(invalid)?);
                continue;
            }
            MountType::Ssh => {
                let index = out.ssh.len();
                out.ssh.push(ssh(stage, cmd, &m, index).map_err(invalid)?);
                continue;
            }
            _ => {}
        }
        let kind = match m.kind {
            MountType::Tmpfs => {
                source = Fs::Scratch;
                MountKind::Tmpfs { size: m.size_limit }
            }
            MountType::Cache => {
                let id =
                    m.id.clone()
                        .unwrap_or_else(|| paths::clean(m.target.as_deref().unwrap_or("")));
                MountKind::Cache {
                    id: format!("{}/{id}", stage.plan().options.cache_namespace),
                    sharing: match m.sharing {
                        Some(Sharing::Private) => CacheSharing::Private,
                        Some(Sharing::Locked) => CacheSharing::Locked,
                        Some(Sharing::Shared) | None => CacheSharing::Shared,
                    },
                }
            }
            _ => {
                if from.is_none() {
                    source = stage.lw.context_fs();
                }
                MountKind::Bind
            }
        };
        let raw_target = m.target.clone().unwrap_or_default();
        let target = if paths::is_abs(&paths::clean(&raw_target)) {
            raw_target.clone()
        } else {
            paths::join(&["/", &stage.state.dir, &raw_target])
        };
        if target == "/" {
            return Err(invalid(format!(
                "invalid mount target {}",
                super::history::go_quote(&target)
            )));
        }
        let mut selector = String::new();
        let src_path = paths::join(&["/", m.source.as_deref().unwrap_or("")]);
        if src_path != "/" {
            selector = src_path;
        } else if m.uid.is_some() || m.gid.is_some() || m.mode.is_some() {
            source = cache_dir(stage, source, &m);
            selector = "/cache".to_owned();
        }
        let p = paths::join(&["/", m.source.as_deref().unwrap_or("")]);
        match from {
            None => {
                stage.lw.context_paths.insert(p);
            }
            Some(_) => {
                let src = cmd.sources.get(i).copied().unwrap_or(0);
                stage.lw.source_paths.entry(src).or_default().insert(p);
            }
        }
        // A writable bind mount's changes are dropped when the daemon can
        // mark it output-less; otherwise it gets an output of its own.
        let output = !m.read_only
            && kind == MountKind::Bind
            && !stage
                .plan()
                .options
                .supports("exec.mount.bind.readwrite-nooutput");
        out.mounts.push(Mount {
            target,
            source,
            selector,
            readonly: m.read_only,
            output,
            kind,
        });
    }
    Ok(out)
}

/// Expands every `key=value` field's value, then parses the mount.
fn expand_mount(stage: &Stage, cmd: &Command, m: &RunMount) -> Result<ParsedMount, Diagnostic> {
    let bad = |msg: String| {
        Diagnostic::error(
            codes::INVALID_FLAG_VALUE,
            super::span(cmd, m.value.range),
            msg,
        )
        .with_label("invalid mount")
    };
    let fields =
        csv_fields(&m.value.value).map_err(|e| bad(format!("failed to parse csv mounts: {e}")))?;
    let mut expanded = Vec::with_capacity(fields.len());
    for f in fields {
        match f.split_once('=') {
            Some((k, v)) => {
                let word = Spanned::new(v, m.value.range);
                let v = stage.expand(&word, cmd)?;
                expanded.push(format!("{k}={v}"));
            }
            None => expanded.push(f),
        }
    }
    let csv: Vec<String> = expanded.iter().map(|f| csv_quote(f)).collect();
    parse_mount(&csv.join(",")).map_err(bad)
}

/// One CSV field, quoted when needed.
fn csv_quote(f: &str) -> String {
    if f.contains([',', '"', '\n', '\r']) || f.starts_with(' ') {
        format!("\"{}\"", f.replace('"', "\"\""))
    } else {
        f.to_owned()
    }
}

/// `[internal] setting cache mount permissions`: a `/cache` directory with
/// the mount's mode and owner, made on the mount's source.
fn cache_dir(stage: &mut Stage, base: Fs, m: &ParsedMount) -> Fs {
    stage.push(Step {
        kind: StepKind::Files(Files {
            base,
            actions: vec![FileAction::MakeDir {
                path: "/cache".to_owned(),
                mode: m.mode.unwrap_or(0o755),
                make_parents: false,
                owner: Some(Owner {
                    user: Some(Ident::Id(m.uid.unwrap_or(0))),
                    group: Some(Ident::Id(m.gid.unwrap_or(0))),
                }),
                created: None,
            }],
        }),
        info: StepInfo {
            name: Some("[internal] setting cache mount permissions".to_owned()),
            ..StepInfo::default()
        },
    })
}

fn secret(stage: &mut Stage, cmd: &Command, m: &ParsedMount) -> Result<Secret, String> {
    let mut id = m.id.clone().unwrap_or_default();
    if let Some(s) = &m.source {
        id.clone_from(s);
    }
    if id.is_empty() {
        let Some(t) = &m.target else {
            return Err("one of source, target required".to_owned());
        };
        id = paths::base(t);
    }
    let mut target = m.target.clone();
    if m.env.is_none() {
        target = Some(
            m.target
                .clone()
                .unwrap_or_else(|| format!("/run/secrets/{}", paths::base(&id))),
        );
    }
    stage
        .outline
        .secrets
        .entry(id.clone())
        .or_insert((m.required, cmd.lines));
    let file_opts = m.uid.is_some() || m.gid.is_some() || m.mode.is_some();
    Ok(Secret {
        id,
        target,
        env: m.env.clone(),
        uid: if file_opts { m.uid.unwrap_or(0) } else { 0 },
        gid: if file_opts { m.gid.unwrap_or(0) } else { 0 },
        mode: if file_opts {
            m.mode.unwrap_or(0o400)
        } else {
            0o400
        },
        optional: !m.required,
    })
}

fn ssh(stage: &mut Stage, cmd: &Command, m: &ParsedMount, index: usize) -> Result<Ssh, String> {
    if m.source.is_some() {
        return Err("ssh does not support source".to_owned());
    }
    let id = m.id.clone().unwrap_or_default();
    let outline_id = if id.is_empty() {
        "default".to_owned()
    } else {
        id.clone()
    };
    stage
        .outline
        .ssh
        .entry(outline_id)
        .or_insert((m.required, cmd.lines));
    let target = m
        .target
        .clone()
        .unwrap_or_else(|| format!("/run/buildkit/ssh_agent.{index}"));
    let file_opts = m.uid.is_some() || m.gid.is_some() || m.mode.is_some();
    Ok(Ssh {
        id,
        target,
        uid: m.uid.unwrap_or(0),
        gid: m.gid.unwrap_or(0),
        mode: if file_opts {
            m.mode.unwrap_or(0o600)
        } else {
            0o600
        },
        optional: !m.required,
    })
}
