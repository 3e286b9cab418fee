//! Outline and targets parity over the real-world corpus: for every file of
//! `/work/shared/corpus/realworld/` that BuildKit accepts (`baseline.tsv`
//! status other than `parse_error`), `docker buildx build --call=outline`
//! and `--call=targets` (JSON output) must print the same bytes through
//! BuildKit's built-in Dockerfile frontend and through slipway's frontend
//! image. When both fail, they must fail with the same message.
//!
//! No registry is reachable, so both sides map every base image the file
//! names (`empty_base_images` in `buildkit-check.jsonl`) to
//! `docker-image://scratch` with `--build-context`. A `# syntax=` directive
//! is blanked out in a copy of the file (line numbers stay), so that the
//! built-in side does not try to pull another frontend. The build context is
//! a directory holding only that copy.
//!
//! Environment: `SLIPWAY_PARITY_FILES=a,b` runs only paths containing one
//! of the words; `SLIPWAY_PARITY_JOBS=N` sets how many files run at once
//! (default 4). Needs a Docker engine with buildx: run through
//! `scripts/test`.

#[path = "support/engine.rs"]
#[allow(dead_code)]
mod engine;

use std::collections::HashMap;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use engine::Engine;

const CORPUS: &str = "/work/shared/corpus";
const IMAGE: &str = "slipway/frontend:dev";

/// One corpus file to check.
struct Case {
    path: String,
    base_images: Vec<String>,
}

/// The files BuildKit accepts, with the base images to map to scratch.
fn cases() -> Vec<Case> {
    let corpus = Path::new(CORPUS);
    let baseline = std::fs::read_to_string(corpus.join("baseline.tsv"))
        .unwrap_or_else(|e| panic!("{CORPUS}/baseline.tsv: {e}"));
    let mut bases: HashMap<String, Vec<String>> = HashMap::new();
    let checks = std::fs::read_to_string(corpus.join("buildkit-check.jsonl"))
        .unwrap_or_else(|e| panic!("{CORPUS}/buildkit-check.jsonl: {e}"));
    for line in checks.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("a JSON line");
        let images = v["empty_base_images"]
            .as_array()
            .map(|a| {
                a.iter()
                    .filter_map(|i| i.as_str().map(str::to_owned))
                    .collect()
            })
            .unwrap_or_default();
        bases.insert(v["path"].as_str().unwrap_or("").to_owned(), images);
    }
    let only: Vec<String> = std::env::var("SLIPWAY_PARITY_FILES")
        .unwrap_or_default()
        .split(',')
        .filter(|w| !w.is_empty())
        .map(str::to_owned)
        .collect();
    baseline
        .lines()
        .skip(1)
        .filter_map(|l| {
            let mut cols = l.split('\t');
            let path = cols.next()?.to_owned();
            (cols.next()? != "parse_error").then_some(path)
        })
        .filter(|p| only.is_empty() || only.iter().any(|w| p.contains(w.as_str())))
        .map(|path| Case {
            base_images: bases.get(&path).cloned().unwrap_or_default(),
            path,
        })
        .collect()
}

/// The file with its `# syntax=` directive blanked; directives are only
/// recognised in the comment lines at the very top.
fn without_syntax(text: &str) -> String {
    let mut out = Vec::new();
    let mut in_directives = true;
    for line in text.split('\n') {
        let body = line.trim_start().strip_prefix('#').map(str::trim_start);
        let is_directive = body.is_some_and(|b| {
            b.split_once('=').is_some_and(|(k, _)| {
                !k.trim().is_empty() && k.trim().chars().all(|c| c.is_ascii_alphanumeric())
            })
        });
        in_directives &= is_directive;
        let is_syntax = body.is_some_and(|b| {
            b.split_once('=')
                .is_some_and(|(k, _)| k.trim().eq_ignore_ascii_case("syntax"))
        });
        out.push(if in_directives && is_syntax { "" } else { line });
    }
    out.join("\n")
}

/// Time spent in calls through each frontend: built-in, slipway.
static CALL_TIME: Mutex<(Duration, Duration)> = Mutex::new((Duration::ZERO, Duration::ZERO));

