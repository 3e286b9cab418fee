//! The progress displays and the failure report, fed a constructed build:
//! the `StatusResponse`s a daemon sends for a small Dockerfile whose last
//! step fails (metadata lookups, a cached base image, a layer download
//! with byte counts, a context transfer, a warning, log lines split
//! across messages, an error). Plain and rawjson output, tty frames (with
//! an injected clock) and the miette failure report are snapshotted under
//! `snapshots/`.

use std::collections::BTreeMap;
use std::io::Write;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use base64::Engine;
use prost::Message;
use prost_types::{Any, Timestamp};

use slipway::buildkit::progress::{Printer, ProgressMode, decode_details};
use slipway::proto::control::{StatusResponse, Vertex, VertexLog, VertexStatus, VertexWarning};
use slipway::proto::google::rpc;
use slipway::proto::pb;

const DOCKERFILE: &str = "# syntax=docker/dockerfile:1
FROM alpine:3.20 AS build
COPY . /src
WORKDIR /src
RUN make && \\
    ./app --check
";

/// Base time of the build, in seconds since the epoch.
const T0: i64 = 1_700_000_000;

/// `ms` milliseconds after [`T0`].
fn at(ms: i64) -> Option<Timestamp> {
    Some(Timestamp {
        seconds: T0 + ms.div_euclid(1000),
        nanos: (ms.rem_euclid(1000) * 1_000_000) as i32,
    })
}

fn digest(n: u8) -> String {
    format!("sha256:{}", format!("{n:x}").repeat(64))
}

const RUN_ERROR: &str =
    "process \"/bin/sh -c make && ./app --check\" did not complete successfully: exit code: 2";

fn vertex(n: u8, name: &str, started: Option<i64>, completed: Option<i64>) -> Vertex {
    Vertex {
        digest: digest(n),
        name: name.to_owned(),
        started: started.and_then(at),
        completed: completed.and_then(at),
        ..Vertex::default()
    }
}

fn log(n: u8, ms: i64, text: &str) -> VertexLog {
    VertexLog {
        vertex: digest(n),
        timestamp: at(ms),
        stream: 1,
        msg: text.as_bytes().to_vec(),
    }
}

/// Sub-task `id` of vertex `n`, started with the vertex, as of `ms`.
fn task(n: u8, id: &str, current: i64, total: i64, ms: i64, done: Option<i64>) -> VertexStatus {
    let started = match n {
        3 => 45,
        5 | 6 => 1250,
        _ => 0,
    };
    VertexStatus {
        id: id.to_owned(),
        vertex: digest(n),
        current,
        total,
        timestamp: at(ms),
        started: at(started),
        completed: done.and_then(at),
        ..VertexStatus::default()
    }
}

const LOAD_DEF: &str = "[internal] load build definition from Dockerfile";
const METADATA: &str = "[internal] load metadata for docker.io/library/alpine:3.20";
const IGNORE: &str = "[internal] load .dockerignore";
const FROM: &str = "[build 1/4] FROM docker.io/library/alpine:3.20@sha256:beef";
const CONTEXT: &str = "[internal] load build context";
const COPY: &str = "[build 2/4] COPY . /src";
const WORKDIR: &str = "[build 3/4] WORKDIR /src";
const RUN: &str = "[build 4/4] RUN make &&     ./app --check";

