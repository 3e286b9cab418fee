//! The linter: one fixture per rule under `tests/fixtures/lint/`, each
//! opening with a comment that lists the lines expected to fire, with an
//! `insta` snapshot of the findings; and the registry's invariants (every
//! rule documented with the required sections, names unique).

use std::collections::HashSet;
use std::path::Path;

use slipway::lint::{CheckConfig, LintOptions, RULES, Rule, lint};
use slipway::text::LineIndex;

/// The findings of a fixture, one per line: `line:col rule: message`.
fn check(source: &str, options: &LintOptions) -> String {
    let result = lint(source, options);
    let index = LineIndex::new(source);
    let mut out = String::new();
    for d in result.errors.iter().chain(&result.findings) {
        let lc = index.line_col(d.range.start());
        let (_, last) = index.lines(d.range);
        out += &format!(
            "{}:{}-{} {}: {}\n",
            lc.line, lc.column, last, d.code, d.message
        );
    }
    out
}

#[test]
fn fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint");
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => true}, {
        insta::glob!(&dir, "*.Dockerfile", |path| {
            let source = std::fs::read_to_string(path).expect("fixture");
            insta::assert_snapshot!(check(&source, &LintOptions::default()));
        });
    });
}

#[test]
fn every_rule_has_a_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint");
    for info in RULES {
        let path = dir.join(format!("{}.Dockerfile", info.name));
        let source =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        assert!(
            check(&source, &LintOptions::default()).contains(info.code),
            "{} does not fire on its own fixture",
            info.name
        );
    }
}

#[test]
fn every_rule_doc_has_the_required_sections() {
    for info in RULES {
        for section in ["## What it does", "## Why is this bad?", "## Example"] {
            assert!(
                info.doc.contains(section),
                "{}: missing {section}",
                info.name
            );
        }
        let example = &info.doc[info.doc.find("## Example").unwrap_or(0)..];
        assert!(
            example.contains("Use instead:"),
            "{}: no \"Use instead:\"",
            info.name
        );
    }
}

#[test]
fn registry_names_are_unique_and_resolvable() {
    let mut seen = HashSet::new();
    for info in RULES {
        assert!(seen.insert(info.id) && seen.insert(info.name) && seen.insert(info.code));
        assert_eq!(info.code, format!("slipway::lint::{}", info.name));
        assert_eq!(info.rule.info().id, info.id);
        for name in [Some(info.id), Some(info.name), info.buildkit]
            .into_iter()
            .flatten()
        {
            assert_eq!(Rule::from_name(name), Some(info.rule), "{name}");
        }
    }
    assert_eq!(Rule::from_name("jsonargsrecommended"), None);
}

#[test]
fn check_option_replaces_the_directive() {
    let source = "# check=error=true\nFROM alpine as x\nCMD echo hi\n";
    let file = lint(source, &LintOptions::default());
    assert!(file.error_on_findings);
    assert_eq!(file.findings.len(), 2);

    let skip_all = LintOptions {
        check: Some("skip=all".to_owned()),
    };
    let result = lint(source, &skip_all);
    assert!(!result.error_on_findings);
    assert_eq!(check(source, &skip_all), "");

    let one = LintOptions {
        check: Some("skip=FromAsCasing".to_owned()),
    };
    assert_eq!(
        check(source, &one),
        "3:1-3 slipway::lint::json-args-recommended: JSON arguments recommended for CMD to \
         prevent unintended behavior related to OS signals\n"
    );
}

#[test]
fn invalid_check_directive_is_an_error() {
    let out = check("# check=skip\nFROM alpine\n", &LintOptions::default());
    assert_eq!(
        out,
        "1:9-1 slipway::lint::invalid-check-option: invalid check option \"skip\"\n"
    );
    assert_eq!(
        CheckConfig::parse("skip=all;experimental=X;error=1"),
        Ok(CheckConfig {
            skip_all: true,
            experimental: ["X".to_owned()].into(),
            error: true,
            ..CheckConfig::default()
        })
    );
}
