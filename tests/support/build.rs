//! Building a Dockerfile with `docker buildx build` and reading the result
//! back as a normalized [`Image`], or capturing the failure.
//!
//! The engine here uses buildx's `docker` driver with the classic image
//! store, whose exporters refuse `type=oci,dest=` and `type=docker,dest=`
//! (and multi-platform `--load`). So a build is loaded into the engine under a
//! unique tag, read back with `docker save` (a Docker + OCI layout tarball),
//! and untagged. Only one platform per build.

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Arc, Mutex, OnceLock};

pub use super::engine::{Engine, SshAgent, engine};
use super::image::Image;

/// The image slipway's frontend is installed as.
pub const SLIPWAY_IMAGE: &str = "slipway/frontend:dev";

/// The frontend image `Frontend::Slipway` selects: [`SLIPWAY_IMAGE`], unless
/// `SLIPWAY_FRONTEND_IMAGE` names another (a differently tagged build).
pub fn slipway_image() -> String {
    std::env::var("SLIPWAY_FRONTEND_IMAGE")
        .ok()
        .filter(|v| !v.is_empty())
        .unwrap_or_else(|| SLIPWAY_IMAGE.to_string())
}

/// Which Dockerfile frontend runs the build.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Frontend {
    /// The engine's built-in `dockerfile.v0`.
    Builtin,
    /// Slipway's gateway image, selected with `BUILDKIT_SYNTAX`.
    Slipway,
}

impl Frontend {
    pub fn name(self) -> &'static str {
        match self {
            Frontend::Builtin => "builtin",
            Frontend::Slipway => "slipway",
        }
    }
}

/// Everything `docker buildx build` is given.
#[derive(Debug, Clone)]
pub struct BuildRequest {
    /// The build context directory.
    pub context: PathBuf,
    /// The Dockerfile, relative to `context` (default `Dockerfile`).
    pub dockerfile: Option<String>,
    pub build_args: Vec<(String, String)>,
    pub target: Option<String>,
    /// One platform (`linux/arm64`); the docker driver cannot load more.
    pub platform: Option<String>,
    /// `--build-context name=value`; a relative directory value is taken
    /// relative to `context`.
    pub contexts: Vec<(String, String)>,
    /// Raw `--secret` values (`id=x,src=file` with `src` relative to `context`,
    /// or `id=x,env=VAR`).
    pub secrets: Vec<String>,
    /// Raw `--ssh` values (`default`).
    pub ssh: Vec<String>,
    /// Extra environment for the buildx process (secret env sources,
    /// `SSH_AUTH_SOCK`).
    pub env: Vec<(String, String)>,
    pub frontend: Frontend,
    /// `--no-cache`: run every step again.
    pub no_cache: bool,
}

impl BuildRequest {
    pub fn new(context: impl Into<PathBuf>, frontend: Frontend) -> Self {
        BuildRequest {
            context: context.into(),
            dockerfile: None,
            build_args: Vec::new(),
            target: None,
            platform: None,
            contexts: Vec::new(),
            secrets: Vec::new(),
            ssh: Vec::new(),
            env: Vec::new(),
            frontend,
            no_cache: false,
        }
    }

    /// The file name buildx's error output refers to (`Dockerfile:3`).
    pub fn dockerfile_name(&self) -> String {
        let f = self.dockerfile.as_deref().unwrap_or("Dockerfile");
        Path::new(f)
            .file_name()
            .map_or(f.to_string(), |n| n.to_string_lossy().into_owned())
    }

    /// The `docker` arguments (after `buildx build`), without output flags.
    pub fn args(&self) -> Vec<String> {
        let mut a: Vec<String> = vec!["--progress=plain".into()];
        let dockerfile = self.dockerfile.as_deref().unwrap_or("Dockerfile");
        a.extend([
            "-f".into(),
            self.context.join(dockerfile).display().to_string(),
        ]);
        for (k, v) in &self.build_args {
            a.extend(["--build-arg".into(), format!("{k}={v}")]);
        }
        if self.frontend == Frontend::Slipway {
            a.extend([
                "--build-arg".into(),
                format!("BUILDKIT_SYNTAX={}", slipway_image()),
            ]);
        }
        if self.no_cache {
            a.push("--no-cache".into());
        }
        if let Some(t) = &self.target {
            a.extend(["--target".into(), t.clone()]);
        }
        if let Some(p) = &self.platform {
            a.extend(["--platform".into(), p.clone()]);
        }
        for (name, value) in &self.contexts {
            let value = if value.contains("://") || value.starts_with('/') {
                value.clone()
            } else {
                self.context.join(value).display().to_string()
            };
            a.extend(["--build-context".into(), format!("{name}={value}")]);
        }
        for s in &self.secrets {
            let s = s
                .split(',')
                .map(
                    |f| match f.strip_prefix("src=").or_else(|| f.strip_prefix("source=")) {
                        Some(p) if !p.starts_with('/') => {
                            format!("src={}", self.context.join(p).display())
                        }
                        _ => f.to_string(),
                    },
                )
                .collect::<Vec<_>>()
                .join(",");
            a.extend(["--secret".into(), s]);
        }
        for s in &self.ssh {
            a.extend(["--ssh".into(), s.clone()]);
        }
        a
    }
}

