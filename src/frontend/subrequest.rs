//! Subrequests: `requestid=<name>` asks the frontend for information
//! instead of a build. Each answer is metadata only: `result.json`, a
//! human-readable `result.txt` (what `docker buildx build --call=<name>`
//! prints) and the answer's `version`.
//!
//! Answered: `frontend.subrequests.describe` (the list below),
//! `frontend.outline`, `frontend.targets` and `frontend.lint` (what
//! `docker buildx build --call=check` asks for: BuildKit's `LintResults`
//! plus `result.statuscode`); any other name gets BuildKit's
//! `unsupported request <name>` error with its typed detail. Like
//! BuildKit's, the describe answer does not list `frontend.lint`.
//!
//! The JSON is written the way Go's `json.MarshalIndent` writes BuildKit's
//! structs, and the text forms are rendered from it the way BuildKit does
//! (see [`super::gofmt`]), so clients print the same bytes.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use base64::Engine as _;

use super::gofmt::{marshal_indent, tabwrite};
use super::result::FrontendError;
use super::warn::Warning;
use crate::ir::gojson::push_string;
use crate::proto::pb;

/// The subrequests, by their wire names.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Subrequest {
    Describe,
    Outline,
    Targets,
    Lint,
    Other(String),
}

impl Subrequest {
    pub fn parse(id: &str) -> Subrequest {
        match id {
            "frontend.subrequests.describe" => Subrequest::Describe,
            "frontend.outline" => Subrequest::Outline,
            "frontend.targets" => Subrequest::Targets,
            "frontend.lint" => Subrequest::Lint,
            other => Subrequest::Other(other.to_owned()),
        }
    }
}

/// Version of every answer slipway gives.
const VERSION: &str = "1.0.0";

#[derive(Serialize)]
struct Request {
    name: &'static str,
    version: &'static str,
    r#type: &'static str,
    description: &'static str,
    opts: Option<Vec<Named>>,
    inputs: Option<Vec<Named>>,
    metadata: Option<Vec<Named>>,
    refs: Option<Vec<Named>>,
}

#[derive(Serialize)]
struct Named {
    name: &'static str,
    description: &'static str,
}

fn result_files() -> Option<Vec<Named>> {
    let named = |name| Named {
        name,
        description: "",
    };
    Some(vec![named("result.json"), named("result.txt")])
}

/// The `frontend.subrequests.describe` answer.
pub fn describe() -> Result<BTreeMap<String, Vec<u8>>, FrontendError> {
    let rpc = |name, description, opts| Request {
        name,
        version: VERSION,
        r#type: "rpc",
        description,
        opts,
        inputs: None,
        metadata: result_files(),
        refs: None,
    };
    let target = Named {
        name: "target",
        description: "Target build stage",
    };
    let all = [
        rpc(
            "frontend.outline",
            "List all parameters current build target supports",
            Some(vec![target]),
        ),
        rpc(
            "frontend.targets",
            "List all targets current build supports",
            Some(Vec::new()),
        ),
        rpc(
            "frontend.subrequests.describe",
            "List available subrequest types",
            None,
        ),
    ];
    let json = serde_json::to_string_pretty(&all).map_err(|e| FrontendError::new(e.to_string()))?;
    let mut text = String::from("NAME\tVERSION\tDESCRIPTION\n");
    for r in &all {
        let short = r.name.strip_prefix("frontend.").unwrap_or(r.name);
        text.push_str(&format!("{short}\t{}\t{}\n", r.version, r.description));
    }
    Ok(metadata(json.into_bytes(), tabwrite(&text, 1)))
}

