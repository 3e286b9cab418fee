//! Slipway as BuildKit's Dockerfile frontend, end to end against a real
//! Docker engine: `slipway frontend install` packs this build's binary into
//! `slipway/frontend:dev`, then `docker buildx build` runs small Dockerfiles
//! through it (`--build-arg BUILDKIT_SYNTAX=slipway/frontend:dev`) and the
//! tests check what came out: files, image config, errors, subrequests.
//!
//! Needs a Docker engine with buildx and `busybox:local` in its store; run
//! through `scripts/test`, which starts one. Without it every test fails
//! with a message saying so.

#[path = "support/engine.rs"]
#[allow(dead_code)]
mod engine;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicUsize, Ordering};

use engine::Engine;

const IMAGE: &str = "slipway/frontend:dev";
const SYNTAX: &str = "BUILDKIT_SYNTAX=slipway/frontend:dev";

/// The engine, with slipway's frontend image installed once per run.
fn setup() -> &'static Engine {
    static INSTALLED: OnceLock<Result<(), String>> = OnceLock::new();
    let engine = engine::engine().unwrap_or_else(|e| panic!("{e}"));
    let installed = INSTALLED.get_or_init(|| {
        if !engine.has_image("busybox:local") {
            return Err("busybox:local is not in the engine's store: run scripts/test".into());
        }
        let out = slipway(engine, &["frontend", "install", "--tag", IMAGE]);
        if !out.status.success() {
            return Err(format!("slipway frontend install failed: {}", text(&out)));
        }
        Ok(())
    });
    if let Err(e) = installed {
        panic!("{e}");
    }
    engine
}

/// The slipway binary under test, with the engine's environment.
fn slipway(engine: &Engine, args: &[&str]) -> Output {
    let docker = engine.docker();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slipway"));
    for (k, v) in docker.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    cmd.args(args).output().expect("slipway runs")
}

/// A fresh directory holding `files`.
fn context(files: &[(&str, &str)]) -> PathBuf {
    static N: AtomicUsize = AtomicUsize::new(0);
    let dir = std::env::temp_dir().join(format!(
        "slipway-frontend-test-{}-{}",
        std::process::id(),
        N.fetch_add(1, Ordering::Relaxed)
    ));
    let _ = std::fs::remove_dir_all(&dir);
    for (name, body) in files {
        let path = dir.join(name);
        std::fs::create_dir_all(path.parent().expect("has a parent")).expect("mkdir");
        std::fs::write(path, body).expect("write");
    }
    std::fs::create_dir_all(&dir).expect("mkdir");
    dir
}

/// `docker buildx build` of `dir` through slipway's frontend.
fn build(engine: &Engine, dir: &Path, args: &[&str]) -> Output {
    buildx(engine, dir, &[&["--build-arg", SYNTAX], args].concat())
}

