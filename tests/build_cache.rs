//! `slipway build --cache-to type=local` and `--cache-from type=local`
//! against the Docker engine with the containerd image store (found through
//! `SLIPWAY_CONTAINERD_HOST`, else its default socket): the exported cache
//! lands in an OCI layout with a tagged `index.json`; after the engine's
//! build cache is pruned, importing it makes every RUN step `CACHED`; a
//! build that does not import it (or says `--no-cache`) runs them again.
//!
//! Each run uses Dockerfile steps no other build has, so nothing but the
//! imported cache can answer them. The outputs are OCI archives, so the
//! engine's image store never holds the result.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// The engine's socket when `SLIPWAY_CONTAINERD_HOST` is not set.
const DEFAULT_HOST: &str = "unix:///tmp/bkd-containerd/docker.sock";

/// `--addr` for the containerd-store engine.
fn engine_addr() -> String {
    let host = std::env::var("SLIPWAY_CONTAINERD_HOST")
        .ok()
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| DEFAULT_HOST.to_owned());
    if let Some(path) = host.strip_prefix("unix://") {
        assert!(
            Path::new(path).exists(),
            "no Docker engine with the containerd image store at {host}: run scripts/test, \
             or BKD_STORE=containerd scripts/buildkit-daemon.sh start and set \
             SLIPWAY_CONTAINERD_HOST"
        );
    }
    if host.starts_with("docker") {
        host
    } else {
        format!("docker+{host}")
    }
}

/// A folder removed at the end of the test.
struct Scratch(PathBuf);

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// A nonce no earlier run has used.
fn nonce() -> String {
    let t = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    format!("{t:x}-{}", std::process::id())
}

/// Runs slipway; returns its standard error, failing the test on a
/// non-zero exit.
fn slipway(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(args)
        .output()
        .expect("slipway runs");
    let stderr = String::from_utf8_lossy(&out.stderr).into_owned();
    assert!(
        out.status.success(),
        "slipway {} failed ({}):\n{stderr}",
        args.join(" "),
        out.status
    );
    stderr
}

/// Builds `ctx` into an OCI archive with `extra` flags and plain progress.
fn build(addr: &str, ctx: &Path, out: &Path, extra: &[&str]) -> String {
    let dest = format!("type=oci,dest={}", out.display());
    let mut args = vec!["build", "--addr", addr, "--progress", "plain", "-o", &dest];
    args.extend_from_slice(extra);
    let ctx = ctx.to_string_lossy();
    args.push(&ctx);
    slipway(&args)
}

/// Every `RUN` step of a plain progress log, by name, with whether the
/// daemon reported it `CACHED`.
fn run_steps(log: &str) -> BTreeMap<String, bool> {
    let mut names = BTreeMap::new();
    let mut cached = BTreeMap::new();
    for line in log.lines() {
        let Some((id, rest)) = line.split_once(' ') else {
            continue;
        };
        if !id.starts_with('#') {
            continue;
        }
        if rest.starts_with('[') && rest.contains("] RUN ") {
            names.insert(id.to_owned(), rest.to_owned());
        }
        if rest == "CACHED" {
            cached.insert(id.to_owned(), true);
        }
    }
    names
        .into_iter()
        .map(|(id, name)| (name, cached.contains_key(&id)))
        .collect()
}

fn prune(addr: &str) {
    let out = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .args(["prune", "--addr", addr, "--all"])
        .output()
        .expect("slipway runs");
    assert!(
        out.status.success(),
        "slipway prune failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn local_cache_exports_and_imports_every_step() {
    let addr = engine_addr();
    let scratch = Scratch(std::env::temp_dir().join(format!("slipway-build-cache-{}", nonce())));
    let ctx = scratch.0.join("ctx");
    let cache = scratch.0.join("cache");
    let out = scratch.0.join("image.tar");
    std::fs::create_dir_all(&ctx).unwrap();
    let n = nonce();
    std::fs::write(
        ctx.join("Dockerfile"),
        format!(
            "FROM busybox:local\n\
             RUN echo {n} > /a\n\
             RUN cat /a /a > /b\n\
             RUN wc -c /b > /c\n"
        ),
    )
    .unwrap();
    let cache_to = format!("type=local,dest={}", cache.display());
    let cache_from = format!("type=local,src={}", cache.display());

    // 1. A fresh build runs every step and exports the cache.
    let log = build(&addr, &ctx, &out, &["--cache-to", &cache_to]);
    let steps = run_steps(&log);
    assert_eq!(steps.len(), 3, "{log}");
    assert!(
        steps.values().all(|c| !c),
        "fresh steps were cached:\n{log}"
    );
    let index: serde_json::Value =
        serde_json::from_slice(&std::fs::read(cache.join("index.json")).unwrap()).unwrap();
    let manifests = index["manifests"].as_array().unwrap();
    assert_eq!(manifests.len(), 1, "{index}");
    assert_eq!(
        manifests[0]["annotations"]["org.opencontainers.image.ref.name"],
        "latest"
    );
    let digest = manifests[0]["digest"].as_str().unwrap();
    let hex = digest.strip_prefix("sha256:").unwrap();
    assert!(cache.join("blobs/sha256").join(hex).is_file());
    assert_eq!(
        std::fs::read_to_string(cache.join("oci-layout")).unwrap(),
        r#"{"imageLayoutVersion":"1.0.0"}"#
    );

    // 2. With the engine's build cache pruned, a build that does not
    //    import runs every step again (so the cache really is gone).
    prune(&addr);
    let log = build(&addr, &ctx, &out, &[]);
    assert!(
        run_steps(&log).values().all(|c| !c),
        "pruned steps were cached:\n{log}"
    );

    // 3. Pruned again, importing the local cache answers every step.
    prune(&addr);
    let log = build(&addr, &ctx, &out, &["--cache-from", &cache_from]);
    let steps = run_steps(&log);
    assert_eq!(steps.len(), 3, "{log}");
    assert!(
        steps.values().all(|c| *c),
        "not every step came from the imported cache: {steps:?}\n{log}"
    );
    assert!(
        log.contains("importing cache manifest from local:"),
        "{log}"
    );

    // 4. `--no-cache` runs every step despite the import.
    let log = build(
        &addr,
        &ctx,
        &out,
        &["--cache-from", &cache_from, "--no-cache"],
    );
    let steps = run_steps(&log);
    assert_eq!(steps.len(), 3, "{log}");
    assert!(
        steps.values().all(|c| !c),
        "--no-cache used the cache:\n{log}"
    );
}

#[test]
fn a_missing_local_cache_is_skipped_with_a_warning() {
    let addr = engine_addr();
    let scratch = Scratch(std::env::temp_dir().join(format!("slipway-build-nocache-{}", nonce())));
    let ctx = scratch.0.join("ctx");
    std::fs::create_dir_all(&ctx).unwrap();
    std::fs::write(ctx.join("Dockerfile"), "FROM busybox:local\n").unwrap();
    let missing = scratch.0.join("no-such-cache");
    let cache_from = format!("type=local,src={}", missing.display());
    let log = build(
        &addr,
        &ctx,
        &scratch.0.join("image.tar"),
        &["--cache-from", &cache_from],
    );
    assert!(
        log.contains(&format!(
            "slipway: warning: local cache import at {} not found",
            missing.display()
        )),
        "{log}"
    );
    assert!(!missing.exists());
}
