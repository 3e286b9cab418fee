//! Rules about `EXPOSE` port specifications.

pub mod expose_invalid_format;
pub mod expose_port_out_of_range;
pub mod expose_proto_casing;

/// A port spec split like BuildKit's `splitParts`/`splitProtoPort`:
/// `(ip, host port, container port, protocol)`. `None` when BuildKit would
/// reject the spec (no port, unknown protocol), or when it holds a variable
/// that slipway does not expand here.
pub(crate) fn split_port(raw: &str) -> Option<(String, String, String, String)> {
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
    Some((ip, host, port.to_owned(), proto.to_owned()))
}
