//! BuildKit's own parser test files: every positive case dumps to its
//! `result` byte for byte, every negative case is rejected, and the line
//! numbers of `testfile-line` are right.

mod common;

use slipway::syntax::{dump::dump, parse, text::LineIndex};

#[test]
fn positive_cases_dump_to_their_result() {
    let Some(dir) = common::shared_dir("conformance/buildkit/parser/testfiles") else {
        return;
    };
    let mut failures = Vec::new();
    let cases = common::subdirs(&dir);
    assert!(
        cases.len() >= 33,
        "expected the 33 upstream cases, found {}",
        cases.len()
    );
    for case in &cases {
        let src = std::fs::read_to_string(case.join("Dockerfile")).expect("Dockerfile");
        let expected = std::fs::read_to_string(case.join("result")).expect("result");
        let p = parse(&src);
        let name = case.file_name().unwrap().to_string_lossy().into_owned();
        if p.has_errors() {
            failures.push(format!("{name}: unexpected errors {:?}", p.diagnostics));
            continue;
        }
        let got = dump(&p.tree) + "\n";
        if got != expected {
            failures.push(format!("{name}:\n--- expected\n{expected}--- got\n{got}"));
        }
        assert_eq!(p.tree.print(), src, "{name}: round trip");
    }
    assert!(
        failures.is_empty(),
        "{} of {} cases differ:\n{}",
        failures.len(),
        cases.len(),
        failures.join("\n")
    );
}

#[test]
fn negative_cases_are_rejected_with_a_diagnostic() {
    let Some(dir) = common::shared_dir("conformance/buildkit/parser/testfiles-negative") else {
        return;
    };
    let expected = [
        ("empty_dockerfile", "slipway::parse::empty-dockerfile"),
        ("env_no_value", "slipway::parse::missing-value"),
        ("only_comments", "slipway::parse::no-instructions"),
        (
            "shykes-nested-json",
            "slipway::parse::json-not-string-array",
        ),
    ];
    let cases = common::subdirs(&dir);
    assert_eq!(cases.len(), expected.len());
    for (case, (name, code)) in cases.iter().zip(expected) {
        assert!(case.ends_with(name));
        let src = std::fs::read_to_string(case.join("Dockerfile")).expect("Dockerfile");
        let p = parse(&src);
        let codes: Vec<_> = p.diagnostics.iter().map(|d| d.code).collect();
        assert_eq!(codes, [code], "{name}");
    }
}

#[test]
fn instruction_line_numbers() {
    let Some(dir) = common::shared_dir("conformance/buildkit/parser/testfile-line") else {
        return;
    };
    let src = std::fs::read_to_string(dir.join("Dockerfile")).expect("Dockerfile");
    let p = parse(&src);
    assert!(!p.has_errors(), "{:?}", p.diagnostics);
    let index = LineIndex::new(&src);
    let lines: Vec<_> = p.tree.nodes().map(|n| index.lines(n.range)).collect();
    assert_eq!(lines, [(5, 5), (11, 12), (17, 31)]);
}
