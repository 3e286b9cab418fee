//! Build checks through slipway's frontend, compared with BuildKit's own
//! Dockerfile frontend on a real Docker engine.
//!
//! - `docker buildx build --call=check,format=json` (the `frontend.lint`
//!   subrequest) prints the same JSON with the same exit code, and plain
//!   `--call=check` the same text, for every fixture under
//!   `tests/fixtures/check/` (a directory with a `Dockerfile` and, when the
//!   build needs them, extra `docker buildx build` arguments in `args`, one
//!   per line). The fixtures trigger every BuildKit check slipway
//!   implements, plus a clean file, `check=error=true`, a broken file, the
//!   `BUILDKIT_DOCKERFILE_CHECK` build argument and `--target`.
//! - A build (`BUILDX_METADATA_WARNINGS=1 --metadata-file`) records the
//!   same warnings with both frontends.
//!
//! The only difference allowed in the JSON is the build's session ID, which
//! BuildKit writes into the definition that loaded the Dockerfile (and so
//! into its digests): both sides get it replaced and the digests
//! recomputed.
//!
//! This build of slipway is installed as `slipway/frontend:check-test`, or
//! `SLIPWAY_FRONTEND_IMAGE=ref` names an image to use instead. Needs the
//! engine `scripts/test` starts, with `busybox:local`.

#[path = "support/engine.rs"]
#[allow(dead_code)]
mod engine;

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Output;
use std::sync::OnceLock;

use base64::Engine as _;
use serde_json::Value;
use sha2::{Digest as _, Sha256};

use engine::Engine;

const TAG: &str = "slipway/frontend:check-test";

/// The engine and the slipway image to build with, installed once.
fn setup() -> (&'static Engine, &'static str) {
    static IMAGE: OnceLock<Result<String, String>> = OnceLock::new();
    let engine = engine::engine().unwrap_or_else(|e| panic!("{e}"));
    let image = IMAGE.get_or_init(|| {
        if !engine.has_image("busybox:local") {
            return Err("busybox:local is not in the engine's store: run scripts/test".into());
        }
        if let Ok(image) = std::env::var("SLIPWAY_FRONTEND_IMAGE") {
            return Ok(image);
        }
        let mut cmd = engine.command(env!("CARGO_BIN_EXE_slipway"));
        let out = cmd
            .args(["frontend", "install", "--tag", TAG])
            .output()
            .expect("slipway runs");
        if !out.status.success() {
            return Err(format!("slipway frontend install failed: {}", text(&out)));
        }
        Ok(TAG.to_owned())
    });
    match image {
        Ok(i) => (engine, i.as_str()),
        Err(e) => panic!("{e}"),
    }
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn fixtures() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/check");
    let mut dirs: Vec<PathBuf> = std::fs::read_dir(&root)
        .unwrap_or_else(|e| panic!("{}: {e}", root.display()))
        .filter_map(|e| Some(e.ok()?.path()))
        .filter(|p| p.join("Dockerfile").is_file())
        .collect();
    dirs.sort();
    dirs
}

/// The fixture's extra build arguments.
fn args(dir: &Path) -> Vec<String> {
    std::fs::read_to_string(dir.join("args"))
        .unwrap_or_default()
        .lines()
        .filter(|l| !l.is_empty())
        .map(str::to_owned)
        .collect()
}

/// `docker buildx build` of a fixture, through slipway's frontend when
/// `slipway` names its image.
fn buildx(engine: &Engine, dir: &Path, slipway: Option<&str>, extra: &[&str]) -> Output {
    let mut cmd = engine.docker();
    cmd.args(["buildx", "build", "--progress=plain"]);
    if let Some(image) = slipway {
        cmd.args(["--build-arg", &format!("BUILDKIT_SYNTAX={image}")]);
    }
    cmd.args(extra).args(args(dir)).arg(dir);
    cmd.output().expect("docker runs")
}

/// The session ID in a definition op's `local.session` attribute.
fn session_of(op: &[u8]) -> Option<String> {
    let key = b"local.session\x12";
    let at = op.windows(key.len()).position(|w| w == key)? + key.len();
    let len = usize::from(*op.get(at)?);
    let id = op.get(at + 1..at + 1 + len)?;
    Some(String::from_utf8_lossy(id).into_owned())
}

fn digest(bytes: &[u8]) -> String {
    let sum = Sha256::digest(bytes);
    let hex: String = sum.iter().map(|b| format!("{b:02x}")).collect();
    format!("sha256:{hex}")
}