/// The `frontend.outline` answer for the outline JSON.
pub fn outline(v: &Value) -> BTreeMap<String, Vec<u8>> {
    let s = |v: &Value, k: &str| v.get(k).and_then(Value::as_str).unwrap_or("").to_owned();
    let list = |k: &str| {
        v.get(k)
            .and_then(Value::as_array)
            .cloned()
            .unwrap_or_default()
    };
    let mut out = String::new();
    let (name, description) = (s(v, "name"), s(v, "description"));
    if !name.is_empty() || !description.is_empty() {
        let shown = if name.is_empty() { "(default)" } else { &name };
        let mut t = format!("TARGET:\t{shown}\n");
        if !description.is_empty() {
            t.push_str(&format!("DESCRIPTION:\t{description}\n"));
        }
        out.push_str(&tabwrite(&t, 1));
        out.push('\n');
    }
    let args = list("args");
    if !args.is_empty() {
        let mut t = String::from("BUILD ARG\tVALUE\tDESCRIPTION\n");
        for a in &args {
            t.push_str(&format!(
                "{}\t{}\t{}\n",
                s(a, "name"),
                s(a, "value"),
                s(a, "description")
            ));
        }
        out.push_str(&tabwrite(&t, 3));
        out.push('\n');
    }
    for (key, header) in [("secrets", "SECRET"), ("ssh", "SSH")] {
        let items = list(key);
        if items.is_empty() {
            continue;
        }
        let mut t = format!("{header}\tREQUIRED\n");
        for i in &items {
            let required = i.get("required").and_then(Value::as_bool) == Some(true);
            t.push_str(&format!(
                "{}\t{}\n",
                s(i, "name"),
                if required { "true" } else { "" }
            ));
        }
        out.push_str(&tabwrite(&t, 3));
        out.push('\n');
    }
    metadata(marshal_indent(v).into_bytes(), out)
}

/// The `frontend.targets` answer for the targets JSON.
pub fn targets(v: &Value) -> BTreeMap<String, Vec<u8>> {
    let mut t = String::from("TARGET\tDESCRIPTION\n");
    for target in v
        .get("targets")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
    {
        let s = |k: &str| target.get(k).and_then(Value::as_str).unwrap_or("");
        let default = target.get("default").and_then(Value::as_bool) == Some(true);
        let name = match (s("name"), default) {
            ("", true) => "(default)".to_owned(),
            (n, true) => format!("{n} (default)"),
            (n, false) => n.to_owned(),
        };
        t.push_str(&format!("{name}\t{}\n", s("description")));
    }
    metadata(marshal_indent(v).into_bytes(), tabwrite(&t, 1))
}

/// What the `frontend.lint` subrequest answers: BuildKit's `LintResults`
/// for one Dockerfile.
#[derive(Clone, Debug)]
pub struct LintReport<'a> {
    /// In the order BuildKit's frontend reported them.
    pub warnings: Vec<&'a Warning>,
    pub filename: &'a str,
    pub data: &'a [u8],
    /// The definition that loaded the Dockerfile.
    pub definition: &'a pb::Definition,
    /// The error that stopped the checks, with the lines it points at.
    pub error: Option<(String, Option<(u32, u32)>)>,
}

/// The `frontend.lint` answer: `result.json` (BuildKit's `LintResults`,
/// byte for byte as Go marshals it), `result.txt` (the warnings with their
/// source snippets, as `PrintLintViolations` prints them) and
/// `result.statuscode` (1 when there are warnings or an error).
pub fn lint(report: &LintReport<'_>) -> BTreeMap<String, Vec<u8>> {
    let location = |ranges: Vec<(u32, u32)>| {
        let mut fields = Vec::new();
        if !ranges.is_empty() {
            fields.push((
                "ranges",
                J::Arr(ranges.into_iter().map(range_json).collect()),
            ));
        }
        J::Obj(fields)
    };
    let warnings: Vec<J> = report
        .warnings
        .iter()
        .map(|w| {
            let mut fields = vec![("ruleName", J::Str(w.rule.clone()))];
            for (k, v) in [
                ("description", &w.description),
                ("url", &w.url),
                ("detail", &w.message),
            ] {
                if !v.is_empty() {
                    fields.push((k, J::Str(v.clone())));
                }
            }
            fields.push((
                "location",
                location(w.lines.iter().map(|&l| (l, l)).collect()),
            ));
            J::Obj(fields)
        })
        .collect();
    let source = source_info_json(
        report.filename,
        report.data,
        Some(report.definition),
        "Dockerfile",
    );
    let mut top = vec![
        (
            "warnings",
            if warnings.is_empty() {
                J::Null
            } else {
                J::Arr(warnings)
            },
        ),
        ("sources", J::Arr(vec![source])),
    ];
    if let Some((message, lines)) = &report.error {
        top.push((
            "buildError",
            J::Obj(vec![
                ("message", J::Str(message.clone())),
                ("location", location(lines.iter().copied().collect())),
            ]),
        ));
    }
    let mut json = String::new();
    J::Obj(top).write(0, &mut json);
    // PrintTo: by first line (one source here), warnings without a place first.
    let mut sorted = report.warnings.clone();
    sorted.sort_by_key(|w| w.lines.first().map_or((0, 0), |&l| (1, l)));
    let mut text = String::new();
    for w in sorted {
        text.push_str(&format!("\nWARNING: {}", w.rule));
        if !w.url.is_empty() {
            text.push_str(&format!(" - {}", w.url));
        }
        text.push_str(&format!("\n{}\n", w.message));
        let ranges: Vec<(u32, u32)> = w.lines.iter().map(|&l| (l, l)).collect();
        text.push_str(&print_source(report.filename, report.data, &ranges));
    }
    let status = u8::from(!report.warnings.is_empty() || report.error.is_some());
    BTreeMap::from([
        ("result.json".to_owned(), json.into_bytes()),
        ("result.txt".to_owned(), text.into_bytes()),
        (
            "result.statuscode".to_owned(),
            status.to_string().into_bytes(),
        ),
        ("version".to_owned(), VERSION.as_bytes().to_vec()),
    ])
}

