//! The typed instruction layer (`syntax::instructions`): what each
//! instruction becomes, every error with its exact code, message and span,
//! and snapshots of the JSON and of rendered diagnostics.
//!
//! Expected values are JSON with every range replaced by the source text it
//! covers, and a `{"value", "range"}` pair whose value is exactly that text
//! collapsed to the text itself, so the tables read like the Dockerfile.

use serde_json::{Map, Value, json};
use slipway::diagnostics::{Diagnostic, Severity};
use slipway::syntax::instructions::{Dockerfile, parse_instructions};
use slipway::syntax::parse;
use slipway::syntax::text::LineIndex;

/// Parses and lowers; returns the parser's diagnostics followed by ours.
fn lower(src: &str) -> (Dockerfile, Vec<Diagnostic>) {
    let parsed = parse(src);
    let (file, diags) = parse_instructions(&parsed.tree);
    let mut all = parsed.diagnostics;
    all.extend(diags);
    (file, all)
}

/// Replaces ranges by the text they cover (see the module doc).
fn view(src: &str, v: Value) -> Value {
    match v {
        Value::Object(map) => {
            if let (2, Some(start), Some(end)) = (
                map.len(),
                map.get("start").and_then(Value::as_u64),
                map.get("end").and_then(Value::as_u64),
            ) {
                return Value::String(src[start as usize..end as usize].to_owned());
            }
            let map: Map<String, Value> = map.into_iter().map(|(k, v)| (k, view(src, v))).collect();
            if map.len() == 2
                && map.get("value").is_some_and(Value::is_string)
                && map.get("value") == map.get("range")
            {
                return map["value"].clone();
            }
            Value::Object(map)
        }
        Value::Array(items) => Value::Array(items.into_iter().map(|v| view(src, v)).collect()),
        other => other,
    }
}

fn without_range(mut v: Value) -> Value {
    if let Value::Object(map) = &mut v {
        map.remove("range");
    }
    v
}

fn no_diagnostics(src: &str, diags: &[Diagnostic]) {
    assert!(
        diags.is_empty(),
        "{src:?}: unexpected diagnostics {diags:#?}"
    );
}

/// The last instruction of the last stage, as a view without its own range.
fn check_instruction(src: &str, expected: Value) {
    let (file, diags) = lower(src);
    no_diagnostics(src, &diags);
    let stage = file.stages.last().expect("a stage");
    let last = stage.instructions.last().expect("an instruction");
    let got = without_range(view(src, serde_json::to_value(last).expect("serializes")));
    assert_eq!(got, expected, "{src:?}");
}