/// What one `--call` printed, or the error it ended with.
fn call(
    engine: &Engine,
    dir: &Path,
    case: &Case,
    what: &str,
    slipway: bool,
) -> Result<String, String> {
    let started = Instant::now();
    let result = run_call(engine, dir, case, what, slipway);
    if let Ok(mut t) = CALL_TIME.lock() {
        if slipway {
            t.1 += started.elapsed();
        } else {
            t.0 += started.elapsed();
        }
    }
    result
}

fn run_call(
    engine: &Engine,
    dir: &Path,
    case: &Case,
    what: &str,
    slipway: bool,
) -> Result<String, String> {
    let mut cmd = engine.docker();
    cmd.args(["buildx", "build", "--progress=quiet"])
        .arg(format!("--call={what},format=json"));
    for image in &case.base_images {
        cmd.arg("--build-context")
            .arg(format!("{image}=docker-image://scratch"));
    }
    if slipway {
        cmd.args(["--build-arg", &format!("BUILDKIT_SYNTAX={IMAGE}")]);
    }
    let out = cmd.arg(dir).output().map_err(|e| format!("docker: {e}"))?;
    if out.status.success() {
        Ok(String::from_utf8_lossy(&out.stdout).into_owned())
    } else {
        Err(error_line(&out))
    }
}

/// The error a failed build ended with: its `ERROR:` line (the whole
/// output if there is none) without buildx's own prefixes, which depend on
/// where in buildx the error surfaced, not on the frontend.
fn error_line(out: &Output) -> String {
    let err = String::from_utf8_lossy(&out.stderr);
    let line = err
        .lines()
        .find(|l| l.starts_with("ERROR:"))
        .map_or_else(|| err.trim().to_owned(), str::to_owned);
    let mut rest = line.as_str();
    for prefix in [
        "ERROR: ",
        "failed to build: ",
        "failed to solve: ",
        "failed to run Build function: ",
    ] {
        rest = rest.strip_prefix(prefix).unwrap_or(rest);
    }
    rest.to_owned()
}

/// The first line where two outputs differ, for the report.
fn first_difference(a: &str, b: &str) -> String {
    let (al, bl): (Vec<&str>, Vec<&str>) = (a.lines().collect(), b.lines().collect());
    let n = al.len().max(bl.len());
    (0..n)
        .find(|&i| al.get(i) != bl.get(i))
        .map_or_else(String::new, |i| {
            format!(
                "line {}: builtin {:?} / slipway {:?}",
                i + 1,
                al.get(i).unwrap_or(&"<end>"),
                bl.get(i).unwrap_or(&"<end>")
            )
        })
}

/// Differences known today, as (corpus path, call): each is a FIXME in the
/// compiler. The test fails on any other difference, and also when one of
/// these goes away, so that this list only ever shrinks.
const KNOWN_DIFFERENCES: &[(&str, &str)] = &[];

/// Checks one file; returns its problems as (path, call, what differs).
fn check(engine: &Engine, work: &Path, case: &Case) -> Vec<(String, &'static str, String)> {
    let source = Path::new(CORPUS).join("realworld").join(&case.path);
    let text = match std::fs::read(&source) {
        Ok(b) => String::from_utf8_lossy(&b).into_owned(),
        Err(e) => return vec![(case.path.clone(), "read", e.to_string())],
    };
    let dir = work.join(case.path.replace('/', "__"));
    let _ = std::fs::remove_dir_all(&dir);
    if let Err(e) = std::fs::create_dir_all(&dir)
        .and_then(|()| std::fs::write(dir.join("Dockerfile"), without_syntax(&text)))
    {
        return vec![(case.path.clone(), "copy", e.to_string())];
    }
    let mut problems = Vec::new();
    for what in ["outline", "targets"] {
        let builtin = call(engine, &dir, case, what, false);
        let slipway = call(engine, &dir, case, what, true);
        let problem = match (&builtin, &slipway) {
            (Ok(a), Ok(b)) if a == b => None,
            (Ok(a), Ok(b)) => Some(format!("different JSON, {}", first_difference(a, b))),
            (Err(a), Err(b)) if a == b => None,
            (Err(a), Err(b)) => Some(format!(
                "different errors:\n    builtin: {a}\n    slipway: {b}"
            )),
            (Ok(_), Err(b)) => Some(format!("only slipway fails: {b}")),
            (Err(a), Ok(_)) => Some(format!("only the built-in frontend fails: {a}")),
        };
        if let Some(p) = problem {
            problems.push((case.path.clone(), what, p));
        }
    }
    let _ = std::fs::remove_dir_all(&dir);
    problems
}

