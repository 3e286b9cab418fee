//! The differential cases (`tests/differential/`) built by `slipway build`
//! itself: each case is built with BuildKit's built-in Dockerfile frontend
//! through `docker buildx build` on the classic engine, and with `slipway
//! build --addr docker+unix://… -o type=oci,dest=…` on the containerd-store
//! engine (slipway's frontend in-process, the context through slipway's
//! session). The two images must be equal (files, modes, owners, sizes,
//! contents, config); a case that fails must fail in both, with slipway's
//! report pointing at the same Dockerfile line as buildx's.
//!
//! `SLIPWAY_DIFF_CASES=a,b` runs only the cases whose names contain one of
//! the words; `SLIPWAY_DIFF_HISTORY=1` also compares history.

#[allow(unused_imports)] // `support::build` re-exports what other suites use
mod support;

use std::path::Path;
use std::sync::Mutex;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use support::build::{self, BuildFailure, Frontend, Outcome, SshAgent};
use support::case::{Job, load_cases};
use support::diff::{DiffOptions, diff_with};
use support::expect::{builtin_lacks, check};
use support::image::Image;
use support::slipway_build::{MAX_BUILDS, TempDir, docker_addr, report_line, run_slipway};

/// Every case must be built; the suite has at least this many.
const MIN_CASES: usize = 80;

fn env_flag(name: &str) -> Option<String> {
    std::env::var(name)
        .ok()
        .filter(|v| !v.is_empty() && v != "0")
}

/// A path given relative to the case directory, made absolute.
fn in_case(dir: &Path, value: &str) -> String {
    if value.starts_with('/') {
        value.to_string()
    } else {
        dir.join(value).display().to_string()
    }
}

/// The `slipway build` arguments for a job (output flags included).
fn slipway_args(job: &Job, dest: &Path) -> Vec<String> {
    let a = &job.case.args;
    let dir = &job.case.dir;
    let mut v: Vec<String> = vec![
        "build".into(),
        "--addr".into(),
        docker_addr(),
        "--progress".into(),
        "plain".into(),
        "-o".into(),
        format!("type=oci,dest={}", dest.display()),
    ];
    if let Some(f) = &a.dockerfile {
        v.extend(["-f".into(), in_case(dir, f)]);
    }
    for (k, val) in &a.build_args {
        v.extend(["--build-arg".into(), format!("{k}={val}")]);
    }
    if let Some(t) = &a.target {
        v.extend(["--target".into(), t.clone()]);
    }
    if let Some(p) = &job.platform {
        v.extend(["--platform".into(), p.clone()]);
    }
    for (name, value) in &a.contexts {
        let value = if value.contains("://") {
            value.clone()
        } else {
            in_case(dir, value)
        };
        v.extend(["--build-context".into(), format!("{name}={value}")]);
    }
    for s in &a.secrets {
        let s: Vec<String> = s
            .split(',')
            .map(
                |f| match f.strip_prefix("src=").or_else(|| f.strip_prefix("source=")) {
                    Some(p) => format!("src={}", in_case(dir, p)),
                    None => f.to_string(),
                },
            )
            .collect();
        v.extend(["--secret".into(), s.join(",")]);
    }
    for s in &a.ssh {
        v.extend(["--ssh".into(), s.clone()]);
    }
    v.push(dir.display().to_string());
    v
}

/// Builds a job with `slipway build`; `Err` is a harness problem.
fn slipway_build(job: &Job, agent: Option<&SshAgent>) -> Result<(Outcome, Duration), String> {
    let out = TempDir::new("diff");
    let dest = out.join("image.tar");
    let mut env = job.case.args.env.clone();
    if let Some(a) = agent.filter(|_| !job.case.args.ssh.is_empty()) {
        env.push(("SSH_AUTH_SOCK".into(), a.socket.clone()));
    }
    let run = run_slipway(&slipway_args(job, &dest), &env);
    if run.ok() {
        let bytes = std::fs::read(&dest)
            .map_err(|e| format!("slipway exited 0 but {}: {e}", dest.display()))?;
        let img = Image::from_tarball(&bytes).map_err(|e| format!("slipway's archive: {e}"))?;
        return Ok((Outcome::Built(Box::new(img)), run.took));
    }
    let name = job.case.args.dockerfile.as_deref().unwrap_or("Dockerfile");
    let name = Path::new(name)
        .file_name()
        .map_or(name.to_string(), |n| n.to_string_lossy().into_owned());
    let line = report_line(&run.stderr, &name);
    let left = support::slipway_build::dir_names(&out.path);
    if !left.is_empty() {
        return Err(format!("the failed build left {left:?} beside the output"));
    }
    Ok((
        Outcome::Failed(BuildFailure {
            status: run.status,
            stderr: run.stderr,
            line,
        }),
        run.took,
    ))
}

fn tail(text: &str, n: usize) -> Vec<String> {
    let lines: Vec<&str> = text.lines().collect();
    lines[lines.len().saturating_sub(n)..]
        .iter()
        .map(|l| format!("    | {l}"))
        .collect()
}