fn replace_bytes(haystack: &[u8], from: &[u8], to: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(haystack.len());
    let mut i = 0;
    while i < haystack.len() {
        if !from.is_empty() && haystack[i..].starts_with(from) {
            out.extend_from_slice(to);
            i += from.len();
        } else {
            out.push(haystack[i]);
            i += 1;
        }
    }
    out
}

/// The JSON output with the session ID replaced by one of the same length
/// in every definition, and the digests of the changed ops recomputed.
fn normalize_check_json(out: &str) -> String {
    let b64 = base64::engine::general_purpose::STANDARD;
    let Ok(v) = serde_json::from_str::<Value>(out.trim()) else {
        return out.to_owned();
    };
    let mut text = out.trim().to_owned();
    let defs = v["sources"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|s| s["definition"]["def"].as_array());
    for def in defs {
        let mut renamed: Vec<(String, String)> = Vec::new();
        for entry in def.iter().filter_map(Value::as_str) {
            let Ok(bytes) = b64.decode(entry) else {
                continue;
            };
            let mut new = bytes.clone();
            if let Some(id) = session_of(&bytes) {
                new = replace_bytes(&new, id.as_bytes(), "S".repeat(id.len()).as_bytes());
            }
            for (old, fresh) in &renamed {
                new = replace_bytes(&new, old.as_bytes(), fresh.as_bytes());
            }
            renamed.push((digest(&bytes), digest(&new)));
            text = text.replace(entry, &b64.encode(&new));
        }
        for (old, fresh) in &renamed {
            text = text.replace(old, fresh);
        }
    }
    text
}

/// The JSON output in two parts compared separately: the text as printed
/// with each definition left out (field order, escaping, layout), then the
/// whole value with the session normalized (the definitions' content; map
/// order no longer matters once digests are recomputed).
fn comparable(out: &str) -> String {
    let mut printed = String::new();
    let mut skipping = None;
    for line in out.lines() {
        let indent = line.len() - line.trim_start().len();
        match skipping {
            Some(i) if indent == i && line.trim_start().starts_with('}') => skipping = None,
            Some(_) => {}
            None if line.trim_start().starts_with("\"definition\": {") => {
                printed.push_str(&line[..indent]);
                printed.push_str("\"definition\": …\n");
                skipping = Some(indent);
            }
            None => {
                printed.push_str(line);
                printed.push('\n');
            }
        }
    }
    let value = serde_json::from_str::<Value>(&normalize_check_json(out))
        .map_or_else(|e| format!("not JSON: {e}"), |v| format!("{v:#}"));
    format!("{printed}\n=== normalized value\n{value}")
}

/// One frontend's answer to `--call=check`: exit code, what it printed,
/// and the error lines on stderr (from `ERROR` on, with the context
/// directory's path taken out).
#[derive(Debug, PartialEq)]
struct Checked {
    code: Option<i32>,
    stdout: String,
    error: Vec<String>,
}

fn check(engine: &Engine, dir: &Path, slipway: Option<&str>, json: bool) -> Checked {
    let call = if json {
        "--call=check,format=json"
    } else {
        "--call=check"
    };
    let out = buildx(engine, dir, slipway, &[call]);
    let stdout = String::from_utf8_lossy(&out.stdout).into_owned();
    let path = dir.display().to_string();
    Checked {
        code: out.status.code(),
        stdout: if json { comparable(&stdout) } else { stdout },
        error: String::from_utf8_lossy(&out.stderr)
            .lines()
            .skip_while(|l| !l.starts_with("ERROR"))
            .map(|l| l.replace(&path, "<dir>"))
            .collect(),
    }
}

#[test]
fn check_json_and_text_match_buildkit_for_every_fixture() {
    let (engine, image) = setup();
    let mut problems = Vec::new();
    let mut with_warnings = 0;
    for dir in fixtures() {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        let builtin = check(engine, &dir, None, true);
        let ours = check(engine, &dir, Some(image), true);
        assert!(
            builtin.stdout.contains("\"sources\""),
            "{name}: BuildKit's frontend gave no check result: {builtin:?}"
        );
        if builtin.stdout.contains("\"ruleName\"") {
            with_warnings += 1;
        }
        if builtin != ours {
            problems.push(format!(
                "{name} (--call=check,format=json):\n--- BuildKit (exit {:?})\n{}{}\n--- slipway (exit {:?})\n{}{}",
                builtin.code,
                builtin.stdout,
                builtin.error.join("\n"),
                ours.code,
                ours.stdout,
                ours.error.join("\n")
            ));
            continue;
        }
        let builtin = check(engine, &dir, None, false);
        let ours = check(engine, &dir, Some(image), false);
        if builtin != ours {
            problems.push(format!(
                "{name} (--call=check):\n--- BuildKit (exit {:?})\n{}{}\n--- slipway (exit {:?})\n{}{}",
                builtin.code,
                builtin.stdout,
                builtin.error.join("\n"),
                ours.code,
                ours.stdout,
                ours.error.join("\n")
            ));
        }
    }
    assert!(with_warnings >= 10, "the fixtures should trigger checks");
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}

