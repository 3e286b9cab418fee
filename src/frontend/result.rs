//! The frontend's answer: a result (refs plus metadata) or an error status,
//! in the shapes BuildKit's exporters and clients expect.
//!
//! * One platform: `ref` is the build result, with metadata
//!   `containerimage.config`, `containerimage.base.config` (when there is a
//!   base image) and always `refs.platforms`.
//! * Several platforms (or `multi-platform` forced): `refs` keyed by the
//!   platform ID (`linux/arm/v7`), and the per-platform metadata keys gain a
//!   `/<ID>` suffix; `refs.platforms` lists them in request order.
//! * Errors: a `google.rpc.Status` whose message is the one-line error, with
//!   BuildKit's typed details encoded as Go JSON in `Any` values
//!   (`github.com/moby/buildkit/errdefs.Source+json` makes clients print the
//!   Dockerfile snippet around the failing line).

use std::collections::BTreeMap;

use base64::Engine as _;
use prost::Message as _;
use prost_types::Any;
use serde_json::{Value, json};

use crate::proto::gateway::{self, Ref, RefMap, ReturnRequest};
use crate::proto::google::rpc::Status;

/// Type URL prefix BuildKit registers its error details under.
const TYPE_URL_PREFIX: &str = "github.com/moby/buildkit/";

/// An error to hand back to BuildKit through `Return`.
#[derive(Clone, Debug, PartialEq)]
pub struct FrontendError {
    pub code: tonic::Code,
    pub message: String,
    pub details: Vec<Any>,
}

impl FrontendError {
    /// A plain error (gRPC code `Unknown`, as Go gives untyped errors).
    pub fn new(message: impl Into<String>) -> FrontendError {
        FrontendError {
            code: tonic::Code::Unknown,
            message: message.into(),
            details: Vec::new(),
        }
    }

    /// An error the daemon sent back (e.g. a failed RUN), kept intact:
    /// code, message and the typed details BuildKit attached to it.
    pub fn from_status(status: &tonic::Status) -> FrontendError {
        let details = Status::decode(status.details())
            .map(|s| s.details)
            .unwrap_or_default();
        FrontendError {
            code: status.code(),
            message: status.message().to_owned(),
            details,
        }
    }

    /// Prefixes the message (`failed to read dockerfile: …`), keeping details.
    pub fn context(mut self, what: &str) -> FrontendError {
        self.message = format!("{what}: {}", self.message);
        self
    }

    /// `frontend.caps` asked for something this frontend lacks.
    pub fn unsupported_cap(name: &str) -> FrontendError {
        FrontendError {
            code: tonic::Code::Unimplemented,
            message: format!("unsupported frontend capability {name}"),
            details: vec![typed_detail(
                "errdefs.FrontendCap",
                &json!({ "name": name }),
            )],
        }
    }

    /// A `requestid` this frontend does not answer.
    pub fn unsupported_subrequest(name: &str) -> FrontendError {
        FrontendError {
            code: tonic::Code::Unknown,
            message: format!("unsupported request {name}"),
            details: vec![typed_detail("errdefs.Subrequest", &json!({ "name": name }))],
        }
    }

    /// Attaches the Dockerfile and the failing line ranges, so that clients
    /// can print the snippet.
    pub fn with_source(mut self, source: &SourceDetail<'_>) -> FrontendError {
        self.details.push(source.to_any());
        self
    }

    /// The status sent in `Return`.
    pub fn to_status(&self) -> Status {
        Status {
            code: self.code as i32,
            message: self.message.clone(),
            details: self.details.clone(),
        }
    }
}

impl std::fmt::Display for FrontendError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.message)
    }
}

/// An `Any` holding a BuildKit error detail as Go JSON.
fn typed_detail(name: &str, value: &Value) -> Any {
    Any {
        type_url: format!("{TYPE_URL_PREFIX}{name}+json"),
        value: value.to_string().into_bytes(),
    }
}

/// The `errdefs.Source` detail: which file, and which lines of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SourceDetail<'a> {
    pub filename: &'a str,
    pub data: &'a [u8],
    pub language: &'a str,
    /// Line ranges, 1-based and inclusive, with 0-based characters
    /// (`(start_line, start_char, end_line, end_char)`).
    pub ranges: Vec<(u32, u32, u32, u32)>,
}

impl SourceDetail<'_> {
    fn to_any(&self) -> Any {
        // Go's encoding/json over the protobuf structs: omitempty fields,
        // bytes as standard base64.
        let pos = |line: u32, character: u32| {
            let mut p = serde_json::Map::new();
            if line != 0 {
                p.insert("line".into(), json!(line));
            }
            if character != 0 {
                p.insert("character".into(), json!(character));
            }
            Value::Object(p)
        };
        let ranges: Vec<Value> = self
            .ranges
            .iter()
            .map(|&(sl, sc, el, ec)| json!({ "start": pos(sl, sc), "end": pos(el, ec) }))
            .collect();
        let mut info = serde_json::Map::new();
        if !self.filename.is_empty() {
            info.insert("filename".into(), json!(self.filename));
        }
        if !self.data.is_empty() {
            let b64 = base64::engine::general_purpose::STANDARD.encode(self.data);
            info.insert("data".into(), json!(b64));
        }
        if !self.language.is_empty() {
            info.insert("language".into(), json!(self.language));
        }
        let mut src = serde_json::Map::new();
        src.insert("info".into(), Value::Object(info));
        if !ranges.is_empty() {
            src.insert("ranges".into(), Value::Array(ranges));
        }
        typed_detail("errdefs.Source", &Value::Object(src))
    }
}

/// Assembles a build result: the compiler's metadata (image configs,
/// `refs.platforms`, already keyed per platform when `multi`) plus the
/// solved refs, given as `(platform ID, ref ID)` in request order. `multi`
/// selects the refs-map form; `ref_array` the modern wire form of refs.
pub fn build_result(
    metadata: BTreeMap<String, Vec<u8>>,
    refs: Vec<(String, String)>,
    multi: bool,
    ref_array: bool,
) -> gateway::Result {
    use gateway::result::Result as R;
    let result = if multi {
        if ref_array {
            let refs = refs
                .into_iter()
                .map(|(k, id)| (k, Ref { id, def: None }))
                .collect();
            R::Refs(RefMap { refs })
        } else {
            R::RefsDeprecated(gateway::RefMapDeprecated {
                refs: refs.into_iter().collect(),
            })
        }
    } else {
        let id = refs
            .into_iter()
            .next()
            .map(|(_, id)| id)
            .unwrap_or_default();
        ref_result(id, ref_array)
    };
    gateway::Result {
        metadata,
        result: Some(result),
        ..gateway::Result::default()
    }
}

/// A result with metadata only (subrequests): an empty ref, as BuildKit's
/// client sends for a nil ref.
pub fn metadata_result(metadata: BTreeMap<String, Vec<u8>>, ref_array: bool) -> gateway::Result {
    gateway::Result {
        metadata,
        result: Some(ref_result(String::new(), ref_array)),
        ..gateway::Result::default()
    }
}

fn ref_result(id: String, ref_array: bool) -> gateway::result::Result {
    if ref_array {
        gateway::result::Result::Ref(Ref { id, def: None })
    } else {
        gateway::result::Result::RefDeprecated(id)
    }
}

/// The `Return` request for an outcome.
pub fn return_request(outcome: Result<gateway::Result, FrontendError>) -> ReturnRequest {
    match outcome {
        Ok(result) => ReturnRequest {
            result: Some(result),
            error: None,
        },
        Err(e) => ReturnRequest {
            result: None,
            error: Some(e.to_status()),
        },
    }
}
