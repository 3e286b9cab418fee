//! `slipway lint` end to end through the built binary: directory walking
//! and the order of results, exit codes (0 clean, 1 findings at or above
//! the threshold, 2 a file that could not be checked), bad input (missing,
//! unreadable, binary, not UTF-8, unparsable files) not stopping the other
//! files, `slipway.toml` settings and ignore pragmas.

use std::path::{Path, PathBuf};
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
fn run(dir: &Path, args: &[&str]) -> (i32, String) {
    let (code, stdout, _) = run_full(dir, args);
    (code, stdout)
}

/// Runs `slipway lint` in `dir`; returns exit code, stdout and stderr.
fn run_full(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .arg("lint")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run slipway");
    let stdout = String::from_utf8(out.stdout).expect("utf-8");
    let stderr = String::from_utf8(out.stderr).expect("utf-8");
    (out.status.code().unwrap_or(-1), stdout, stderr)
}

/// The JSON findings of a run as `file line rule severity` lines.
fn findings(json_lines: &str) -> Vec<String> {
    json_lines
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json line");
            format!(
                "{} {} {} {}",
                v["file"].as_str().unwrap_or("?"),
                v["start"]["line"],
                v["rule"].as_str().unwrap_or("?"),
                v["severity"].as_str().unwrap_or("?"),
            )
        })
        .collect()
}

#[test]
fn json_lists_findings_of_every_dockerfile_in_a_directory() {
    let dir = tree(
        "lint-cli-json",
        &[
            ("Dockerfile", "FROM alpine:3.20 as build\n"),
            ("sub/app.Dockerfile", "FROM alpine:3.20\nMAINTAINER me\n"),
            ("sub/Dockerfile.dev", "FROM alpine:3.20\n"),
            ("sub/README.md", "FROM alpine:3.20 as x\n"),
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
            "end": {"line": 1, "column": 26},
            "url": "https://docs.docker.com/go/dockerfile/rule/from-as-casing/",
        })
    );
    assert_eq!(lines[1]["file"], "./sub/app.Dockerfile");
    assert_eq!(lines[1]["rule"], "maintainer-deprecated");
}