/// The status messages of the build, in order.
fn build() -> Vec<StatusResponse> {
    let mut from_cached = vertex(4, WORKDIR, Some(2100), Some(2100));
    from_cached.cached = true;
    let mut run_failed = vertex(7, RUN, Some(2200), Some(3450));
    run_failed.error = RUN_ERROR.to_owned();
    vec![
        StatusResponse {
            vertexes: vec![vertex(1, LOAD_DEF, Some(0), None)],
            ..Default::default()
        },
        StatusResponse {
            vertexes: vec![vertex(1, LOAD_DEF, Some(0), Some(31))],
            statuses: vec![task(1, "transferring dockerfile:", 74, 0, 30, Some(30))],
            ..Default::default()
        },
        StatusResponse {
            vertexes: vec![vertex(2, METADATA, Some(40), None)],
            ..Default::default()
        },
        // Another vertex interrupts the open metadata lookup.
        StatusResponse {
            vertexes: vec![vertex(3, IGNORE, Some(45), Some(60))],
            statuses: vec![task(3, "transferring context:", 2, 0, 58, Some(58))],
            ..Default::default()
        },
        StatusResponse {
            vertexes: vec![vertex(2, METADATA, Some(40), Some(1240))],
            warnings: vec![VertexWarning {
                vertex: digest(2),
                level: 1,
                short: b"FromAsCasing: 'as' and 'FROM' keywords' casing do not match (line 2)"
                    .to_vec(),
                url: "https://docs.docker.com/go/dockerfile/rule/from-as-casing/".to_owned(),
                ..Default::default()
            }],
            ..Default::default()
        },
        StatusResponse {
            vertexes: vec![
                vertex(5, FROM, Some(1250), None),
                vertex(6, CONTEXT, Some(1250), None),
            ],
            statuses: vec![task(5, "sha256:c0ffee", 1_048_576, 3_400_000, 1300, None)],
            ..Default::default()
        },
        // Too little progress to print again.
        StatusResponse {
            statuses: vec![task(5, "sha256:c0ffee", 1_100_000, 3_400_000, 1400, None)],
            ..Default::default()
        },
        StatusResponse {
            vertexes: vec![vertex(6, CONTEXT, Some(1250), Some(1290))],
            statuses: vec![task(6, "transferring context:", 1234, 0, 1280, Some(1280))],
            ..Default::default()
        },
        StatusResponse {
            vertexes: vec![vertex(5, FROM, Some(1250), Some(2000))],
            statuses: vec![task(
                5,
                "sha256:c0ffee",
                3_400_000,
                3_400_000,
                1990,
                Some(1990),
            )],
            ..Default::default()
        },
        StatusResponse {
            vertexes: vec![
                vertex(8, COPY, Some(2000), Some(2090)),
                from_cached,
                vertex(7, RUN, Some(2200), None),
            ],
            ..Default::default()
        },
        // A line split across two messages, two lines in one.
        StatusResponse {
            logs: vec![log(7, 2300, "cc -o app main.c\nmain.c:3: warn")],
            ..Default::default()
        },
        StatusResponse {
            logs: vec![log(7, 2350, "ing: unused variable\n./app --check\n")],
            ..Default::default()
        },
        StatusResponse {
            logs: vec![log(7, 3400, "check failed: config <missing> & broken\n")],
            ..Default::default()
        },
        StatusResponse {
            vertexes: vec![run_failed],
            ..Default::default()
        },
    ]
}

/// A writer the test can read back.
#[derive(Clone, Default)]
struct Sink(Arc<Mutex<Vec<u8>>>);

impl Write for Sink {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

impl Sink {
    fn take(&self) -> String {
        String::from_utf8(std::mem::take(&mut *self.0.lock().unwrap())).unwrap()
    }
}

/// A clock the test moves; starts at [`T0`] plus `ms`.
fn clock(ms: Arc<AtomicI64>) -> Box<dyn Fn() -> SystemTime + Send> {
    Box::new(move || {
        UNIX_EPOCH
            + Duration::from_secs(T0 as u64)
            + Duration::from_millis(ms.load(Ordering::SeqCst) as u64)
    })
}

fn printer(mode: ProgressMode) -> (Printer, Sink) {
    let sink = Sink::default();
    let p = Printer::new(mode, Box::new(sink.clone()))
        .with_clock(clock(Arc::new(AtomicI64::new(0))))
        .with_screen(80, 24, false);
    (p, sink)
}

fn snapshot(name: &str, text: &str) {
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!(name, text);
    });
}

