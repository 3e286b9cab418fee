//! The real-world corpus: for the rules slipway implements, the set of
//! (BuildKit rule, first line, message) findings per file equals BuildKit's
//! `--call=check` findings in `corpus/buildkit-check.jsonl`.
//!
//! Deliberate differences are listed in [`KNOWN_DIFFERENCES`] with the
//! reason; the test fails if one disappears, so the list stays current.

mod common;

use std::collections::BTreeSet;

use slipway::lint::{LintOptions, RULES, lint};
use slipway::text::LineIndex;

/// `(file, rule, line, slipway reports it)`: findings where slipway and
/// BuildKit deliberately differ.
const KNOWN_DIFFERENCES: &[(&str, &str, u32, bool, &str)] = &[(
    "jessfraz__dockerfiles/registry-auth/Dockerfile",
    "SecretsUsedInArgOrEnv",
    17,
    false,
    "`ENV DOCKER_AUTH_VERSION`: BuildKit v0.25.2 (which made the baseline) \
     allowed only the `public` token; upstream since allows `file` and \
     `version` too, and slipway follows upstream",
)];

type Findings = BTreeSet<(String, u32, String)>;

fn slipway_findings(source: &str) -> Findings {
    let result = lint(source, &buildkit_only());
    let index = LineIndex::new(source);
    result
        .findings
        .iter()
        .filter_map(|d| {
            let info = RULES.iter().find(|i| i.code == d.code)?;
            Some((
                info.buildkit?.to_owned(),
                index.line(d.range.start()),
                d.message.clone(),
            ))
        })
        .collect()
}

#[test]
fn findings_match_buildkit_check() {
    let Some(dir) = common::shared_dir("corpus") else {
        return;
    };
    let implemented: BTreeSet<&str> = RULES.iter().filter_map(|i| i.buildkit).collect();
    let jsonl = std::fs::read_to_string(dir.join("buildkit-check.jsonl")).expect("jsonl");
    let mut files = 0;
    let mut compared = 0;
    let mut skipped = 0;
    let mut seen_known = BTreeSet::new();
    let mut mismatches = Vec::new();
    for line in jsonl.lines().filter(|l| !l.trim().is_empty()) {
        let entry: serde_json::Value = serde_json::from_str(line).expect("json line");
        let path = entry["path"].as_str().expect("path");
        let Ok(source) = std::fs::read_to_string(dir.join("realworld").join(path)) else {
            continue;
        };
        files += 1;
        let mut expected = Findings::new();
        for w in entry["warnings"].as_array().into_iter().flatten() {
            let rule = w["rule"].as_str().expect("rule");
            if !implemented.contains(rule) {
                continue;
            }
            let first = w["lines"][0][0].as_u64().expect("line") as u32;
            let detail = w["detail"].as_str().expect("detail").to_owned();
            expected.insert((rule.to_owned(), first, detail));
        }
        // BuildKit reports no checks for a file it cannot build; slipway
        // still checks what parsed, so such files are not compared.
        if !lint(&source, &buildkit_only()).errors.is_empty() {
            skipped += 1;
            continue;
        }
        let actual = slipway_findings(&source);
        compared += expected.len();
        for found in actual.symmetric_difference(&expected) {
            let (rule, line, message) = found;
            let ours = actual.contains(found);
            let known = KNOWN_DIFFERENCES
                .iter()
                .position(|k| k.0 == path && k.1 == rule && k.2 == *line && k.3 == ours);
            if let Some(k) = known {
                seen_known.insert(k);
            } else {
                let who = if ours {
                    "only slipway"
                } else {
                    "only BuildKit"
                };
                mismatches.push(format!("{path}:{line} {rule} ({who}): {message}"));
            }
        }
    }
    assert!(skipped < 15, "{skipped} corpus files have errors");
    assert!(files > 300, "only {files} corpus files found");
    assert!(compared > 600, "only {compared} BuildKit findings compared");
    for (i, k) in KNOWN_DIFFERENCES.iter().enumerate() {
        if !seen_known.contains(&i) {
            mismatches.push(format!(
                "{}:{} {}: listed difference is gone",
                k.0, k.2, k.1
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
}

/// BuildKit's checks only (no best-practice rules, no ShellCheck process).
fn buildkit_only() -> LintOptions {
    LintOptions {
        ignore: RULES
            .iter()
            .filter(|i| i.buildkit.is_none())
            .map(|i| i.rule)
            .collect(),
        ..LintOptions::default()
    }
}
