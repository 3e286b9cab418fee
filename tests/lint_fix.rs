//! `slipway lint --fix` and `--diff`: every fixture under
//! `tests/fixtures/fix/` is fixed and snapshotted (before, after, the fixes
//! applied, what is left), and for each one the fixed file must compile to
//! the same LLB and image config (source positions and step names aside),
//! be a fixed point of the fixer, and have no fixable finding left but the
//! refused ones. The same holds on the whole real-world corpus in
//! `../shared/corpus/` (every fixed file that compiles offline compiles to
//! the same build for every target). Then the command line: files
//! written, diffs printed, standard input, exit codes.

use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

mod common;

use slipway::compile::{self, CompileRequest, OfflineResolver};
use slipway::ir::options::BuildOptions;
use slipway::lint::fix::{FIXABLE, fix, unified_diff};
use slipway::lint::{LintOptions, RULES, lint};
use slipway::syntax::instructions::parse_instructions;
use slipway::syntax::parse;

fn fixtures_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/fix")
}

/// Lint options with BuildKit's rules only: findings that do not depend on
/// whether `shellcheck` is installed, and fast.
fn buildkit_rules() -> LintOptions {
    // Ignoring the others (rather than selecting these) keeps BuildKit's
    // experimental rules off, as in a build.
    LintOptions {
        ignore: RULES
            .iter()
            .filter(|i| i.buildkit.is_none())
            .map(|i| i.rule)
            .collect(),
        ..LintOptions::default()
    }
}

/// The snapshot of one fixture: the file before and after, and the fixes.
fn report(source: &str) -> String {
    let fixed = fix(source, &LintOptions::default());
    let mut out = format!("--- before\n{source}--- after\n{}--- fixes\n", fixed.source);
    for a in &fixed.applied {
        let name = a.rule.info().name;
        out += &format!("{name}: {} => {}\n", a.before, a.after);
    }
    out += "--- left\n";
    for d in lint(&fixed.source, &buildkit_rules()).findings {
        let line = fixed.source[..d.range.start()].lines().count() + 1;
        out += &format!("{line}: {}\n", d.code);
    }
    out
}

#[test]
fn fixtures() {
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => true}, {
        insta::glob!(&fixtures_dir(), "*.Dockerfile", |path| {
            let source = std::fs::read_to_string(path).expect("fixture");
            insta::assert_snapshot!(report(&source));
        });
    });
}

#[test]
fn every_fixture_changes_and_every_fixable_rule_is_exercised() {
    let mut seen = std::collections::HashSet::new();
    for path in fixture_paths() {
        let source = std::fs::read_to_string(&path).expect("fixture");
        let fixed = fix(&source, &LintOptions::default());
        assert!(fixed.changed(), "{}: nothing fixed", path.display());
        seen.extend(fixed.applied.iter().map(|a| a.rule));
    }
    for rule in FIXABLE {
        assert!(seen.contains(&rule), "no fixture fixes {rule:?}");
    }
}

fn fixture_paths() -> Vec<PathBuf> {
    let mut paths: Vec<PathBuf> = std::fs::read_dir(fixtures_dir())
        .expect("fixtures")
        .map(|e| e.expect("entry").path())
        .filter(|p| p.extension().is_some_and(|e| e == "Dockerfile"))
        .collect();
    paths.sort();
    assert!(paths.len() >= 8);
    paths
}

#[test]
fn fixing_twice_is_fixing_once() {
    for path in fixture_paths() {
        let source = std::fs::read_to_string(&path).expect("fixture");
        let once = fix(&source, &LintOptions::default());
        let twice = fix(&once.source, &LintOptions::default());
        assert_eq!(twice.source, once.source, "{}", path.display());
        assert!(twice.applied.is_empty(), "{}", path.display());
    }
}

/// The fixable findings of `source`, as `(rule name, line)`.
fn fixable_findings(source: &str) -> Vec<(&'static str, usize)> {
    lint(source, &buildkit_rules())
        .findings
        .iter()
        .filter_map(|d| {
            let info = RULES.iter().find(|i| i.code == d.code)?;
            let line = source[..d.range.start()].lines().count() + 1;
            FIXABLE.contains(&info.rule).then_some((info.name, line))
        })
        .collect()
}