#[test]
fn exit_codes() {
    let clean = tree("lint-cli-clean", &[("Dockerfile", "FROM alpine:3.20\n")]);
    assert_eq!(run(&clean, &[]), (0, String::new()));

    let skipped = tree(
        "lint-cli-skip",
        &[("Dockerfile", "FROM alpine:3.20 as x\n")],
    );
    assert_eq!(run(&skipped, &["--check", "skip=all"]).0, 0);
    assert_eq!(run(&skipped, &["--check", "bogus=1"]).0, 2);

    // A file that does not parse sets exit code 2, but the next file is
    // still checked and reported.
    let broken = tree(
        "lint-cli-broken",
        &[
            ("a/Dockerfile", "FROM alpine:3.20\nHEALTHCHECK\n"),
            ("b/Dockerfile", "FROM alpine:3.20 as x\n"),
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
        &[("Dockerfile", "FROM alpine:3.20\nCMD echo hi\n")],
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

#[test]
fn walks_for_dockerfile_names_and_skips_hidden_and_vendored_directories() {
    let bad = "FROM alpine:3.20 as x\n";
    let dir = tree(
        "lint-cli-walk",
        &[
            ("Dockerfile", bad),
            ("Containerfile", bad),
            ("web.Dockerfile", bad),
            ("Dockerfile.dev", bad),
            ("notes.md", bad),
            ("Dockerfile.md", bad),
            ("sub/deeper/Containerfile", bad),
            (".git/Dockerfile", bad),
            (".github/Dockerfile", bad),
            ("node_modules/pkg/Dockerfile", bad),
            ("target/Dockerfile", bad),
        ],
    );
    let (code, out) = run(&dir, &["--format", "json"]);
    assert_eq!(code, 1, "{out}");
    let files: Vec<String> = findings(&out)
        .iter()
        .map(|f| f.split(' ').next().unwrap_or("").to_owned())
        .collect();
    assert_eq!(
        files,
        [
            "./Containerfile",
            "./Dockerfile",
            "./Dockerfile.dev",
            "./sub/deeper/Containerfile",
            "./web.Dockerfile",
        ]
    );
    // A file named on the command line is linted whatever its name, and
    // the same file named twice is reported once.
    let (_, out) = run(&dir, &["--format", "json", "notes.md", "notes.md"]);
    assert_eq!(findings(&out), ["notes.md 1 from-as-casing warning"]);
}

#[test]
fn many_files_are_linted_in_parallel_and_reported_in_path_order() {
    let texts: Vec<(String, String)> = (0..64)
        .map(|i| {
            // Files differ in size so that threads finish out of order.
            let runs = "LABEL a=b\n".repeat((i * 37) % 200);
            (
                format!("d{:02}/Dockerfile", 63 - i),
                format!("FROM alpine:3.20 as s{i}\n{runs}MAINTAINER x\n"),
            )
        })
        .collect();
    let files: Vec<(&str, &str)> = texts
        .iter()
        .map(|(p, t)| (p.as_str(), t.as_str()))
        .collect();
    let dir = tree("lint-cli-many", &files);
    let (code, first) = run(&dir, &["--format", "json", "."]);
    assert_eq!(code, 1);
    let got = findings(&first);
    assert_eq!(got.len(), 128);
    let mut sorted = got.clone();
    sorted.sort_by(|a, b| {
        let key = |s: &str| {
            let mut w = s.split(' ');
            (
                w.next().unwrap_or("").to_owned(),
                w.next().unwrap_or("").parse::<u32>().unwrap_or(0),
            )
        };
        key(a).cmp(&key(b))
    });
    assert_eq!(got, sorted);
    assert_eq!(got[0], "./d00/Dockerfile 1 from-as-casing warning");
    assert_eq!(got[127], "./d63/Dockerfile 2 maintainer-deprecated warning");
    for _ in 0..3 {
        assert_eq!(run(&dir, &["--format", "json", "."]).1, first);
    }
}

#[test]
fn bad_input_is_reported_and_the_other_files_are_still_linted() {
    let dir = tree(
        "lint-cli-bad-input",
        &[
            ("a-ok/Dockerfile", "FROM alpine:3.20\nMAINTAINER me\n"),
            ("b-broken/Dockerfile", "FROM alpine:3.20\nCOPYY . /app\n"),
            ("d-latin1/Dockerfile", ""),
            ("e-binary/Dockerfile", ""),
            ("f-ok/Dockerfile", "FROM alpine:3.20 AS x\nCMD run\n"),
        ],
    );
    std::fs::write(
        dir.join("d-latin1/Dockerfile"),
        b"FROM alpine:3.20\nLABEL a=caf\xe9\n",
    )
    .expect("write");
    std::fs::write(
        dir.join("e-binary/Dockerfile"),
        b"\x7fELF\x02\x01\x00\x00FROM",
    )
    .expect("write");
    // A dangling link cannot be read, even by root.
    std::fs::create_dir_all(dir.join("c-dangling")).expect("mkdir");
    std::os::unix::fs::symlink("/nonexistent/slipway", dir.join("c-dangling/Dockerfile"))
        .expect("symlink");

    let (code, out, err) = run_full(&dir, &["--format", "json", ".", "missing/Dockerfile"]);
    assert_eq!(code, 2, "{out}{err}");
    assert_eq!(
        findings(&out),
        [
            "./a-ok/Dockerfile 2 maintainer-deprecated warning",
            "./b-broken/Dockerfile 2 slipway::instruction::unknown-instruction error",
            "./c-dangling/Dockerfile 1 slipway::lint::unreadable-file error",
            "./d-latin1/Dockerfile 2 slipway::parse::invalid-utf8 error",
            "./e-binary/Dockerfile 1 slipway::lint::binary-file error",
            "./f-ok/Dockerfile 2 json-args-recommended warning",
            "missing/Dockerfile 1 slipway::lint::unreadable-file error",
        ]
    );
    assert_eq!(
        err,
        "slipway: ./b-broken/Dockerfile: unknown instruction: COPYY\n\
         slipway: ./c-dangling/Dockerfile: cannot read the file: No such file or directory (os error 2)\n\
         slipway: ./d-latin1/Dockerfile: the Dockerfile is not valid UTF-8 (byte 28)\n\
         slipway: ./e-binary/Dockerfile: binary file (a NUL byte at offset 6), not a Dockerfile\n\
         slipway: missing/Dockerfile: cannot read the file: No such file or directory (os error 2)\n\
         slipway: 5 of 7 files could not be checked\n"
    );
    // The tty format shows each problem too, and still exits 2.
    let (code, tty, _) = run_full(&dir, &["--color", "never", "."]);
    assert_eq!(code, 2);
    for needle in [
        "slipway::lint::unreadable-file",
        "slipway::lint::binary-file",
        "slipway::parse::invalid-utf8",
        "unknown instruction: COPYY",
        "slipway::lint::maintainer-deprecated",
        "LABEL a=caf\u{FFFD}",
    ] {
        assert!(tty.contains(needle), "{needle} missing from\n{tty}");
    }
}

#[test]
fn settings_are_found_upward_from_each_file() {
    let dir = tree(
        "lint-cli-settings",
        &[
            ("slipway.toml", "ignore = [\"FromAsCasing\"]\n"),
            ("a/Dockerfile", "FROM alpine:3.20 as x\nMAINTAINER me\n"),
            (
                "b/slipway.toml",
                "select = [\"SW002\"]\n[severity]\nfrom-as-casing = \"error\"\n",
            ),
            ("b/c/Dockerfile", "FROM alpine:3.20 as x\nMAINTAINER me\n"),
        ],
    );
    let (code, out) = run(&dir, &["--format", "json"]);
    assert_eq!(code, 1, "{out}");
    assert_eq!(
        findings(&out),
        [
            "./a/Dockerfile 2 maintainer-deprecated warning",
            "./b/c/Dockerfile 1 from-as-casing error",
        ]
    );
    // Linting from inside a subdirectory finds the same settings.
    let (_, out) = run(&dir.join("b/c"), &["--format", "json"]);
    assert_eq!(findings(&out), ["./Dockerfile 1 from-as-casing error"]);
    // `--config` replaces the search for every file.
    std::fs::write(dir.join("other.toml"), "ignore = [\"DL4000\"]\n").expect("write");
    let (_, out) = run(&dir, &["--format", "json", "--config", "other.toml"]);
    assert_eq!(
        findings(&out),
        [
            "./a/Dockerfile 1 from-as-casing warning",
            "./b/c/Dockerfile 1 from-as-casing warning",
        ]
    );
}

#[test]
fn failure_threshold_decides_the_exit_code() {
    let dir = tree(
        "lint-cli-threshold",
        &[
            ("slipway.toml", "failure-threshold = \"error\"\n"),
            ("Dockerfile", "FROM alpine:3.20 as x\n"),
        ],
    );
    // Warnings below the threshold are printed, but the run passes.
    let (code, out) = run(&dir, &["--format", "json"]);
    assert_eq!((code, findings(&out).len()), (0, 1), "{out}");
    // Raising the rule's severity makes it fail.
    std::fs::write(
        dir.join("slipway.toml"),
        "failure-threshold = \"error\"\n[severity]\nFromAsCasing = \"error\"\n",
    )
    .expect("write");
    assert_eq!(run(&dir, &["--format", "json"]).0, 1);
    // The flag overrides the file.
    assert_eq!(run(&dir, &["--failure-threshold", "none"]).0, 0);
    // `# check=error=true` makes every finding of that file an error.
    std::fs::write(dir.join("slipway.toml"), "failure-threshold = \"error\"\n").expect("write");
    std::fs::write(
        dir.join("Dockerfile"),
        "# check=error=true\nFROM alpine:3.20 as x\n",
    )
    .expect("write");
    assert_eq!(run(&dir, &[]).0, 1);
}

#[test]
fn invalid_settings_are_a_usage_error() {
    let dir = tree(
        "lint-cli-bad-settings",
        &[
            ("slipway.toml", "ignore = [\"from-as-casin\"]\n"),
            ("Dockerfile", "FROM alpine:3.20\n"),
        ],
    );
    let (code, out, err) = run_full(&dir, &[]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert!(
        err.ends_with(
            "slipway.toml: ignore: unknown rule \"from-as-casin\" (did you mean \"from-as-casing\"?)\n"
        ),
        "{err}"
    );
    let (code, _, err) = run_full(&dir, &["--config", "nope.toml"]);
    assert_eq!(code, 2);
    assert!(err.starts_with("slipway: nope.toml: "), "{err}");
}

#[test]
fn ignore_pragmas_drop_findings_on_the_next_instruction() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint_cli/pragmas");
    for (file, expected) in [
        (
            "Dockerfile",
            &[
                "Dockerfile 3 stage-name-casing warning",
                "Dockerfile 10 json-args-recommended warning",
                "Dockerfile 13 maintainer-deprecated warning",
                "Dockerfile 17 legacy-key-value-format warning",
            ][..],
        ),
        (
            "global.Dockerfile",
            &["global.Dockerfile 6 maintainer-deprecated warning"][..],
        ),
    ] {
        let (code, out) = run(&dir.to_path_buf(), &["--format", "json", file]);
        assert_eq!(code, 1, "{out}");
        assert_eq!(findings(&out), expected);
        // Each fixture's first line lists what it expects.
        let text = std::fs::read_to_string(dir.join(file)).expect("fixture");
        for e in expected {
            let mut w = e.split(' ').skip(1);
            let (line, rule) = (w.next().unwrap_or(""), w.next().unwrap_or(""));
            let first = text.lines().next().unwrap_or("");
            assert!(
                first.contains(line) && first.contains(rule),
                "{file}: {first}"
            );
        }
    }
}

#[test]
fn a_directory_without_dockerfiles_passes_with_a_note() {
    let dir = tree("lint-cli-empty", &[("README.md", "FROM alpine\n")]);
    assert_eq!(
        run_full(&dir, &[]),
        (
            0,
            String::new(),
            "slipway: no Dockerfiles found\n".to_owned()
        )
    );
}

#[test]
fn selecting_an_experimental_rule_turns_it_on() {
    let text = "FROM debian:12\nRUN wget https://example.com/big.tar.gz\n";
    let dir = tree(
        "lint-cli-select-experimental",
        &[
            ("slipway.toml", "select = [\"DL3047\"]\n"),
            ("Dockerfile", text),
        ],
    );
    let (code, out) = run(&dir, &["--format", "json"]);
    assert_eq!(code, 1, "{out}");
    // Only the selected rule reports, though it is experimental (off
    // unless named in `# check=experimental=`).
    assert_eq!(
        findings(&out),
        ["./Dockerfile 2 wget-without-progress-flag warning"]
    );
}