/// BuildKit checks slipway cannot report yet, and why:
/// InvalidBaseImagePlatform needs the resolved base images' platforms,
/// which the frontend does not hand to the linter yet. (CopyIgnoredFile,
/// triggered by the `ignored` fixture, comes with builds only: BuildKit's
/// `--call=check` does not read `.dockerignore`, and neither does
/// slipway's. Its build fails, as copying an ignored file does, so no
/// build warnings are compared; the engine's BuildKit, older than v0.27,
/// still has the rule experimental.)
const NOT_IN_CHECK: &[&str] = &["InvalidBaseImagePlatform"];

#[test]
fn every_check_slipway_implements_is_triggered_by_a_fixture() {
    let mut seen = String::new();
    for dir in fixtures() {
        let text = std::fs::read_to_string(dir.join("Dockerfile")).expect("readable");
        let check = args(&dir).iter().find_map(|a| {
            a.strip_prefix("BUILDKIT_DOCKERFILE_CHECK=")
                .map(str::to_owned)
        });
        let ignore = std::fs::read(dir.join(".dockerignore")).unwrap_or_default();
        let found = slipway::frontend::warn::Checks::run_with_dockerignore(
            &text,
            check.as_deref(),
            Some(slipway::ir::dockerignore::parse(&ignore)),
        );
        for w in &found.warnings {
            seen.push_str(&w.rule);
            seen.push('\n');
        }
    }
    for info in slipway::lint::RULES {
        let Some(name) = info.buildkit else { continue };
        if info.status != slipway::lint::Status::Stable || NOT_IN_CHECK.contains(&name) {
            continue;
        }
        assert!(
            seen.lines().any(|l| l == name),
            "no fixture under tests/fixtures/check triggers {name}"
        );
    }
}

/// The warnings a build recorded in its metadata file, without the vertex
/// (its digest depends on the session), sorted.
fn build_warnings(engine: &Engine, dir: &Path, slipway: Option<&str>) -> (Option<i32>, Vec<Value>) {
    let meta = std::env::temp_dir().join(format!(
        "slipway-check-meta-{}-{}.json",
        std::process::id(),
        slipway.is_some()
    ));
    let _ = std::fs::remove_file(&meta);
    let mut cmd = engine.docker();
    cmd.env("BUILDX_METADATA_WARNINGS", "1")
        .args(["buildx", "build", "--progress=plain", "--metadata-file"])
        .arg(&meta);
    if let Some(image) = slipway {
        cmd.args(["--build-arg", &format!("BUILDKIT_SYNTAX={image}")]);
    }
    let out = cmd.args(args(dir)).arg(dir).output().expect("docker runs");
    let recorded: Value = std::fs::read(&meta)
        .ok()
        .and_then(|b| serde_json::from_slice(&b).ok())
        .unwrap_or(Value::Null);
    let mut warnings: Vec<Value> = recorded["buildx.build.warnings"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for w in &mut warnings {
        if let Some(o) = w.as_object_mut() {
            o.remove("vertex");
        }
    }
    warnings.sort_by_key(|w| w.to_string());
    let _ = std::fs::remove_file(&meta);
    (out.status.code(), warnings)
}

#[test]
fn builds_record_the_same_warnings_as_buildkit() {
    let (engine, image) = setup();
    let mut problems = Vec::new();
    let mut compared = BTreeMap::new();
    for dir in fixtures() {
        let name = dir.file_name().map(|n| n.to_string_lossy().into_owned());
        let name = name.unwrap_or_default();
        let builtin = build_warnings(engine, &dir, None);
        let ours = build_warnings(engine, &dir, Some(image));
        compared.insert(name.clone(), builtin.1.len());
        if builtin != ours {
            problems.push(format!(
                "{name}:\n--- BuildKit (exit {:?})\n{:#}\n--- slipway (exit {:?})\n{:#}",
                builtin.0,
                Value::Array(builtin.1),
                ours.0,
                Value::Array(ours.1)
            ));
        }
    }
    // The `--target` fixture's unused stage has findings a build must not
    // report; the others build everything.
    assert!(
        compared.values().filter(|n| **n > 0).count() >= 10,
        "{compared:?}"
    );
    assert!(problems.is_empty(), "{}", problems.join("\n\n"));
}
