//! The differential suite: every case under `tests/differential/` is built
//! with BuildKit's built-in Dockerfile frontend and checked against the facts
//! in its `expect` file, then built with slipway's frontend (this build of
//! slipway, installed as `slipway/frontend:dev`) and the two images must not
//! differ.
//!
//! Environment: `SLIPWAY_DIFF_CASES=a,b` runs only the cases whose names
//! contain one of the words; `SLIPWAY_DIFF_JOBS=N` sets the parallel builds
//! (default twice the CPUs, at most 8); `SLIPWAY_DIFF_HISTORY=1` also compares image history;
//! `SLIPWAY_DIFF_DUMP=name` prints that case's built-in result;
//! `SLIPWAY_FRONTEND_IMAGE=ref` uses another slipway image;
//! `SLIPWAY_DIFF_SELFCHECK=1` compares each built-in result with a second
//! built-in build made with `--no-cache` instead of slipway's (a check that
//! the comparison ignores what legitimately varies between builds).

mod support;

#[path = "differential/harness_tests.rs"]
mod harness_tests;

use std::io::Write;
use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::build::{self, BuildRequest, Engine, Frontend, Outcome, SshAgent, slipway_image};
use support::case::{Job, load_cases};
use support::diff::{DiffOptions, describe, diff_with};
use support::expect::{builtin_lacks, check};

/// The suite must keep at least this many cases.
const MIN_CASES: usize = 80;

/// What one job found.
struct Report {
    label: String,
    problems: Vec<String>,
    skipped: Option<String>,
    took: Duration,
}

fn env_flag(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty() && v != "0")
}