/// BuildKit's `errdefs.Source.Print`: `file:line`, a rule, the lines around
/// the ranges (marked `>>>`), a rule. Empty when the ranges fall outside
/// the file.
pub fn print_source(filename: &str, data: &[u8], ranges: &[(u32, u32)]) -> String {
    let text = String::from_utf8_lossy(data);
    let lines: Vec<&str> = text.split('\n').collect();
    let Some(first) = ranges.iter().map(|r| r.0).min() else {
        return String::new();
    };
    let mut start = first as usize;
    let mut end = ranges.iter().map(|r| r.0.max(r.1)).max().unwrap_or(0) as usize;
    if start > lines.len() || start < 1 {
        return String::new();
    }
    end = end.min(lines.len());
    let pad = if end == start { 4 } else { 2 };
    let shown = start;
    // The same widening loop as BuildKit's, quirks included.
    let mut p = 0;
    while p < pad {
        if start > 1 {
            start -= 1;
            p += 1;
        }
        if end != lines.len() {
            end += 1;
            p += 1;
        }
        p += 1;
    }
    let mut out = format!("{filename}:{shown}\n--------------------\n");
    for i in start..=end {
        let marked = ranges
            .iter()
            .any(|&(s, e)| s as usize <= i && e.max(s) as usize >= i);
        let pfx = if marked { ">>>" } else { "   " };
        out.push_str(&format!(" {i:>3} | {pfx} {}\n", lines[i - 1]));
    }
    out.push_str("--------------------\n");
    out
}

/// A `pb.Range` of whole lines as Go's JSON writes it.
fn range_json((start, end): (u32, u32)) -> J {
    let pos = |line: u32| {
        let mut f = Vec::new();
        if line != 0 {
            f.push(("line", J::Num(i64::from(line))));
        }
        J::Obj(f)
    };
    J::Obj(vec![("start", pos(start)), ("end", pos(end))])
}

/// A `pb.SourceInfo` as Go's JSON writes it (omitempty fields, bytes as
/// base64, the protobuf field names).
fn source_info_json(
    filename: &str,
    data: &[u8],
    definition: Option<&pb::Definition>,
    language: &str,
) -> J {
    let mut f = Vec::new();
    if !filename.is_empty() {
        f.push(("filename", J::Str(filename.to_owned())));
    }
    if !data.is_empty() {
        f.push(("data", J::Str(b64(data))));
    }
    if let Some(def) = definition {
        f.push(("definition", definition_json(def)));
    }
    if !language.is_empty() {
        f.push(("language", J::Str(language.to_owned())));
    }
    J::Obj(f)
}