#[test]
fn instructions() {
    let f = "FROM a\n";
    let cases: Vec<(String, Value)> = vec![
        (
            format!("{f}RUN echo hi\n"),
            json!({"kind": "run", "command": {"form": "shell", "value": "echo hi"},
            "files": [], "mounts": [], "network": null, "security": null, "devices": []}),
        ),
        (
            format!("{f}RUN [\"echo\", \"hi\"]\n"),
            json!({"kind": "run", "command": {"form": "exec", "value": [
            {"value": "echo", "range": "\"echo\""}, {"value": "hi", "range": "\"hi\""}]},
            "files": [], "mounts": [], "network": null, "security": null, "devices": []}),
        ),
        (
            format!(
                "{f}RUN --mount=type=cache,target=/c --mount=from=b,target=/x --network=none --security=insecure make\n"
            ),
            json!({"kind": "run", "command": {"form": "shell", "value": "make"}, "files": [],
            "mounts": [{"value": "type=cache,target=/c", "from": null}, {"value": "from=b,target=/x", "from": "b"}],
            "network": {"value": "none", "range": "--network=none"},
            "security": {"value": "insecure", "range": "--security=insecure"}, "devices": []}),
        ),
        (
            format!("{f}RUN <<EOF\necho hi\nEOF\n"),
            json!({"kind": "run", "command": {"form": "shell", "value": "<<EOF"},
            "files": [{"name": "EOF", "content": "echo hi\n", "chomp": false, "body_range": "echo hi\n"}],
            "mounts": [], "network": null, "security": null, "devices": []}),
        ),
        (
            format!("{f}RUN\n"),
            json!({"kind": "run", "command": {"form": "shell", "value": ""},
            "files": [], "mounts": [], "network": null, "security": null, "devices": []}),
        ),
        (
            format!("{f}CMD echo $HOME\n"),
            json!({"kind": "cmd", "command": {"form": "shell", "value": "echo $HOME"}}),
        ),
        (
            format!("{f}CMD []\n"),
            json!({"kind": "cmd", "command": {"form": "exec", "value": []}}),
        ),
        (
            format!("{f}ENTRYPOINT [\"/app\"]\n"),
            json!({"kind": "entrypoint", "command": {"form": "exec",
            "value": [{"value": "/app", "range": "\"/app\""}]}}),
        ),
        (
            format!("{f}SHELL [\"bash\", \"-c\"]\n"),
            json!({"kind": "shell", "shell": [
            {"value": "bash", "range": "\"bash\""}, {"value": "-c", "range": "\"-c\""}]}),
        ),
        (
            format!("{f}ENV A=1 B=\"x y\"\n"),
            json!({"kind": "env", "pairs": [
            {"key": "A", "value": "1", "legacy": false}, {"key": "B", "value": "\"x y\"", "legacy": false}]}),
        ),
        (
            format!("{f}ENV PATH /usr/bin:$PATH\n"),
            json!({"kind": "env", "pairs": [
            {"key": "PATH", "value": "/usr/bin:$PATH", "legacy": true}]}),
        ),
        (
            format!("{f}LABEL a.b=c\n"),
            json!({"kind": "label", "pairs": [{"key": "a.b", "value": "c", "legacy": false}]}),
        ),
        (
            format!("{f}MAINTAINER Jo <jo@example.com>\n"),
            json!({"kind": "maintainer", "name": "Jo <jo@example.com>"}),
        ),
        (
            format!("{f}EXPOSE 8080 80/udp\n"),
            json!({"kind": "expose", "ports": ["80/udp", "8080"]}),
        ),
        (
            format!(
                "{f}ADD --chmod=755 --link --keep-git-dir=false --checksum=sha256:ab --unpack --exclude=*.md u /d/\n"
            ),
            json!({"kind": "add", "sources": ["u"], "contents": [], "dest": "/d/", "chown": null, "chmod": "755",
            "link": true, "keep_git_dir": false, "checksum": "sha256:ab", "unpack": true, "excludes": ["*.md"]}),
        ),
        (
            format!(
                "{f}COPY --from=build --chown=app:app --parents --exclude=a --exclude=\"b c\" s1 s2 /d/\n"
            ),
            json!({"kind": "copy", "sources": ["s1", "s2"], "contents": [], "dest": "/d/", "from": "build",
            "chown": "app:app", "chmod": null, "link": false, "parents": true,
            "excludes": ["a", {"value": "b c", "range": "\"b c\""}]}),
        ),
        (
            format!("{f}COPY <<-EOF <<'RAW' a /etc/\n\thello\nEOF\n$x\nRAW\n"),
            json!({"kind": "copy", "sources": ["a"],
            "contents": [
                {"path": "EOF", "data": "hello\n", "expand": true, "range": "<<-EOF", "body_range": "\thello\n"},
                {"path": "RAW", "data": "$x\n", "expand": false, "range": "<<'RAW'", "body_range": "$x\n"}],
            "dest": "/etc/", "from": null, "chown": null, "chmod": null, "link": false, "parents": false, "excludes": []}),
        ),
        (
            format!("{f}VOLUME [\"/data\", \" /logs \"]\n"),
            json!({"kind": "volume", "paths": [
            {"value": "/data", "range": "\"/data\""}, {"value": "/logs", "range": "\" /logs \""}]}),
        ),
        (
            format!("{f}VOLUME /a /b\n"),
            json!({"kind": "volume", "paths": ["/a", "/b"]}),
        ),
        (
            format!("{f}USER app:app\n"),
            json!({"kind": "user", "user": "app:app"}),
        ),
        (
            format!("{f}WORKDIR /app\n"),
            json!({"kind": "workdir", "path": "/app"}),
        ),
        (
            format!("{f}STOPSIGNAL --ignored SIGTERM\n"),
            json!({"kind": "stopsignal", "signal": "SIGTERM"}),
        ),
        (
            format!("{f}ARG --ignored V=1.0 \"Q\"=2 NAME\n"),
            json!({"kind": "arg", "args": [
            {"key": "V", "value": "1.0", "doc_comment": null},
            {"key": "\"Q\"", "value": "2", "doc_comment": null},
            {"key": "NAME", "value": null, "doc_comment": null}]}),
        ),
        (
            format!("{f}# V the version\nARG V\n"),
            json!({"kind": "arg", "args": [
            {"key": "V", "value": null, "doc_comment": "the version"}]}),
        ),
        (
            format!("{f}ONBUILD RUN make\n"),
            json!({"kind": "onbuild", "expression": "RUN make", "trigger": {
            "kind": "run", "range": "RUN make", "command": {"form": "shell", "value": "make"},
            "files": [], "mounts": [], "network": null, "security": null, "devices": []}}),
        ),
        (
            format!("{f}ONBUILD COPY <<EOF /x\nhi\nEOF\n"),
            json!({"kind": "onbuild", "expression": "COPY <<EOF /x\nhi\nEOF",
            "trigger": {"kind": "copy", "range": "COPY <<EOF /x", "sources": [], "contents": [
                {"path": "EOF", "data": "hi\n", "expand": true, "range": "<<EOF", "body_range": "hi\n"}],
            "dest": "/x", "from": null, "chown": null, "chmod": null, "link": false, "parents": false, "excludes": []}}),
        ),
        (
            format!(
                "{f}HEALTHCHECK --interval=1m30s --start-interval=1ms --retries=3 CMD curl -f http://x/\n"
            ),
            json!({"kind": "healthcheck", "command": {"form": "shell", "value": "curl -f http://x/"},
            "interval": {"value": 90_000_000_000_u64, "range": "--interval=1m30s"}, "timeout": null,
            "start_period": null, "start_interval": {"value": 1_000_000, "range": "--start-interval=1ms"},
            "retries": {"value": 3, "range": "--retries=3"}}),
        ),
        (
            format!("{f}HEALTHCHECK --interval=0s --timeout= CMD [\"true\"]\n"),
            json!({"kind": "healthcheck",
            "command": {"form": "exec", "value": [{"value": "true", "range": "\"true\""}]}, "interval": null,
            "timeout": null, "start_period": null, "start_interval": null, "retries": null}),
        ),
        (
            format!("{f}HEALTHCHECK --bogus NONE\n"),
            json!({"kind": "healthcheck", "command": null, "interval": null,
            "timeout": null, "start_period": null, "start_interval": null, "retries": null}),
        ),
    ];
    for (src, expected) in cases {
        check_instruction(&src, expected);
    }
}