#[test]
fn plain_output_reads_like_buildx() {
    let (mut p, sink) = printer(ProgressMode::Plain);
    assert_eq!(p.mode(), ProgressMode::Plain);
    for s in build() {
        p.update(&s);
    }
    p.finish();
    snapshot("progress__plain", &sink.take());
    assert_eq!(p.warnings().len(), 1);
}

#[test]
fn rawjson_is_one_solve_status_per_line() {
    let (mut p, sink) = printer(ProgressMode::RawJson);
    let messages = build();
    for s in &messages {
        p.update(s);
    }
    let out = sink.take();
    assert_eq!(out.lines().count(), messages.len());
    for line in out.lines() {
        serde_json::from_str::<serde_json::Value>(line).expect("each line is JSON");
    }
    snapshot("progress__rawjson", &out);
}

#[test]
fn quiet_prints_nothing_but_still_keeps_logs() {
    let (mut p, sink) = printer(ProgressMode::Quiet);
    for s in build() {
        p.update(&s);
    }
    p.finish();
    assert_eq!(sink.take(), "");
    let run = &p.trace().vertices[&digest(7)];
    assert_eq!(
        run.last_log_lines(),
        [
            "0.100 cc -o app main.c",
            "0.100 main.c:3: warning: unused variable",
            "0.150 ./app --check",
            "1.200 check failed: config <missing> & broken",
        ]
    );
}

#[test]
fn progress_groups_show_as_one_step() {
    // COPY --link: a weak copy and the merge that shows, in one group.
    let group = |weak| {
        Some(pb::ProgressGroup {
            id: "pg-copy".to_owned(),
            name: "[build 2/2] COPY --link app /app".to_owned(),
            weak,
        })
    };
    let mut copy = vertex(1, "copy app /app", Some(0), None);
    copy.progress_group = group(true);
    let mut copy_done = vertex(1, "copy app /app", Some(0), Some(300));
    copy_done.progress_group = group(true);
    let mut merge = vertex(2, "[build 2/2] LINK COPY app /app", Some(400), Some(600));
    merge.progress_group = group(false);
    let messages = [
        StatusResponse {
            vertexes: vec![copy],
            ..Default::default()
        },
        StatusResponse {
            vertexes: vec![copy_done],
            logs: vec![log(1, 200, "copied 3 files\n")],
            ..Default::default()
        },
        StatusResponse {
            vertexes: vec![merge],
            ..Default::default()
        },
    ];
    let (mut p, sink) = printer(ProgressMode::Plain);
    p.update(&messages[0]);
    p.update(&messages[1]);
    // Only the weak member has run: nothing shows yet.
    assert_eq!(sink.take(), "");
    p.update(&messages[2]);
    assert_eq!(
        sink.take(),
        "#1 [build 2/2] COPY --link app /app\n#1 0.200 copied 3 files\n#1 DONE 0.5s\n"
    );
    // The member's digest finds the group, for the failure report.
    assert_eq!(
        p.trace().lookup(&digest(2)).map(|v| v.vertex.name.as_str()),
        Some("[build 2/2] COPY --link app /app")
    );
}

#[test]
fn modes_parse_and_auto_follows_the_terminal() {
    assert_eq!("rawjson".parse(), Ok(ProgressMode::RawJson));
    assert_eq!("tty".parse(), Ok(ProgressMode::Tty));
    assert_eq!(
        "fancy".parse::<ProgressMode>().unwrap_err().to_string(),
        "invalid progress mode `fancy`"
    );
    assert_eq!(ProgressMode::Auto.resolve(true), ProgressMode::Tty);
    assert_eq!(ProgressMode::Auto.resolve(false), ProgressMode::Plain);
    assert_eq!(ProgressMode::Quiet.resolve(true), ProgressMode::Quiet);
}

