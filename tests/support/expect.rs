//! Facts a case states about its build (its `expect` file), and checking
//! them against a build outcome. Format: `tests/differential/README.md`.

use serde_json::Value;

use super::build::Outcome;
use super::diff::{describe, kind_name};
use super::image::{Image, Kind};

/// One line of an `expect` file.
#[derive(Debug, Clone)]
pub struct Fact {
    /// `@linux/arm64 ...`: applies only to that platform's build.
    pub platform: Option<String>,
    /// 1-based line in the `expect` file.
    pub line: usize,
    pub what: What,
}

/// Every check a fact can make.
#[derive(Debug, Clone)]
pub enum What {
    Path {
        path: String,
        kind: Kind,
        mode: Option<u32>,
        owner: Option<(u64, u64)>,
        size: Option<u64>,
        content: Option<String>,
        target: Option<String>,
        mtime: Option<u64>,
    },
    Absent(String),
    /// `config <Field> <json>`: a field of [`super::image::NormalizedConfig`].
    Config(String, Value),
    /// `created <json>`: the image's top-level `created`.
    Created(Value),
    /// `history-tail [..]`: the last `created_by` entries, in order.
    HistoryTail(Vec<String>),
    /// `fails`: the build must fail.
    Fails,
    /// `error-line N`: the failure points at Dockerfile line N.
    ErrorLine(u32),
    /// `error TEXT`: stderr contains TEXT.
    Error(String),
    /// `builtin-lacks TEXT`: the engine's built-in frontend predates the
    /// feature and fails with TEXT; the other facts describe slipway's result.
    BuiltinLacks(String),
}

/// Splits on whitespace, keeping `"..."` (JSON strings, maybe after `key=`) whole.
fn tokens(s: &str) -> Vec<String> {
    let (mut out, mut cur, mut quoted, mut escaped) = (Vec::new(), String::new(), false, false);
    for c in s.chars() {
        if quoted {
            cur.push(c);
            if escaped {
                escaped = false;
            } else if c == '\\' {
                escaped = true;
            } else if c == '"' {
                quoted = false;
            }
        } else if c.is_whitespace() {
            if !cur.is_empty() {
                out.push(std::mem::take(&mut cur));
            }
        } else {
            quoted = c == '"';
            cur.push(c);
        }
    }
    if !cur.is_empty() {
        out.push(cur);
    }
    out
}

/// A bare word, or a JSON string when it starts with `"`.
fn text(s: &str) -> Result<String, String> {
    if s.starts_with('"') {
        serde_json::from_str(s).map_err(|e| format!("{s}: {e}"))
    } else {
        Ok(s.to_string())
    }
}

fn number<T: std::str::FromStr>(s: &str) -> Result<T, String> {
    s.parse().map_err(|_| format!("not a number: {s}"))
}

fn path_fact(rest: &str) -> Result<What, String> {
    let t = tokens(rest);
    let (Some(path), Some(kind)) = (t.first(), t.get(1)) else {
        return Err("path needs PATH KIND".into());
    };
    let kind = Kind::parse(kind).ok_or_else(|| format!("unknown kind {kind}"))?;
    let (mut mode, mut owner, mut size, mut content, mut target, mut mtime) =
        (None, None, None, None, None, None);
    for opt in &t[2..] {
        let (k, v) = opt
            .split_once('=')
            .ok_or_else(|| format!("expected key=value: {opt}"))?;
        match k {
            "mode" => {
                mode = Some(u32::from_str_radix(v, 8).map_err(|_| format!("bad octal mode {v}"))?)
            }
            "owner" => {
                let (u, g) = v.split_once(':').ok_or("owner=UID:GID")?;
                owner = Some((number(u)?, number(g)?));
            }
            "size" => size = Some(number(v)?),
            "content" => content = Some(text(v)?),
            "target" => target = Some(text(v)?),
            "mtime" => mtime = Some(number(v)?),
            _ => return Err(format!("unknown path option {k}")),
        }
    }
    Ok(What::Path {
        path: text(path)?,
        kind,
        mode,
        owner,
        size,
        content,
        target,
        mtime,
    })
}

fn json(s: &str) -> Result<Value, String> {
    serde_json::from_str(s).map_err(|e| format!("bad JSON {s}: {e}"))
}

/// Parses an `expect` file.
pub fn parse_expect(text_in: &str) -> Result<Vec<Fact>, String> {
    let mut facts = Vec::new();
    for (n, raw) in text_in.lines().enumerate() {
        let mut line = raw.trim();
        if line.is_empty() || line.starts_with('#') {
            continue;
        }
        let mut platform = None;
        if let Some(rest) = line.strip_prefix('@') {
            let (p, r) = rest
                .split_once(char::is_whitespace)
                .ok_or("@PLATFORM needs a fact")?;
            platform = Some(p.to_string());
            line = r.trim();
        }
        let (key, rest) = line.split_once(char::is_whitespace).unwrap_or((line, ""));
        let rest = rest.trim();
        let what = match key {
            "path" => path_fact(rest),
            "absent" => text(rest).map(What::Absent),
            "config" => match rest.split_once(char::is_whitespace) {
                Some((f, v)) => json(v.trim()).map(|v| What::Config(f.to_string(), v)),
                None => Err("config needs FIELD JSON".into()),
            },
            "created" => json(rest).map(What::Created),
            "history-tail" => serde_json::from_str(rest)
                .map(What::HistoryTail)
                .map_err(|e| e.to_string()),
            "fails" => Ok(What::Fails),
            "error-line" => number(rest).map(What::ErrorLine),
            "error" if !rest.is_empty() => Ok(What::Error(rest.to_string())),
            "builtin-lacks" if !rest.is_empty() => Ok(What::BuiltinLacks(rest.to_string())),
            other => Err(format!("unknown fact `{other}`")),
        }
        .map_err(|e| format!("line {}: {e}", n + 1))?;
        facts.push(Fact {
            platform,
            line: n + 1,
            what,
        });
    }
    Ok(facts)
}

