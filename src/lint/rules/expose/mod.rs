//! Rules about `EXPOSE` port specifications.

pub mod expose_invalid_format;
pub mod expose_port_out_of_range;
pub mod expose_proto_casing;

use crate::syntax::instructions::{Dockerfile, Expose, Instruction};
use crate::syntax::tree::Spanned;

/// A port spec split like BuildKit's `splitParts`/`splitProtoPort`.
pub(crate) struct PortSpec {
    pub ip: String,
    pub host: String,
    /// The container port (or range).
    pub port: String,
    pub proto: String,
}

/// Every port spec of every `EXPOSE` that [`split_port`] takes, with its
/// instruction and the spec as written.
pub(crate) fn exposed_ports(
    file: &Dockerfile,
) -> impl Iterator<Item = (&Expose, &Spanned, PortSpec)> {
    file.stages
        .iter()
        .flat_map(|stage| &stage.instructions)
        .filter_map(|ins| match ins {
            Instruction::Expose(e) => Some(e),
            _ => None,
        })
        .flat_map(|e| {
            e.ports
                .iter()
                .filter_map(move |spec| Some((e, spec, split_port(&spec.value)?)))
        })
}

/// Splits a port spec: `None` when BuildKit would reject it (no port,
/// unknown protocol), or when it holds a variable that slipway does not
/// expand here.
pub(crate) fn split_port(raw: &str) -> Option<PortSpec> {
    if raw.contains('$') {
        return None;
    }
    let parts: Vec<&str> = raw.split(':').collect();
    let n = parts.len();
    let (ip, host, container) = match n {
        1 => (String::new(), String::new(), parts[0]),
        2 => (String::new(), parts[0].to_owned(), parts[1]),
        _ => (
            parts[..n - 2].join(":"),
            parts[n - 2].to_owned(),
            parts[n - 1],
        ),
    };
    let (port, proto) = container.split_once('/').unwrap_or((container, ""));
    if port.is_empty() {
        return None;
    }
    if !matches!(proto.to_lowercase().as_str(), "" | "tcp" | "udp" | "sctp") {
        return None;
    }
    Some(PortSpec {
        ip,
        host,
        port: port.to_owned(),
        proto: proto.to_owned(),
    })
}