#[test]
fn stages_and_meta_args() {
    let src = "ARG BASE=alpine\n# build the builder\nFROM --platform=$P golang AS Build\nRUN x\n\nFROM $BASE\n";
    let (file, diags) = lower(src);
    no_diagnostics(src, &diags);
    let got = view(src, serde_json::to_value(&file).expect("serializes"));
    assert_eq!(
        got,
        json!({
            "meta_args": [{"range": "ARG BASE=alpine\n", "args": [{"key": "BASE", "value": "alpine", "doc_comment": null}]}],
            "stages": [
                {"from": {"range": "FROM --platform=$P golang AS Build\n", "image": "golang",
                    "platform": "$P", "name": {"value": "build", "range": "Build"}},
                 "name": {"value": "build", "range": "Build"}, "doc_comment": "the builder",
                 "instructions": [{"kind": "run", "range": "RUN x\n", "command": {"form": "shell", "value": "x"},
                    "files": [], "mounts": [], "network": null, "security": null, "devices": []}],
                 "range": "FROM --platform=$P golang AS Build\nRUN x\n"},
                {"from": {"range": "FROM $BASE\n", "image": "$BASE", "platform": null, "name": null},
                 "name": null, "doc_comment": null, "instructions": [], "range": "FROM $BASE\n"}
            ]
        })
    );
}