/// A build that did not produce an image.
#[derive(Debug, Clone)]
pub struct BuildFailure {
    /// Exit status of `docker buildx build` (`None` if killed by a signal).
    pub status: Option<i32>,
    pub stderr: String,
    /// The Dockerfile line the error points at (from `Dockerfile:N`).
    pub line: Option<u32>,
}

impl BuildFailure {
    /// The last `ERROR:` line, or the last line of stderr.
    pub fn message(&self) -> &str {
        let lines = || self.stderr.lines().map(str::trim).filter(|l| !l.is_empty());
        lines()
            .rev()
            .find(|l| l.starts_with("ERROR"))
            .or_else(|| lines().next_back())
            .unwrap_or("")
    }
}

/// What a build gave: an image, or a failure of the build itself.
#[derive(Debug, Clone)]
pub enum Outcome {
    Built(Box<Image>),
    Failed(BuildFailure),
}

/// Builds `req` and reads the image back. `Err` means the harness itself
/// failed (docker save, a malformed tarball), not the build.
pub fn build(req: &BuildRequest) -> Result<Outcome, String> {
    static SEQ: AtomicUsize = AtomicUsize::new(0);
    let engine = engine()?;
    let label: String = req
        .context
        .file_name()
        .map(|n| n.to_string_lossy().to_lowercase())
        .unwrap_or_default()
        .chars()
        .map(|c| {
            if c.is_ascii_alphanumeric() || c == '-' || c == '_' || c == '.' {
                c
            } else {
                '-'
            }
        })
        .collect();
    let tag = format!(
        "slipway-diff/{}:{}-{}-{}",
        label.trim_matches(['-', '.', '_']),
        req.frontend.name(),
        std::process::id(),
        SEQ.fetch_add(1, Ordering::Relaxed)
    );
    let mut cmd = engine.docker();
    cmd.args(["buildx", "build"])
        .args(req.args())
        .args(["--load", "-t", &tag]);
    cmd.arg(&req.context)
        .envs(req.env.iter().map(|(k, v)| (k, v)));
    let out = cmd
        .output()
        .map_err(|e| format!("running docker buildx: {e}"))?;
    if !out.status.success() {
        let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
        let line = error_line(&stderr, &req.dockerfile_name());
        return Ok(Outcome::Failed(BuildFailure {
            status: out.status.code(),
            stderr,
            line,
        }));
    }
    let saved = engine
        .docker()
        .args(["save", &tag])
        .output()
        .map_err(|e| format!("docker save: {e}"))?;
    let removed = engine.docker().args(["rmi", &tag]).output();
    if !saved.status.success() {
        return Err(format!(
            "docker save {tag}: {}",
            String::from_utf8_lossy(&saved.stderr).trim()
        ));
    }
    if let Ok(r) = removed
        && !r.status.success()
    {
        eprintln!(
            "warning: docker rmi {tag}: {}",
            String::from_utf8_lossy(&r.stderr).trim()
        );
    }
    Image::from_tarball(&saved.stdout).map(|i| Outcome::Built(Box::new(i)))
}

/// Like [`build`], but each distinct request is built once per run.
pub fn build_cached(req: &BuildRequest) -> Result<Arc<Outcome>, String> {
    type Slot = Arc<OnceLock<Result<Arc<Outcome>, String>>>;
    static CACHE: OnceLock<Mutex<HashMap<String, Slot>>> = OnceLock::new();
    let key = format!("{:?}", req);
    let slot: Slot = CACHE
        .get_or_init(Default::default)
        .lock()
        .expect("cache lock")
        .entry(key)
        .or_default()
        .clone();
    slot.get_or_init(|| build(req).map(Arc::new)).clone()
}

/// The line buildx's error output points at: the last `NAME:N` (or
/// `NAME:N-M`) line that heads a `-----` source excerpt.
pub fn error_line(stderr: &str, dockerfile_name: &str) -> Option<u32> {
    let lines: Vec<&str> = stderr.lines().collect();
    let mut found = None;
    for (i, l) in lines.iter().enumerate() {
        let Some(rest) = l
            .trim()
            .strip_prefix(dockerfile_name)
            .and_then(|r| r.strip_prefix(':'))
        else {
            continue;
        };
        let first = rest.split('-').next().unwrap_or("");
        let next_is_rule = lines
            .get(i + 1)
            .is_some_and(|n| n.trim_start().starts_with("-----"));
        if let (Ok(n), true) = (first.parse::<u32>(), next_is_rule) {
            found = Some(n);
        }
    }
    found
}
