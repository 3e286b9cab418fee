//! Subrequests: `requestid=<name>` asks the frontend for information
//! instead of a build. Each answer is metadata only: `result.json`, a
//! human-readable `result.txt` (what `docker buildx build --call=<name>`
//! prints) and the answer's `version`.
//!
//! Answered: `frontend.subrequests.describe` (the list below),
//! `frontend.outline` and `frontend.targets`. `frontend.lint` gets a clear
//! "not supported" error; any other name gets BuildKit's
//! `unsupported request <name>` error with its typed detail.
//!
//! The JSON is written the way Go's `json.MarshalIndent` writes BuildKit's
//! structs, and the text forms are rendered from it the way BuildKit does
//! (see [`super::gofmt`]), so clients print the same bytes.

use std::collections::BTreeMap;

use serde::Serialize;
use serde_json::Value;

use super::gofmt::{marshal_indent, tabwrite};
use super::result::FrontendError;

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

/// The error for `frontend.lint` until slipway has build checks.
pub fn lint_unsupported() -> FrontendError {
    let mut e = FrontendError::unsupported_subrequest("frontend.lint");
    e.message = "build checks are not supported by slipway yet".to_owned();
    e
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
    fn names_parse() {
        assert_eq!(Subrequest::parse("frontend.targets"), Subrequest::Targets);
        assert_eq!(
            Subrequest::parse("frontend.foo"),
            Subrequest::Other("frontend.foo".into())
        );
        assert_eq!(
            lint_unsupported().message,
            "build checks are not supported by slipway yet"
        );
    }
}