/// One error case: the source, then the code, message and covered text of
/// the only diagnostic.
struct ErrorCase(&'static str, &'static str, &'static str, &'static str);

#[test]
fn errors() {
    use slipway::syntax::codes::*;
    let cases = [
        ErrorCase(
            "RUN x\nFROM a",
            NO_STAGE,
            "no build stage in current context",
            "RUN",
        ),
        ErrorCase(
            "FROM a\nFNTRYPOINT x",
            UNKNOWN_INSTRUCTION,
            "unknown instruction: FNTRYPOINT",
            "FNTRYPOINT",
        ),
        ErrorCase(
            "FROM a\nRUN --networ=host x",
            UNKNOWN_FLAG,
            "unknown flag: --networ",
            "--networ",
        ),
        ErrorCase(
            "MAINTAINER --boo joe",
            UNKNOWN_FLAG,
            "unknown flag: --boo",
            "--boo",
        ),
        ErrorCase(
            "FROM --Platform=x a",
            UNKNOWN_FLAG,
            "unknown flag: --Platform",
            "--Platform",
        ),
        ErrorCase(
            "FROM a\nCOPY --from=a --from=b x y",
            DUPLICATE_FLAG,
            "duplicate flag specified: --from",
            "--from",
        ),
        ErrorCase(
            "FROM a\nCOPY --link= a b",
            MISSING_FLAG_VALUE,
            "missing a value on flag: --link",
            "--link=",
        ),
        ErrorCase(
            "FROM a\nCOPY --from a b",
            MISSING_FLAG_VALUE,
            "missing a value on flag: --from",
            "--from",
        ),
        ErrorCase(
            "FROM a\nCOPY --link=yes a b",
            INVALID_FLAG_VALUE,
            "expecting boolean value for flag --link, not: yes",
            "yes",
        ),
        ErrorCase(
            "FROM a b",
            ARGUMENT_COUNT,
            "FROM requires either one or three arguments",
            "a b",
        ),
        ErrorCase(
            "FROM",
            ARGUMENT_COUNT,
            "FROM requires either one or three arguments",
            "FROM",
        ),
        ErrorCase(
            "FROM a AS 1x",
            INVALID_STAGE_NAME,
            "invalid name for build stage: \"1x\", name can't start with a number or contain symbols",
            "1x",
        ),
        ErrorCase(
            "FROM a\nENV",
            ARGUMENT_COUNT,
            "ENV requires at least one argument",
            "ENV",
        ),
        ErrorCase(
            "FROM a\nENV =x",
            BLANK_NAME,
            "ENV names can not be blank",
            "=x",
        ),
        ErrorCase(
            "FROM a\nLABEL =x",
            BLANK_NAME,
            "LABEL names can not be blank",
            "=x",
        ),
        ErrorCase("ARG =x", BLANK_NAME, "ARG names can not be blank", "=x"),
        ErrorCase(
            "ARG",
            ARGUMENT_COUNT,
            "ARG requires at least one argument",
            "ARG",
        ),
        ErrorCase(
            "FROM a\nUSER",
            ARGUMENT_COUNT,
            "USER requires exactly one argument",
            "USER",
        ),
        ErrorCase(
            "FROM a\nWORKDIR",
            ARGUMENT_COUNT,
            "WORKDIR requires exactly one argument",
            "WORKDIR",
        ),
        ErrorCase(
            "FROM a\nMAINTAINER",
            ARGUMENT_COUNT,
            "MAINTAINER requires exactly one argument",
            "MAINTAINER",
        ),
        ErrorCase(
            "FROM a\nSTOPSIGNAL",
            ARGUMENT_COUNT,
            "STOPSIGNAL requires exactly one argument",
            "STOPSIGNAL",
        ),
        ErrorCase(
            "FROM a\nEXPOSE",
            ARGUMENT_COUNT,
            "EXPOSE requires at least one argument",
            "EXPOSE",
        ),
        ErrorCase(
            "FROM a\nVOLUME",
            ARGUMENT_COUNT,
            "VOLUME requires at least one argument",
            "VOLUME",
        ),
        ErrorCase(
            "FROM a\nVOLUME [\"/a\", \" \"]",
            EMPTY_VOLUME,
            "VOLUME specified can not be an empty string",
            "\" \"",
        ),
        ErrorCase(
            "FROM a\nCOPY a",
            ARGUMENT_COUNT,
            "COPY requires at least two arguments, but only one was provided. Destination could not be determined",
            "a",
        ),
        ErrorCase(
            "FROM a\nADD",
            ARGUMENT_COUNT,
            "ADD requires at least two arguments, but only one was provided. Destination could not be determined",
            "ADD",
        ),
        ErrorCase(
            "FROM a\nCOPY a <<EOF\nEOF\n",
            HEREDOC_DESTINATION,
            "COPY cannot accept a heredoc as a destination",
            "<<EOF",
        ),
        ErrorCase(
            "FROM a\nSHELL /bin/sh -c",
            NOT_JSON,
            "SHELL requires the arguments to be in JSON form",
            "/bin/sh -c",
        ),
        ErrorCase(
            "FROM a\nSHELL []",
            ARGUMENT_COUNT,
            "SHELL requires at least one argument",
            "SHELL",
        ),
        ErrorCase(
            "FROM a\nCMD --x echo",
            UNKNOWN_FLAG,
            "unknown flag: --x",
            "--x",
        ),
        ErrorCase(
            "FROM a\nHEALTHCHECK",
            ARGUMENT_COUNT,
            "HEALTHCHECK requires at least one argument",
            "HEALTHCHECK",
        ),
        ErrorCase(
            "FROM a\nHEALTHCHECK NONE x",
            ARGUMENT_COUNT,
            "HEALTHCHECK NONE takes no arguments",
            "x",
        ),
        ErrorCase(
            "FROM a\nHEALTHCHECK CMD",
            ARGUMENT_COUNT,
            "missing command after HEALTHCHECK CMD",
            "CMD",
        ),
        ErrorCase(
            "FROM a\nHEALTHCHECK foo x",
            UNKNOWN_HEALTHCHECK_TYPE,
            "unknown type \"FOO\" in HEALTHCHECK (try CMD)",
            "foo",
        ),
        ErrorCase(
            "FROM a\nHEALTHCHECK --interval=50ns CMD x",
            INVALID_FLAG_VALUE,
            "interval \"interval\" cannot be less than 1ms",
            "50ns",
        ),
        ErrorCase(
            "FROM a\nHEALTHCHECK --timeout=5x CMD x",
            INVALID_FLAG_VALUE,
            "time: unknown unit \"x\" in duration \"5x\"",
            "5x",
        ),
        ErrorCase(
            "FROM a\nHEALTHCHECK --start-period=10 CMD x",
            INVALID_FLAG_VALUE,
            "time: missing unit in duration \"10\"",
            "10",
        ),
        ErrorCase(
            "FROM a\nHEALTHCHECK --retries=-1 CMD x",
            INVALID_FLAG_VALUE,
            "--retries cannot be negative (-1)",
            "-1",
        ),
        ErrorCase(
            "FROM a\nHEALTHCHECK --retries=many CMD x",
            INVALID_FLAG_VALUE,
            "strconv.ParseInt: parsing \"many\": invalid syntax",
            "many",
        ),
        ErrorCase(
            "FROM a\nRUN --network=bridge x",
            INVALID_FLAG_VALUE,
            "invalid network mode \"bridge\"",
            "bridge",
        ),
        ErrorCase(
            "FROM a\nRUN --security=privileged x",
            INVALID_FLAG_VALUE,
            "security \"privileged\" is not valid",
            "privileged",
        ),
        ErrorCase(
            "FROM a\nRUN --mount=from=$X,target=/x x",
            INVALID_FLAG_VALUE,
            "'from' doesn't support variable expansion, define alias stage instead",
            "from=$X,target=/x",
        ),
        ErrorCase(
            "FROM a\nRUN --mount= x",
            INVALID_FLAG_VALUE,
            "failed to parse csv mounts: EOF",
            "--mount=",
        ),
        ErrorCase(
            "FROM a\nRUN --device=a,b x",
            INVALID_FLAG_VALUE,
            "invalid field 'b' must be a key=value pair",
            "a,b",
        ),
        ErrorCase(
            "FROM a\nRUN --device=vendor.com/gpu=all x",
            UNSUPPORTED_FLAG,
            "device feature is only supported in Dockerfile frontend 1.14.0-labs or later",
            "--device=vendor.com/gpu=all",
        ),
        ErrorCase(
            "FROM a\nONBUILD",
            ARGUMENT_COUNT,
            "ONBUILD requires at least one argument",
            "ONBUILD",
        ),
        ErrorCase(
            "FROM a\nONBUILD --x RUN y",
            UNKNOWN_FLAG,
            "unknown flag: --x",
            "--x",
        ),
        ErrorCase(
            "FROM a\nONBUILD ONBUILD RUN x",
            INVALID_TRIGGER,
            "chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed",
            "ONBUILD",
        ),
        ErrorCase(
            "FROM a\nONBUILD FROM x",
            INVALID_TRIGGER,
            "FROM isn't allowed as an ONBUILD trigger",
            "FROM",
        ),
        ErrorCase(
            "FROM a\nONBUILD maintainer x",
            INVALID_TRIGGER,
            "MAINTAINER isn't allowed as an ONBUILD trigger",
            "maintainer",
        ),
    ];
    for ErrorCase(src, code, message, text) in cases {
        let (_, diags) = lower(src);
        let [d] = diags.as_slice() else {
            panic!("{src:?}: expected one diagnostic, got {diags:#?}");
        };
        assert_eq!(
            (d.code, d.message.as_str(), d.severity),
            (code, message, Severity::Error),
            "{src:?}"
        );
        assert_eq!(&src[d.range.as_range()], text, "{src:?}");
    }
}