#[test]
fn fixed_files_have_no_fixable_findings_but_the_refused_ones() {
    // The refused fixes: a comment inside the instruction, a Windows base.
    let expected: BTreeMap<&str, Vec<(&str, usize)>> = BTreeMap::from([
        (
            "cmd_shell_form.Dockerfile",
            vec![("json-args-recommended", 6)],
        ),
        ("legacy_env.Dockerfile", vec![]),
        ("windows.Dockerfile", vec![("json-args-recommended", 5)]),
    ]);
    for path in fixture_paths() {
        let name = path.file_name().and_then(|n| n.to_str()).expect("name");
        let source = std::fs::read_to_string(&path).expect("fixture");
        let fixed = fix(&source, &LintOptions::default());
        let left = fixable_findings(&fixed.source);
        assert_eq!(
            left,
            expected.get(name).cloned().unwrap_or_default(),
            "{name}"
        );
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(f)
}

/// The metadata descriptions that name a step (`[2/3] RUN …` and the
/// instruction's text): they may change with a fix.
const STEP_NAMES: [&str; 2] = ["llb.customname", "com.docker.dockerfile.v1.command"];

/// The build of `source` for `target`, compiled offline.
fn compiled(source: &str, target: Option<&str>) -> Result<compile::Compiled, String> {
    let mut opts = BTreeMap::new();
    if let Some(t) = target {
        opts.insert("target".to_owned(), t.to_owned());
    }
    let req = CompileRequest {
        dockerfile: source.as_bytes().to_vec(),
        options: BuildOptions::from_frontend_opts(&opts)?,
        dockerfile_definition: None,
        inputs: Default::default(),
    };
    block_on(compile::compile(&req, &OfflineResolver)).map_err(|d| format!("{d:?}"))
}

/// What a build means: per platform the LLB without source map and step
/// names, and the image config.
fn meaning_of(compiled: &compile::Compiled) -> Vec<serde_json::Value> {
    compiled
        .platforms
        .iter()
        .map(|p| {
            let mut def = p.definition.clone();
            def.source = None;
            for md in def.metadata.values_mut() {
                md.description
                    .retain(|k, _| !STEP_NAMES.contains(&k.as_str()));
            }
            let config: serde_json::Value =
                serde_json::from_slice(&p.image_config).expect("config json");
            serde_json::json!({"llb": slipway::llb::to_json(&def), "config": config})
        })
        .collect()
}

fn meaning(source: &str, target: Option<&str>) -> Vec<serde_json::Value> {
    let c = compiled(source, target).unwrap_or_else(|e| panic!("does not compile: {e}\n{source}"));
    meaning_of(&c)
}

#[test]
fn fixed_files_compile_to_the_same_build() {
    for path in fixture_paths() {
        let source = std::fs::read_to_string(&path).expect("fixture");
        let fixed = fix(&source, &LintOptions::default());
        // Every named stage as the target, and the default (last) stage.
        let (file, _) = parse_instructions(&parse(&source).tree);
        let mut targets: Vec<Option<String>> = vec![None];
        targets.extend(
            file.stages
                .iter()
                .filter_map(|s| s.name.clone().map(|n| Some(n.value))),
        );
        for t in &targets {
            let (a, b) = (
                meaning(&source, t.as_deref()),
                meaning(&fixed.source, t.as_deref()),
            );
            assert!(!a.is_empty());
            assert_eq!(a, b, "{} target {t:?}", path.display());
        }
    }
}

/// The meanings of every target of `source`, or `None` when it does not
/// compile offline.
fn all_meanings(source: &str) -> Option<Vec<serde_json::Value>> {
    let (file, _) = parse_instructions(&parse(source).tree);
    let mut targets: Vec<Option<String>> = vec![None];
    targets.extend(
        file.stages
            .iter()
            .filter_map(|s| s.name.clone().map(|n| Some(n.value))),
    );
    let mut out = Vec::new();
    for t in &targets {
        out.extend(meaning_of(&compiled(source, t.as_deref()).ok()?));
    }
    Some(out)
}

#[test]
fn corpus_fixes_keep_the_build_and_reach_a_fixed_point() {
    let Some(dir) = common::shared_dir("corpus") else {
        return;
    };
    let jsonl = std::fs::read_to_string(dir.join("buildkit-check.jsonl")).expect("jsonl");
    let (mut changed, mut compared) = (0, 0);
    let mut by_rule: BTreeMap<&str, usize> = BTreeMap::new();
    let mut left = Vec::new();
    for line in jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let entry: serde_json::Value = serde_json::from_str(line).expect("json line");
        let path = entry["path"].as_str().expect("path");
        let Ok(source) = std::fs::read_to_string(dir.join("realworld").join(path)) else {
            continue;
        };
        let fixed = fix(&source, &LintOptions::default());
        if !lint(&source, &buildkit_rules()).errors.is_empty() {
            // Files with errors are left alone.
            assert!(!fixed.changed(), "{path}");
            continue;
        }
        for (rule, line) in fixable_findings(&fixed.source) {
            left.push(format!("{path}:{line} {rule}"));
        }
        if !fixed.changed() {
            continue;
        }
        changed += 1;
        for a in &fixed.applied {
            *by_rule.entry(a.rule.info().name).or_insert(0) += 1;
        }
        let again = fix(&fixed.source, &LintOptions::default());
        assert_eq!(again.source, fixed.source, "{path}: not a fixed point");
        assert!(
            lint(&fixed.source, &buildkit_rules()).errors.is_empty(),
            "{path}: the fix broke the file"
        );
        if let Some(before) = all_meanings(&source) {
            compared += 1;
            let after = all_meanings(&fixed.source);
            assert_eq!(Some(before), after, "{path}: the build changed");
        }
    }
    eprintln!("corpus: {changed} files fixed, {compared} compared: {by_rule:?}");
    assert_eq!(by_rule.len(), FIXABLE.len(), "{by_rule:?}");
    assert!(left.is_empty(), "fixable findings left: {left:#?}");
    assert!(changed >= 10, "only {changed} corpus files had fixes");
    assert!(compared >= 5, "only {compared} fixed corpus files compiled");
}

