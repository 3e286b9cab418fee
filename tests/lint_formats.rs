//! `slipway lint --format sarif|checkstyle|github` on real files through the
//! built binary: the SARIF log validates against the official SARIF 2.1.0
//! schema (vendored under `tests/fixtures/lint_cli/`, see
//! `SARIF-SCHEMA-NOTICE.md`) with Python's `jsonschema`, the Checkstyle
//! report is read back with Python's XML parser, and the GitHub workflow
//! commands are escaped as the runner expects.

use std::io::Write as _;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use serde_json::{Value, json};

fn fixtures() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint_cli")
}

/// Runs `slipway lint ARGS` in `dir`: exit code, stdout, stderr.
fn slipway(dir: &Path, args: &[&str]) -> (i32, String, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_slipway"))
        .arg("lint")
        .args(args)
        .current_dir(dir)
        .output()
        .expect("run slipway");
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).expect("utf-8 stdout"),
        String::from_utf8(out.stderr).expect("utf-8 stderr"),
    )
}

/// Runs a Python program with `input` on standard input; exit code and
/// output. Fails with what to install when Python is missing.
fn python(program: &str, args: &[&str], input: &str) -> (i32, String) {
    let mut child = Command::new("python3")
        .arg("-c")
        .arg(program)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("python3 is needed by this test (scripts/install-deps installs it)");
    child
        .stdin
        .take()
        .expect("stdin")
        .write_all(input.as_bytes())
        .expect("write to python");
    let out = child.wait_with_output().expect("python runs");
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        !stderr.contains("No module named 'jsonschema'"),
        "Python's jsonschema package is needed: pip install jsonschema \
         (or apt-get install python3-jsonschema)"
    );
    (
        out.status.code().unwrap_or(-1),
        format!("{}{stderr}", String::from_utf8_lossy(&out.stdout)),
    )
}

/// Validates a document against the vendored SARIF 2.1.0 schema (a
/// draft-04 JSON schema); the errors, one per line, empty when valid.
fn sarif_schema_errors(doc: &str) -> (i32, String) {
    const VALIDATE: &str = "
import json, sys, jsonschema
schema = json.load(open(sys.argv[1]))
jsonschema.Draft4Validator.check_schema(schema)
doc = json.load(sys.stdin)
errors = sorted(jsonschema.Draft4Validator(schema).iter_errors(doc), key=str)
for e in errors:
    print('/'.join(map(str, e.absolute_path)), e.message)
sys.exit(1 if errors else 0)
";
    let schema = fixtures().join("sarif-schema-2.1.0.json");
    python(VALIDATE, &[schema.to_str().expect("utf-8 path")], doc)
}

