//! The main build context as a filesystem, as dockerui's `initContext`
//! and `MainContext` make it:
//!
//! - the client's directory (a `local` source with the `.dockerignore`
//!   patterns and, once every step is lowered, the paths the build reads);
//! - a Git repository (`[internal] load git source <url>`);
//! - an HTTP download named `context`, unpacked onto scratch when it is an
//!   archive (otherwise the download itself is the context, and the
//!   Dockerfile);
//! - a frontend input.
//!
//! A remote context is limited to `contextsubdir` by copying that
//! directory's contents onto scratch. The Dockerfile of a remote context
//! is read from the same source before the subdirectory is applied; the
//! frontend solves [`remote_context_build`] for it.

use crate::ir::build::{
    Build, CopyAction, FileAction, Files, Fs, LocalDir, Step, StepInfo, StepKind,
};
use crate::ir::options::{BuildOptions, MainContext};
use crate::ir::paths;

use super::Lower;

impl Lower<'_> {
    /// The main build context, made once.
    pub(crate) fn context_fs(&mut self) -> Fs {
        if let Some(id) = self.context {
            return Fs::Step(id);
        }
        let opts = &self.plan.options;
        let fs = match push_remote(&mut self.steps, &opts.main_context) {
            Some(root) => match &opts.context_subdir {
                Some(dir) => push_subdir(&mut self.steps, root, dir),
                None => root,
            },
            None => {
                self.steps.push(local_step(opts));
                Fs::Step(self.steps.len() - 1)
            }
        };
        if let Fs::Step(id) = fs {
            self.context = Some(id);
        }
        fs
    }
}

/// The client's context directory, without follow paths (they are known
/// only at the end).
fn local_step(opts: &BuildOptions) -> Step {
    let session = opts
        .local_session_ids
        .get(&opts.context_local_name)
        .cloned()
        .or_else(|| opts.session_id.clone());
    Step {
        kind: StepKind::Local(LocalDir {
            name: opts.context_local_name.clone(),
            unique_id: session.is_none().then(|| opts.local_unique_id.clone()),
            session,
            shared_key_hint: opts.context_local_name.clone(),
            exclude_patterns: opts.context_excludes.clone(),
            follow_paths: Vec::new(),
        }),
        info: StepInfo {
            name: Some("[internal] load build context".to_owned()),
            ..StepInfo::default()
        },
    }
}

/// Pushes the steps of a remote main context and returns its root; `None`
/// for the local directory.
fn push_remote(steps: &mut Vec<Step>, main: &MainContext) -> Option<Fs> {
    let mut push = |kind: StepKind, name: Option<String>| {
        steps.push(Step {
            kind,
            info: StepInfo {
                name,
                ..StepInfo::default()
            },
        });
        Fs::Step(steps.len() - 1)
    };
    Some(match main {
        MainContext::Local => return None,
        MainContext::Git { url, source } => push(
            StepKind::Git(Box::new(source.clone())),
            Some(format!("[internal] load git source {url}")),
        ),
        MainContext::Http { url, archive } => {
            let download = push(
                StepKind::Http {
                    url: url.clone(),
                    filename: "context".to_owned(),
                    checksum: None,
                },
                Some("[internal] load remote build context".to_owned()),
            );
            if !*archive {
                return Some(download);
            }
            let unpack = CopyAction {
                unpack: true,
                ..CopyAction::plain(download, "/context".to_owned(), "/".to_owned())
            };
            push(
                StepKind::Files(Files {
                    base: Fs::Scratch,
                    actions: vec![FileAction::Copy(Box::new(unpack))],
                }),
                None,
            )
        }
        MainContext::Input(name) => push(StepKind::Input { name: name.clone() }, None),
    })
}

/// `scopeToSubDir`: the contents of `dir` copied onto scratch.
fn push_subdir(steps: &mut Vec<Step>, root: Fs, dir: &str) -> Fs {
    let copy = CopyAction {
        dir_contents_only: true,
        ..CopyAction::plain(root, paths::join(&["/", dir]), "/".to_owned())
    };
    steps.push(Step {
        kind: StepKind::Files(Files {
            base: Fs::Scratch,
            actions: vec![FileAction::Copy(Box::new(copy))],
        }),
        info: StepInfo::default(),
    });
    Fs::Step(steps.len() - 1)
}

/// The remote main context as a build of its own (its root, before
/// `contextsubdir`), for reading the Dockerfile and probing a download;
/// `None` for the local directory.
pub fn remote_context_build(main: &MainContext) -> Option<Build> {
    let mut steps = Vec::new();
    let result = push_remote(&mut steps, main)?;
    Some(Build {
        steps,
        result,
        platform: Default::default(),
        image: Default::default(),
        base_image: None,
        epoch: None,
        stages: Vec::new(),
        llb_caps: None,
    })
}
