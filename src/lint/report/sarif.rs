//! `--format sarif`: a SARIF 2.1.0 log with one run, for code-scanning
//! tools (GitHub code scanning reads it as uploaded).
//!
//! `tool.driver.rules` lists every registered rule (id, kebab name, short
//! description, help text and URL, default level), then any other
//! diagnostic code that occurs (ShellCheck codes, parse and file errors),
//! so `ruleIndex` points into it. Results carry the rule, level, message and one physical
//! location: the file as a relative URI reference (absolute paths become
//! `file://` URIs) and a region in lines and code-point columns
//! (`columnKind` says so). The invocation records whether every file could
//! be checked.

use std::collections::{BTreeMap, HashMap};
use std::io;

use serde_json::{Value, json};

use super::{FileReport, Located, rule_url, summary};
use crate::diagnostics::Severity;
use crate::lint::rules::codes::{RULES, RuleInfo};

const SCHEMA: &str =
    "https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json";

/// Writes the log as pretty-printed JSON.
pub fn write(out: &mut dyn io::Write, files: &[FileReport]) -> io::Result<()> {
    serde_json::to_writer_pretty(&mut *out, &log(files))?;
    writeln!(out)
}

/// The SARIF log for `files`.
pub fn log(files: &[FileReport]) -> Value {
    let located: Vec<(&FileReport, Vec<Located>)> = files
        .iter()
        .map(|f| (f, Located::all(f).collect()))
        .collect();
    // The registry first, then the other codes that occur (ShellCheck
    // codes, parse and file errors), sorted: `ruleIndex` points here.
    let mut index: HashMap<&str, usize> =
        RULES.iter().enumerate().map(|(n, i)| (i.code, n)).collect();
    let mut rules: Vec<Value> = RULES.iter().map(descriptor).collect();
    let others: BTreeMap<&str, Option<&RuleInfo>> = located
        .iter()
        .flat_map(|(_, ls)| ls)
        .filter(|l| !index.contains_key(l.diagnostic.code))
        .map(|l| (l.diagnostic.code, l.rule))
        .collect();
    for (code, rule) in others {
        index.insert(code, rules.len());
        rules.push(match rule {
            Some(i) => descriptor(i),
            None => json!({
                "id": code,
                "name": code.rsplit("::").next().unwrap_or(code),
                "shortDescription": {"text": "the file cannot be read or parsed"},
                "defaultConfiguration": {"level": "error"},
            }),
        });
    }
    let mut results = Vec::new();
    for (f, ls) in &located {
        for l in ls {
            results.push(json!({
                "ruleId": l.rule.map_or(l.diagnostic.code, |i| i.id),
                "ruleIndex": index.get(l.diagnostic.code),
                "level": level(l.severity()),
                "message": {"text": l.diagnostic.message},
                "locations": [{
                    "physicalLocation": {
                        "artifactLocation": {"uri": uri(&f.path)},
                        "region": {
                            "startLine": l.start.line,
                            "startColumn": l.start.column,
                            "endLine": l.end.line,
                            "endColumn": l.end.column,
                        },
                    },
                }],
            }));
        }
    }
    let failed = located
        .iter()
        .flat_map(|(_, ls)| ls)
        .any(|l| l.rule.is_none() && l.severity() == Severity::Error);
    json!({
        "$schema": SCHEMA,
        "version": "2.1.0",
        "runs": [{
            "tool": {"driver": {
                "name": "slipway",
                "version": env!("CARGO_PKG_VERSION"),
                "semanticVersion": env!("CARGO_PKG_VERSION"),
                "rules": rules,
            }},
            "invocations": [{"executionSuccessful": !failed}],
            "columnKind": "unicodeCodePoints",
            "results": results,
        }],
    })
}

/// A rule's `reportingDescriptor`.
fn descriptor(i: &RuleInfo) -> Value {
    let mut r = json!({
        "id": i.id,
        "name": i.name,
        "shortDescription": {"text": summary(i)},
        "help": {"text": i.doc, "markdown": i.doc},
        "defaultConfiguration": {"level": level(i.severity)},
        "properties": {"tags": tags(i)},
    });
    if let Some(url) = rule_url(i) {
        r["helpUri"] = json!(url);
    }
    r
}

fn level(s: Severity) -> &'static str {
    match s {
        Severity::Error => "error",
        Severity::Warning => "warning",
    }
}

/// Tags GitHub shows as filters: where the rule comes from.
fn tags(i: &RuleInfo) -> Vec<&'static str> {
    let mut t = vec!["dockerfile"];
    if i.buildkit.is_some() {
        t.push("buildkit");
    }
    if i.hadolint.is_some() {
        t.push("hadolint");
    }
    t
}

/// A path as a URI reference: `/` separators, a leading `./` dropped,
/// characters outside the unreserved set and `/` percent-encoded; absolute
/// paths become `file://` URIs.
pub fn uri(path: &str) -> String {
    let path = path.replace('\\', "/");
    let path = path.strip_prefix("./").unwrap_or(&path);
    let mut out = String::with_capacity(path.len());
    if path.starts_with('/') {
        out.push_str("file://");
    }
    for b in path.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~/".contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::uri;

    #[test]
    fn paths_become_uri_references() {
        assert_eq!(uri("./a b/Dockerfile"), "a%20b/Dockerfile");
        assert_eq!(uri("/srv/x#1.Dockerfile"), "file:///srv/x%231.Dockerfile");
        assert_eq!(uri("é"), "%C3%A9");
    }
}
