//! The lowered build: a graph of filesystem-producing steps in Dockerfile
//! vocabulary, plus the final image config. This is what the LLB emitter,
//! a native executor or other tools consume.
//!
//! # Invariants
//!
//! * One [`Step`] becomes exactly one operation downstream, and step
//!   identity matters: two steps with identical content are still two
//!   steps (BuildKit's client deduplicates by content but merges the
//!   progress names and source locations of every occurrence).
//! * Steps only refer to earlier steps ([`Fs::Step`] indices are smaller
//!   than the referring step's own), so the list is in a valid build
//!   order.
//! * Every value is final: variables expanded, paths absolute and
//!   normalised, defaults applied. Consumers never look at the Dockerfile.

use serde::Serialize;

use super::image::ImageConfig;
use super::options::{ExtraHost, ResolveMode, Ulimit};
use super::platform::Platform;

/// Index of a step in [`Build::steps`].
pub type StepId = usize;

/// A filesystem: empty, or the result of a step.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Fs {
    Scratch,
    Step(StepId),
}

/// Progress and bookkeeping attached to a step.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct StepInfo {
    /// The progress name, e.g. `[build 2/5] RUN make`.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    /// The instruction as written (`com.docker.dockerfile.v1.command`).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub command: Option<String>,
    /// 1-based line ranges in the Dockerfile. `None` means the step has no
    /// source location at all; an empty list is a location without ranges.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub lines: Option<Vec<(u32, u32)>>,
    /// Rebuild even if cached (`no-cache`).
    pub ignore_cache: bool,
    /// The platform the step is for, where it matters (image pulls and
    /// RUN).
    #[serde(skip_serializing_if = "Option::is_none")]
    pub platform: Option<Platform>,
    /// Resource limits of a RUN step.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub resources: Option<super::options::Resources>,
    /// Groups the two halves of a `COPY --link` in progress output.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub progress_group: Option<ProgressGroup>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ProgressGroup {
    pub id: String,
    pub name: String,
    pub weak: bool,
}

/// One step of the build.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Step {
    pub kind: StepKind,
    pub info: StepInfo,
}

/// What a step does.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum StepKind {
    /// Pull an image (the base of a stage, or `COPY --from=<image>`).
    Image {
        /// Fully normalised, digest-pinned when resolved.
        reference: String,
        resolve_mode: ResolveModeValue,
    },
    /// A directory sent by the client (the build context or a `local:`
    /// named context).
    Local(LocalDir),
    /// An image in an OCI layout the client serves as a session content
    /// store (an `oci-layout://` named context).
    OciLayout {
        /// The context's name pinned to the layout's digest
        /// (`docker.io/library/base@sha256:…`).
        reference: String,
        /// The session serving the store (empty: none).
        session: String,
        /// The content store's name in that session.
        store: String,
    },
    /// A file downloaded over HTTP(S) (`ADD <url>`).
    Http {
        url: String,
        filename: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        checksum: Option<String>,
    },
    /// A Git repository checked out (`ADD <git URL>`, a Git build context).
    Git(Box<GitSource>),
    /// A frontend input: LLB the caller handed the frontend under this
    /// name (an `input:` named context, or the `context`/`dockerfile`
    /// inputs). The emitter splices in its definition.
    Input { name: String },
    /// A RUN instruction.
    Run(Box<Run>),
    /// File changes made without running anything: COPY, ADD, WORKDIR,
    /// heredoc documents, cache mount directories.
    Files(Files),
    /// `COPY --link`: the copied layer put on top of the stage.
    Link { lower: Fs, upper: Fs },
}

/// A Git source as BuildKit's `llb.Git` describes it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct GitSource {
    /// `git://<host>/<path>[#<ref>[:<subdir>]]`.
    pub identifier: String,
    /// The remote as written, without query and fragment.
    pub remote: String,
    /// Reached over SSH (the agent socket is mounted).
    pub ssh: bool,
    pub keep_git_dir: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub checksum: Option<String>,
    pub skip_submodules: bool,
    pub fetch_by_commit: bool,
    /// `git.mtime`: `commit` or `checkout` file times.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub mtime: Option<String>,
}

/// `image-resolve-mode` as it appears on an image step (`default` is not
/// written).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum ResolveModeValue {
    Default,
    Pull,
    Local,
}

impl From<ResolveMode> for ResolveModeValue {
    fn from(m: ResolveMode) -> Self {
        match m {
            ResolveMode::Default => ResolveModeValue::Default,
            ResolveMode::Pull => ResolveModeValue::Pull,
            ResolveMode::Local => ResolveModeValue::Local,
        }
    }
}

/// A client directory.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct LocalDir {
    /// The local's name (`context`).
    pub name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub session: Option<String>,
    /// Used when there is no session.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique_id: Option<String>,
    pub shared_key_hint: String,
    /// `.dockerignore` patterns.
    pub exclude_patterns: Vec<String>,
    /// Paths the build reads (sorted); empty means everything.
    pub follow_paths: Vec<String>,
}

/// A RUN step, fully resolved.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Run {
    pub root: Fs,
    pub args: Vec<String>,
    /// `KEY=value`, in BuildKit's order.
    pub env: Vec<String>,
    pub cwd: String,
    pub user: String,
    pub hostname: String,
    pub extra_hosts: Vec<ExtraHostValue>,
    pub ulimits: Vec<UlimitValue>,
    pub cgroup_parent: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub proxy: Option<Proxy>,
    pub network: Network,
    pub insecure: bool,
    /// Mounts other than the root, in the order written.
    pub mounts: Vec<Mount>,
    pub secrets: Vec<Secret>,
    pub ssh: Vec<Ssh>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ExtraHostValue {
    pub host: String,
    pub ip: String,
}

