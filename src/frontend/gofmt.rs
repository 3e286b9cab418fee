//! Text the way Go writes it, for answers whose bytes clients print as-is:
//! `encoding/json`'s `MarshalIndent(v, "", "  ")` of BuildKit's subrequest
//! structs ([`marshal_indent`]) and `text/tabwriter` columns ([`tabwrite`]).

use serde_json::Value;

use crate::ir::gojson::push_string;

/// Field order of BuildKit's subrequest structs (`outline.Outline`, `Arg`,
/// `Secret`, `SSH`, `CacheMount`, `targets.List`, `Target`, `pb.Location`,
/// `Range`, `Position`). One ranking serves them all, because every struct
/// lists its shared field names in the same relative order. Unknown keys
/// go last, alphabetically.
const FIELD_ORDER: &[&str] = &[
    "name",
    "default",
    "description",
    "base",
    "platform",
    "value",
    "required",
    "ID",
    "args",
    "secrets",
    "ssh",
    "cache",
    "targets",
    "sources",
    "location",
    "sourceIndex",
    "ranges",
    "start",
    "end",
    "line",
    "character",
];

/// `json.MarshalIndent(v, "", "  ")` of the struct `v` stands for: fields in
/// Go's declaration order, strings escaped like Go (`<` as `\u003c` …).
pub fn marshal_indent(v: &Value) -> String {
    let mut out = String::new();
    write_value(v, 0, &mut out);
    out
}

fn write_value(v: &Value, depth: usize, out: &mut String) {
    let indent = |out: &mut String, d: usize| {
        out.push('\n');
        out.extend(std::iter::repeat_n("  ", d));
    };
    match v {
        Value::Null | Value::Bool(_) | Value::Number(_) => out.push_str(&v.to_string()),
        Value::String(s) => push_string(out, s),
        Value::Array(items) if items.is_empty() => out.push_str("[]"),
        Value::Array(items) => {
            out.push('[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, depth + 1);
                write_value(item, depth + 1, out);
            }
            indent(out, depth);
            out.push(']');
        }
        Value::Object(map) if map.is_empty() => out.push_str("{}"),
        Value::Object(map) => {
            let mut keys: Vec<&String> = map.keys().collect();
            let rank = |k: &str| {
                FIELD_ORDER
                    .iter()
                    .position(|f| *f == k)
                    .unwrap_or(usize::MAX)
            };
            keys.sort_by(|a, b| rank(a).cmp(&rank(b)).then_with(|| a.cmp(b)));
            out.push('{');
            for (i, k) in keys.iter().enumerate() {
                if i > 0 {
                    out.push(',');
                }
                indent(out, depth + 1);
                push_string(out, k);
                out.push_str(": ");
                if let Some(v) = map.get(*k) {
                    write_value(v, depth + 1, out);
                }
            }
            indent(out, depth);
            out.push('}');
        }
    }
}

/// Lays out tab-separated cells in columns like Go's `text/tabwriter` with
/// minimum width 0, the given padding, space as the pad character and no
/// flags: a cell is tab-terminated, so the last cell of a line never sets
/// a column width; a column block is a run of consecutive lines that have
/// a cell in that column.
pub fn tabwrite(text: &str, padding: usize) -> String {
    let lines: Vec<Vec<&str>> = text.split('\n').map(|l| l.split('\t').collect()).collect();
    let mut out = String::with_capacity(text.len() * 2);
    let mut widths = Vec::new();
    format_block(&lines, 0, lines.len(), &mut widths, padding, &mut out);
    out
}

fn format_block(
    lines: &[Vec<&str>],
    mut line0: usize,
    line1: usize,
    widths: &mut Vec<usize>,
    padding: usize,
    out: &mut String,
) {
    let column = widths.len();
    let has_cell = |i: usize| lines.get(i).is_some_and(|l| column + 1 < l.len());
    let mut this = line0;
    while this < line1 {
        if !has_cell(this) {
            this += 1;
            continue;
        }
        write_lines(lines, line0, this, widths, out);
        line0 = this;
        let mut width = 0;
        while this < line1 && has_cell(this) {
            let cell = lines[this].get(column).map_or(0, |c| c.chars().count());
            width = width.max(cell + padding);
            this += 1;
        }
        widths.push(width);
        format_block(lines, line0, this, widths, padding, out);
        widths.pop();
        line0 = this;
    }
    write_lines(lines, line0, line1, widths, out);
}

fn write_lines(lines: &[Vec<&str>], from: usize, to: usize, widths: &[usize], out: &mut String) {
    for i in from..to {
        let Some(line) = lines.get(i) else { break };
        for (j, cell) in line.iter().enumerate() {
            out.push_str(cell);
            if let Some(&w) = widths.get(j) {
                let pad = w.saturating_sub(cell.chars().count());
                out.extend(std::iter::repeat_n(' ', pad));
            }
        }
        if i + 1 < lines.len() {
            out.push('\n');
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tabwriter_matches_go_layout() {
        assert_eq!(
            tabwrite("TARGET\tDESCRIPTION\nbase\t\n(default)\t\n", 1),
            "TARGET    DESCRIPTION\nbase      \n(default) \n"
        );
        // The last cell of a line never widens a column; a line without
        // that column ends the block.
        assert_eq!(
            tabwrite("a\tbb\tlong last\nccc\td\n\nx\ty\n", 2),
            "a    bb  long last\nccc  d\n\nx  y\n"
        );
    }

    #[test]
    fn marshal_indent_matches_go() {
        let v = serde_json::json!({
            "sources": ["RlJPTQ=="],
            "args": [{ "value": "a<b&c", "name": "A", "location": { "ranges": [{ "end": { "line": 3 }, "start": { "line": 3 } }] } }],
            "name": "t",
            "secrets": [],
        });
        assert_eq!(
            marshal_indent(&v),
            "{\n  \"name\": \"t\",\n  \"args\": [\n    {\n      \"name\": \"A\",\n      \"value\": \"a\\u003cb\\u0026c\",\n      \"location\": {\n        \"ranges\": [\n          {\n            \"start\": {\n              \"line\": 3\n            },\n            \"end\": {\n              \"line\": 3\n            }\n          }\n        ]\n      }\n    }\n  ],\n  \"secrets\": [],\n  \"sources\": [\n    \"RlJPTQ==\"\n  ]\n}"
        );
        assert_eq!(marshal_indent(&serde_json::json!({})), "{}");
    }
}