/// Installs the slipway binary under test as the frontend image, unless
/// `SLIPWAY_FRONTEND_IMAGE` names one built elsewhere. Slipway's side of
/// the suite therefore always runs, on the code being tested.
fn install_slipway(engine: &Engine) -> String {
    if let Some(image) = env_flag("SLIPWAY_FRONTEND_IMAGE") {
        assert!(
            engine.has_image(&image),
            "SLIPWAY_FRONTEND_IMAGE={image} is not in the engine"
        );
        return format!("{image} (SLIPWAY_FRONTEND_IMAGE)");
    }
    let out = engine
        .command(env!("CARGO_BIN_EXE_slipway"))
        .args(["frontend", "install", "--tag", &slipway_image()])
        .output()
        .expect("run slipway frontend install");
    assert!(
        out.status.success(),
        "slipway frontend install failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    format!("{} (installed from this build)", slipway_image())
}

/// Fails the run at once when slipway cannot build a two-line Dockerfile:
/// otherwise expected-failure cases would "agree" with a broken frontend.
fn probe_slipway() {
    let dir = std::env::temp_dir().join(format!("slipway-diff-probe-{}", std::process::id()));
    std::fs::create_dir_all(&dir).expect("probe dir");
    std::fs::write(
        dir.join("Dockerfile"),
        "FROM scratch\nCOPY Dockerfile /Dockerfile\n",
    )
    .expect("probe Dockerfile");
    let outcome = build::build(&BuildRequest::new(&dir, Frontend::Slipway));
    let _ = std::fs::remove_dir_all(&dir);
    match outcome {
        Ok(Outcome::Built(img)) if img.files.contains_key("/Dockerfile") => {}
        Ok(Outcome::Built(_)) => panic!("slipway's probe build lacks /Dockerfile"),
        Ok(Outcome::Failed(f)) => panic!(
            "slipway's frontend ({}) cannot build `FROM scratch` + `COPY`: {}",
            slipway_image(),
            f.message()
        ),
        Err(e) => panic!("harness: {e}"),
    }
}

/// Writes straight to the terminal: the summary shows even when output is captured.
fn say(msg: &str) {
    let _ = writeln!(std::io::stderr(), "{msg}");
}

fn run_job(job: &Job, slipway: bool, agent: Option<&SshAgent>) -> Report {
    let start = Instant::now();
    let mut report = Report {
        label: job.label(),
        problems: Vec::new(),
        skipped: None,
        took: Duration::ZERO,
    };
    let request = |frontend| {
        let mut r = job.request(frontend);
        if let Some(a) = agent.filter(|_| !r.ssh.is_empty()) {
            r.env.push(("SSH_AUTH_SOCK".into(), a.socket.clone()));
        }
        r
    };
    if !job.case.args.ssh.is_empty() && agent.is_none() {
        report.skipped =
            Some("needs an ssh agent: SSH_AUTH_SOCK is unset and ssh-agent cannot start".into());
        return report;
    }
    let facts: Vec<_> = job.facts().collect();
    let builtin = match build::build_cached(&request(Frontend::Builtin)) {
        Ok(o) => o,
        Err(e) => {
            report.problems.push(format!("harness: {e}"));
            return report;
        }
    };
    if env_flag("SLIPWAY_DIFF_DUMP").as_deref() == Some(job.case.name.as_str()) {
        dump(&builtin);
    }
    let lacks = builtin_lacks(facts.iter().copied());
    if let Some(text) = lacks {
        match &*builtin {
            Outcome::Failed(f) if f.stderr.contains(text) => {}
            Outcome::Failed(f) => report.problems.push(format!("builtin: fails, but not with {text:?}: {}", f.message())),
            Outcome::Built(_) => report.problems.push(
                "builtin: the built-in frontend now supports this case: drop `builtin-lacks` from its expect file".into(),
            ),
        }
    } else {
        let found = check(facts.iter().copied(), &builtin);
        report
            .problems
            .extend(found.into_iter().map(|p| format!("builtin: {p}")));
    }
    let selfcheck = env_flag("SLIPWAY_DIFF_SELFCHECK").is_some();
    if slipway && !(selfcheck && lacks.is_some()) {
        let mut other = request(if selfcheck {
            Frontend::Builtin
        } else {
            Frontend::Slipway
        });
        other.no_cache = selfcheck;
        let theirs = match build::build(&other) {
            Ok(o) => o,
            Err(e) => {
                report.problems.push(format!("harness: {e}"));
                return report;
            }
        };
        if lacks.is_some() {
            let found = check(facts.iter().copied(), &theirs);
            report
                .problems
                .extend(found.into_iter().map(|p| format!("slipway: {p}")));
        } else {
            report.problems.extend(compare(job, &builtin, &theirs));
        }
    }
    report.took = start.elapsed();
    report
}

/// The differences between the built-in result and slipway's.
fn compare(job: &Job, builtin: &Outcome, slipway: &Outcome) -> Vec<String> {
    let opts = DiffOptions {
        history: env_flag("SLIPWAY_DIFF_HISTORY").is_some(),
        epoch: job
            .case
            .args
            .build_args
            .iter()
            .find(|(k, _)| k == "SOURCE_DATE_EPOCH")
            .and_then(|(_, v)| v.parse().ok()),
    };
    match (builtin, slipway) {
        (Outcome::Built(a), Outcome::Built(b)) => diff_with(a, b, &opts)
            .into_iter()
            .map(|d| format!("builtin vs slipway: {d}"))
            .collect(),
        (Outcome::Failed(a), Outcome::Failed(b)) if a.line != b.line => {
            vec![format!(
                "both fail, but builtin points at line {:?} and slipway at {:?}",
                a.line, b.line
            )]
        }
        (Outcome::Failed(_), Outcome::Failed(_)) => Vec::new(),
        (Outcome::Failed(a), Outcome::Built(_)) => {
            vec![format!(
                "slipway built an image; builtin fails: {}",
                a.message()
            )]
        }
        (Outcome::Built(_), Outcome::Failed(b)) => {
            let mut v = vec![format!(
                "slipway fails (exit {:?}): {}",
                b.status,
                b.message()
            )];
            v.extend(
                b.stderr
                    .lines()
                    .rev()
                    .take(20)
                    .collect::<Vec<_>>()
                    .into_iter()
                    .rev()
                    .map(|l| format!("    | {l}")),
            );
            v
        }
    }
}

/// Prints a result: config and history as JSON, then one line per path
/// (leaving out the base image's `/bin` applets).
fn dump(outcome: &Outcome) {
    match outcome {
        Outcome::Built(img) => {
            say(&serde_json::to_string_pretty(&img.config).expect("config serializes"));
            say(&serde_json::to_string_pretty(&img.history).expect("history serializes"));
            for (p, e) in &img.files {
                if !(p.starts_with("/bin/") && e.link.as_deref() == Some("busybox")) {
                    say(&format!("{p}: {} mtime={}", describe(e), e.mtime));
                }
            }
        }
        Outcome::Failed(f) => say(&format!("failed, line {:?}:\n{}", f.line, f.stderr)),
    }
}

#[test]
fn builtin_matches_facts_and_slipway_matches_builtin() {
    let engine = build::engine().unwrap_or_else(|msg| panic!("{msg}"));
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential");
    let mut cases =
        load_cases(&root).unwrap_or_else(|errs| panic!("bad cases:\n  {}", errs.join("\n  ")));
    let filter = env_flag("SLIPWAY_DIFF_CASES");
    if let Some(f) = &filter {
        cases.retain(|c| f.split(',').any(|w| c.name.contains(w.trim())));
        assert!(!cases.is_empty(), "SLIPWAY_DIFF_CASES={f} matches no case");
    } else {
        assert!(
            cases.len() >= MIN_CASES,
            "only {} cases; the suite keeps at least {MIN_CASES}",
            cases.len()
        );
    }
    let slipway = if env_flag("SLIPWAY_DIFF_SELFCHECK").is_some() {
        Some("self-check: a --no-cache built-in build stands in for slipway".to_string())
    } else {
        Some(install_slipway(engine))
    };
    if slipway.is_some() && env_flag("SLIPWAY_DIFF_SELFCHECK").is_none() {
        probe_slipway();
    }
    let agent = cases
        .iter()
        .any(|c| !c.args.ssh.is_empty())
        .then(SshAgent::start)
        .flatten();
    let jobs: Vec<Job> = cases.iter().flat_map(|c| c.jobs()).collect();
    let cpus = std::thread::available_parallelism().map_or(2, |n| n.get());
    let workers: usize = std::env::var("SLIPWAY_DIFF_JOBS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or((2 * cpus).min(8))
        .max(1);
    say(&format!(
        "differential: {} cases, {} builds per frontend, {workers} at a time; slipway: {}",
        cases.len(),
        jobs.len(),
        slipway
            .as_deref()
            .unwrap_or("not available (builtin facts only)")
    ));

    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let reports = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..workers.min(jobs.len()) {
            s.spawn(|| {
                while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let r = run_job(job, slipway.is_some(), agent.as_ref());
                    reports.lock().expect("reports lock").push(r);
                }
            });
        }
    });
    let mut reports = reports.into_inner().expect("reports lock");
    reports.sort_by(|a, b| a.label.cmp(&b.label));

    let wall = start.elapsed();
    let mut slowest: Vec<&Report> = reports.iter().collect();
    slowest.sort_by_key(|r| std::cmp::Reverse(r.took));
    let slow: Vec<String> = slowest
        .iter()
        .take(5)
        .map(|r| format!("{} {:.1}s", r.label, r.took.as_secs_f64()))
        .collect();
    say(&format!(
        "differential: {} builds in {:.1}s wall ({:.1}s of build time); slowest: {}",
        reports.len(),
        wall.as_secs_f64(),
        reports.iter().map(|r| r.took.as_secs_f64()).sum::<f64>(),
        slow.join(", ")
    ));
    for r in reports.iter().filter(|r| r.skipped.is_some()) {
        say(&format!(
            "differential: skipped {}: {}",
            r.label,
            r.skipped.as_deref().unwrap_or_default()
        ));
    }
    let failed: Vec<&Report> = reports.iter().filter(|r| !r.problems.is_empty()).collect();
    if !failed.is_empty() {
        let mut msg = format!(
            "{} of {} builds have problems:\n",
            failed.len(),
            reports.len()
        );
        for r in failed {
            msg.push_str(&format!("\n[{}]\n", r.label));
            for p in r.problems.iter().take(60) {
                msg.push_str(&format!("  {p}\n"));
            }
            if r.problems.len() > 60 {
                msg.push_str(&format!("  ... {} more\n", r.problems.len() - 60));
            }
        }
        panic!("{msg}");
    }
}