impl From<&ExtraHost> for ExtraHostValue {
    fn from(h: &ExtraHost) -> Self {
        ExtraHostValue {
            host: h.host.clone(),
            ip: h.ip.clone(),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct UlimitValue {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

impl From<&Ulimit> for UlimitValue {
    fn from(u: &Ulimit) -> Self {
        UlimitValue {
            name: u.name.clone(),
            soft: u.soft,
            hard: u.hard,
        }
    }
}

/// Proxy settings from the proxy build args (kept out of the cache key).
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Proxy {
    pub http_proxy: String,
    pub https_proxy: String,
    pub ftp_proxy: String,
    pub no_proxy: String,
    pub all_proxy: String,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Network {
    /// The default (sandbox) network.
    Sandbox,
    Host,
    None,
}

/// A filesystem mount of a RUN (bind, cache or tmpfs).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mount {
    pub target: String,
    pub source: Fs,
    /// Path inside the source; empty for its root.
    pub selector: String,
    pub readonly: bool,
    /// The mount's changes are an output of the step (only for writable
    /// bind mounts on daemons that cannot drop them).
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    pub output: bool,
    pub kind: MountKind,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum MountKind {
    /// Changes to a writable bind mount are thrown away.
    Bind,
    Cache {
        id: String,
        sharing: CacheSharing,
    },
    Tmpfs {
        size: i64,
    },
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum CacheSharing {
    Shared,
    Private,
    Locked,
}

/// A secret given to a RUN as a file, an environment variable, or both.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Secret {
    pub id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub target: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub env: Option<String>,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    pub optional: bool,
}

/// An SSH agent socket given to a RUN.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Ssh {
    /// Empty means the default agent.
    pub id: String,
    pub target: String,
    pub uid: u32,
    pub gid: u32,
    pub mode: u32,
    pub optional: bool,
}

/// File changes on top of `base`, applied in order.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Files {
    pub base: Fs,
    pub actions: Vec<FileAction>,
}

/// Owner of created files: a user and an optional group, each a name
/// (looked up in the destination's /etc/passwd and /etc/group) or an ID.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Owner {
    #[serde(skip_serializing_if = "Option::is_none")]
    pub user: Option<Ident>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub group: Option<Ident>,
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Ident {
    Id(u32),
    Name(String),
}

/// `--chmod`: an octal mode or a symbolic one (`u+x`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Chmod {
    Octal(u32),
    Symbolic(String),
}

#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "action", rename_all = "snake_case")]
pub enum FileAction {
    Copy(Box<CopyAction>),
    MakeDir {
        path: String,
        mode: u32,
        make_parents: bool,
        #[serde(skip_serializing_if = "Option::is_none")]
        owner: Option<Owner>,
        /// Seconds since the epoch (SOURCE_DATE_EPOCH).
        #[serde(skip_serializing_if = "Option::is_none")]
        created: Option<i64>,
    },
    MakeFile {
        path: String,
        mode: u32,
        data: String,
        #[serde(skip_serializing_if = "Option::is_none")]
        owner: Option<Owner>,
        #[serde(skip_serializing_if = "Option::is_none")]
        created: Option<i64>,
    },
}

/// One source of a COPY or ADD.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct CopyAction {
    pub source: Fs,
    /// Absolute path in the source.
    pub src: String,
    /// Absolute path in the destination; a trailing `/` means "into".
    pub dest: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub owner: Option<Owner>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub chmod: Option<Chmod>,
    pub follow_symlinks: bool,
    pub dir_contents_only: bool,
    pub unpack: bool,
    pub create_dest_path: bool,
    pub allow_wildcard: bool,
    pub allow_empty_wildcard: bool,
    pub include_patterns: Vec<String>,
    pub exclude_patterns: Vec<String>,
    pub required_paths: Vec<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub created: Option<i64>,
}

impl CopyAction {
    /// A copy with every flag off.
    pub fn plain(source: Fs, src: String, dest: String) -> Self {
        CopyAction {
            source,
            src,
            dest,
            owner: None,
            chmod: None,
            follow_symlinks: false,
            dir_contents_only: false,
            unpack: false,
            create_dest_path: false,
            allow_wildcard: false,
            allow_empty_wildcard: false,
            include_patterns: Vec::new(),
            exclude_patterns: Vec::new(),
            required_paths: Vec::new(),
            created: None,
        }
    }
}

/// A stage as lowered, for tools and dumps.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct StageSummary {
    pub index: usize,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub name: Option<String>,
    pub base: String,
    pub platform: Platform,
    /// The stage's final filesystem.
    pub result: Fs,
}

/// A whole lowered build for one target platform.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Build {
    pub steps: Vec<Step>,
    /// The target stage's filesystem: the image's root.
    pub result: Fs,
    pub platform: Platform,
    /// The config of the built image.
    #[serde(skip)]
    pub image: ImageConfig,
    /// The config of the target's base image, when it came from an image.
    #[serde(skip)]
    pub base_image: Option<ImageConfig>,
    /// SOURCE_DATE_EPOCH, in seconds.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub epoch: Option<i64>,
    pub stages: Vec<StageSummary>,
    /// The daemon's LLB capabilities, when known (see
    /// [`BuildOptions::llb_caps`](super::options::BuildOptions::llb_caps)).
    #[serde(skip)]
    pub llb_caps: Option<std::collections::BTreeSet<String>>,
}
