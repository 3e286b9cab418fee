//! The `frontend.outline` and `frontend.targets` subrequests, with the JSON
//! shapes BuildKit's Dockerfile frontend returns (`result.json`).

use std::collections::BTreeSet;

use base64::Engine;
use serde_json::{Map, Value, json};

use crate::diagnostics::Diagnostic;
use crate::ir::lower::OutlineSource;
use crate::syntax::text::LineIndex;

use super::pipeline::{parse_request, plan_and_lower};
use super::{CompileRequest, Resolver};

/// `frontend.outline`: the build args, secrets and SSH sockets the target
/// (and the stages it needs) use, sorted by line; plus the target's name
/// and description and the Dockerfile as `sources`.
pub async fn outline<R: Resolver>(
    req: &CompileRequest,
    resolver: &R,
) -> Result<Value, Vec<Diagnostic>> {
    let lowered = plan_and_lower(req, resolver).await?;
    let src = &lowered.outline;
    let target = src.target;
    let args = gather(|v, s, o| collect_args(src, target, v, s, o));
    let secrets = gather(|v, s, o| collect_keyed(src, target, true, v, s, o));
    let ssh = gather(|v, s, o| collect_keyed(src, target, false, v, s, o));

    let mut out = Map::new();
    if let Some(name) = src.names.get(target).cloned().flatten() {
        out.insert("name".into(), json!(name));
    }
    if let Some(d) = src.doc_comments.get(target).cloned().flatten() {
        out.insert("description".into(), json!(d));
    }
    let pick =
        |v: Vec<(u32, String, Value)>| Value::Array(v.into_iter().map(|(_, _, x)| x).collect());
    if !args.is_empty() {
        out.insert("args".into(), pick(args));
    }
    if !secrets.is_empty() {
        out.insert("secrets".into(), pick(secrets));
    }
    if !ssh.is_empty() {
        out.insert("ssh".into(), pick(ssh));
    }
    out.insert("sources".into(), sources(&req.dockerfile));
    Ok(Value::Object(out))
}

/// `frontend.targets`: every stage with its name, description, base and
/// platform as written; the last stage is the default.
pub fn targets(req: &CompileRequest) -> Result<Value, Vec<Diagnostic>> {
    let parsed = parse_request(req)?;
    let index = LineIndex::new(&parsed.tree.source);
    let n = parsed.file.stages.len();
    let mut list = Vec::with_capacity(n);
    for (i, st) in parsed.file.stages.iter().enumerate() {
        let mut t = Map::new();
        if let Some(name) = &st.name {
            t.insert("name".into(), json!(name.value));
        }
        if i + 1 == n {
            t.insert("default".into(), json!(true));
        }
        if let Some(d) = &st.doc_comment {
            t.insert("description".into(), json!(d));
        }
        t.insert("base".into(), json!(st.from.image.value));
        if let Some(p) = &st.from.platform {
            t.insert("platform".into(), json!(p.value));
        }
        t.insert("location".into(), location(index.lines(st.from.range)));
        list.push(Value::Object(t));
    }
    Ok(json!({ "targets": list, "sources": sources(&req.dockerfile) }))
}

fn sources(dockerfile: &[u8]) -> Value {
    json!([base64::engine::general_purpose::STANDARD.encode(dockerfile)])
}

/// A `pb.Location` as Go's JSON encoder writes it (zero fields left out).
fn location((start, end): (u32, u32)) -> Value {
    let pos = |line: u32| {
        if line == 0 {
            json!({})
        } else {
            json!({ "line": line })
        }
    };
    json!({ "ranges": [{ "start": pos(start), "end": pos(end) }] })
}

/// One outline entry: its line, name and JSON.
type Entry = (u32, String, Value);

/// Runs a collector from the target with fresh visited sets, then sorts
/// what it found by line and name, as BuildKit lists outline entries.
fn gather(
    collect: impl FnOnce(&mut BTreeSet<String>, &mut BTreeSet<usize>, &mut Vec<Entry>),
) -> Vec<Entry> {
    let mut out = Vec::new();
    collect(&mut BTreeSet::new(), &mut BTreeSet::new(), &mut out);
    out.sort_by_key(|(line, name, _)| (*line, name.clone()));
    out
}

/// BuildKit's `dispatchState.args`: the used args of a stage (following
/// the args their defaults use), then its base, then its dependencies.
fn collect_args(
    src: &OutlineSource,
    stage: usize,
    visited: &mut BTreeSet<String>,
    stages_seen: &mut BTreeSet<usize>,
    out: &mut Vec<(u32, String, Value)>,
) {
    if !stages_seen.insert(stage) {
        return;
    }
    let Some(Some(cap)) = src.captures.get(stage) else {
        return;
    };
    let mut used = cap.used_args.clone();
    let mut todo: Vec<String> = used.iter().cloned().collect();
    while let Some(k) = todo.pop() {
        if let Some(a) = cap.all_args.get(&k) {
            for d in &a.deps {
                if used.insert(d.clone()) {
                    todo.push(d.clone());
                }
            }
        }
    }
    for k in &used {
        let Some(a) = cap.all_args.get(k) else {
            continue;
        };
        if !visited.insert(k.clone()) {
            continue;
        }
        let mut arg = Map::new();
        arg.insert("name".into(), json!(a.name));
        if let Some(d) = a.description.as_ref().filter(|d| !d.is_empty()) {
            arg.insert("description".into(), json!(d));
        }
        if !a.value.is_empty() {
            arg.insert("value".into(), json!(a.value));
        }
        arg.insert("location".into(), location(a.lines));
        out.push((a.lines.0, a.name.clone(), Value::Object(arg)));
    }
    let (base, deps) = src.edges.get(stage).cloned().unwrap_or_default();
    if let Some(b) = base {
        collect_args(src, b, visited, stages_seen, out);
    }
    for d in deps {
        collect_args(src, d, visited, stages_seen, out);
    }
}

/// Secrets (`secrets = true`) or SSH sockets of a stage and what it needs.
fn collect_keyed(
    src: &OutlineSource,
    stage: usize,
    secrets: bool,
    visited: &mut BTreeSet<String>,
    stages_seen: &mut BTreeSet<usize>,
    out: &mut Vec<(u32, String, Value)>,
) {
    if !stages_seen.insert(stage) {
        return;
    }
    let Some(Some(cap)) = src.captures.get(stage) else {
        return;
    };
    let map = if secrets { &cap.secrets } else { &cap.ssh };
    for (name, (required, lines)) in map {
        if !visited.insert(name.clone()) {
            continue;
        }
        let mut v = Map::new();
        v.insert("name".into(), json!(name));
        if *required {
            v.insert("required".into(), json!(true));
        }
        v.insert("location".into(), location(*lines));
        out.push((lines.0, name.clone(), Value::Object(v)));
    }
    let (base, deps) = src.edges.get(stage).cloned().unwrap_or_default();
    if let Some(b) = base {
        collect_keyed(src, b, secrets, visited, stages_seen, out);
    }
    for d in deps {
        collect_keyed(src, d, secrets, visited, stages_seen, out);
    }
}
