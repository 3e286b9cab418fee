//! How `slipway build` fails: each failure has its exit code (2 for a
//! daemon that is not there, an unsupported address or a missing context;
//! 1 for a failing RUN; 130 for Ctrl-C), a diagnostic that fits on one
//! screen, and leaves nothing at or beside the `-o type=oci,dest=` path.
//! An interrupted build stops quickly and its RUN process ends in the
//! daemon too.

#[allow(unused_imports)] // `support::build` re-exports what other suites use
mod support;

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use support::slipway_build::{
    Run, TempDir, dir_names, docker_addr, report_line, run_slipway, slipway, strip_ansi,
};

/// Lines a diagnostic may take (a terminal's height).
const SCREEN: usize = 24;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/build")
        .join(name)
}

/// Runs `slipway build ARGS… -o type=oci,dest=OUT/image.tar CONTEXT` with
/// quiet progress and checks OUT (created empty beforehand) stays empty.
fn failing_build(addr: &str, context: &Path) -> Run {
    let out = TempDir::new("errors-out");
    let dest = out.join("image.tar");
    let args: Vec<String> = vec![
        "build".into(),
        "--addr".into(),
        addr.into(),
        "--progress".into(),
        "quiet".into(),
        "-o".into(),
        format!("type=oci,dest={}", dest.display()),
        context.display().to_string(),
    ];
    let run = run_slipway(&args, &[]);
    assert_eq!(
        dir_names(&out.path),
        Vec::<String>::new(),
        "a failed build left files beside {}:\n{}",
        dest.display(),
        run.show()
    );
    run
}

fn assert_one_screen(run: &Run) {
    let n = run.stderr.lines().count();
    assert!(
        (1..=SCREEN).contains(&n),
        "stderr should be a diagnostic of 1..={SCREEN} lines, is {n}:\n{}",
        run.show()
    );
}

#[test]
fn no_daemon_at_the_address_exits_2() {
    let run = failing_build("unix:///nonexistent.sock", &fixture("image"));
    assert_eq!(run.status, Some(2), "{}", run.show());
    assert_one_screen(&run);
    assert!(
        run.stderr.contains("/nonexistent.sock"),
        "the error names the address:\n{}",
        run.show()
    );
    // Also through the Docker engine transport.
    let run = failing_build("docker+unix:///nonexistent.sock", &fixture("image"));
    assert_eq!(run.status, Some(2), "{}", run.show());
    assert_one_screen(&run);
    assert!(run.stderr.contains("/nonexistent.sock"), "{}", run.show());
}

#[test]
fn unsupported_address_exits_2() {
    let run = failing_build("ftp://x", &fixture("image"));
    assert_eq!(run.status, Some(2), "{}", run.show());
    assert_one_screen(&run);
    assert!(
        run.stderr.contains("ftp://x") && run.stderr.contains("unix://"),
        "the error names the address and what is supported:\n{}",
        run.show()
    );
}

#[test]
fn missing_context_exits_2() {
    let tmp = TempDir::new("no-context");
    let missing = tmp.join("no-such-context");
    let run = failing_build(&docker_addr(), &missing);
    assert_eq!(run.status, Some(2), "{}", run.show());
    assert_one_screen(&run);
    assert!(
        run.stderr.contains(&missing.display().to_string()),
        "the error names the context path:\n{}",
        run.show()
    );
}

#[test]
fn failing_run_exits_1_and_quotes_the_line_and_output() {
    let run = failing_build(&docker_addr(), &fixture("fail-run"));
    assert_eq!(run.status, Some(1), "{}", run.show());
    assert_one_screen(&run);
    assert_eq!(
        report_line(&run.stderr, "Dockerfile"),
        Some(3),
        "the report points at line 3:\n{}",
        run.show()
    );
    for text in [
        r#"RUN echo "some output here" && echo on-stderr >&2 && exit 3"#,
        "some output here",
        "on-stderr",
        "exit code: 3",
    ] {
        assert!(
            run.stderr.contains(text),
            "the report lacks {text:?}:\n{}",
            run.show()
        );
    }
}

