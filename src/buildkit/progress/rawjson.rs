//! The raw JSON display (`--progress=rawjson`): one JSON object per status
//! message, shaped like the `SolveStatus` that buildx's `rawjson` mode
//! prints with Go's `encoding/json`: the same field names and order,
//! empty fields left out where Go's `omitempty` leaves them out, bytes in
//! base64, times in RFC 3339 with nanoseconds, and `<`, `>`, `&` escaped
//! as `\u003c`, `\u003e`, `\u0026`.
//!
//! One difference: a warning's `sourceInfo.definition` (the LLB that loaded
//! the file) is reduced to its `def` list.

use base64::Engine;
use serde::Serialize;

use crate::proto::control::{StatusResponse, Vertex, VertexLog, VertexStatus, VertexWarning};
use crate::proto::pb;

fn b64(data: &[u8]) -> String {
    base64::engine::general_purpose::STANDARD.encode(data)
}

fn is_false(b: &bool) -> bool {
    !*b
}

fn is_zero(n: &i64) -> bool {
    *n == 0
}

fn is_zero32(n: &i32) -> bool {
    *n == 0
}

/// A protobuf timestamp as Go's `time.Time` marshals it (RFC 3339, UTC,
/// fractional seconds without trailing zeros).
pub fn rfc3339_nano(ts: &prost_types::Timestamp) -> String {
    let days = ts.seconds.div_euclid(86_400);
    let secs = ts.seconds.rem_euclid(86_400);
    let (year, month, day) = civil_from_days(days);
    let mut out = format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    );
    if ts.nanos > 0 {
        let frac = format!("{:09}", ts.nanos);
        out.push('.');
        out.push_str(frac.trim_end_matches('0'));
    }
    out.push('Z');
    out
}

/// Year, month, day of a count of days since 1970-01-01 (Howard Hinnant's
/// civil-from-days algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let month = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let year = yoe + era * 400 + i64::from(month <= 2);
    (year, month, day)
}

#[derive(Serialize)]
struct JsonStatus {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    vertexes: Vec<JsonVertex>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    statuses: Vec<JsonVertexStatus>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    logs: Vec<JsonLog>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    warnings: Vec<JsonWarning>,
}

#[derive(Serialize)]
struct JsonVertex {
    #[serde(skip_serializing_if = "String::is_empty")]
    digest: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    inputs: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    started: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    completed: Option<String>,
    #[serde(skip_serializing_if = "is_false")]
    cached: bool,
    #[serde(skip_serializing_if = "String::is_empty")]
    error: String,
    #[serde(rename = "progressGroup", skip_serializing_if = "Option::is_none")]
    progress_group: Option<JsonProgressGroup>,
}

#[derive(Serialize)]
struct JsonProgressGroup {
    #[serde(skip_serializing_if = "String::is_empty")]
    id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "is_false")]
    weak: bool,
}

#[derive(Serialize)]
struct JsonVertexStatus {
    id: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    vertex: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    name: String,
    #[serde(skip_serializing_if = "is_zero")]
    total: i64,
    current: i64,
    timestamp: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    started: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    completed: Option<String>,
}

#[derive(Serialize)]
struct JsonLog {
    #[serde(skip_serializing_if = "String::is_empty")]
    vertex: String,
    #[serde(skip_serializing_if = "is_zero")]
    stream: i64,
    /// `null` for no bytes, as Go marshals a nil slice.
    data: Option<String>,
    timestamp: String,
}

#[derive(Serialize)]
struct JsonWarning {
    #[serde(skip_serializing_if = "String::is_empty")]
    vertex: String,
    #[serde(skip_serializing_if = "is_zero")]
    level: i64,
    #[serde(skip_serializing_if = "Option::is_none")]
    short: Option<String>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    detail: Vec<String>,
    #[serde(skip_serializing_if = "String::is_empty")]
    url: String,
    #[serde(rename = "sourceInfo", skip_serializing_if = "Option::is_none")]
    source_info: Option<JsonSourceInfo>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    range: Vec<JsonRange>,
}

#[derive(Serialize)]
struct JsonSourceInfo {
    #[serde(skip_serializing_if = "String::is_empty")]
    filename: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    data: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    definition: Option<JsonDefinition>,
    #[serde(skip_serializing_if = "String::is_empty")]
    language: String,
}

#[derive(Serialize)]
struct JsonDefinition {
    #[serde(skip_serializing_if = "Vec::is_empty")]
    def: Vec<String>,
}

