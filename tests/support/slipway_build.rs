//! Running `slipway build` (this build of the binary) against the
//! containerd-store Docker engine, and reading what it leaves behind: the
//! engine's address, a bounded number of concurrent builds, temporary
//! folders, OCI archives, and the Dockerfile line a failure report quotes.
//!
//! The engine is `SLIPWAY_CONTAINERD_HOST` (set by `scripts/test`), or else
//! the `DOCKER_HOST` that `BKD_STORE=containerd scripts/buildkit-daemon.sh
//! env` prints. Without a reachable engine every helper returns an error
//! naming `scripts/test`.

use std::collections::BTreeMap;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{Condvar, Mutex, OnceLock};
use std::time::{Duration, Instant};

use serde_json::Value;

/// Builds allowed at once in one test process (CI machines have 2 cores).
pub const MAX_BUILDS: usize = 4;

/// The slipway binary under test.
pub fn slipway_bin() -> &'static str {
    env!("CARGO_BIN_EXE_slipway")
}

/// The containerd-store engine's `DOCKER_HOST` (`unix:///…/docker.sock`),
/// checked reachable once per run.
pub fn containerd_host() -> Result<&'static str, String> {
    static HOST: OnceLock<Result<String, String>> = OnceLock::new();
    HOST.get_or_init(find_containerd_host)
        .as_deref()
        .map_err(Clone::clone)
}

fn find_containerd_host() -> Result<String, String> {
    let fix = "run scripts/test, which starts it (or `BKD_STORE=containerd \
               scripts/buildkit-daemon.sh start`, then export SLIPWAY_CONTAINERD_HOST)";
    let host = match std::env::var("SLIPWAY_CONTAINERD_HOST") {
        Ok(h) if !h.is_empty() => h,
        _ => {
            let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/buildkit-daemon.sh");
            let out = Command::new(&script)
                .arg("env")
                .env("BKD_STORE", "containerd")
                .output()
                .map_err(|e| format!("{}: {e}: {fix}", script.display()))?;
            String::from_utf8_lossy(&out.stdout)
                .lines()
                .find_map(|l| l.trim().strip_prefix("export DOCKER_HOST="))
                .map(|h| h.trim_matches(['"', '\'']).to_string())
                .ok_or_else(|| format!("buildkit-daemon.sh env names no DOCKER_HOST: {fix}"))?
        }
    };
    let probe = Command::new("docker")
        .args(["version", "--format", "{{.Server.Version}}"])
        .env("DOCKER_HOST", &host)
        .output()
        .map_err(|e| format!("cannot run the docker CLI ({e}): {fix}"))?;
    if !probe.status.success() {
        return Err(format!(
            "the containerd-store engine at {host} is not reachable ({}): {fix}",
            String::from_utf8_lossy(&probe.stderr).trim()
        ));
    }
    Ok(host)
}

/// The engine host, panicking with the fix when it is unreachable.
pub fn host_or_panic() -> &'static str {
    containerd_host().unwrap_or_else(|e| panic!("{e}"))
}

/// `--addr` for slipway: the engine through its `/grpc` and `/session`
/// upgrades.
pub fn docker_addr() -> String {
    format!("docker+{}", host_or_panic())
}

/// The engine's socket path (`/tmp/bkd-containerd/docker.sock`).
pub fn engine_socket() -> PathBuf {
    let host = host_or_panic();
    PathBuf::from(host.strip_prefix("unix://").unwrap_or(host))
}

/// A `docker` command bound to the containerd-store engine.
pub fn docker() -> Command {
    let mut c = Command::new("docker");
    c.env("DOCKER_HOST", host_or_panic())
        .env("DOCKER_CLI_HINTS", "false");
    c
}

