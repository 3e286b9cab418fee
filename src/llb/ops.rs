//! One IR step to one `pb.Op`, as BuildKit's LLB client builds it: input
//! lists and indexes, file action chaining, source attributes, and the
//! capabilities each op declares (exec ops are in [`super::exec`]).

use std::collections::{BTreeMap, HashMap};

use crate::ir::build::{
    Chmod, CopyAction, FileAction, Files, Fs, GitSource, Ident, LocalDir, Owner, ResolveModeValue,
    Step, StepId, StepKind,
};
use crate::ir::gojson;
use crate::ir::platform::Platform;
use crate::proto::pb;

use super::caps;

/// The steps whose outputs a step reads, in the order BuildKit's client
/// walks them when marshalling (which decides the order of `Definition.def`).
pub fn walk_inputs(step: &Step) -> Vec<StepId> {
    let mut out = Vec::new();
    let mut add = |fs: Fs| {
        if let Fs::Step(id) = fs
            && !out.contains(&id)
        {
            out.push(id);
        }
    };
    match &step.kind {
        StepKind::Image { .. }
        | StepKind::Local(_)
        | StepKind::OciLayout { .. }
        | StepKind::Http { .. }
        | StepKind::Git(_)
        | StepKind::Input { .. } => {}
        StepKind::Run(run) => {
            for m in super::exec::sorted_mounts(run) {
                add(m.source);
            }
        }
        StepKind::Files(files) => {
            add(files.base);
            for a in files.actions.iter().rev() {
                if let FileAction::Copy(c) = a {
                    add(c.source);
                }
            }
        }
        StepKind::Link { lower, upper } => {
            add(*lower);
            add(*upper);
        }
    }
    out
}

/// Builds the op of `step`; `digests` holds the output (digest and index)
/// of every step it reads.
pub fn build_op(
    step: &Step,
    digests: &HashMap<StepId, pb::Input>,
    llb_caps: Option<&std::collections::BTreeSet<String>>,
) -> (pb::Op, BTreeMap<String, bool>) {
    let mut caps = BTreeMap::new();
    let mut cap = |c: &str| {
        caps.insert(c.to_owned(), true);
    };
    let input = |fs: Fs| -> Option<pb::Input> {
        match fs {
            Fs::Scratch => None,
            Fs::Step(id) => Some(digests.get(&id).cloned().unwrap_or_default()),
        }
    };
    let mut op = pb::Op {
        constraints: Some(pb::WorkerConstraints::default()),
        ..pb::Op::default()
    };
    match &step.kind {
        StepKind::Image {
            reference,
            resolve_mode,
        } => {
            cap(caps::SOURCE_IMAGE);
            let mut attrs = BTreeMap::new();
            match resolve_mode {
                ResolveModeValue::Default => {}
                ResolveModeValue::Pull => {
                    attrs.insert(caps::ATTR_IMAGE_RESOLVE_MODE.to_owned(), "pull".to_owned());
                    cap(caps::SOURCE_IMAGE_RESOLVE_MODE);
                }
                ResolveModeValue::Local => {
                    attrs.insert(caps::ATTR_IMAGE_RESOLVE_MODE.to_owned(), "local".to_owned());
                }
            }
            op.op = Some(pb::op::Op::Source(pb::SourceOp {
                identifier: format!("docker-image://{reference}"),
                attrs,
            }));
            op.platform = step.info.platform.as_ref().map(pb_platform);
        }
        StepKind::Local(dir) => {
            op.op = Some(pb::op::Op::Source(local_source(dir, &mut cap)));
        }
        StepKind::OciLayout {
            reference,
            session,
            store,
        } => {
            // `llb.OCILayout` with `llb.OCIStore`: empty values are left out.
            let mut attrs = BTreeMap::new();
            if !session.is_empty() {
                attrs.insert(caps::ATTR_OCI_SESSION.to_owned(), session.clone());
            }
            if !store.is_empty() {
                attrs.insert(caps::ATTR_OCI_STORE.to_owned(), store.clone());
            }
            cap(caps::SOURCE_OCI_LAYOUT);
            op.op = Some(pb::op::Op::Source(pb::SourceOp {
                identifier: format!("oci-layout://{reference}"),
                attrs,
            }));
            op.platform = step.info.platform.as_ref().map(pb_platform);
        }
        StepKind::Http {
            url,
            filename,
            checksum,
        } => {
            let mut attrs = BTreeMap::new();
            if let Some(c) = checksum {
                attrs.insert(caps::ATTR_HTTP_CHECKSUM.to_owned(), c.clone());
                cap(caps::SOURCE_HTTP_CHECKSUM);
            }
            if !filename.is_empty() {
                attrs.insert(caps::ATTR_HTTP_FILENAME.to_owned(), filename.clone());
            }
            cap(caps::SOURCE_HTTP);
            op.op = Some(pb::op::Op::Source(pb::SourceOp {
                identifier: url.clone(),
                attrs,
            }));
        }
        StepKind::Git(git) => {
            op.op = Some(pb::op::Op::Source(git_source(git, &mut cap)));
        }
        // Spliced in by the marshaller; never an op of its own.
        StepKind::Input { .. } => {}
        StepKind::Run(run) => {
            let sets_default_path =
                llb_caps.is_none_or(|c| c.contains(caps::EXEC_META_SETS_DEFAULT_PATH));
            let (exec, inputs) = super::exec::exec_op(run, &input, &mut cap, sets_default_path);
            op.inputs = inputs;
            op.op = Some(pb::op::Op::Exec(exec));
            op.platform = step.info.platform.as_ref().map(pb_platform);
        }
        StepKind::Files(files) => {
            cap(caps::FILE_BASE);
            let (file, inputs) = file_op(files, &input);
            op.inputs = inputs;
            op.op = Some(pb::op::Op::File(file));
        }
        StepKind::Link { lower, upper } => {
            cap(caps::MERGE_OP);
            let mut merge = pb::MergeOp::default();
            for fs in [*lower, *upper] {
                if let Some(i) = input(fs) {
                    merge.inputs.push(pb::MergeInput {
                        input: op.inputs.len() as i64,
                    });
                    op.inputs.push(i);
                }
            }
            op.op = Some(pb::op::Op::Merge(merge));
        }
    }
    (op, caps)
}

