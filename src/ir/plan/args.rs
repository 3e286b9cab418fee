//! Global ("meta") ARGs: the built-in platform args, the ARGs before the
//! first FROM with their defaults and build-arg overrides, and the
//! SOURCE_DATE_EPOCH rule. These are the only variables FROM lines see.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::Arg;
use crate::syntax::shell::Lexer;
use crate::syntax::text::{LineIndex, TextRange};

use crate::ir::codes;
use crate::ir::env::EnvList;
use crate::ir::platform::Platform;

use super::{expand_error, go_quote};

/// What the outline needs to know about an ARG.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ArgInfo {
    pub name: String,
    /// The value after build args and expansion; empty when unset.
    pub value: String,
    pub description: Option<String>,
    /// Other args the default refers to.
    pub deps: BTreeSet<String>,
    /// 1-based lines of the ARG instruction.
    pub lines: (u32, u32),
}

/// The built-in args (BuildKit's `defaultArgs`), overridable by build args.
pub fn builtin_args(
    build: &Platform,
    target: &Platform,
    overrides: &BTreeMap<String, String>,
    target_stage: &str,
) -> EnvList {
    let target_stage = if target_stage.is_empty() {
        "default"
    } else {
        target_stage
    };
    let pairs = [
        ("BUILDPLATFORM", build.format()),
        ("BUILDOS", build.os.clone()),
        ("BUILDOSVERSION", build.os_version.clone()),
        ("BUILDARCH", build.architecture.clone()),
        ("BUILDVARIANT", build.variant.clone()),
        ("TARGETPLATFORM", target.format_all()),
        ("TARGETOS", target.os.clone()),
        ("TARGETOSVERSION", target.os_version.clone()),
        ("TARGETARCH", target.architecture.clone()),
        ("TARGETVARIANT", target.variant.clone()),
        ("TARGETSTAGE", target_stage.to_owned()),
    ];
    let mut env = EnvList::new();
    for (k, v) in pairs {
        let v = overrides.get(k).cloned().unwrap_or(v);
        env.set(k, &v);
    }
    env
}

/// Applies the global ARGs in order (BuildKit's `buildMetaArgs`). Returns
/// the args by name for the outline.
pub fn apply_meta_args(
    env: &mut EnvList,
    lexer: &Lexer,
    meta_args: &[Arg],
    build_args: &BTreeMap<String, String>,
    source: &str,
    index: &LineIndex,
) -> Result<BTreeMap<String, ArgInfo>, Diagnostic> {
    let mut all: BTreeMap<String, ArgInfo> = BTreeMap::new();
    for arg in meta_args {
        for def in &arg.args {
            let key = def.key.value.clone();
            let mut info = ArgInfo {
                name: key.clone(),
                value: String::new(),
                description: def.doc_comment.clone(),
                deps: BTreeSet::new(),
                lines: index.lines(arg.range),
            };
            let value = if let Some(v) = build_args.get(&key) {
                Some(v.clone())
            } else if let Some(default) = &def.value {
                let out = lexer
                    .process_word(&default.value, env)
                    .map_err(|e| expand_error(&e, default, arg.range, source))?;
                info.deps = out.used.matched.iter().cloned().collect();
                if info.deps.remove(&key)
                    && let Some(old) = all.get(&key)
                {
                    info.deps.extend(old.deps.iter().cloned());
                }
                Some(out.value)
            } else {
                None
            };
            if let Some(v) = value {
                env.set(&key, &v);
                info.value = v;
            }
            all.insert(key, info);
        }
    }
    Ok(all)
}

/// The SOURCE_DATE_EPOCH value in force: a build arg (even empty) first,
/// then a non-empty global ARG value.
pub fn source_date_epoch(
    build_args: &BTreeMap<String, String>,
    globals: &EnvList,
) -> Option<String> {
    if let Some(v) = build_args.get("SOURCE_DATE_EPOCH") {
        return Some(v.clone());
    }
    globals
        .get("SOURCE_DATE_EPOCH")
        .filter(|v| !v.is_empty())
        .map(str::to_owned)
}

/// Resolves a SOURCE_DATE_EPOCH value: empty means unset, otherwise a
/// decimal number of seconds (Go's `strconv.ParseInt`: an optional sign,
/// digits, 64 bits). Anything else is rejected with the error of the
/// engine's BuildKit, whose frontend reads only numbers (newer BuildKit
/// also takes `context` or a stage name and reads the time from it).
pub fn resolve_epoch(value: &str, range: TextRange) -> Result<Option<i64>, Diagnostic> {
    if value.is_empty() {
        return Ok(None);
    }
    if let Ok(n) = value.parse::<i64>() {
        return Ok(Some(n));
    }
    let digits = value.strip_prefix(['+', '-']).unwrap_or(value);
    let why = if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        "value out of range"
    } else {
        "invalid syntax"
    };
    Err(Diagnostic::error(
        codes::INVALID_OPTION,
        range,
        format!(
            "invalid SOURCE_DATE_EPOCH: {value}: strconv.ParseInt: parsing {}: {why}",
            go_quote(value)
        ),
    )
    .with_help("pass SOURCE_DATE_EPOCH as a number of seconds since the Unix epoch"))
}

/// Writes the resolved epoch back into the build args and global args
/// (BuildKit's `setBuildArgValue`).
pub fn set_epoch(
    build_args: &mut BTreeMap<String, String>,
    globals: &mut EnvList,
    epoch: Option<i64>,
) {
    let value = epoch.map(|e| e.to_string()).unwrap_or_default();
    if build_args.contains_key("SOURCE_DATE_EPOCH") {
        if value.is_empty() {
            build_args.remove("SOURCE_DATE_EPOCH");
        } else {
            build_args.insert("SOURCE_DATE_EPOCH".to_owned(), value.clone());
        }
    }
    if globals.get("SOURCE_DATE_EPOCH").is_some() {
        if value.is_empty() {
            globals.remove("SOURCE_DATE_EPOCH");
        } else {
            globals.set("SOURCE_DATE_EPOCH", &value);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::ir::platform::default_platform;

    #[test]
    fn builtins_in_order() {
        let p = default_platform();
        let env = builtin_args(&p, &p, &BTreeMap::new(), "");
        assert_eq!(env.get("TARGETPLATFORM"), Some("linux/amd64"));
        assert_eq!(env.get("TARGETSTAGE"), Some("default"));
        assert_eq!(env.keys().next(), Some("BUILDPLATFORM"));
        let over = BTreeMap::from([("TARGETARCH".to_owned(), "x".to_owned())]);
        assert_eq!(
            builtin_args(&p, &p, &over, "a").get("TARGETARCH"),
            Some("x")
        );
    }

    #[test]
    fn source_date_epoch_parses_like_go() {
        let at = TextRange::new(0, 0);
        assert_eq!(resolve_epoch("", at), Ok(None));
        assert_eq!(resolve_epoch("+17", at), Ok(Some(17)));
        assert_eq!(resolve_epoch("-5", at), Ok(Some(-5)));
        let msg = |v: &str| resolve_epoch(v, at).unwrap_err().message;
        assert_eq!(
            msg("abc"),
            "invalid SOURCE_DATE_EPOCH: abc: strconv.ParseInt: parsing \"abc\": invalid syntax"
        );
        assert!(msg("99999999999999999999").ends_with(": value out of range"));
        assert!(msg(" 1").ends_with(": invalid syntax"));
        assert!(msg("-").ends_with(": invalid syntax"));
    }
}