#[test]
fn suggestions() {
    let cases = [
        ("FROM a\nFNTRYPOINT x", "did you mean ENTRYPOINT?"),
        ("FROM a\nfntrypoint x", "did you mean entrypoint?"),
        ("FROM a\nRUN --networ=host x", "did you mean --network?"),
        ("FROM --Platform=x a", "did you mean --platform?"),
        (
            "FROM a\nCOPY --chekcsum=x a b",
            "COPY takes --chown, --from, --chmod, --link, --exclude, --parents",
        ),
        ("FROM a\nUSER --x me", "USER does not take any flags"),
    ];
    for (src, help) in cases {
        let (_, diags) = lower(src);
        assert_eq!(diags.len(), 1, "{src:?}: {diags:#?}");
        assert_eq!(diags[0].help.as_deref(), Some(help), "{src:?}");
    }
}

#[test]
fn the_second_of_two_flags_is_the_duplicate() {
    let src = "FROM a\nCOPY --from=a --from=b x y";
    let (_, diags) = lower(src);
    assert_eq!(diags.len(), 1);
    assert_eq!(
        diags[0].range.start(),
        src.rfind("--from").expect("present")
    );
}

#[test]
fn three_independent_errors_are_all_reported() {
    let src = "FROM alpine\nUSER\nRUN --nope x\nFNTRYPOINT y\nWORKDIR /ok\n";
    let (file, diags) = lower(src);
    let got: Vec<(&str, &str)> = diags
        .iter()
        .map(|d| (d.code, &src[d.range.as_range()]))
        .collect();
    assert_eq!(
        got,
        [
            ("slipway::instruction::argument-count", "USER"),
            ("slipway::instruction::unknown-flag", "--nope"),
            ("slipway::instruction::unknown-instruction", "FNTRYPOINT"),
        ]
    );
    // The good instruction after them is still there.
    assert_eq!(file.stages[0].instructions.len(), 1);
}