pub fn pb_platform(p: &Platform) -> pb::Platform {
    pb::Platform {
        architecture: p.architecture.clone(),
        os: p.os.clone(),
        variant: p.variant.clone(),
        os_version: p.os_version.clone(),
        os_features: p.os_features.clone(),
    }
}

fn local_source(dir: &LocalDir, cap: &mut impl FnMut(&str)) -> pb::SourceOp {
    let mut attrs = BTreeMap::new();
    if let Some(s) = dir.session.as_ref().filter(|s| !s.is_empty()) {
        attrs.insert(caps::ATTR_LOCAL_SESSION.to_owned(), s.clone());
        cap(caps::SOURCE_LOCAL_SESSION_ID);
    }
    if !dir.follow_paths.is_empty() {
        attrs.insert(
            caps::ATTR_FOLLOW_PATHS.to_owned(),
            gojson::string_array(&dir.follow_paths),
        );
        cap(caps::SOURCE_LOCAL_FOLLOW_PATHS);
    }
    if !dir.exclude_patterns.is_empty() {
        attrs.insert(
            caps::ATTR_EXCLUDE_PATTERNS.to_owned(),
            gojson::string_array(&dir.exclude_patterns),
        );
        cap(caps::SOURCE_LOCAL_EXCLUDE_PATTERNS);
    }
    if !dir.shared_key_hint.is_empty() {
        attrs.insert(
            caps::ATTR_SHARED_KEY_HINT.to_owned(),
            dir.shared_key_hint.clone(),
        );
        cap(caps::SOURCE_LOCAL_SHARED_KEY_HINT);
    }
    cap(caps::SOURCE_LOCAL);
    if !attrs.contains_key(caps::ATTR_LOCAL_SESSION) {
        attrs.insert(
            caps::ATTR_LOCAL_UNIQUE.to_owned(),
            dir.unique_id.clone().unwrap_or_default(),
        );
        cap(caps::SOURCE_LOCAL_UNIQUE);
    }
    pb::SourceOp {
        identifier: format!("local://{}", dir.name),
        attrs,
    }
}

fn file_op(
    files: &Files,
    input: &impl Fn(Fs) -> Option<pb::Input>,
) -> (pb::FileOp, Vec<pb::Input>) {
    let mut inputs: Vec<pb::Input> = Vec::new();
    let add = |fs: Fs, inputs: &mut Vec<pb::Input>| -> i64 {
        match input(fs) {
            None => pb::EMPTY_INPUT,
            Some(inp) => match inputs.iter().position(|x| *x == inp) {
                Some(p) => p as i64,
                None => {
                    inputs.push(inp);
                    inputs.len() as i64 - 1
                }
            },
        }
    };
    let base = add(files.base, &mut inputs);
    let mut secondary = Vec::with_capacity(files.actions.len());
    for a in &files.actions {
        secondary.push(match a {
            FileAction::Copy(c) => add(c.source, &mut inputs),
            _ => pb::EMPTY_INPUT,
        });
    }
    let n = inputs.len() as i64;
    let count = files.actions.len();
    let mut op = pb::FileOp::default();
    for (i, a) in files.actions.iter().enumerate() {
        let action = match a {
            FileAction::Copy(c) => pb::file_action::Action::Copy(copy_action(c, base)),
            FileAction::MakeDir {
                path,
                mode,
                make_parents,
                owner,
                created,
            } => pb::file_action::Action::Mkdir(pb::FileActionMkDir {
                path: path.clone(),
                mode: (*mode & 0o777) as i32,
                make_parents: *make_parents,
                owner: owner.as_ref().map(|o| chown(o, base)),
                timestamp: timestamp(*created),
            }),
            FileAction::MakeFile {
                path,
                mode,
                data,
                owner,
                created,
            } => pb::file_action::Action::Mkfile(pb::FileActionMkFile {
                path: path.clone(),
                mode: (*mode & 0o777) as i32,
                data: data.as_bytes().to_vec(),
                owner: owner.as_ref().map(|o| chown(o, base)),
                timestamp: timestamp(*created),
            }),
        };
        op.actions.push(pb::FileAction {
            input: if i == 0 { base } else { n + i as i64 - 1 },
            secondary_input: secondary[i],
            output: if i + 1 == count { 0 } else { pb::SKIP_OUTPUT },
            action: Some(action),
        });
    }
    (op, inputs)
}