fn definition_json(def: &pb::Definition) -> J {
    let mut f = Vec::new();
    if !def.def.is_empty() {
        f.push((
            "def",
            J::Arr(def.def.iter().map(|d| J::Str(b64(d))).collect()),
        ));
    }
    if !def.metadata.is_empty() {
        let entries = def
            .metadata
            .iter()
            .map(|(k, m)| {
                let mut o = Vec::new();
                if m.ignore_cache {
                    o.push(("ignore_cache", J::Bool(true)));
                }
                if !m.description.is_empty() {
                    let d = m
                        .description
                        .iter()
                        .map(|(k, v)| (k.clone(), J::Str(v.clone())))
                        .collect();
                    o.push(("description", J::Map(d)));
                }
                if !m.caps.is_empty() {
                    let c = m
                        .caps
                        .iter()
                        .map(|(k, v)| (k.clone(), J::Bool(*v)))
                        .collect();
                    o.push(("caps", J::Map(c)));
                }
                (k.clone(), J::Obj(o))
            })
            .collect();
        f.push(("metadata", J::Map(entries)));
    }
    if let Some(src) = &def.source {
        let mut s = Vec::new();
        if !src.locations.is_empty() {
            let locs = src
                .locations
                .iter()
                .map(|(k, l)| {
                    let mut o = Vec::new();
                    if !l.locations.is_empty() {
                        let items = l
                            .locations
                            .iter()
                            .map(|loc| {
                                let mut lf = Vec::new();
                                if loc.source_index != 0 {
                                    lf.push(("sourceIndex", J::Num(i64::from(loc.source_index))));
                                }
                                if !loc.ranges.is_empty() {
                                    let line = |p: &Option<pb::Position>| {
                                        p.as_ref().map_or(0, |p| u32::try_from(p.line).unwrap_or(0))
                                    };
                                    let rs = loc
                                        .ranges
                                        .iter()
                                        .map(|r| range_json((line(&r.start), line(&r.end))))
                                        .collect();
                                    lf.push(("ranges", J::Arr(rs)));
                                }
                                J::Obj(lf)
                            })
                            .collect();
                        o.push(("locations", J::Arr(items)));
                    }
                    (k.clone(), J::Obj(o))
                })
                .collect();
            s.push(("locations", J::Map(locs)));
        }
        if !src.infos.is_empty() {
            let infos = src
                .infos
                .iter()
                .map(|i| source_info_json(&i.filename, &i.data, i.definition.as_ref(), &i.language))
                .collect();
            s.push(("infos", J::Arr(infos)));
        }
        f.push(("Source", J::Obj(s)));
    }
    J::Obj(f)
}