/// Runs `docker ARGS` on the containerd engine; panics unless it succeeds.
pub fn docker_ok(args: &[&str]) -> String {
    let out = docker().args(args).output().expect("run docker");
    assert!(
        out.status.success(),
        "docker {}: {}",
        args.join(" "),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Runs `c` to the end; panics with its output unless it succeeded.
pub fn checked(mut c: Command, what: &str) -> Output {
    let out = c.output().unwrap_or_else(|e| panic!("{what}: {e}"));
    assert!(
        out.status.success(),
        "{what} failed:\n{}",
        output_text(&out)
    );
    out
}

/// Standard output then standard error, as text.
pub fn output_text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

/// Installs this build of slipway as a frontend image tagged `tag` on the
/// containerd-store engine, once per test process and tag (two installs
/// of one tag at once race in the engine).
pub fn install_frontend(tag: &str) {
    static DONE: Mutex<Vec<String>> = Mutex::new(Vec::new());
    let mut done = DONE.lock().unwrap_or_else(|e| e.into_inner());
    if done.iter().any(|t| t == tag) {
        return;
    }
    let mut install = Command::new(slipway_bin());
    install
        .env("DOCKER_HOST", host_or_panic())
        .args(["frontend", "install", "--tag", tag]);
    checked(install, "slipway frontend install");
    done.push(tag.to_owned());
}

/// An OCI or Docker archive on disk, read as an image.
pub fn read_image(path: &Path) -> super::image::Image {
    let bytes = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    super::image::Image::from_tarball(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Lowercase hex SHA-256, as image entries record content.
pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest as _;
    sha2::Sha256::digest(bytes)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// A slot among [`MAX_BUILDS`]; released on drop.
pub struct BuildSlot(());

impl BuildSlot {
    pub fn acquire() -> BuildSlot {
        let (lock, cv) = slots();
        let mut n = lock.lock().expect("slots lock");
        while *n >= MAX_BUILDS {
            n = cv.wait(n).expect("slots lock");
        }
        *n += 1;
        BuildSlot(())
    }
}

impl Drop for BuildSlot {
    fn drop(&mut self) {
        let (lock, cv) = slots();
        *lock.lock().expect("slots lock") -= 1;
        cv.notify_one();
    }
}

fn slots() -> &'static (Mutex<usize>, Condvar) {
    static SLOTS: OnceLock<(Mutex<usize>, Condvar)> = OnceLock::new();
    SLOTS.get_or_init(|| (Mutex::new(0), Condvar::new()))
}

/// What one `slipway` run gave.
#[derive(Debug, Clone)]
pub struct Run {
    /// Exit code (`None` when killed by a signal).
    pub status: Option<i32>,
    pub stdout: String,
    /// Standard error with terminal colour codes removed.
    pub stderr: String,
    pub took: Duration,
}

impl Run {
    /// The run as text for assertion messages.
    pub fn show(&self) -> String {
        format!(
            "exit {:?} after {:.1}s\n--- stdout\n{}\n--- stderr\n{}",
            self.status,
            self.took.as_secs_f64(),
            self.stdout,
            self.stderr
        )
    }

    pub fn ok(&self) -> bool {
        self.status == Some(0)
    }
}

/// A `slipway` command (no arguments yet) with a clean environment for
/// daemon selection: `BUILDKIT_HOST` and `DOCKER_HOST` removed.
pub fn slipway() -> Command {
    let mut c = Command::new(slipway_bin());
    c.env_remove("BUILDKIT_HOST").env_remove("DOCKER_HOST");
    c
}

/// Runs `slipway ARGS` holding a build slot.
pub fn run_slipway(args: &[String], env: &[(String, String)]) -> Run {
    let mut c = slipway();
    c.args(args).envs(env.iter().map(|(k, v)| (k, v)));
    run(c)
}

/// Runs a prepared command holding a build slot.
pub fn run(mut c: Command) -> Run {
    let _slot = BuildSlot::acquire();
    let start = Instant::now();
    let out: Output = c
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {c:?}: {e}"));
    Run {
        status: out.status.code(),
        stdout: String::from_utf8_lossy(&out.stdout).into_owned(),
        stderr: strip_ansi(&String::from_utf8_lossy(&out.stderr)),
        took: start.elapsed(),
    }
}

/// `slipway build --addr docker+unix://… --progress plain -o type=oci,dest=DEST
/// EXTRA… CONTEXT`.
pub fn build_oci(context: &Path, dest: &Path, extra: &[&str]) -> Run {
    let mut args: Vec<String> = vec![
        "build".into(),
        "--addr".into(),
        docker_addr(),
        "--progress".into(),
        "plain".into(),
        "-o".into(),
        format!("type=oci,dest={}", dest.display()),
    ];
    args.extend(extra.iter().map(|s| s.to_string()));
    args.push(context.display().to_string());
    run_slipway(&args, &[])
}

/// Removes terminal escape sequences (`ESC [ … letter`).
pub fn strip_ansi(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars().peekable();
    while let Some(c) = chars.next() {
        if c == '\u{1b}' {
            if chars.peek() == Some(&'[') {
                chars.next();
                for d in chars.by_ref() {
                    if d.is_ascii_alphabetic() {
                        break;
                    }
                }
            }
            continue;
        }
        out.push(c);
    }
    out
}

/// The Dockerfile line slipway's failure report quotes: the last
/// `╭─[NAME:LINE:COL]` header whose NAME is `dockerfile_name`.
pub fn report_line(stderr: &str, dockerfile_name: &str) -> Option<u32> {
    let mut found = None;
    for l in strip_ansi(stderr).lines() {
        let Some(rest) = l.split_once("╭─[").map(|(_, r)| r) else {
            continue;
        };
        let Some(inner) = rest.split(']').next() else {
            continue;
        };
        let mut parts = inner.rsplitn(3, ':');
        let (_col, line, name) = (parts.next(), parts.next(), parts.next());
        let name_ok = name.is_some_and(|n| {
            n == dockerfile_name
                || Path::new(n)
                    .file_name()
                    .is_some_and(|f| f == dockerfile_name)
        });
        if let (true, Some(Ok(n))) = (name_ok, line.map(str::parse::<u32>)) {
            found = Some(n);
        }
    }
    found
}

/// A temporary directory, removed on drop.
pub struct TempDir {
    pub path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> TempDir {
        static SEQ: AtomicUsize = AtomicUsize::new(0);
        let path = std::env::temp_dir().join(format!(
            "slipway-build-{label}-{}-{}",
            std::process::id(),
            SEQ.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path).expect("create temp dir");
        TempDir { path }
    }

    pub fn join(&self, p: impl AsRef<Path>) -> PathBuf {
        self.path.join(p)
    }

    /// Writes `text` to `rel` (creating parent folders).
    pub fn write(&self, rel: &str, text: impl AsRef<[u8]>) -> PathBuf {
        let p = self.path.join(rel);
        if let Some(d) = p.parent() {
            std::fs::create_dir_all(d).expect("create parent");
        }
        std::fs::write(&p, text).expect("write file");
        p
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.path);
    }
}

/// The names in a directory, sorted.
pub fn dir_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .map(|rd| {
            rd.filter_map(|e| e.ok())
                .map(|e| e.file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    v.sort();
    v
}

/// An OCI image-layout tarball read into memory.
pub struct OciArchive {
    /// Every regular file by its path in the tarball (`index.json`,
    /// `blobs/sha256/…`).
    pub files: BTreeMap<String, Vec<u8>>,
}

impl OciArchive {
    pub fn read(path: &Path) -> Result<OciArchive, String> {
        let bytes = std::fs::read(path).map_err(|e| format!("{}: {e}", path.display()))?;
        let mut files = BTreeMap::new();
        let mut ar = tar::Archive::new(&bytes[..]);
        for entry in ar.entries().map_err(|e| e.to_string())? {
            let mut entry = entry.map_err(|e| e.to_string())?;
            if !entry.header().entry_type().is_file() {
                continue;
            }
            let name = String::from_utf8_lossy(&entry.path_bytes())
                .trim_start_matches("./")
                .to_string();
            let mut data = Vec::new();
            entry.read_to_end(&mut data).map_err(|e| e.to_string())?;
            files.insert(name, data);
        }
        Ok(OciArchive { files })
    }

    pub fn json(&self, name: &str) -> Result<Value, String> {
        let b = self
            .files
            .get(name)
            .ok_or_else(|| format!("archive has no {name}"))?;
        serde_json::from_slice(b).map_err(|e| format!("{name}: {e}"))
    }

    /// The blob a descriptor points at, as JSON.
    pub fn blob_json(&self, descriptor: &Value) -> Result<Value, String> {
        self.json(&blob_path(descriptor)?)
    }

    /// Every blob's bytes, layers decompressed when gzip.
    pub fn blobs_decompressed(&self) -> Vec<(String, Vec<u8>)> {
        self.files
            .iter()
            .filter(|(k, _)| k.starts_with("blobs/"))
            .map(|(k, v)| {
                let mut data = Vec::new();
                if v.starts_with(&[0x1f, 0x8b])
                    && flate2::read::GzDecoder::new(&v[..])
                        .read_to_end(&mut data)
                        .is_ok()
                {
                    (k.clone(), data)
                } else {
                    (k.clone(), v.clone())
                }
            })
            .collect()
    }
}

/// `blobs/sha256/HEX` for a descriptor.
pub fn blob_path(descriptor: &Value) -> Result<String, String> {
    let d = descriptor["digest"]
        .as_str()
        .ok_or_else(|| format!("descriptor without digest: {descriptor}"))?;
    Ok(format!("blobs/{}", d.replacen(':', "/", 1)))
}

/// Whether `needle` occurs in `haystack`.
pub fn contains_bytes(haystack: &[u8], needle: &[u8]) -> bool {
    !needle.is_empty() && haystack.windows(needle.len()).any(|w| w == needle)
}
