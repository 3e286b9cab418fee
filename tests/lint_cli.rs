//! `slipway lint` end to end: directory walking, output formats, exit codes
//! (0 clean, 1 findings, 2 a file that could not be checked), and a broken
//! file not stopping the others.

use std::path::PathBuf;
use std::process::Command;

/// A fresh directory under the target folder holding `files`.
fn tree(name: &str, files: &[(&str, &str)]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(name);
    let _ = std::fs::remove_dir_all(&dir);
    for (path, text) in files {
        let p = dir.join(path);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, text).expect("write");
    }
    dir
}

/// Runs `slipway lint` in `dir`; returns exit code and stdout.
fn run(dir: &PathBuf, args: &[&str]) -> (i32, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .arg("lint")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run slipway");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    (out.status.code().unwrap_or(-1), stdout)
}

#[test]
fn json_lists_findings_of_every_dockerfile_in_a_directory() {
    let dir = tree(
        "lint-cli-json",
        &[
            ("Dockerfile", "FROM alpine as build\n"),
            ("sub/app.Dockerfile", "FROM alpine\nMAINTAINER me\n"),
            ("sub/Dockerfile.dev", "FROM alpine\n"),
            ("sub/README.md", "FROM alpine as x\n"),
        ],
    );
    let (code, out) = run(&dir, &["--format", "json", "."]);
    assert_eq!(code, 1, "{out}");
    let lines: Vec<serde_json::Value> = out
        .lines()
        .map(|l| serde_json::from_str(l).expect("json line"))
        .collect();
    assert_eq!(lines.len(), 2, "{out}");
    assert_eq!(
        lines[0],
        serde_json::json!({
            "file": "./Dockerfile",
            "rule": "from-as-casing",
            "code": "slipway::lint::from-as-casing",
            "buildkit_rule": "FromAsCasing",
            "severity": "warning",
            "message": "'as' and 'FROM' keywords' casing do not match",
            "start": {"line": 1, "column": 1},
            "end": {"line": 1, "column": 21},
            "url": "https://docs.docker.com/go/dockerfile/rule/from-as-casing/",
        })
    );
    assert_eq!(lines[1]["file"], "./sub/app.Dockerfile");
    assert_eq!(lines[1]["rule"], "maintainer-deprecated");
}

#[test]
fn exit_codes() {
    let clean = tree("lint-cli-clean", &[("Dockerfile", "FROM alpine\n")]);
    assert_eq!(run(&clean, &[]), (0, String::new()));

    let skipped = tree("lint-cli-skip", &[("Dockerfile", "FROM alpine as x\n")]);
    assert_eq!(run(&skipped, &["--check", "skip=all"]).0, 0);
    assert_eq!(run(&skipped, &["--check", "bogus=1"]).0, 2);

    // A file that does not parse sets exit code 2, but the next file is
    // still checked and reported.
    let broken = tree(
        "lint-cli-broken",
        &[
            ("a/Dockerfile", "FROM alpine\nHEALTHCHECK\n"),
            ("b/Dockerfile", "FROM alpine as x\n"),
        ],
    );
    let (code, out) = run(&broken, &["--format", "json"]);
    assert_eq!(code, 2);
    assert!(out.contains("\"rule\":\"from-as-casing\""), "{out}");
}

#[test]
fn tty_output_renders_the_snippet() {
    let dir = tree(
        "lint-cli-tty",
        &[("Dockerfile", "FROM alpine\nCMD echo hi\n")],
    );
    let (code, out) = run(&dir, &["--color", "never", "Dockerfile"]);
    assert_eq!(code, 1);
    insta::with_settings!({snapshot_path => "../snapshots"}, {
        insta::assert_snapshot!(out);
    });
}

#[test]
fn explain_and_list_rules() {
    let dir = tree("lint-cli-explain", &[]);
    std::fs::create_dir_all(&dir).expect("mkdir");
    let (code, out) = run(&dir, &["--explain", "JSONArgsRecommended"]);
    assert_eq!(code, 0);
    assert!(
        out.starts_with("# json-args-recommended (SW007)\n"),
        "{out}"
    );
    assert!(out.contains("## Why is this bad?"), "{out}");
    assert_eq!(run(&dir, &["--explain", "nope"]).0, 2);
    let (code, list) = run(&dir, &["--list-rules"]);
    assert_eq!(code, 0);
    assert_eq!(list.lines().count(), slipway::lint::RULES.len());
    assert!(list.contains("SW016  secrets-used-in-arg-or-env"), "{list}");
}