fn buildx(engine: &Engine, dir: &Path, args: &[&str]) -> Output {
    engine
        .docker()
        .args(["buildx", "build", "--progress=plain"])
        .args(args)
        .arg(dir)
        .output()
        .expect("docker runs")
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn read(path: PathBuf) -> String {
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

#[test]
fn the_image_runs_the_binary_with_the_frontend_labels() {
    let engine = setup();
    let out = engine
        .docker()
        .args([
            "image",
            "inspect",
            IMAGE,
            "--format",
            "{{json .Config}}|{{.Os}}|{{.Architecture}}",
        ])
        .output()
        .expect("docker runs");
    let shown = String::from_utf8_lossy(&out.stdout).trim().to_owned();
    let (config, platform) = shown.split_once('|').expect("two parts");
    assert_eq!(platform, "linux|amd64");
    let config: serde_json::Value = serde_json::from_str(config).expect("config JSON");
    assert_eq!(config["Entrypoint"], serde_json::json!(["/bin/slipway"]));
    assert_eq!(
        config["Labels"]["moby.buildkit.frontend.network.none"],
        "true"
    );
    assert_eq!(
        config["Labels"]["moby.buildkit.frontend.caps"],
        "moby.buildkit.frontend.inputs,moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts,moby.buildkit.frontend.gitquerystring"
    );
    assert!(
        config["Env"][0]
            .as_str()
            .is_some_and(|e| e.starts_with("PATH="))
    );
}

#[test]
fn install_output_is_a_deterministic_oci_layout() {
    let engine = setup();
    let dir = context(&[]);
    let (a, b) = (dir.join("a.tar"), dir.join("b.tar"));
    for f in [&a, &b] {
        let out = slipway(
            engine,
            &["frontend", "install", "--output", &f.display().to_string()],
        );
        assert!(out.status.success(), "{}", text(&out));
    }
    let bytes = std::fs::read(&a).expect("archive");
    assert_eq!(
        bytes,
        std::fs::read(&b).expect("archive"),
        "two installs differ"
    );
    let mut names = Vec::new();
    let mut archive = tar::Archive::new(bytes.as_slice());
    let mut index = String::new();
    for entry in archive.entries().expect("a tar") {
        let mut entry = entry.expect("an entry");
        let name = entry.path().expect("a path").display().to_string();
        if name == "index.json" {
            std::io::Read::read_to_string(&mut entry, &mut index).expect("utf-8");
        }
        names.push(name);
    }
    assert!(names.contains(&"oci-layout".to_owned()), "{names:?}");
    assert!(names.contains(&"manifest.json".to_owned()), "{names:?}");
    let index: serde_json::Value = serde_json::from_str(&index).expect("index JSON");
    assert_eq!(
        index["manifests"][0]["annotations"]["io.containerd.image.name"],
        "docker.io/slipway/frontend:dev"
    );
}

#[test]
fn run_copy_env_and_cmd_build_the_right_image() {
    let engine = setup();
    let dir = context(&[
        ("hello.txt", "hello from the context\n"),
        (
            "Dockerfile",
            "FROM busybox:local\nENV GREETING=hi\nRUN echo \"$GREETING there\" > /greeting\nCOPY hello.txt /srv/\nCMD [\"cat\", \"/greeting\"]\n",
        ),
    ]);
    let dest = dir.join("out");
    let out = build(
        engine,
        &dir,
        &["--output", &format!("type=local,dest={}", dest.display())],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read(dest.join("greeting")), "hi there\n");
    assert_eq!(read(dest.join("srv/hello.txt")), "hello from the context\n");

    let tag = format!("slipway-frontend-test:{}", std::process::id());
    let out = build(engine, &dir, &["--load", "-t", &tag]);
    assert!(out.status.success(), "{}", text(&out));
    let out = engine
        .docker()
        .args(["image", "inspect", &tag, "--format", "{{json .Config}}"])
        .output()
        .expect("docker runs");
    let _ = engine.docker().args(["rmi", &tag]).output();
    let config: serde_json::Value = serde_json::from_slice(&out.stdout).expect("config JSON");
    assert_eq!(config["Cmd"], serde_json::json!(["cat", "/greeting"]));
    let env = config["Env"].as_array().expect("Env");
    assert!(env.iter().any(|e| e == "GREETING=hi"), "{env:?}");
}

#[test]
fn multi_stage_builds_copy_between_stages_and_honour_target() {
    let engine = setup();
    let dir = context(&[(
        "Dockerfile",
        "FROM busybox:local AS builder\nARG WHAT=default\nRUN echo \"built $WHAT\" > /artifact\n\nFROM busybox:local AS other\nRUN echo other > /other\n\nFROM scratch\nCOPY --from=builder /artifact /artifact\n",
    )]);
    let dest = dir.join("out");
    let out = build(
        engine,
        &dir,
        &[
            "--build-arg",
            "WHAT=by slipway",
            "--output",
            &format!("type=local,dest={}", dest.display()),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read(dest.join("artifact")), "built by slipway\n");
    assert!(
        !dest.join("other").exists(),
        "the unused stage leaked into the result"
    );

    let dest = dir.join("out-other");
    let out = build(
        engine,
        &dir,
        &[
            "--target",
            "other",
            "--output",
            &format!("type=local,dest={}", dest.display()),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read(dest.join("other")), "other\n");
}

#[test]
fn a_forced_multi_platform_result_is_keyed_by_platform() {
    let engine = setup();
    let dir = context(&[
        ("hello.txt", "hi\n"),
        (
            "Dockerfile",
            "FROM --platform=$BUILDPLATFORM busybox:local AS b\nARG TARGETPLATFORM\nRUN echo $TARGETPLATFORM > /p\nFROM scratch\nCOPY --from=b /p /p\nCOPY hello.txt /\n",
        ),
    ]);
    let dest = dir.join("out");
    let out = build(
        engine,
        &dir,
        &[
            "--platform",
            "linux/arm64",
            "--build-arg",
            "BUILDKIT_MULTI_PLATFORM=1",
            "--output",
            &format!("type=local,dest={}", dest.display()),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read(dest.join("linux_arm64/p")), "linux/arm64\n");
    assert_eq!(read(dest.join("linux_arm64/hello.txt")), "hi\n");
}

#[test]
fn named_contexts_replace_images_and_bring_their_own_dockerignore() {
    let engine = setup();
    let dir = context(&[
        ("extra/f.txt", "from extra\n"),
        ("extra/skipped.txt", "must not be sent\n"),
        ("extra/.dockerignore", "skipped.txt\n"),
        (
            "Dockerfile",
            "FROM alpine\nCOPY --from=extra / /extra/\nRUN ls /extra > /listing && cat /extra/f.txt > /copied\n",
        ),
    ]);
    let dest = dir.join("out");
    let extra = format!("extra={}", dir.join("extra").display());
    let out = build(
        engine,
        &dir,
        &[
            "--build-context",
            &extra,
            "--build-context",
            "alpine=docker-image://busybox:local",
            "--output",
            &format!("type=local,dest={}", dest.display()),
        ],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read(dest.join("listing")), "f.txt\n");
    assert_eq!(read(dest.join("copied")), "from extra\n");
    // busybox, not alpine: the image context replaced the base.
    assert!(dest.join("bin/busybox").exists());
}

#[test]
fn a_failing_run_points_at_its_line() {
    let engine = setup();
    let dir = context(&[(
        "Dockerfile",
        "FROM busybox:local\nRUN true\nRUN exit 3\nRUN true\n",
    )]);
    let out = build(engine, &dir, &[]);
    let log = text(&out);
    assert!(!out.status.success(), "{log}");
    assert!(log.contains("Dockerfile:3\n"), "{log}");
    assert!(log.contains(">>> RUN exit 3"), "{log}");
    assert!(
        log.contains("ERROR: failed to build: failed to solve: process \"/bin/sh -c exit 3\" did not complete successfully: exit code: 3"),
        "{log}"
    );
}

#[test]
fn a_parse_error_reads_like_buildkit_with_the_snippet() {
    let engine = setup();
    let dir = context(&[("Dockerfile", "FROM busybox:local\nRUN true\nFOO bar\n")]);
    let out = build(engine, &dir, &[]);
    let log = text(&out);
    assert!(!out.status.success(), "{log}");
    assert!(log.contains("Dockerfile:3\n"), "{log}");
    assert!(log.contains(">>> FOO bar"), "{log}");
    assert!(
        log.contains("failed to solve: dockerfile parse error on line 3: unknown instruction: FOO"),
        "{log}"
    );
}

#[test]
fn the_syntax_directive_selects_slipway_too() {
    let engine = setup();
    let dir = context(&[(
        "Dockerfile",
        "# syntax=slipway/frontend:dev\nFROM busybox:local\nRUN echo directive > /d\n",
    )]);
    let dest = dir.join("out");
    let out = buildx(
        engine,
        &dir,
        &["--output", &format!("type=local,dest={}", dest.display())],
    );
    assert!(out.status.success(), "{}", text(&out));
    assert_eq!(read(dest.join("d")), "directive\n");
    assert!(
        text(&out).contains("docker-image://docker.io/slipway/frontend:dev"),
        "{}",
        text(&out)
    );
}

/// `--call=<name>,format=json` through slipway and through the built-in
/// frontend; returns both outputs.
fn call_both(engine: &Engine, dir: &Path, call: &str) -> (String, String) {
    let arg = format!("--call={call}");
    let run = |extra: &[&str]| {
        let out = buildx(engine, dir, &[&["--progress=quiet", &arg], extra].concat());
        assert!(out.status.success(), "{}", text(&out));
        String::from_utf8_lossy(&out.stdout).into_owned()
    };
    (run(&["--build-arg", SYNTAX]), run(&[]))
}

#[test]
fn outline_and_targets_through_slipway() {
    let engine = setup();
    let dir = context(&[(
        "Dockerfile",
        "ARG BASE=busybox:local\n\n# base the shared base\nFROM ${BASE} AS base\n# VERSION which version to build\nARG VERSION=1.0\nRUN --mount=type=secret,id=token,required=true echo $VERSION\n\nFROM base AS final\nARG UNUSED\nRUN echo done\n",
    )]);
    let (slipway, builtin) = call_both(engine, &dir, "outline,format=json");
    assert_eq!(slipway, builtin);
    let outline: serde_json::Value = serde_json::from_str(&slipway).expect("outline JSON");
    let args: Vec<&str> = outline["args"]
        .as_array()
        .expect("args")
        .iter()
        .filter_map(|a| a["name"].as_str())
        .collect();
    assert_eq!(args, ["BASE", "VERSION", "UNUSED"]);
    assert_eq!(outline["args"][1]["description"], "which version to build");
    assert_eq!(outline["secrets"][0]["name"], "token");

    let (slipway, builtin) = call_both(engine, &dir, "targets,format=json");
    assert_eq!(slipway, builtin);
    let targets: serde_json::Value = serde_json::from_str(&slipway).expect("targets JSON");
    assert_eq!(targets["targets"][0]["name"], "base");
    assert_eq!(targets["targets"][0]["description"], "the shared base");
    assert_eq!(targets["targets"][1]["default"], true);

    // The text forms, which buildx prints as the frontend wrote them.
    let (slipway, builtin) = call_both(engine, &dir, "outline");
    assert_eq!(slipway, builtin);
    assert!(
        slipway.contains("VERSION     1.0             which version to build"),
        "{slipway}"
    );
    let (slipway, builtin) = call_both(engine, &dir, "targets");
    assert_eq!(slipway, builtin);
    assert!(slipway.contains("final (default)"), "{slipway}");
}

#[test]
fn describe_and_unknown_subrequests() {
    let engine = setup();
    let dir = context(&[("Dockerfile", "FROM busybox:local\n")]);
    let (slipway, builtin) = call_both(engine, &dir, "subrequests.describe,format=json");
    assert_eq!(slipway, builtin);
    let out = build(engine, &dir, &["--call=nosuchthing"]);
    assert!(!out.status.success());
    assert!(
        text(&out).contains("unsupported request frontend.nosuchthing"),
        "{}",
        text(&out)
    );
}
