//! The gRPC request metadata of the file-sync calls: key names and the
//! `<key>-encoded` convention BuildKit uses for non-ASCII values.

use std::collections::BTreeMap;

use tonic::metadata::{KeyAndValueRef, MetadataMap};

/// Name of the directory to sync (`FileSync.DiffCopy`).
pub const KEY_DIR_NAME: &str = "dir-name";
/// Include patterns, one value each.
pub const KEY_INCLUDE_PATTERNS: &str = "include-patterns";
/// Exclude patterns, one value each.
pub const KEY_EXCLUDE_PATTERNS: &str = "exclude-patterns";
/// Paths whose symlinks are resolved into include patterns.
pub const KEY_FOLLOW_PATHS: &str = "followpaths";
/// Index of the exporter sending through `FileSend.DiffCopy`.
pub const KEY_EXPORTER_ID: &str = "buildkit-attachable-exporter-id";
/// Prefix of exporter metadata passed along with a file output.
pub const KEY_EXPORTER_META_PREFIX: &str = "exporter-md-";

/// Every ASCII value of every key, in the order received.
pub(crate) fn collect(md: &MetadataMap) -> BTreeMap<String, Vec<String>> {
    let mut out: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for kv in md.iter() {
        if let KeyAndValueRef::Ascii(key, value) = kv
            && let Ok(v) = value.to_str()
        {
            out.entry(key.as_str().to_owned())
                .or_default()
                .push(v.to_owned());
        }
    }
    out
}

/// Undoes [`encode_values`] for every key that has a true `<key>-encoded`.
pub(crate) fn decode(md: &MetadataMap) -> BTreeMap<String, Vec<String>> {
    let raw = collect(md);
    let mut out = BTreeMap::new();
    for (key, values) in &raw {
        let encoded = raw
            .get(&format!("{key}-encoded"))
            .and_then(|v| v.first())
            .is_some_and(|v| matches!(v.as_str(), "1" | "t" | "T" | "true" | "TRUE" | "True"));
        let values = if encoded {
            // Like Go, a value that does not decode becomes empty.
            values
                .iter()
                .map(|v| query_unescape(v).unwrap_or_default())
                .collect()
        } else {
            values.clone()
        };
        out.insert(key.clone(), values);
    }
    out
}

/// BuildKit's header encoding: when any value has a non-ASCII character,
/// all values are URL-query escaped and the flag is `true` (send
/// `<key>-encoded: 1` alongside).
pub fn encode_values(values: &[String]) -> (Vec<String>, bool) {
    if values.iter().all(|v| v.is_ascii()) {
        return (values.to_vec(), false);
    }
    (values.iter().map(|v| query_escape(v)).collect(), true)
}

/// Go's `url.QueryEscape`.
fn query_escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        match b {
            b'A'..=b'Z' | b'a'..=b'z' | b'0'..=b'9' | b'-' | b'_' | b'.' | b'~' => {
                out.push(b as char)
            }
            b' ' => out.push('+'),
            _ => out.push_str(&format!("%{b:02X}")),
        }
    }
    out
}

/// Go's `url.QueryUnescape`; `None` on a malformed `%` escape.
fn query_unescape(s: &str) -> Option<String> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'%' => {
                let hex = bytes.get(i + 1..i + 3)?;
                let hex = std::str::from_utf8(hex).ok()?;
                out.push(u8::from_str_radix(hex, 16).ok()?);
                i += 3;
            }
            b'+' => {
                out.push(b' ');
                i += 1;
            }
            b => {
                out.push(b);
                i += 1;
            }
        }
    }
    Some(String::from_utf8_lossy(&out).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;
    use tonic::metadata::MetadataValue;

    #[test]
    fn encoded_values_round_trip() {
        let values = vec!["naïve dir/*.txt".to_owned(), "a+b".to_owned()];
        let (enc, flag) = encode_values(&values);
        assert!(flag);
        assert_eq!(enc, ["na%C3%AFve+dir%2F%2A.txt", "a%2Bb"]);
        let mut md = MetadataMap::new();
        for v in &enc {
            md.append(
                KEY_EXCLUDE_PATTERNS,
                MetadataValue::try_from(v.as_str()).expect("ascii"),
            );
        }
        md.insert("exclude-patterns-encoded", MetadataValue::from_static("1"));
        md.insert(KEY_DIR_NAME, MetadataValue::from_static("context%41"));
        let got = decode(&md);
        assert_eq!(got[KEY_EXCLUDE_PATTERNS], values);
        // Keys without the flag are taken as they are.
        assert_eq!(got[KEY_DIR_NAME], ["context%41"]);
        assert_eq!(query_unescape("%zz"), None);
        assert_eq!(
            encode_values(&["plain".to_owned()]),
            (vec!["plain".to_owned()], false)
        );
    }
}