#[test]
fn no_cascading_errors() {
    // A bad FROM: the instructions after it are not "before any stage".
    let (file, diags) = lower("FROM a AS 1x\nRUN y\nFROM b\nRUN z\n");
    assert_eq!(diags.len(), 1, "{diags:#?}");
    assert_eq!(file.stages.len(), 1);
    assert_eq!(file.stages[0].instructions.len(), 1);
    // A node the parser could not split is reported by the parser only.
    let (_, diags) = lower("FROM a\nENV foo\n");
    let codes: Vec<&str> = diags.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["slipway::parse::missing-value"]);
}

#[test]
fn onbuild_trigger_problems_are_warnings() {
    let src = "FROM a\nONBUILD RUN --bogus x\n";
    let (file, diags) = lower(src);
    let [d] = diags.as_slice() else {
        panic!("{diags:#?}");
    };
    assert_eq!(
        (d.code, d.severity),
        ("slipway::instruction::unknown-flag", Severity::Warning)
    );
    assert_eq!(&src[d.range.as_range()], "--bogus");
    let got = view(
        src,
        serde_json::to_value(&file.stages[0].instructions[0]).expect("serializes"),
    );
    assert_eq!(got["trigger"], Value::Null);
    assert_eq!(got["expression"], "RUN --bogus x");
}