/// What differs between the built-in result and slipway's.
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
        (Outcome::Built(a), Outcome::Built(b)) => diff_with(a, b, &opts),
        (Outcome::Failed(a), Outcome::Failed(b)) => {
            let mut v = Vec::new();
            if a.line != b.line {
                v.push(format!(
                    "both fail, but buildx points at line {:?} and slipway's report at {:?}",
                    a.line, b.line
                ));
                v.extend(tail(&b.stderr, 16));
            }
            if b.status != Some(1) {
                v.push(format!(
                    "slipway exits {:?} for a build error (want 1)",
                    b.status
                ));
                v.extend(tail(&b.stderr, 8));
            }
            v
        }
        (Outcome::Failed(a), Outcome::Built(_)) => {
            vec![format!(
                "slipway built an image; buildx fails: {}",
                a.message()
            )]
        }
        (Outcome::Built(_), Outcome::Failed(b)) => {
            let mut v = vec![format!(
                "slipway fails (exit {:?}); buildx builds",
                b.status
            )];
            v.extend(tail(&b.stderr, 20));
            v
        }
    }
}

/// Builds one job both ways: the problems, slipway's build time, and
/// whether both builds failed.
fn run_job(job: &Job, agent: Option<&SshAgent>) -> (Vec<String>, Duration, bool) {
    let mut builtin_req = job.request(Frontend::Builtin);
    if let Some(a) = agent.filter(|_| !job.case.args.ssh.is_empty()) {
        builtin_req
            .env
            .push(("SSH_AUTH_SOCK".into(), a.socket.clone()));
    }
    let builtin = match build::build_cached(&builtin_req) {
        Ok(o) => o,
        Err(e) => {
            return (
                vec![format!("harness (buildx): {e}")],
                Duration::ZERO,
                false,
            );
        }
    };
    let (slipway, took) = match slipway_build(job, agent) {
        Ok(r) => r,
        Err(e) => {
            return (
                vec![format!("harness (slipway): {e}")],
                Duration::ZERO,
                false,
            );
        }
    };
    let facts: Vec<_> = job.facts().collect();
    let problems = if builtin_lacks(facts.iter().copied()).is_some() {
        // The engine's frontend predates the feature: slipway must meet the facts.
        check(facts.iter().copied(), &slipway)
    } else {
        compare(job, &builtin, &slipway)
    };
    let failed = matches!(
        (&*builtin, &slipway),
        (Outcome::Failed(_), Outcome::Failed(_))
    );
    (problems, took, failed)
}

#[test]
fn every_differential_case_builds_through_slipway_build_like_buildx() {
    build::engine().unwrap_or_else(|msg| panic!("{msg}"));
    support::slipway_build::host_or_panic();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/differential");
    let mut cases =
        load_cases(&root).unwrap_or_else(|errs| panic!("bad cases:\n  {}", errs.join("\n  ")));
    if let Some(f) = env_flag("SLIPWAY_DIFF_CASES") {
        cases.retain(|c| f.split(',').any(|w| c.name.contains(w.trim())));
        assert!(!cases.is_empty(), "SLIPWAY_DIFF_CASES={f} matches no case");
    } else {
        assert!(cases.len() >= MIN_CASES, "only {} cases", cases.len());
    }
    let agent = if cases.iter().any(|c| !c.args.ssh.is_empty()) {
        Some(SshAgent::start().expect("cannot start ssh-agent (scripts/install-deps installs it)"))
    } else {
        None
    };
    let jobs: Vec<Job> = cases.iter().flat_map(|c| c.jobs()).collect();
    let start = Instant::now();
    let next = AtomicUsize::new(0);
    let both_failed = AtomicUsize::new(0);
    let reports = Mutex::new(Vec::new());
    std::thread::scope(|s| {
        for _ in 0..MAX_BUILDS.min(jobs.len()) {
            s.spawn(|| {
                while let Some(job) = jobs.get(next.fetch_add(1, Ordering::Relaxed)) {
                    let (problems, took, failed) = run_job(job, agent.as_ref());
                    if failed {
                        both_failed.fetch_add(1, Ordering::Relaxed);
                    }
                    reports
                        .lock()
                        .expect("reports lock")
                        .push((job.label(), problems, took));
                }
            });
        }
    });
    let mut reports = reports.into_inner().expect("reports lock");
    reports.sort_by(|a, b| a.0.cmp(&b.0));
    let slowest = reports.iter().max_by_key(|r| r.2);
    eprintln!(
        "build_differential: {} builds ({} expected failures) in {:.1}s; slowest slipway build: {}",
        reports.len(),
        both_failed.load(Ordering::Relaxed),
        start.elapsed().as_secs_f64(),
        slowest.map_or(String::new(), |r| format!(
            "{} {:.1}s",
            r.0,
            r.2.as_secs_f64()
        ))
    );
    let failed: Vec<_> = reports.iter().filter(|r| !r.1.is_empty()).collect();
    if !failed.is_empty() {
        let mut msg = format!(
            "{} of {} builds differ between buildx and slipway build:\n",
            failed.len(),
            reports.len()
        );
        for (label, problems, _) in failed {
            msg.push_str(&format!("\n[{label}]\n"));
            for p in problems.iter().take(40) {
                msg.push_str(&format!("  {p}\n"));
            }
            if problems.len() > 40 {
                msg.push_str(&format!("  ... {} more\n", problems.len() - 40));
            }
        }
        panic!("{msg}");
    }
}
