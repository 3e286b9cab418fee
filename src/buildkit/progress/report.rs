//! The failure report: a failed `Solve`'s gRPC status turned into one
//! screen that says what failed, where in the Dockerfile, and what the
//! step printed last.
//!
//! BuildKit packs typed details into the status (`grpc-status-details-bin`,
//! an encoded `google.rpc.Status`). Its `util/grpcerrors` marshals each one
//! with Go's `encoding/json` under a type URL registered with
//! `typeurl.Register`, so the payloads are JSON, not protobuf:
//!
//! | type URL (after `github.com/moby/buildkit/`) | meaning |
//! | --- | --- |
//! | `errdefs.Source+json` | the file (name and contents) and line ranges of the failing step |
//! | `errdefs.Vertex+json` | the failing vertex's digest |
//! | `gatewayapi.ExitMessage+json` | a process's exit code (`Code`) |
//! | `errdefs.Solve+json` | the failing op (its command line) and description |
//! | `stack.Stack+json` | server stack traces (ignored) |
//!
//! Payloads with a protobuf type URL (no `+json`) are decoded as protobuf
//! for `Source` and `Vertex`. When the error carries no source, the
//! definition's own source map (if given) locates the failing vertex.

use std::collections::BTreeMap;
use std::fmt;

use base64::Engine;
use prost::Message;
use serde::Deserialize;

use crate::proto::errdefs;
use crate::proto::google::rpc;
use crate::proto::pb;

use super::trace::Trace;

/// The parts of a failed build's status the report uses.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ErrorDetails {
    /// The status message.
    pub message: String,
    /// Source locations, first one first, duplicates removed.
    pub sources: Vec<SourceLocation>,
    /// The failing vertex's digest.
    pub vertex: Option<String>,
    /// The failing process's exit code.
    pub exit_code: Option<u32>,
    /// The failing op's command line, when it is an exec op.
    pub command: Option<Vec<String>>,
    /// The failing op's description (`llb.customname`, …).
    pub description: BTreeMap<String, String>,
}

/// A file and line ranges inside it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SourceLocation {
    /// The file's name, e.g. `Dockerfile`.
    pub filename: String,
    /// The file's contents.
    pub data: Vec<u8>,
    /// 1-based inclusive line ranges.
    pub lines: Vec<(u32, u32)>,
}

#[derive(Deserialize, Default)]
struct JsonSource {
    #[serde(default)]
    info: Option<JsonInfo>,
    #[serde(default)]
    ranges: Option<Vec<JsonRange>>,
}

#[derive(Deserialize, Default)]
struct JsonInfo {
    #[serde(default)]
    filename: Option<String>,
    #[serde(default)]
    data: Option<String>,
}

#[derive(Deserialize, Default)]
struct JsonRange {
    #[serde(default)]
    start: Option<JsonPosition>,
    #[serde(default)]
    end: Option<JsonPosition>,
}

#[derive(Deserialize, Default)]
struct JsonPosition {
    #[serde(default)]
    line: i32,
}

#[derive(Deserialize)]
struct JsonVertex {
    #[serde(default)]
    digest: String,
}

#[derive(Deserialize)]
struct JsonExit {
    #[serde(default, rename = "Code")]
    code: u32,
}

#[derive(Deserialize)]
struct JsonSolve {
    #[serde(default)]
    op: Option<serde_json::Value>,
    #[serde(default)]
    description: Option<BTreeMap<String, String>>,
}

fn line_range(start: i32, end: i32) -> Option<(u32, u32)> {
    let start = u32::try_from(start).ok().filter(|l| *l > 0)?;
    let end = u32::try_from(end)
        .ok()
        .filter(|l| *l >= start)
        .unwrap_or(start);
    Some((start, end))
}

fn pb_ranges(ranges: &[pb::Range]) -> Vec<(u32, u32)> {
    ranges
        .iter()
        .filter_map(|r| {
            line_range(
                r.start.as_ref().map_or(0, |p| p.line),
                r.end.as_ref().map_or(0, |p| p.line),
            )
        })
        .collect()
}