#[test]
fn the_comparison_sees_a_changed_value() {
    // The check above must be able to fail: a value that differs after
    // BuildKit's quote removal gives a different image config.
    let a = meaning("FROM alpine:3\nENV A a b\n", None);
    let b = meaning("FROM alpine:3\nENV A=\"a  b\"\n", None);
    assert_ne!(a, b);
    let c = meaning("FROM alpine:3\nENV A=\"a b\"\n", None);
    assert_eq!(a, c);
}

#[test]
fn skipped_rules_are_not_fixed() {
    let source = "FROM alpine:3\nENV A b\nrun true\n";
    let options = LintOptions {
        check: Some("skip=LegacyKeyValueFormat".to_owned()),
        ..LintOptions::default()
    };
    assert_eq!(
        fix(source, &options).source,
        "FROM alpine:3\nENV A b\nRUN true\n"
    );
}

#[test]
fn files_with_errors_are_left_alone() {
    let source = "FROM alpine:3\nrun true\nENV\n";
    let fixed = fix(source, &LintOptions::default());
    assert_eq!(fixed.source, source);
    assert!(!fixed.changed());
}

#[test]
fn unified_diff_shape() {
    assert_eq!(unified_diff("Dockerfile", "a\n", "a\n"), "");
    let d = unified_diff(
        "Dockerfile",
        "FROM x\nrun y\nCMD z\n",
        "FROM x\nRUN y\nCMD z\n",
    );
    assert_eq!(
        d,
        "--- Dockerfile\n+++ Dockerfile\n@@ -1,3 +1,3 @@\n FROM x\n-run y\n+RUN y\n CMD z\n"
    );
}

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

/// Runs `slipway lint ARGS` in `dir` with `stdin`; exit code, stdout,
/// stderr.
fn run(dir: &Path, args: &[&str], stdin: &str) -> (i32, String, String) {
    use std::io::Write;
    let mut child = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .arg("lint")
        .args(args)
        .current_dir(dir)
        .env("NO_COLOR", "1")
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run slipway");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(stdin.as_bytes())
        .expect("write stdin");
    let out = child.wait_with_output().expect("wait");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8"),
        String::from_utf8(out.stderr).expect("utf-8"),
    )
}

const BROKEN: &str = "FROM alpine:3 as build\nenv A b\nRUN true\n";
const MENDED: &str = "FROM alpine:3 AS build\nENV A=b\nRUN true\n";