fn b64(bytes: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

/// A JSON value with its fields in Go's struct order (maps sorted).
enum J {
    Null,
    Bool(bool),
    Num(i64),
    Str(String),
    Arr(Vec<J>),
    /// A struct: fields in declaration order.
    Obj(Vec<(&'static str, J)>),
    /// A map: keys sorted.
    Map(BTreeMap<String, J>),
}

impl J {
    /// `json.MarshalIndent(v, "", "  ")`.
    fn write(&self, depth: usize, out: &mut String) {
        let indent = |out: &mut String, d: usize| {
            out.push('\n');
            out.extend(std::iter::repeat_n("  ", d));
        };
        let fields: Vec<(&str, &J)> = match self {
            J::Null => return out.push_str("null"),
            J::Bool(b) => return out.push_str(if *b { "true" } else { "false" }),
            J::Num(n) => return out.push_str(&n.to_string()),
            J::Str(s) => return push_string(out, s),
            J::Arr(items) if items.is_empty() => return out.push_str("[]"),
            J::Arr(items) => {
                out.push('[');
                for (i, item) in items.iter().enumerate() {
                    if i > 0 {
                        out.push(',');
                    }
                    indent(out, depth + 1);
                    item.write(depth + 1, out);
                }
                indent(out, depth);
                return out.push(']');
            }
            J::Obj(f) => f.iter().map(|(k, v)| (*k, v)).collect(),
            J::Map(m) => m.iter().map(|(k, v)| (k.as_str(), v)).collect(),
        };
        if fields.is_empty() {
            return out.push_str("{}");
        }
        out.push('{');
        for (i, (k, v)) in fields.iter().enumerate() {
            if i > 0 {
                out.push(',');
            }
            indent(out, depth + 1);
            push_string(out, k);
            out.push_str(": ");
            v.write(depth + 1, out);
        }
        indent(out, depth);
        out.push('}');
    }
}

fn metadata(json: Vec<u8>, text: String) -> BTreeMap<String, Vec<u8>> {
    BTreeMap::from([
        ("result.json".to_owned(), json),
        ("result.txt".to_owned(), text.into_bytes()),
        ("version".to_owned(), VERSION.as_bytes().to_vec()),
    ])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn describe_matches_buildkit() {
        let m = describe().unwrap();
        let text = String::from_utf8(m["result.txt"].clone()).unwrap();
        assert_eq!(
            text,
            "NAME                 VERSION DESCRIPTION\n\
             outline              1.0.0   List all parameters current build target supports\n\
             targets              1.0.0   List all targets current build supports\n\
             subrequests.describe 1.0.0   List available subrequest types\n"
        );
        let json = String::from_utf8(m["result.json"].clone()).unwrap();
        assert!(json.starts_with("[\n  {\n    \"name\": \"frontend.outline\",\n    \"version\": \"1.0.0\",\n    \"type\": \"rpc\","), "{json}");
        assert!(
            json.contains("\"opts\": [],\n    \"inputs\": null,"),
            "{json}"
        );
        assert_eq!(m["version"], b"1.0.0");
    }

    #[test]
    fn outline_and_targets_text() {
        let o = serde_json::json!({"name":"build","args":[{"name":"A","description":"the a arg","value":"1"},{"name":"LONGER"}],"secrets":[{"name":"s","required":true}]});
        let m = outline(&o);
        assert_eq!(
            String::from_utf8(m["result.txt"].clone()).unwrap(),
            "TARGET: build\n\nBUILD ARG   VALUE   DESCRIPTION\nA           1       the a arg\nLONGER              \n\nSECRET   REQUIRED\ns        true\n\n"
        );
        let t = serde_json::json!({"targets":[{"name":"base"},{"default":true,"description":"d"},{"name":"x","default":true}]});
        let m = targets(&t);
        assert_eq!(
            String::from_utf8(m["result.txt"].clone()).unwrap(),
            "TARGET      DESCRIPTION\nbase        \n(default)   d\nx (default) \n"
        );
        let json = String::from_utf8(m["result.json"].clone()).unwrap();
        assert!(
            json.starts_with("{\n  \"targets\": [\n    {\n      \"name\": \"base\"\n    },"),
            "{json}"
        );
    }

    #[test]
    fn lint_results_read_like_buildkits() {
        let data = b"FROM busybox:local AS Base\nCMD echo hi\nmaintainer me\n";
        let checks = super::super::warn::Checks::run(std::str::from_utf8(data).unwrap(), None);
        let definition = pb::Definition::default();
        let report = LintReport {
            warnings: checks.select(None, super::super::warn::Until::End),
            filename: "Dockerfile",
            data,
            definition: &definition,
            error: None,
        };
        let m = lint(&report);
        let text = String::from_utf8(m["result.txt"].clone()).unwrap();
        assert!(
            text.starts_with(
                "\nWARNING: StageNameCasing - https://docs.docker.com/go/dockerfile/rule/stage-name-casing/\n\
                 Stage name 'Base' should be lowercase\n\
                 Dockerfile:1\n\
                 --------------------\n   \
                 1 | >>> FROM busybox:local AS Base\n   \
                 2 |     CMD echo hi\n   \
                 3 |     maintainer me\n\
                 --------------------\n\
                 \nWARNING: JSONArgsRecommended"
            ),
            "{text}"
        );
        assert!(
            text.contains("   3 | >>> maintainer me\n   4 |     \n"),
            "{text}"
        );
        assert_eq!(m["result.statuscode"], b"1");
        let json = String::from_utf8(m["result.json"].clone()).unwrap();
        assert!(
            json.starts_with(
                "{\n  \"warnings\": [\n    {\n      \"ruleName\": \"StageNameCasing\",\n      \"description\": \"Stage names should be lowercase\",\n      \"url\": "
            ),
            "{json}"
        );
        assert!(
            json.ends_with(
                "\"definition\": {},\n      \"language\": \"Dockerfile\"\n    }\n  ]\n}"
            ),
            "{json}"
        );
        let clean = LintReport {
            warnings: Vec::new(),
            error: Some(("boom".into(), None)),
            ..report
        };
        let m = lint(&clean);
        let json = String::from_utf8(m["result.json"].clone()).unwrap();
        assert!(json.starts_with("{\n  \"warnings\": null,"), "{json}");
        assert!(
            json.ends_with(
                "\"buildError\": {\n    \"message\": \"boom\",\n    \"location\": {}\n  }\n}"
            ),
            "{json}"
        );
        assert_eq!(m["result.statuscode"], b"1");
        assert!(m["result.txt"].is_empty());
    }

    #[test]
    fn names_parse() {
        assert_eq!(Subrequest::parse("frontend.targets"), Subrequest::Targets);
        assert_eq!(
            Subrequest::parse("frontend.foo"),
            Subrequest::Other("frontend.foo".into())
        );
        assert_eq!(Subrequest::parse("frontend.lint"), Subrequest::Lint);
    }
}
