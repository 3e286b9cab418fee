//! `RUN --mount=<csv>`: the typed mount, and the checks BuildKit makes
//! before and after variable expansion.
//!
//! While parsing, BuildKit only checks that the value is valid CSV and that
//! `from` has no variable in it ([`check_unexpanded`]). Everything else is
//! checked after each value has been expanded against the stage's
//! environment, by [`parse_mount`], which the IR calls.
//!
//! Fields are `key=value` or a bare key; keys are case-insensitive. `type`
//! is `bind` (the default), `cache`, `tmpfs`, `secret` or `ssh`; later keys
//! are checked against the type given so far, so `type` should come first.
//! A bind or secret mount is read-only unless `rw` is given; cache and tmpfs
//! are read-write unless `ro` is given. Defaults that depend on the build
//! (cache ids, secret and ssh targets, file modes) are the IR's to fill in.

use serde::Serialize;

use crate::diagnostics::suggest;
use crate::syntax::tree::Spanned;

use super::go_quote;

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum MountType {
    Bind,
    Cache,
    Tmpfs,
    Secret,
    Ssh,
}

impl MountType {
    pub fn as_str(self) -> &'static str {
        match self {
            MountType::Bind => "bind",
            MountType::Cache => "cache",
            MountType::Tmpfs => "tmpfs",
            MountType::Secret => "secret",
            MountType::Ssh => "ssh",
        }
    }
}

/// How a cache mount is shared between concurrent builds.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Sharing {
    Shared,
    Private,
    Locked,
}

/// A parsed `--mount` value. Empty strings count as "not given".
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Mount {
    #[serde(rename = "type")]
    pub kind: MountType,
    /// Stage, image or named context to mount from.
    pub from: Option<String>,
    pub source: Option<String>,
    pub target: Option<String>,
    pub read_only: bool,
    /// tmpfs size in bytes; 0 means no limit.
    pub size_limit: i64,
    /// Cache id, or secret/ssh id.
    pub id: Option<String>,
    pub sharing: Option<Sharing>,
    /// For secret and ssh: fail if the secret or socket is missing.
    pub required: bool,
    /// Secret exposed as this environment variable (`Some("")` means the
    /// default name).
    pub env: Option<String>,
    pub mode: Option<u32>,
    pub uid: Option<u32>,
    pub gid: Option<u32>,
}

/// A `--mount` flag as written, and its `from` (known before expansion,
/// which is what stage dependencies are computed from).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct RunMount {
    pub value: Spanned,
    pub from: Option<String>,
}

const TYPES: [&str; 5] = ["bind", "cache", "tmpfs", "secret", "ssh"];
const SHARING: [&str; 3] = ["shared", "private", "locked"];
const KEYS: [&str; 19] = [
    "type",
    "from",
    "source",
    "target",
    "readonly",
    "id",
    "sharing",
    "required",
    "size",
    "mode",
    "uid",
    "gid",
    "src",
    "dst",
    "destination",
    "ro",
    "rw",
    "readwrite",
    "env",
];

/// The parse-time check on an unexpanded value: valid CSV, and no variable
/// in `from` (a `$` as its last character is allowed). Returns the `from`.
pub fn check_unexpanded(value: &str) -> Result<Option<String>, String> {
    let fields = csv_fields(value).map_err(|e| format!("failed to parse csv mounts: {e}"))?;
    let mut from = None;
    for field in fields {
        let Some((key, value)) = field.split_once('=') else {
            continue;
        };
        if key.to_lowercase() != "from" {
            continue;
        }
        if value.find('$').is_some_and(|i| i + 1 != value.len()) {
            return Err(
                "'from' doesn't support variable expansion, define alias stage instead".to_owned(),
            );
        }
        from = Some(value.to_owned()).filter(|v| !v.is_empty());
    }
    Ok(from)
}