/// The pids whose command line contains `needle`.
fn processes_with(needle: &str) -> Vec<u32> {
    let mut found = Vec::new();
    let Ok(rd) = std::fs::read_dir("/proc") else {
        return found;
    };
    for e in rd.filter_map(|e| e.ok()) {
        let Ok(pid) = e.file_name().to_string_lossy().parse::<u32>() else {
            continue;
        };
        if pid == std::process::id() {
            continue;
        }
        if let Ok(cmd) = std::fs::read(e.path().join("cmdline"))
            && String::from_utf8_lossy(&cmd).contains(needle)
        {
            found.push(pid);
        }
    }
    found
}

fn wait_for(what: &str, limit: Duration, mut f: impl FnMut() -> bool) {
    let start = Instant::now();
    while !f() {
        assert!(
            start.elapsed() < limit,
            "timed out after {limit:?} waiting for {what}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

#[test]
fn interrupt_exits_130_quickly_and_cancels_the_build() {
    let ctx = TempDir::new("interrupt");
    // A word unique to this run: no cache hit, and its process is findable.
    let nanos = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let nonce = format!("slipway-interrupt-{}-{nanos}", std::process::id());
    ctx.write(
        "Dockerfile",
        format!("FROM busybox:local\nRUN sleep 30 && echo {nonce}\n"),
    );
    let out = TempDir::new("interrupt-out");
    let dest = out.join("image.tar");
    let _slot = support::slipway_build::BuildSlot::acquire();
    let mut child = slipway()
        .args(["build", "--addr", &docker_addr(), "--progress", "plain"])
        .arg("-o")
        .arg(format!("type=oci,dest={}", dest.display()))
        .arg(&ctx.path)
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn slipway build");
    let stderr = child.stderr.take().expect("stderr piped");
    let (tx, rx) = mpsc::channel::<String>();
    let reader = std::thread::spawn(move || {
        let mut all = String::new();
        for line in BufReader::new(stderr).lines().map_while(Result::ok) {
            let _ = tx.send(line.clone());
            all.push_str(&line);
            all.push('\n');
        }
        all
    });
    // The step header shows in plain progress when the RUN starts.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let left = deadline.saturating_duration_since(Instant::now());
        match rx.recv_timeout(left) {
            Ok(l) if strip_ansi(&l).contains("RUN sleep 30") => break,
            Ok(_) => {}
            Err(e) => {
                let _ = child.kill();
                let _ = child.wait();
                panic!("the RUN step never started ({e})");
            }
        }
    }
    let needle = format!("echo {nonce}");
    wait_for(
        "the RUN process in the daemon",
        Duration::from_secs(20),
        || !processes_with(&needle).is_empty(),
    );
    let sent = Instant::now();
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .expect("run kill");
    assert!(kill.success(), "kill -INT failed");
    let mut status = None;
    while sent.elapsed() < Duration::from_secs(15) {
        if let Some(s) = child.try_wait().expect("wait slipway") {
            status = Some(s);
            break;
        }
        std::thread::sleep(Duration::from_millis(20));
    }
    let Some(status) = status else {
        let _ = child.kill();
        let _ = child.wait();
        panic!("slipway still runs 15 s after SIGINT");
    };
    let took = sent.elapsed();
    let text = strip_ansi(&reader.join().expect("stderr reader"));
    assert_eq!(
        status.code(),
        Some(130),
        "exit status after SIGINT:\n{text}"
    );
    assert!(
        took < Duration::from_secs(5),
        "slipway took {took:?} to stop after SIGINT"
    );
    assert!(
        text.contains("interrupted"),
        "stderr does not say the build was interrupted:\n{text}"
    );
    wait_for(
        "the daemon to stop the RUN process",
        Duration::from_secs(10),
        || processes_with(&needle).is_empty(),
    );
    // A little later, no export sneaks in either.
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        dir_names(&out.path),
        Vec::<String>::new(),
        "an interrupted build left files beside {}",
        dest.display()
    );
}