#[derive(Serialize)]
struct JsonRange {
    #[serde(skip_serializing_if = "Option::is_none")]
    start: Option<JsonPosition>,
    #[serde(skip_serializing_if = "Option::is_none")]
    end: Option<JsonPosition>,
}

#[derive(Serialize)]
struct JsonPosition {
    #[serde(skip_serializing_if = "is_zero32")]
    line: i32,
    #[serde(skip_serializing_if = "is_zero32")]
    character: i32,
}

fn ts(t: &Option<prost_types::Timestamp>) -> Option<String> {
    t.as_ref().map(rfc3339_nano)
}

/// Go marshals a zero `time.Time` like this.
const ZERO_TIME: &str = "0001-01-01T00:00:00Z";

fn ts_or_zero(t: &Option<prost_types::Timestamp>) -> String {
    ts(t).unwrap_or_else(|| ZERO_TIME.to_owned())
}

fn vertex(v: &Vertex) -> JsonVertex {
    JsonVertex {
        digest: v.digest.clone(),
        inputs: v.inputs.clone(),
        name: v.name.clone(),
        started: ts(&v.started),
        completed: ts(&v.completed),
        cached: v.cached,
        error: v.error.clone(),
        progress_group: v.progress_group.as_ref().map(|g| JsonProgressGroup {
            id: g.id.clone(),
            name: g.name.clone(),
            weak: g.weak,
        }),
    }
}

fn status(s: &VertexStatus) -> JsonVertexStatus {
    JsonVertexStatus {
        id: s.id.clone(),
        vertex: s.vertex.clone(),
        name: s.name.clone(),
        total: s.total,
        current: s.current,
        timestamp: ts_or_zero(&s.timestamp),
        started: ts(&s.started),
        completed: ts(&s.completed),
    }
}

fn log(l: &VertexLog) -> JsonLog {
    JsonLog {
        vertex: l.vertex.clone(),
        stream: l.stream,
        data: (!l.msg.is_empty()).then(|| b64(&l.msg)),
        timestamp: ts_or_zero(&l.timestamp),
    }
}

fn position(p: &Option<pb::Position>) -> Option<JsonPosition> {
    p.as_ref().map(|p| JsonPosition {
        line: p.line,
        character: p.character,
    })
}

fn warning(w: &VertexWarning) -> JsonWarning {
    JsonWarning {
        vertex: w.vertex.clone(),
        level: w.level,
        short: (!w.short.is_empty()).then(|| b64(&w.short)),
        detail: w.detail.iter().map(|d| b64(d)).collect(),
        url: w.url.clone(),
        source_info: w.info.as_ref().map(|i| JsonSourceInfo {
            filename: i.filename.clone(),
            data: (!i.data.is_empty()).then(|| b64(&i.data)),
            definition: i.definition.as_ref().map(|d| JsonDefinition {
                def: d.def.iter().map(|op| b64(op)).collect(),
            }),
            language: i.language.clone(),
        }),
        range: w
            .ranges
            .iter()
            .map(|r| JsonRange {
                start: position(&r.start),
                end: position(&r.end),
            })
            .collect(),
    }
}

/// One status message as one line of JSON (without the newline).
pub fn to_json_line(s: &StatusResponse) -> String {
    let doc = JsonStatus {
        vertexes: s.vertexes.iter().map(vertex).collect(),
        statuses: s.statuses.iter().map(status).collect(),
        logs: s.logs.iter().map(log).collect(),
        warnings: s.warnings.iter().map(warning).collect(),
    };
    let text = serde_json::to_string(&doc).unwrap_or_else(|_| "{}".to_owned());
    escape_like_go(&text)
}

/// Go's encoder escapes HTML-special characters and the two JavaScript
/// line separators; in JSON text they can only occur inside strings.
fn escape_like_go(json: &str) -> String {
    let mut out = String::with_capacity(json.len());
    for c in json.chars() {
        match c {
            '<' => out.push_str("\\u003c"),
            '>' => out.push_str("\\u003e"),
            '&' => out.push_str("\\u0026"),
            '\u{2028}' => out.push_str("\\u2028"),
            '\u{2029}' => out.push_str("\\u2029"),
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn timestamps_print_like_go() {
        let t = |seconds, nanos| rfc3339_nano(&prost_types::Timestamp { seconds, nanos });
        assert_eq!(t(0, 0), "1970-01-01T00:00:00Z");
        assert_eq!(t(1_700_000_000, 120_000_000), "2023-11-14T22:13:20.12Z");
        assert_eq!(t(951_782_400, 1), "2000-02-29T00:00:00.000000001Z");
        assert_eq!(t(-1, 0), "1969-12-31T23:59:59Z");
    }
}