#[test]
fn tty_redraws_in_place_and_throttles() {
    let sink = Sink::default();
    let now = Arc::new(AtomicI64::new(0));
    let mut p = Printer::new(ProgressMode::Tty, Box::new(sink.clone()))
        .with_clock(clock(now.clone()))
        .with_screen(72, 24, false);
    let mut frames = Vec::new();
    for (i, s) in build().iter().enumerate() {
        // The local clock runs 5 s ahead of the daemon's; each message
        // arrives 60 ms after the previous one.
        now.store(5000 + 60 * i as i64, Ordering::SeqCst);
        p.update(s);
        let frame = sink.take();
        frames.push(format!(
            "--- message {i} ---\n{}",
            frame.replace('\x1b', "␛")
        ));
    }
    now.store(5000 + 60 * 14 + 500, Ordering::SeqCst);
    p.finish();
    frames.push(format!(
        "--- finish ---\n{}",
        sink.take().replace('\x1b', "␛")
    ));
    let all = frames.join("\n");
    // Every other message falls inside the 100 ms throttle.
    assert!(all.contains("--- message 1 ---\n\n--- message 2"), "{all}");
    snapshot("progress__tty", &all);
}

/// An `Any` the way BuildKit's grpcerrors packs a typed error: Go JSON
/// under the registered type URL.
fn detail(name: &str, json: serde_json::Value) -> Any {
    Any {
        type_url: format!("github.com/moby/buildkit/{name}+json"),
        value: serde_json::to_vec(&json).unwrap(),
    }
}

fn failed_status(details: Vec<Any>) -> tonic::Status {
    let st = rpc::Status {
        code: tonic::Code::Unknown as i32,
        message: RUN_ERROR.to_owned(),
        details,
    };
    tonic::Status::with_details(tonic::Code::Unknown, RUN_ERROR, st.encode_to_vec().into())
}

fn run_details() -> Vec<Any> {
    let data = base64::engine::general_purpose::STANDARD.encode(DOCKERFILE);
    vec![
        detail(
            "stack.Stack+json",
            serde_json::json!({"frames": [{"Name": "main"}]}),
        )
        .clone(),
        detail("errdefs.Vertex", serde_json::json!({"digest": digest(7)})),
        detail(
            "errdefs.Source",
            serde_json::json!({
                "info": {"filename": "Dockerfile", "data": data, "language": "Dockerfile"},
                "ranges": [{"start": {"line": 5}, "end": {"line": 6}}]
            }),
        ),
        detail("gatewayapi.ExitMessage", serde_json::json!({"Code": 2})),
        detail(
            "errdefs.Solve",
            serde_json::json!({
                "inputIDs": ["a"],
                "op": {"Op": {"exec": {"meta": {"args": ["/bin/sh", "-c", "make && ./app --check"]}}}},
                "description": {"llb.customname": RUN}
            }),
        ),
    ]
}

#[test]
fn error_details_decode() {
    let mut details = run_details();
    // A second copy of the same source (frontend and solver both attach
    // one) is kept once; an unknown detail is skipped.
    details.push(details[2].clone());
    details.push(Any {
        type_url: "example.com/Unknown".to_owned(),
        value: vec![1, 2, 3],
    });
    let d = decode_details(&failed_status(details));
    assert_eq!(d.message, RUN_ERROR);
    assert_eq!(d.vertex.as_deref(), Some(digest(7).as_str()));
    assert_eq!(d.exit_code, Some(2));
    assert_eq!(d.sources.len(), 1);
    assert_eq!(d.sources[0].filename, "Dockerfile");
    assert_eq!(d.sources[0].data, DOCKERFILE.as_bytes());
    assert_eq!(d.sources[0].lines, [(5, 6)]);
    assert_eq!(
        d.command,
        Some(vec![
            "/bin/sh".into(),
            "-c".into(),
            "make && ./app --check".into()
        ])
    );
    assert_eq!(
        d.description.get("llb.customname").map(String::as_str),
        Some(RUN)
    );

    // Protobuf-encoded details work too.
    let proto = vec![
        Any {
            type_url: "type.googleapis.com/errdefs.Vertex".to_owned(),
            value: slipway::proto::errdefs::Vertex { digest: digest(9) }.encode_to_vec(),
        },
        Any {
            type_url: "type.googleapis.com/errdefs.Source".to_owned(),
            value: slipway::proto::errdefs::Source {
                info: Some(pb::SourceInfo {
                    filename: "Dockerfile".into(),
                    data: b"FROM x\n".to_vec(),
                    ..Default::default()
                }),
                ranges: vec![pb::Range {
                    start: Some(pb::Position {
                        line: 1,
                        character: 0,
                    }),
                    end: Some(pb::Position {
                        line: 1,
                        character: 6,
                    }),
                }],
            }
            .encode_to_vec(),
        },
    ];
    let d = decode_details(&failed_status(proto));
    assert_eq!(d.vertex.as_deref(), Some(digest(9).as_str()));
    assert_eq!(d.sources[0].lines, [(1, 1)]);
}