/// Parses an expanded `--mount` value with BuildKit's rules and wording.
pub fn parse_mount(value: &str) -> Result<Mount, String> {
    let fields = csv_fields(value).map_err(|e| format!("failed to parse csv mounts: {e}"))?;
    let mut m = Mount {
        kind: MountType::Bind,
        from: None,
        source: None,
        target: None,
        read_only: false,
        size_limit: 0,
        id: None,
        sharing: None,
        required: false,
        env: None,
        mode: None,
        uid: None,
        gid: None,
    };
    let mut ro_auto = true;
    for field in &fields {
        let (key, value) = match field.split_once('=') {
            Some((k, v)) => (k.to_lowercase(), Some(v)),
            None => (field.to_lowercase(), None),
        };
        let secret_or_ssh = matches!(m.kind, MountType::Secret | MountType::Ssh);
        let unexpected = |m: &Mount| {
            format!(
                "unexpected key '{key}' for mount type '{}'",
                m.kind.as_str()
            )
        };
        let invalid = |v: &str| format!("invalid value for {key}: {v}");
        let Some(value) = value else {
            match key.as_str() {
                "readonly" | "ro" => (m.read_only, ro_auto) = (true, false),
                "readwrite" | "rw" => (m.read_only, ro_auto) = (false, false),
                "required" if secret_or_ssh => m.required = true,
                "required" => return Err(unexpected(&m)),
                _ => return Err(format!("invalid field '{field}' must be a key=value pair")),
            }
            continue;
        };
        let non_empty = || Some(value.to_owned()).filter(|v| !v.is_empty());
        match key.as_str() {
            "type" => {
                m.kind = match value.to_lowercase().as_str() {
                    "bind" => MountType::Bind,
                    "cache" => MountType::Cache,
                    "tmpfs" => MountType::Tmpfs,
                    "secret" => MountType::Secret,
                    "ssh" => MountType::Ssh,
                    _ => {
                        return Err(with_suggestion(
                            format!("unsupported mount type {}", go_quote(value)),
                            value,
                            &TYPES,
                        ));
                    }
                }
            }
            "from" => m.from = non_empty(),
            "source" | "src" => m.source = non_empty(),
            "target" | "dst" | "destination" => m.target = non_empty(),
            "readonly" | "ro" => {
                m.read_only = go_bool(value).ok_or_else(|| invalid(value))?;
                ro_auto = false;
            }
            "readwrite" | "rw" => {
                m.read_only = !go_bool(value).ok_or_else(|| invalid(value))?;
                ro_auto = false;
            }
            "required" if secret_or_ssh => {
                m.required = go_bool(value).ok_or_else(|| invalid(value))?
            }
            "required" => return Err(unexpected(&m)),
            "size" if m.kind == MountType::Tmpfs => {
                m.size_limit = ram_in_bytes(value).ok_or_else(|| invalid(value))?;
            }
            "size" => return Err(unexpected(&m)),
            "id" => m.id = non_empty(),
            "sharing" => {
                m.sharing = Some(match value.to_lowercase().as_str() {
                    "shared" => Sharing::Shared,
                    "private" => Sharing::Private,
                    "locked" => Sharing::Locked,
                    _ => {
                        let msg = format!("unsupported sharing value {}", go_quote(value));
                        return Err(with_suggestion(msg, value, &SHARING));
                    }
                })
            }
            "mode" => {
                m.mode = Some(
                    parse_u32(value, 8).ok_or_else(|| format!("invalid value {value} for mode"))?,
                )
            }
            "uid" => {
                m.uid = Some(
                    parse_u32(value, 10).ok_or_else(|| format!("invalid value {value} for uid"))?,
                )
            }
            "gid" => {
                m.gid = Some(
                    parse_u32(value, 10).ok_or_else(|| format!("invalid value {value} for gid"))?,
                )
            }
            "env" => m.env = Some(value.to_owned()),
            _ => {
                let msg = format!("unexpected key '{key}' in '{field}'");
                return Err(with_suggestion(msg, &key, &KEYS));
            }
        }
    }
    check_combination(&mut m, ro_auto)?;
    Ok(m)
}

/// The checks BuildKit makes once every field is read.
fn check_combination(m: &mut Mount, ro_auto: bool) -> Result<(), String> {
    let kind = go_quote(m.kind.as_str());
    if !matches!(
        m.kind,
        MountType::Secret | MountType::Ssh | MountType::Cache
    ) {
        for (name, set) in [
            ("mode", m.mode.is_some()),
            ("uid", m.uid.is_some()),
            ("gid", m.gid.is_some()),
        ] {
            if set {
                return Err(format!("{name} not allowed for {kind} type mounts"));
            }
        }
    }
    if ro_auto {
        m.read_only = !matches!(m.kind, MountType::Cache | MountType::Tmpfs);
    }
    if m.kind == MountType::Secret {
        if m.from.is_some() {
            return Err("secret mount should not have a from".to_owned());
        }
        if m.sharing.is_some() {
            return Err("secret mount should not define sharing".to_owned());
        }
        if m.source.is_none() && m.target.is_none() && m.id.is_none() {
            return Err("invalid secret mount. one of source, target required".to_owned());
        }
        if m.source.is_some() && m.id.is_some() {
            return Err("both source and id can't be set".to_owned());
        }
    }
    if m.sharing.is_some() && m.kind != MountType::Cache {
        return Err(format!(
            "invalid cache sharing set for {} mount",
            m.kind.as_str()
        ));
    }
    Ok(())
}