fn copy_action(c: &CopyAction, base: i64) -> pb::FileActionCopy {
    let mut out = pb::FileActionCopy {
        src: c.src.clone(),
        dest: c.dest.clone(),
        owner: c.owner.as_ref().map(|o| chown(o, base)),
        mode: -1,
        follow_symlink: c.follow_symlinks,
        dir_copy_contents: c.dir_contents_only,
        attempt_unpack_docker_compatibility: c.unpack,
        create_dest_path: c.create_dest_path,
        allow_wildcard: c.allow_wildcard,
        allow_empty_wildcard: c.allow_empty_wildcard,
        timestamp: timestamp(c.created),
        include_patterns: c.include_patterns.clone(),
        exclude_patterns: c.exclude_patterns.clone(),
        always_replace_existing_dest_paths: false,
        mode_str: String::new(),
        required_paths: c.required_paths.clone(),
    };
    match &c.chmod {
        Some(Chmod::Octal(m)) => out.mode = *m as i32,
        Some(Chmod::Symbolic(s)) => {
            out.mode = 0;
            out.mode_str.clone_from(s);
        }
        None => {}
    }
    out
}

fn chown(o: &Owner, base: i64) -> pb::ChownOpt {
    let user = |i: &Ident| pb::UserOpt {
        user: Some(match i {
            Ident::Id(id) => pb::user_opt::User::ById(*id),
            Ident::Name(n) => pb::user_opt::User::ByName(pb::NamedUserOpt {
                name: n.clone(),
                input: base,
            }),
        }),
    };
    pb::ChownOpt {
        user: o.user.as_ref().map(user),
        group: o.group.as_ref().map(user),
    }
}

fn timestamp(created: Option<i64>) -> i64 {
    created.map_or(-1, |s| s.saturating_mul(1_000_000_000))
}

/// `llb.Git`: the attributes and caps of a Git source. The frontend asks
/// for no HTTP auth cap and scans no SSH host keys (BuildKit's scan is best
/// effort and needs the network).
fn git_source(git: &GitSource, cap: &mut impl FnMut(&str)) -> pb::SourceOp {
    let mut attrs = BTreeMap::new();
    let mut set = |k: &str, v: &str| {
        attrs.insert(k.to_owned(), v.to_owned());
    };
    if git.keep_git_dir {
        set(caps::ATTR_GIT_KEEP_DIR, "true");
        cap(caps::SOURCE_GIT_KEEP_DIR);
    }
    if !git.remote.is_empty() {
        set(caps::ATTR_GIT_FULL_URL, &git.remote);
        cap(caps::SOURCE_GIT_FULL_URL);
    }
    set(caps::ATTR_GIT_AUTH_TOKEN_SECRET, "GIT_AUTH_TOKEN");
    set(caps::ATTR_GIT_AUTH_HEADER_SECRET, "GIT_AUTH_HEADER");
    if git.ssh {
        cap(caps::SOURCE_GIT_KNOWN_SSH_HOSTS);
        set(caps::ATTR_GIT_MOUNT_SSH_SOCK, "default");
        cap(caps::SOURCE_GIT_MOUNT_SSH_SOCK);
    }
    if let Some(c) = &git.checksum {
        set(caps::ATTR_GIT_CHECKSUM, c);
        cap(caps::SOURCE_GIT_CHECKSUM);
    }
    if git.skip_submodules {
        set(caps::ATTR_GIT_SKIP_SUBMODULES, "true");
        cap(caps::SOURCE_GIT_SKIP_SUBMODULES);
    }
    if let Some(m) = &git.mtime {
        set(caps::ATTR_GIT_MTIME, m);
        cap(caps::SOURCE_GIT_MTIME);
    }
    if git.fetch_by_commit {
        set(caps::ATTR_GIT_FETCH_BY_COMMIT, "true");
        cap(caps::SOURCE_GIT_FETCH_BY_COMMIT);
    }
    cap(caps::SOURCE_GIT);
    pb::SourceOp {
        identifier: git.identifier.clone(),
        attrs,
    }
}