/// The `builtin-lacks` text, if the case has one.
pub fn builtin_lacks<'a>(facts: impl IntoIterator<Item = &'a Fact>) -> Option<&'a str> {
    facts.into_iter().find_map(|f| match &f.what {
        What::BuiltinLacks(t) => Some(t.as_str()),
        _ => None,
    })
}

/// Whether the facts say the build must fail.
pub fn expects_failure<'a>(facts: impl IntoIterator<Item = &'a Fact>) -> bool {
    facts
        .into_iter()
        .any(|f| matches!(f.what, What::Fails | What::ErrorLine(_) | What::Error(_)))
}

/// Checks every fact (but `builtin-lacks`) against `outcome`; one line per
/// violated fact.
pub fn check<'a>(
    facts: impl IntoIterator<Item = &'a Fact> + Clone,
    outcome: &Outcome,
) -> Vec<String> {
    let must_fail = expects_failure(facts.clone());
    let mut out = Vec::new();
    match (outcome, must_fail) {
        (Outcome::Built(_), true) => {
            out.push("the build succeeded but the case expects a failure".into())
        }
        (Outcome::Failed(f), false) => {
            out.push(format!(
                "the build failed (exit {:?}): {}",
                f.status,
                f.message()
            ));
            let tail: Vec<&str> = f.stderr.lines().rev().take(25).collect();
            out.extend(tail.into_iter().rev().map(|l| format!("    | {l}")));
        }
        _ => {}
    }
    for fact in facts {
        let msg = match (&fact.what, outcome) {
            (What::BuiltinLacks(_), _) => None,
            (What::Fails, _) => None,
            (What::ErrorLine(n), Outcome::Failed(f)) => (f.line != Some(*n))
                .then(|| format!("error points at line {:?}, expected {n}", f.line)),
            (What::Error(t), Outcome::Failed(f)) => (!f.stderr.contains(t.as_str()))
                .then(|| format!("error output lacks {t:?}: {}", f.message())),
            (_, Outcome::Failed(_)) | (What::ErrorLine(_) | What::Error(_), _) => None,
            (what, Outcome::Built(img)) => check_image(what, img),
        };
        if let Some(m) = msg {
            out.push(format!("expect:{}: {m}", fact.line));
        }
    }
    out
}

fn check_image(what: &What, img: &Image) -> Option<String> {
    match what {
        What::Path {
            path,
            kind,
            mode,
            owner,
            size,
            content,
            target,
            mtime,
        } => {
            let Some(e) = img.files.get(path) else {
                return Some(format!("{path} is missing"));
            };
            let mut bad = Vec::new();
            if e.kind != *kind {
                bad.push(format!(
                    "is a {}, expected a {}",
                    kind_name(e.kind),
                    kind_name(*kind)
                ));
            }
            if let Some(m) = mode.filter(|m| *m != e.mode) {
                bad.push(format!("mode is {:04o}, expected {m:04o}", e.mode));
            }
            if let Some((u, g)) = owner.filter(|o| *o != (e.uid, e.gid)) {
                bad.push(format!("owner is {}:{}, expected {u}:{g}", e.uid, e.gid));
            }
            if let Some(s) = size.filter(|s| *s != e.size) {
                bad.push(format!("size is {}, expected {s}", e.size));
            }
            if let Some(c) = content {
                use sha2::{Digest, Sha256};
                let want: String = Sha256::digest(c.as_bytes())
                    .iter()
                    .map(|b| format!("{b:02x}"))
                    .collect();
                if e.sha256.as_deref() != Some(want.as_str()) {
                    bad.push(format!("content is not {c:?}"));
                }
            }
            if let Some(t) = target.as_ref().filter(|t| Some(*t) != e.link.as_ref()) {
                bad.push(format!("links to {:?}, expected {t:?}", e.link));
            }
            if let Some(t) = mtime.filter(|t| *t != e.mtime) {
                bad.push(format!("mtime is {}, expected {t}", e.mtime));
            }
            (!bad.is_empty()).then(|| format!("{path}: {} (is {})", bad.join(", "), describe(e)))
        }
        What::Absent(path) => img
            .files
            .get(path)
            .map(|e| format!("{path} exists ({})", describe(e))),
        What::Config(field, want) => {
            let config = serde_json::to_value(&img.config).expect("config serializes");
            match config.get(field) {
                None => Some(format!("config has no field {field}")),
                Some(have) if have != want => {
                    Some(format!("config {field} is {have}, expected {want}"))
                }
                Some(_) => None,
            }
        }
        What::Created(want) => {
            let have = img.created.clone().map_or(Value::Null, Value::String);
            (have != *want).then(|| format!("created is {have}, expected {want}"))
        }
        What::HistoryTail(want) => {
            let have: Vec<&str> = img.history.iter().map(|h| h.created_by.as_str()).collect();
            let tail = &have[have.len().saturating_sub(want.len())..];
            (tail != want.as_slice()).then(|| format!("history ends {tail:?}, expected {want:?}"))
        }
        What::Fails | What::ErrorLine(_) | What::Error(_) | What::BuiltinLacks(_) => None,
    }
}