#[test]
fn cli_fix_writes_files_and_exits_0_when_nothing_is_left() {
    let dir = tree(
        "lint-fix-write",
        &[("Dockerfile", BROKEN), ("sub/app.Dockerfile", MENDED)],
    );
    let (code, out, err) = run(&dir, &["--fix", "."], "");
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert_eq!(err, "Fixed 3 findings in 1 file.\n");
    let read = |p: &str| std::fs::read_to_string(dir.join(p)).expect("read");
    assert_eq!(read("Dockerfile"), MENDED);
    assert_eq!(read("sub/app.Dockerfile"), MENDED);
}

#[test]
fn cli_fix_reports_what_is_left_and_exits_1() {
    let source = "FROM alpine:3\nMAINTAINER me\nrun true\n";
    let dir = tree("lint-fix-left", &[("Dockerfile", source)]);
    let (code, out, err) = run(&dir, &["--fix", "--format", "json", "Dockerfile"], "");
    assert_eq!(code, 1, "{out}{err}");
    let rules: Vec<String> = out
        .lines()
        .map(|l| {
            let v: serde_json::Value = serde_json::from_str(l).expect("json");
            v["rule"].as_str().expect("rule").to_owned()
        })
        .collect();
    assert_eq!(rules, ["maintainer-deprecated"]);
    assert_eq!(
        std::fs::read_to_string(dir.join("Dockerfile")).expect("read"),
        "FROM alpine:3\nMAINTAINER me\nRUN true\n"
    );
}

#[test]
fn cli_diff_prints_and_leaves_the_file() {
    let dir = tree("lint-fix-diff", &[("Dockerfile", BROKEN)]);
    let (code, out, err) = run(&dir, &["--diff", "Dockerfile"], "");
    assert_eq!(code, 1, "{err}");
    assert_eq!(out, unified_diff("Dockerfile", BROKEN, MENDED));
    assert_eq!(
        out,
        "--- Dockerfile\n+++ Dockerfile\n@@ -1,3 +1,3 @@\n-FROM alpine:3 as build\n-env A b\n+FROM alpine:3 AS build\n+ENV A=b\n RUN true\n"
    );
    assert_eq!(err, "Would fix 3 findings in 1 file.\n");
    assert_eq!(
        std::fs::read_to_string(dir.join("Dockerfile")).expect("read"),
        BROKEN
    );
    // --fix --diff is --diff.
    let (code, _, _) = run(&dir, &["--fix", "--diff", "Dockerfile"], "");
    assert_eq!(code, 1);
    assert_eq!(
        std::fs::read_to_string(dir.join("Dockerfile")).expect("read"),
        BROKEN
    );
}

#[test]
fn cli_diff_exits_0_when_nothing_would_change() {
    let dir = tree("lint-fix-diff-clean", &[("Dockerfile", MENDED)]);
    let (code, out, err) = run(&dir, &["--diff"], "");
    assert_eq!((code, out.as_str()), (0, ""), "{err}");
    assert_eq!(err, "No fixes to apply.\n");
}

#[test]
fn cli_stdin_fix_prints_the_fixed_text() {
    let dir = tree("lint-fix-stdin", &[("unrelated.txt", "")]);
    let (code, out, err) = run(&dir, &["--fix", "-"], BROKEN);
    assert_eq!((code, out.as_str()), (0, MENDED), "{err}");
    let (code, out, err) = run(
        &dir,
        &["--fix", "-"],
        "FROM alpine:3\nMAINTAINER me\nrun true\n",
    );
    assert_eq!(code, 1);
    assert_eq!(out, "FROM alpine:3\nMAINTAINER me\nRUN true\n");
    assert!(err.contains("maintainer-deprecated"), "{err}");
    let (code, out, _) = run(&dir, &["--diff", "-"], BROKEN);
    assert_eq!(code, 1);
    assert_eq!(out, unified_diff("<stdin>", BROKEN, MENDED));
}

#[test]
fn cli_unreadable_file_exits_2_and_others_are_fixed() {
    let dir = tree("lint-fix-unreadable", &[("Dockerfile", BROKEN)]);
    let (code, _, err) = run(&dir, &["--fix", "missing.Dockerfile", "Dockerfile"], "");
    assert_eq!(code, 2, "{err}");
    assert!(err.contains("missing.Dockerfile"), "{err}");
    assert_eq!(
        std::fs::read_to_string(dir.join("Dockerfile")).expect("read"),
        MENDED
    );
}