#[test]
fn sarif_is_valid_against_the_schema_and_locates_each_finding() {
    let (code, out, err) = slipway(&fixtures().join("formats"), &["--format", "sarif", "."]);
    assert_eq!(code, 2, "a file does not parse: {err}");
    let (status, errors) = sarif_schema_errors(&out);
    assert_eq!((status, errors.as_str()), (0, ""), "{out}");

    let log: Value = serde_json::from_str(&out).expect("one JSON document");
    assert_eq!(log["version"], "2.1.0");
    let runs = log["runs"].as_array().expect("runs");
    assert_eq!(runs.len(), 1);
    let run = &runs[0];
    let driver = &run["tool"]["driver"];
    assert_eq!(driver["name"], "slipway");
    assert_eq!(driver["version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(run["invocations"][0]["executionSuccessful"], false);
    let rules = driver["rules"].as_array().expect("rules");
    for info in slipway::lint::RULES {
        let r = rules
            .iter()
            .find(|r| r["id"] == info.id)
            .unwrap_or_else(|| panic!("{} is not described", info.id));
        assert_eq!(r["name"], info.name);
        assert!(
            !r["shortDescription"]["text"]
                .as_str()
                .unwrap_or("")
                .is_empty()
        );
        let level = match info.severity {
            slipway::diagnostics::Severity::Error => "error",
            slipway::diagnostics::Severity::Warning => "warning",
        };
        assert_eq!(r["defaultConfiguration"]["level"], level);
        if info.buildkit.is_some() {
            assert_eq!(
                r["helpUri"],
                format!("https://docs.docker.com/go/dockerfile/rule/{}/", info.name)
            );
        }
    }
    // Each result names its rule by id and by index into `rules`.
    let results = run["results"].as_array().expect("results");
    for r in results {
        let index = r["ruleIndex"].as_u64().expect("ruleIndex") as usize;
        assert_eq!(rules[index]["id"], r["ruleId"], "{r}");
    }
    let summary: Vec<String> = results
        .iter()
        .map(|r| {
            let loc = &r["locations"][0]["physicalLocation"];
            let region = &loc["region"];
            let rule = &rules[r["ruleIndex"].as_u64().unwrap_or(0) as usize]["name"];
            format!(
                "{} {} {} {}:{}-{}:{}",
                loc["artifactLocation"]["uri"].as_str().unwrap_or("?"),
                rule.as_str().unwrap_or("?"),
                r["level"].as_str().unwrap_or("?"),
                region["startLine"],
                region["startColumn"],
                region["endLine"],
                region["endColumn"],
            )
        })
        .collect();
    assert_eq!(
        summary,
        [
            "Dockerfile from-as-casing warning 1:1-1:26",
            "Dockerfile stage-name-casing warning 1:1-1:26",
            "Dockerfile json-args-recommended warning 3:1-3:12",
            "sub/Dockerfile.broken unknown-instruction error 2:1-2:11",
            "sub/Dockerfile.stage invalid-stage-name error 1:21-1:26",
            // Columns count code points: the line ends at 40, byte 41.
            "sub/app.Dockerfile maintainer-deprecated warning 2:1-2:40",
        ]
    );
}

#[test]
fn the_schema_check_rejects_an_invalid_log() {
    let (_, out, _) = slipway(&fixtures().join("formats"), &["--format", "sarif", "."]);
    let mut log: Value = serde_json::from_str(&out).expect("one JSON document");
    log["runs"][0]["results"][0]["level"] = json!("fatal");
    log["runs"][0]["results"][1]["locations"][0]["physicalLocation"]["region"]["startLine"] =
        json!(0);
    let (status, errors) = sarif_schema_errors(&log.to_string());
    assert_eq!(status, 1, "{errors}");
    assert!(
        errors.contains("runs/0/results/0/level 'fatal' is not one of"),
        "{errors}"
    );
    assert!(
        errors.contains("startLine 0 is less than the minimum of 1"),
        "{errors}"
    );
}

#[test]
fn checkstyle_reads_back_as_xml() {
    const READ: &str = "
import json, sys, xml.etree.ElementTree as ET
root = ET.fromstring(sys.stdin.buffer.read())
print(json.dumps({'tag': root.tag, 'version': root.get('version'), 'files': [
    {'name': f.get('name'), 'errors': [dict(e.attrib) for e in f]} for f in root]}))
";
    let (code, out, _) = slipway(
        &fixtures().join("formats"),
        &["--format", "checkstyle", "."],
    );
    assert_eq!(code, 2);
    let (status, parsed) = python(READ, &[], &out);
    assert_eq!(status, 0, "{parsed}\n{out}");
    let parsed: Value = serde_json::from_str(&parsed).expect("json from python");
    let error = |line: u32, column: u32, severity: &str, message: &str, source: &str| {
        json!({"line": line.to_string(), "column": column.to_string(), "severity": severity,
               "message": message, "source": source})
    };
    assert_eq!(
        parsed,
        json!({"tag": "checkstyle", "version": "4.3", "files": [
            {"name": "./Dockerfile", "errors": [
                error(1, 1, "warning", "'as' and 'FROM' keywords' casing do not match",
                      "slipway::lint::from-as-casing"),
                error(1, 1, "warning", "Stage name 'Build' should be lowercase",
                      "slipway::lint::stage-name-casing"),
                error(3, 1, "warning", "JSON arguments recommended for CMD to prevent \
                      unintended behavior related to OS signals",
                      "slipway::lint::json-args-recommended"),
            ]},
            {"name": "./sub/Containerfile", "errors": []},
            {"name": "./sub/Dockerfile.broken", "errors": [
                error(2, 1, "error", "unknown instruction: FNTRYPOINT",
                      "slipway::instruction::unknown-instruction"),
            ]},
            // Quotes, `<`, `&` and `>` come back from the parser as written.
            {"name": "./sub/Dockerfile.stage", "errors": [
                error(1, 21, "error", "invalid name for build stage: \"x<&y>\", name can't \
                      start with a number or contain symbols",
                      "slipway::instruction::invalid-stage-name"),
            ]},
            {"name": "./sub/app.Dockerfile", "errors": [
                error(2, 1, "warning", "Maintainer instruction is deprecated in favor of using label",
                      "slipway::lint::maintainer-deprecated"),
            ]},
        ]})
    );
}

#[test]
fn github_commands_escape_properties_and_messages() {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("lint-formats-github");
    let _ = std::fs::remove_dir_all(&dir);
    let sub = dir.join("a,b:c%d");
    std::fs::create_dir_all(&sub).expect("mkdir");
    std::fs::write(sub.join("Dockerfile"), "FROM alpine:3.20\nCMD echo 100%\n").expect("write");
    std::fs::write(dir.join("Dockerfile"), "FROM alpine:3.20\nBOGUS x\n").expect("write");
    let (code, out, _) = slipway(&dir, &["--format", "github", "."]);
    assert_eq!(code, 2);
    assert_eq!(
        out,
        "::error file=Dockerfile,line=2,col=1,endLine=2,endColumn=6,\
         title=slipway%3A%3Ainstruction%3A%3Aunknown-instruction::unknown instruction: BOGUS\n\
         ::warning file=a%2Cb%3Ac%25d/Dockerfile,line=2,col=1,endLine=2,endColumn=14,\
         title=slipway%3A%3Alint%3A%3Ajson-args-recommended::JSON arguments recommended for CMD to prevent \
         unintended behavior related to OS signals\n"
    );
}