fn printer_after_build() -> Printer {
    let (mut p, _sink) = printer(ProgressMode::Quiet);
    for s in build() {
        p.update(&s);
    }
    p
}

#[test]
fn failure_report_quotes_the_step_and_its_output() {
    let p = printer_after_build();
    let report = p.failure_report(&failed_status(run_details()), None);
    snapshot("progress__failure_report", &report);
}

#[test]
fn failure_report_falls_back_to_the_source_map() {
    let p = printer_after_build();
    let details = vec![
        detail("errdefs.Vertex", serde_json::json!({"digest": digest(7)})),
        detail("gatewayapi.ExitMessage", serde_json::json!({"Code": 2})),
    ];
    let map = pb::Source {
        locations: BTreeMap::from([(
            digest(7),
            pb::Locations {
                locations: vec![pb::Location {
                    source_index: 0,
                    ranges: vec![pb::Range {
                        start: Some(pb::Position {
                            line: 5,
                            character: 0,
                        }),
                        end: Some(pb::Position {
                            line: 6,
                            character: 0,
                        }),
                    }],
                }],
            },
        )]),
        infos: vec![pb::SourceInfo {
            filename: "Dockerfile".into(),
            data: DOCKERFILE.as_bytes().to_vec(),
            ..Default::default()
        }],
    };
    let with_map = p.failure_report(&failed_status(details.clone()), Some(&map));
    let with_source = p.failure_report(&failed_status(run_details()), None);
    assert_eq!(with_map, with_source);
}

#[test]
fn failure_report_without_details() {
    let p = printer_after_build();
    // No details at all: the failing vertex is the one that reported an
    // error, and its output is still shown.
    let report = p.failure_report(&tonic::Status::unknown(RUN_ERROR), None);
    snapshot("progress__failure_report_bare", &report);
    // Nothing known about the build: just the message.
    let (empty, _) = printer(ProgressMode::Quiet);
    let report = empty.failure_report(&tonic::Status::unavailable("connection refused"), None);
    assert_eq!(
        report,
        "slipway::buildkit::build_failed\n\n  × connection refused\n"
    );
}

/// Status messages from a daemon are protocol input: no sequence of them,
/// however odd (extreme times, unknown vertices, broken UTF-8, control
/// bytes), makes a display panic or break its format.
mod hostile_messages {
    use super::*;
    use proptest::prelude::*;

    fn timestamp() -> impl Strategy<Value = Option<Timestamp>> {
        prop_oneof![
            Just(None),
            (0i64..5, 0i32..1_000_000_000).prop_map(|(s, n)| Some(Timestamp {
                seconds: T0 + s,
                nanos: n
            })),
            prop_oneof![Just(i64::MIN), Just(i64::MAX), Just(-1), Just(0)].prop_map(|s| Some(
                Timestamp {
                    seconds: s,
                    nanos: 0
                }
            )),
        ]
    }