/// Installs the frontend image from the binary under test.
fn install(engine: &Engine) {
    let docker = engine.docker();
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_slipway"));
    for (k, v) in docker.get_envs() {
        match v {
            Some(v) => cmd.env(k, v),
            None => cmd.env_remove(k),
        };
    }
    let out = cmd
        .args(["frontend", "install", "--tag", IMAGE])
        .output()
        .expect("slipway runs");
    assert!(
        out.status.success(),
        "slipway frontend install failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn outline_and_targets_match_buildkit_on_the_corpus() {
    let engine = engine::engine().unwrap_or_else(|e| panic!("{e}"));
    let started = Instant::now();
    install(engine);
    let cases = cases();
    assert!(
        std::env::var_os("SLIPWAY_PARITY_FILES").is_some() || cases.len() >= 300,
        "only {} corpus files found under {CORPUS}",
        cases.len()
    );
    let jobs: usize = std::env::var("SLIPWAY_PARITY_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .filter(|&n| n > 0)
        .unwrap_or(4);
    let work: PathBuf = std::env::temp_dir().join(format!("slipway-parity-{}", std::process::id()));
    let next = AtomicUsize::new(0);
    let problems = Mutex::new(Vec::new());
    let slowest = Mutex::new((Duration::ZERO, String::new()));
    std::thread::scope(|s| {
        for _ in 0..jobs {
            s.spawn(|| {
                while let Some(case) = cases.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let t = Instant::now();
                    let found = check(engine, &work, case);
                    let took = t.elapsed();
                    if let Ok(mut s) = slowest.lock()
                        && took > s.0
                    {
                        *s = (took, case.path.clone());
                    }
                    if let Ok(mut p) = problems.lock() {
                        p.extend(found);
                    }
                }
            });
        }
    });
    let _ = std::fs::remove_dir_all(&work);
    let problems = problems.into_inner().unwrap_or_default();
    let known = |path: &str, what: &str| KNOWN_DIFFERENCES.contains(&(path, what));
    let unexpected: Vec<String> = problems
        .iter()
        .filter(|(path, what, _)| !known(path, what))
        .map(|(path, what, p)| format!("{path} --call={what}: {p}"))
        .collect();
    let gone: Vec<String> = KNOWN_DIFFERENCES
        .iter()
        .filter(|(path, _)| cases.iter().any(|c| c.path == *path))
        .filter(|(path, what)| !problems.iter().any(|(p, w, _)| p == path && w == what))
        .map(|(path, what)| {
            format!("{path} --call={what} now matches: remove it from KNOWN_DIFFERENCES")
        })
        .collect();
    let (slow, slow_path) = slowest.into_inner().unwrap_or_default();
    let (builtin_time, slipway_time) = CALL_TIME.lock().map(|t| *t).unwrap_or_default();
    let summary = format!(
        "{} files, {} calls per frontend, {jobs} at a time: {:.1?} in all (calls took {:.1?} built-in, \
         {:.1?} slipway), slowest file {:.1?} ({slow_path}); {} differences ({} known)",
        cases.len(),
        cases.len() * 2,
        started.elapsed(),
        builtin_time,
        slipway_time,
        slow,
        problems.len(),
        problems.len() - unexpected.len(),
    );
    eprintln!("{summary}");
    assert!(
        unexpected.is_empty() && gone.is_empty(),
        "{summary}\n{}",
        [unexpected, gone].concat().join("\n")
    );
}

#[test]
fn syntax_directives_are_blanked_in_place() {
    assert_eq!(
        without_syntax("# syntax=docker/dockerfile:1\n# escape=`\nFROM a\n# syntax=x\n"),
        "\n# escape=`\nFROM a\n# syntax=x\n"
    );
    assert_eq!(
        without_syntax("#check=skip=all\n#  SYNTAX = y\nFROM a"),
        "#check=skip=all\n\nFROM a"
    );
    assert_eq!(
        without_syntax("# a comment\n# syntax=x\nFROM a"),
        "# a comment\n# syntax=x\nFROM a"
    );
}