fn with_suggestion(message: String, value: &str, options: &[&str]) -> String {
    match suggest(value, options.iter().copied()) {
        Some(s) => format!("{message} (did you mean {s}?)"),
        None => message,
    }
}

/// Go's `strconv.ParseBool`.
pub(crate) fn go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// Go's `strconv.ParseUint(s, radix, 32)`: digits only, no sign or prefix.
fn parse_u32(s: &str, radix: u32) -> Option<u32> {
    if s.is_empty() || !s.chars().all(|c| c.is_digit(radix)) {
        return None;
    }
    u32::from_str_radix(s, radix).ok()
}

/// go-units' `RAMInBytes`: a number with an optional binary suffix
/// (`k`, `kb`, `kib`, … up to `p`), case-insensitive.
fn ram_in_bytes(s: &str) -> Option<i64> {
    let sep = s.rfind(|c: char| c.is_ascii_digit() || c == '.' || c == ' ')?;
    let (num, suffix) = if s.as_bytes().get(sep) == Some(&b' ') {
        (s.get(..sep)?, s.get(sep + 1..)?)
    } else {
        (s.get(..=sep)?, s.get(sep + 1..)?)
    };
    let size: f64 = num.parse().ok()?;
    if size < 0.0 || size.is_nan() {
        return None;
    }
    let suffix = suffix.to_lowercase();
    let mut chars = suffix.chars();
    let multiplier: f64 = match chars.next() {
        None => return Some(size as i64),
        Some('b') if suffix.len() == 1 => return Some(size as i64),
        Some('k') => 1024.0,
        Some('m') => 1024f64.powi(2),
        Some('g') => 1024f64.powi(3),
        Some('t') => 1024f64.powi(4),
        Some('p') => 1024f64.powi(5),
        _ => return None,
    };
    match chars.as_str() {
        "" | "b" | "ib" => Some((size * multiplier) as i64),
        _ => None,
    }
}

/// One CSV record, as `encoding/csv` reads it (strict quotes, `,`
/// separator, one trailing newline allowed).
pub(crate) fn csv_fields(line: &str) -> Result<Vec<String>, String> {
    let line = line
        .strip_suffix("\r\n")
        .or_else(|| line.strip_suffix('\n'))
        .unwrap_or(line);
    if line.is_empty() {
        return Err("EOF".to_owned());
    }
    let err = |column: usize, what: &str| format!("parse error on line 1, column {column}: {what}");
    let mut fields = Vec::new();
    let mut rest = line;
    let mut pos = 0;
    loop {
        let Some(quoted) = rest.strip_prefix('"') else {
            let (field, next) = match rest.split_once(',') {
                Some((f, n)) => (f, Some(n)),
                None => (rest, None),
            };
            if let Some(j) = field.find('"') {
                return Err(err(pos + j + 1, "bare \" in non-quoted-field"));
            }
            fields.push(field.to_owned());
            match next {
                Some(n) => {
                    pos += field.len() + 1;
                    rest = n;
                    continue;
                }
                None => return Ok(fields),
            }
        };
        pos += 1;
        rest = quoted;
        let mut field = String::new();
        loop {
            let Some((chunk, after)) = rest.split_once('"') else {
                return Err(err(pos + 1, "extraneous or missing \" in quoted-field"));
            };
            field.push_str(chunk);
            pos += chunk.len() + 1;
            rest = after;
            if let Some(after) = rest.strip_prefix('"') {
                field.push('"');
                pos += 1;
                rest = after;
            } else if let Some(after) = rest.strip_prefix(',') {
                fields.push(std::mem::take(&mut field));
                pos += 1;
                rest = after;
                break;
            } else if rest.is_empty() {
                fields.push(field);
                return Ok(fields);
            } else {
                return Err(err(pos, "extraneous or missing \" in quoted-field"));
            }
        }
    }
}

#[cfg(test)]
#[path = "mount_tests.rs"]
mod tests;
