//! Instruction flags with BuildKit's `BFlags` rules.
//!
//! Each instruction declares the flags it takes as a table of [`Spec`]s. A
//! flag is `--name=value` or, for a bool, `--name`; names are case-sensitive.
//! A bool flag accepts `true`/`false` in any case and rejects `--name=`; a
//! string flag needs `=value` (which may be empty); only multi-value flags
//! may repeat. An unknown flag gets a "did you mean" help. Values are kept as
//! written; what they mean is up to each instruction.

use serde::Serialize;

use crate::diagnostics::{Diagnostic, suggest};
use crate::syntax::codes;
use crate::syntax::text::TextRange;
use crate::syntax::tree::{Node, Spanned};

use super::Cx;

/// A typed flag value and the range of the whole flag (`--network=host`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct FlagValue<T> {
    pub value: T,
    pub range: TextRange,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Kind {
    Bool,
    String,
    /// May be given several times; every value is kept.
    Strings,
}

/// One flag an instruction accepts.
#[derive(Clone, Copy, Debug)]
pub(crate) struct Spec {
    pub name: &'static str,
    pub kind: Kind,
}

pub(crate) const fn bool_flag(name: &'static str) -> Spec {
    Spec {
        name,
        kind: Kind::Bool,
    }
}

pub(crate) const fn string_flag(name: &'static str) -> Spec {
    Spec {
        name,
        kind: Kind::String,
    }
}

pub(crate) const fn strings_flag(name: &'static str) -> Spec {
    Spec {
        name,
        kind: Kind::Strings,
    }
}

/// One accepted use of a flag.
struct Use {
    name: &'static str,
    /// The value; for a bool flag `"true"` or `"false"`.
    value: Spanned,
    /// The whole flag.
    range: TextRange,
}

/// The flags of one instruction, after checking.
pub(crate) struct Flags {
    uses: Vec<Use>,
}

impl Flags {
    /// The value of a string flag, spanning the value's text.
    pub fn string(&self, name: &str) -> Option<Spanned> {
        self.uses
            .iter()
            .find(|u| u.name == name)
            .map(|u| u.value.clone())
    }

    /// The value of a string flag with the range of the whole flag.
    pub fn with_flag_range(&self, name: &str) -> Option<(Spanned, TextRange)> {
        self.uses
            .iter()
            .find(|u| u.name == name)
            .map(|u| (u.value.clone(), u.range))
    }

    /// Whether a bool flag was given, and its value.
    pub fn bool(&self, name: &str) -> Option<bool> {
        self.string(name).map(|v| v.value == "true")
    }

    /// Every value of a multi-value flag, in order.
    pub fn strings(&self, name: &str) -> Vec<Spanned> {
        self.uses
            .iter()
            .filter(|u| u.name == name)
            .map(|u| u.value.clone())
            .collect()
    }

    /// Every value of a multi-value flag with the range of its flag.
    pub fn strings_with_flag_range(&self, name: &str) -> Vec<(Spanned, TextRange)> {
        self.uses
            .iter()
            .filter(|u| u.name == name)
            .map(|u| (u.value.clone(), u.range))
            .collect()
    }
}

/// Checks the flags of `node` against `specs`, reporting every problem.
pub(crate) fn parse(cx: &mut Cx, node: &Node, specs: &[Spec]) -> Flags {
    let mut uses: Vec<Use> = Vec::new();
    let keyword = node.keyword.value.to_uppercase();
    for flag in &node.flags {
        let text = flag.value.as_str();
        if text == "--" {
            break; // the end of the flags, as in POSIX utilities
        }
        let Some(body) = text.strip_prefix("--") else {
            cx.report(Diagnostic::error(
                codes::UNKNOWN_FLAG,
                flag.range,
                format!("arg should start with -- : {text}"),
            ));
            continue;
        };
        let (name, value) = match body.split_once('=') {
            Some((n, v)) => (n, Some(v)),
            None => (body, None),
        };
        let flag_name = text.split_once('=').map_or(text, |(n, _)| n);
        let source = cx.text(flag.range);
        let name_range = if source.starts_with(flag_name) {
            TextRange::new(flag.range.start(), flag.range.start() + flag_name.len())
        } else {
            flag.range
        };
        // The value's own range when the flag is written plainly and the
        // value is not empty; the whole flag otherwise.
        let value_range = match source
            .strip_prefix(flag_name)
            .and_then(|s| s.strip_prefix('='))
        {
            Some(v) if !v.is_empty() => {
                TextRange::new(flag.range.end() - v.len(), flag.range.end())
            }
            _ => flag.range,
        };
        let Some(spec) = specs.iter().find(|s| s.name == name) else {
            cx.report(unknown_flag(flag_name, name, name_range, &keyword, specs));
            continue;
        };
        if spec.kind != Kind::Strings && uses.iter().any(|u| u.name == spec.name) {
            cx.report(
                Diagnostic::error(
                    codes::DUPLICATE_FLAG,
                    name_range,
                    format!("duplicate flag specified: {flag_name}"),
                )
                .with_label("given again here")
                .with_help(format!(
                    "{flag_name} may be given only once; remove one of them"
                )),
            );
            continue;
        }
        let missing = || {
            Diagnostic::error(
                codes::MISSING_FLAG_VALUE,
                flag.range,
                format!("missing a value on flag: {flag_name}"),
            )
            .with_label("no value")
        };
        let value = match (spec.kind, value) {
            (Kind::Bool, Some("")) => {
                cx.report(missing().with_help(format!(
                    "write {flag_name}, {flag_name}=true or {flag_name}=false"
                )));
                continue;
            }
            (Kind::Bool, None) => "true".to_owned(),
            (Kind::Bool, Some(v)) => match v.to_lowercase().as_str() {
                "true" => "true".to_owned(),
                "false" => "false".to_owned(),
                _ => {
                    cx.report(
                        Diagnostic::error(
                            codes::INVALID_FLAG_VALUE,
                            value_range,
                            format!("expecting boolean value for flag {flag_name}, not: {v}"),
                        )
                        .with_label("not true or false")
                        .with_help(format!(
                            "write {flag_name}, {flag_name}=true or {flag_name}=false"
                        )),
                    );
                    continue;
                }
            },
            (_, None) => {
                cx.report(missing().with_help(format!("write {flag_name}=<value>")));
                continue;
            }
            (_, Some(v)) => v.to_owned(),
        };
        uses.push(Use {
            name: spec.name,
            value: Spanned::new(value, value_range),
            range: flag.range,
        });
    }
    Flags { uses }
}

fn unknown_flag(
    flag_name: &str,
    name: &str,
    range: TextRange,
    keyword: &str,
    specs: &[Spec],
) -> Diagnostic {
    let d = Diagnostic::error(
        codes::UNKNOWN_FLAG,
        range,
        format!("unknown flag: {flag_name}"),
    )
    .with_label(format!("{keyword} has no such flag"));
    if specs.is_empty() {
        return d.with_help(format!("{keyword} does not take any flags"));
    }
    // Flag names are case-sensitive, so a different case is a typo too.
    let close = specs
        .iter()
        .map(|s| s.name)
        .find(|s| s.eq_ignore_ascii_case(name))
        .or_else(|| suggest(name, specs.iter().map(|s| s.name)));
    match close {
        Some(s) => d.with_help(format!("did you mean --{s}?")),
        None => {
            let all: Vec<String> = specs.iter().map(|s| format!("--{}", s.name)).collect();
            d.with_help(format!("{keyword} takes {}", all.join(", ")))
        }
    }
}