    fn message() -> impl Strategy<Value = StatusResponse> {
        let name = "[ -~\\t\\n\u{e9}\u{1F600}]{0,12}";
        let vertexes = proptest::collection::vec(
            (
                0u8..4,
                name,
                timestamp(),
                timestamp(),
                any::<bool>(),
                "[a-z:]{0,6}",
                // Some vertices belong to one of two progress groups.
                proptest::option::of((0u8..2, any::<bool>())),
            )
                .prop_map(|(n, name, started, completed, cached, error, group)| {
                    Vertex {
                        digest: digest(n),
                        name,
                        started,
                        completed,
                        cached,
                        error,
                        progress_group: group.map(|(g, weak)| pb::ProgressGroup {
                            id: format!("group-{g}"),
                            name: format!("group {g}"),
                            weak,
                        }),
                        ..Vertex::default()
                    }
                }),
            0..3,
        );
        let statuses = proptest::collection::vec(
            (
                0u8..5,
                "[a-z ]{0,5}",
                any::<i64>(),
                any::<i64>(),
                timestamp(),
                timestamp(),
            )
                .prop_map(|(n, id, current, total, ts, started)| VertexStatus {
                    id,
                    vertex: digest(n),
                    current,
                    total,
                    timestamp: ts,
                    started,
                    completed: None,
                    ..VertexStatus::default()
                }),
            0..2,
        );
        let logs = proptest::collection::vec(
            (
                0u8..5,
                proptest::collection::vec(any::<u8>(), 0..20),
                timestamp(),
            )
                .prop_map(|(n, msg, ts)| VertexLog {
                    vertex: digest(n),
                    timestamp: ts,
                    stream: 2,
                    msg,
                }),
            0..3,
        );
        let warnings = proptest::collection::vec(
            (0u8..5, proptest::collection::vec(any::<u8>(), 0..10)).prop_map(|(n, short)| {
                VertexWarning {
                    vertex: digest(n),
                    short,
                    ..VertexWarning::default()
                }
            }),
            0..2,
        );
        (vertexes, statuses, logs, warnings).prop_map(|(vertexes, statuses, logs, warnings)| {
            StatusResponse {
                vertexes,
                statuses,
                logs,
                warnings,
            }
        })
    }

    /// `text` without CSI escape sequences and carriage returns.
    fn strip_escapes(text: &str) -> String {
        let mut out = String::new();
        let mut chars = text.chars();
        while let Some(c) = chars.next() {
            match c {
                '\x1b' => {
                    for c in chars.by_ref() {
                        if c != '[' && ('\x40'..='\x7e').contains(&c) {
                            break;
                        }
                    }
                }
                '\r' => {}
                c => out.push(c),
            }
        }
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 200,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        #[test]
        fn displays_keep_their_format(messages in proptest::collection::vec(message(), 0..12)) {
            for mode in [ProgressMode::Plain, ProgressMode::RawJson, ProgressMode::Tty] {
                let (mut p, sink) = printer(mode);
                for m in &messages {
                    p.update(m);
                }
                p.tick();
                p.finish();
                let out = sink.take();
                match mode {
                    ProgressMode::Plain => {
                        // Log text may hold carriage returns and other
                        // control bytes but never a newline of its own.
                        for line in out.lines() {
                            prop_assert!(line.is_empty() || line.starts_with('#'), "{line:?}");
                        }
                    }
                    ProgressMode::RawJson => {
                        prop_assert_eq!(out.lines().count(), messages.len());
                        for line in out.lines() {
                            prop_assert!(serde_json::from_str::<serde_json::Value>(line).is_ok());
                        }
                    }
                    _ => {
                        prop_assert!(out.contains("[+] Building"));
                        // Without the display's own escape sequences, no
                        // line is wider than the screen.
                        for line in strip_escapes(&out).lines() {
                            prop_assert!(line.chars().count() <= 80, "{line:?}");
                        }
                    }
                }
                let report = p.failure_report(&tonic::Status::unknown("boom"), None);
                prop_assert!(report.contains("boom"));
            }
        }
    }
}
