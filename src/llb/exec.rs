//! RUN steps to `pb.ExecOp`: `Meta` (args, env, cwd, user, hosts,
//! ulimits, proxy), mounts sorted by destination with the root first,
//! secret and SSH mounts appended, input de-duplication, output numbering
//! and the capabilities each feature needs — BuildKit's `ExecOp.Marshal`.

use crate::ir::build::{CacheSharing, Fs, Mount, MountKind, Network, Run};
use crate::proto::pb;

use super::caps;

/// The root mount followed by the step's mounts, sorted by target (stable).
pub(super) fn sorted_mounts(run: &Run) -> Vec<Mount> {
    let mut all = vec![Mount {
        target: "/".to_owned(),
        source: run.root,
        selector: String::new(),
        readonly: false,
        output: true,
        kind: MountKind::Bind,
    }];
    all.extend(run.mounts.iter().cloned());
    all.sort_by(|a, b| a.target.cmp(&b.target));
    all
}

pub(super) fn exec_op(
    run: &Run,
    input: &impl Fn(Fs) -> Option<pb::Input>,
    cap: &mut impl FnMut(&str),
    sets_default_path: bool,
) -> (pb::ExecOp, Vec<pb::Input>) {
    let mut meta = pb::Meta {
        args: run.args.clone(),
        env: run.env.clone(),
        cwd: run.cwd.clone(),
        user: run.user.clone(),
        hostname: run.hostname.clone(),
        cgroup_parent: run.cgroup_parent.clone(),
        remove_mount_stubs_recursive: true,
        ..pb::Meta::default()
    };
    if sets_default_path {
        cap(caps::EXEC_META_SETS_DEFAULT_PATH);
    } else if !meta.env.iter().any(|e| e.starts_with("PATH=")) {
        meta.env
            .push(format!("PATH={}", crate::ir::image::DEFAULT_PATH_ENV));
    }
    meta.extra_hosts = run
        .extra_hosts
        .iter()
        .map(|h| pb::HostIp {
            host: h.host.clone(),
            ip: h.ip.clone(),
        })
        .collect();
    if !run.ulimits.is_empty() {
        cap(caps::EXEC_META_ULIMIT);
        meta.ulimit = run
            .ulimits
            .iter()
            .map(|u| pb::Ulimit {
                name: u.name.clone(),
                soft: u.soft,
                hard: u.hard,
            })
            .collect();
    }
    let mut exec = pb::ExecOp {
        network: match run.network {
            Network::Sandbox => pb::NetMode::Unset as i32,
            Network::Host => pb::NetMode::Host as i32,
            Network::None => pb::NetMode::None as i32,
        },
        ..pb::ExecOp::default()
    };
    if run.network != Network::Sandbox {
        cap(caps::EXEC_META_NETWORK);
    }
    if run.insecure {
        exec.security = pb::SecurityMode::Insecure as i32;
        cap(caps::EXEC_META_SECURITY);
    }
    if let Some(p) = &run.proxy {
        meta.proxy_env = Some(pb::ProxyEnv {
            http_proxy: p.http_proxy.clone(),
            https_proxy: p.https_proxy.clone(),
            ftp_proxy: p.ftp_proxy.clone(),
            no_proxy: p.no_proxy.clone(),
            all_proxy: p.all_proxy.clone(),
        });
        cap(caps::EXEC_META_PROXY);
    }
    cap(caps::EXEC_META_BASE);
    let mounts = sorted_mounts(run);
    for m in &mounts {
        if !m.selector.is_empty() {
            cap(caps::EXEC_MOUNT_SELECTOR);
        }
        match &m.kind {
            MountKind::Cache { .. } => {
                cap(caps::EXEC_MOUNT_CACHE);
                cap(caps::EXEC_MOUNT_CACHE_SHARING);
            }
            MountKind::Tmpfs { size } => {
                cap(caps::EXEC_MOUNT_TMPFS);
                if *size > 0 {
                    cap(caps::EXEC_MOUNT_TMPFS_SIZE);
                }
            }
            MountKind::Bind => {
                if m.source != Fs::Scratch {
                    cap(caps::EXEC_MOUNT_BIND);
                }
            }
        }
    }
    if !run.secrets.is_empty() {
        cap(caps::EXEC_MOUNT_SECRET);
        if run.secrets.iter().any(|s| s.env.is_some()) {
            cap(caps::EXEC_SECRET_ENV);
        }
    }
    if !run.ssh.is_empty() {
        cap(caps::EXEC_MOUNT_SSH);
    }
    let mut inputs: Vec<pb::Input> = Vec::new();
    let mut outputs: i64 = 0;
    for m in &mounts {
        let idx = match input(m.source) {
            Some(inp) => match inputs.iter().position(|x| *x == inp) {
                Some(p) => p as i64,
                None => {
                    inputs.push(inp);
                    inputs.len() as i64 - 1
                }
            },
            None => pb::EMPTY_INPUT,
        };
        // The root mount (first after sorting) and writable binds that keep
        // their changes have outputs, numbered in mount order.
        let output = if m.output {
            outputs += 1;
            outputs - 1
        } else {
            pb::SKIP_OUTPUT
        };
        let mut pm = pb::Mount {
            input: idx,
            selector: m.selector.clone(),
            dest: m.target.clone(),
            output,
            readonly: m.readonly,
            ..pb::Mount::default()
        };
        match &m.kind {
            MountKind::Cache { id, sharing } => {
                pm.mount_type = pb::MountType::Cache as i32;
                pm.cache_opt = Some(pb::CacheOpt {
                    id: id.clone(),
                    sharing: match sharing {
                        CacheSharing::Shared => pb::CacheSharingOpt::Shared as i32,
                        CacheSharing::Private => pb::CacheSharingOpt::Private as i32,
                        CacheSharing::Locked => pb::CacheSharingOpt::Locked as i32,
                    },
                });
            }
            MountKind::Tmpfs { size } => {
                pm.mount_type = pb::MountType::Tmpfs as i32;
                pm.tmpfs_opt = Some(pb::TmpfsOpt { size: *size });
            }
            MountKind::Bind => {}
        }
        exec.mounts.push(pm);
    }
    for s in &run.secrets {
        if let Some(env) = &s.env {
            exec.secretenv.push(pb::SecretEnv {
                id: s.id.clone(),
                name: env.clone(),
                optional: s.optional,
            });
        }
        if let Some(target) = &s.target {
            exec.mounts.push(pb::Mount {
                input: pb::EMPTY_INPUT,
                dest: target.clone(),
                mount_type: pb::MountType::Secret as i32,
                secret_opt: Some(pb::SecretOpt {
                    id: s.id.clone(),
                    uid: s.uid,
                    gid: s.gid,
                    mode: s.mode,
                    optional: s.optional,
                }),
                ..pb::Mount::default()
            });
        }
    }
    for s in &run.ssh {
        exec.mounts.push(pb::Mount {
            input: pb::EMPTY_INPUT,
            dest: s.target.clone(),
            mount_type: pb::MountType::Ssh as i32,
            ssh_opt: Some(pb::SshOpt {
                id: s.id.clone(),
                uid: s.uid,
                gid: s.gid,
                mode: s.mode,
                optional: s.optional,
            }),
            ..pb::Mount::default()
        });
    }
    exec.meta = Some(meta);
    (exec, inputs)
}