/// Decodes the typed details of `status`; unknown or broken details are
/// skipped.
pub fn decode_details(status: &tonic::Status) -> ErrorDetails {
    let mut out = ErrorDetails {
        message: status.message().to_owned(),
        ..ErrorDetails::default()
    };
    let Ok(st) = rpc::Status::decode(status.details()) else {
        return out;
    };
    if out.message.is_empty() {
        out.message = st.message.clone();
    }
    for any in &st.details {
        let name = any.type_url.rsplit('/').next().unwrap_or("");
        let (name, json) = match name.strip_suffix("+json") {
            Some(n) => (n, true),
            None => (name, false),
        };
        let value = any.value.as_slice();
        match (name, json) {
            ("errdefs.Source", true) => {
                if let Ok(s) = serde_json::from_slice::<JsonSource>(value) {
                    let info = s.info.unwrap_or_default();
                    let data = info
                        .data
                        .and_then(|d| base64::engine::general_purpose::STANDARD.decode(d).ok())
                        .unwrap_or_default();
                    let lines = s
                        .ranges
                        .unwrap_or_default()
                        .iter()
                        .filter_map(|r| {
                            line_range(
                                r.start.as_ref().map_or(0, |p| p.line),
                                r.end.as_ref().map_or(0, |p| p.line),
                            )
                        })
                        .collect();
                    push_source(&mut out, info.filename.unwrap_or_default(), data, lines);
                }
            }
            ("errdefs.Source", false) => {
                if let Ok(s) = errdefs::Source::decode(value) {
                    let info = s.info.unwrap_or_default();
                    push_source(&mut out, info.filename, info.data, pb_ranges(&s.ranges));
                }
            }
            ("errdefs.Vertex", true) => {
                if let Ok(v) = serde_json::from_slice::<JsonVertex>(value) {
                    out.vertex.get_or_insert(v.digest);
                }
            }
            ("errdefs.Vertex", false) => {
                if let Ok(v) = errdefs::Vertex::decode(value) {
                    out.vertex.get_or_insert(v.digest);
                }
            }
            ("gatewayapi.ExitMessage", true) => {
                if let Ok(e) = serde_json::from_slice::<JsonExit>(value) {
                    out.exit_code.get_or_insert(e.code);
                }
            }
            ("errdefs.Solve", true) => {
                if let Ok(s) = serde_json::from_slice::<JsonSolve>(value) {
                    if out.command.is_none() {
                        out.command = s.op.as_ref().and_then(exec_args);
                    }
                    if out.description.is_empty() {
                        out.description = s.description.unwrap_or_default();
                    }
                }
            }
            _ => {}
        }
    }
    out
}

fn push_source(out: &mut ErrorDetails, filename: String, data: Vec<u8>, lines: Vec<(u32, u32)>) {
    let loc = SourceLocation {
        filename,
        data,
        lines,
    };
    if !out.sources.contains(&loc) {
        out.sources.push(loc);
    }
}

/// `op.Op.exec.meta.args` of a Go-JSON `pb.Op`.
fn exec_args(op: &serde_json::Value) -> Option<Vec<String>> {
    let args = op
        .get("Op")?
        .get("exec")?
        .get("meta")?
        .get("args")?
        .as_array()?;
    Some(
        args.iter()
            .filter_map(|a| a.as_str().map(str::to_owned))
            .collect(),
    )
}

/// The location of `digest` in a definition's source map.
fn from_source_map(map: &pb::Source, digest: &str) -> Option<SourceLocation> {
    let locations = map.locations.get(digest)?;
    let loc = locations.locations.first()?;
    let info = map.infos.get(usize::try_from(loc.source_index).ok()?)?;
    Some(SourceLocation {
        filename: info.filename.clone(),
        data: info.data.clone(),
        lines: pb_ranges(&loc.ranges),
    })
}

/// The report as miette renders it.
#[derive(Debug)]
struct BuildFailure {
    message: String,
    source: Option<miette::NamedSource<String>>,
    labels: Vec<miette::LabeledSpan>,
    help: Option<String>,
}

impl fmt::Display for BuildFailure {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for BuildFailure {}

impl miette::Diagnostic for BuildFailure {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new("slipway::buildkit::build_failed"))
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.source.as_ref().map(|s| s as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        if self.source.is_none() || self.labels.is_empty() {
            return None;
        }
        Some(Box::new(self.labels.iter().cloned()))
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }
}