fn fixture(name: &str) -> String {
    let path = format!(
        "{}/tests/fixtures/instructions/{name}",
        env!("CARGO_MANIFEST_DIR")
    );
    std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{path}: {e}"))
}

#[test]
fn snapshot_json() {
    let src = fixture("representative.Dockerfile");
    let (file, diags) = lower(&src);
    no_diagnostics(&src, &diags);
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_json_snapshot!("instructions_representative_json", file);
    });
}

#[test]
fn snapshot_diagnostics() {
    let src = fixture("errors.Dockerfile");
    let (_, diags) = lower(&src);
    let index = LineIndex::new(&src);
    let rendered: Vec<String> = diags
        .iter()
        .map(|d| {
            let mut line = d.to_short_string("errors.Dockerfile", &index);
            line.push_str(&format!("\n    at: {:?}", &src[d.range.as_range()]));
            if let Some(help) = &d.help {
                line.push_str(&format!("\n    help: {help}"));
            }
            line
        })
        .collect();
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_snapshot!("instructions_errors_rendered", rendered.join("\n"));
    });
}

mod robustness {
    //! Arbitrary Dockerfile-like input never panics, and every diagnostic
    //! points inside the source on character boundaries.

    use proptest::prelude::*;

    fn line() -> impl Strategy<Value = String> {
        let keyword = prop::sample::select(vec![
            "FROM",
            "RUN",
            "COPY",
            "ADD",
            "ENV",
            "ARG",
            "LABEL",
            "HEALTHCHECK",
            "ONBUILD",
            "SHELL",
            "VOLUME",
            "EXPOSE",
            "USER",
            "CMD",
            "onbuild run",
            "FNORD",
            "",
        ]);
        let word = prop_oneof![
            prop::sample::select(vec![
                "--mount=type=cache,target=/x",
                "--mount=from=$A",
                "--from=",
                "--link=x",
                "--x",
                "--network=host",
                "--device=a,b",
                "--interval=1ms",
                "--retries=-3",
                "<<EOF",
                "<<-'E'",
                "AS",
                "as",
                "NONE",
                "CMD",
                "[\"a\", \"\"]",
                "[]",
                "\"",
                "'",
                "=",
                "=x",
                "$X",
                "\\",
                "é",
                "\t",
                "--",
                "1x",
            ])
            .prop_map(str::to_owned),
            "[ -~é]{0,8}",
        ];
        (keyword, prop::collection::vec(word, 0..5))
            .prop_map(|(k, words)| format!("{k} {}", words.join(" ")))
    }

    proptest! {
        #[test]
        fn lowering_never_panics(lines in prop::collection::vec(line(), 0..8)) {
            let src = lines.join("\n");
            let (file, diags) = super::lower(&src);
            for d in &diags {
                prop_assert!(src.get(d.range.as_range()).is_some(), "{d:?} in {src:?}");
            }
            prop_assert!(serde_json::to_string(&file).is_ok());
        }
    }
}