/// Byte range of lines `first..=last` (1-based) of `text`, without the
/// final newline; `None` when the file is shorter.
fn line_span(text: &str, first: u32, last: u32) -> Option<(usize, usize)> {
    let mut start = None;
    let mut offset = 0;
    for (i, line) in text.split_inclusive('\n').enumerate() {
        let n = u32::try_from(i + 1).ok()?;
        if n == first {
            start = Some(offset);
        }
        offset += line.len();
        if n == last {
            let end = offset - line.len() + line.trim_end_matches(['\n', '\r']).len();
            return start.map(|s| (s, end.max(s)));
        }
    }
    start.map(|s| (s, text.len()))
}

/// Options for [`render`].
#[derive(Clone, Copy, Debug)]
pub struct RenderOptions {
    /// ANSI colours.
    pub color: bool,
    /// Columns to wrap at.
    pub width: usize,
}

/// Renders the report for `status` with the logs in `trace`; `source_map`
/// (the definition's) locates the failing vertex when the error does not.
pub fn render(
    status: &tonic::Status,
    trace: &Trace,
    source_map: Option<&pb::Source>,
    opts: RenderOptions,
) -> String {
    let details = decode_details(status);
    // The failing vertex: named by the error, else the last one that failed.
    let vertex = details
        .vertex
        .as_ref()
        .filter(|d| trace.lookup(d).is_some())
        .cloned()
        .or_else(|| {
            trace
                .started_order
                .iter()
                .rev()
                .find(|d| {
                    trace
                        .vertices
                        .get(*d)
                        .is_some_and(|v| !v.vertex.error.is_empty() && !v.is_canceled())
                })
                .cloned()
        })
        .or(details.vertex.clone());
    let state = vertex.as_ref().and_then(|d| trace.lookup(d));

    let location = details
        .sources
        .iter()
        .find(|s| !s.data.is_empty() && !s.lines.is_empty())
        .cloned()
        .or_else(|| {
            let map = source_map?;
            from_source_map(map, vertex.as_deref()?)
        });

    let label = match details.exit_code {
        Some(code) => format!("exit code {code}"),
        None => "this step failed".to_owned(),
    };
    let mut source = None;
    let mut labels = Vec::new();
    if let Some(loc) = location {
        let text = String::from_utf8_lossy(&loc.data).into_owned();
        for (i, &(first, last)) in loc.lines.iter().enumerate() {
            if let Some((start, end)) = line_span(&text, first, last) {
                let text = (i == 0).then(|| label.clone());
                labels.push(miette::LabeledSpan::new(text, start, end - start));
            }
        }
        let name = if loc.filename.is_empty() {
            "Dockerfile".to_owned()
        } else {
            loc.filename
        };
        source = Some(miette::NamedSource::new(name, text));
    }

    let mut help = String::new();
    let name = state
        .map(|s| s.vertex.name.clone())
        .filter(|n| !n.is_empty())
        .or_else(|| details.description.get("llb.customname").cloned())
        .or_else(|| details.command.as_ref().map(|c| c.join(" ")));
    let logs = state.map(|s| s.last_log_lines()).unwrap_or_default();
    if !logs.is_empty() {
        let step = name.as_deref().unwrap_or("the failing step");
        help.push_str(&format!("last output of {step}:"));
        for line in &logs {
            help.push_str("\n  ");
            help.push_str(line);
        }
    } else if let Some(step) = &name {
        help.push_str(&format!("the failing step was {step}; it printed nothing"));
    }
    if labels.is_empty()
        && let Some(code) = details.exit_code
        && !details.message.contains(&format!("exit code: {code}"))
    {
        help.push_str(&format!("\nexit code {code}"));
    }

    let failure = BuildFailure {
        message: details.message.clone(),
        source,
        labels,
        help: (!help.is_empty()).then_some(help),
    };
    let theme = if opts.color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(opts.width);
    let mut out = String::new();
    if handler.render_report(&mut out, &failure).is_err() {
        out = format!("error: {}\n", details.message);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn line_spans_cover_whole_lines() {
        let text = "FROM a\nRUN b \\\n  c\nCMD d\n";
        assert_eq!(line_span(text, 1, 1), Some((0, 6)));
        assert_eq!(line_span(text, 2, 3), Some((7, 18)));
        assert_eq!(line_span(text, 4, 4), Some((19, 24)));
        assert_eq!(line_span(text, 9, 9), None);
        assert_eq!(line_span("no newline", 1, 1), Some((0, 10)));
    }
}
