//! `FROM [--platform=P] image [AS name]`: the start of a build stage.
//!
//! FROM takes one or three arguments; the middle one of three is `AS` in
//! any case. The stage name is lower-cased and must match
//! `^[a-z][a-z0-9-_.]*$` (BuildKit checks this while parsing). The image and
//! `--platform` stay unexpanded: they are expanded later with the global
//! ARGs only.

use serde::Serialize;

use crate::diagnostics::Diagnostic;
use crate::syntax::codes;
use crate::syntax::text::TextRange;
use crate::syntax::tree::{Node, Spanned};

use super::flags::{self, string_flag};
use super::{Cx, args, args_range, go_quote};

/// A FROM instruction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct From {
    pub range: TextRange,
    /// The base: an image reference, a stage name, or `scratch`.
    pub image: Spanned,
    /// `--platform` as written.
    pub platform: Option<Spanned>,
    /// The name after `AS`, lower-cased; the range is the name as written.
    pub name: Option<Spanned>,
}

pub(crate) fn lower(cx: &mut Cx, node: &Node) -> Option<From> {
    let mark = cx.mark();
    let args = args(node);
    let name = stage_name(cx, node, args);
    let flags = flags::parse(cx, node, &[string_flag("platform")]);
    let image = args.first()?.clone();
    cx.clean_since(mark).then(|| From {
        range: node.range,
        image,
        platform: flags.string("platform"),
        name: name.flatten(),
    })
}

/// The stage name, `Some(None)` for an unnamed stage, `None` on error.
fn stage_name(cx: &mut Cx, node: &Node, args: &[Spanned]) -> Option<Option<Spanned>> {
    match args {
        [_] => Some(None),
        [_, as_word, name] if is_as(&as_word.value) => {
            let lower = name.value.to_lowercase();
            if valid_stage_name(&lower) {
                return Some(Some(Spanned::new(lower, name.range)));
            }
            cx.report(
                Diagnostic::error(
                    codes::INVALID_STAGE_NAME,
                    name.range,
                    format!(
                        "invalid name for build stage: {}, name can't start with a number or contain symbols",
                        go_quote(&name.value)
                    ),
                )
                .with_label("invalid stage name")
                .with_help("start the name with a letter and use only letters, digits, `-`, `_` and `.`"),
            );
            None
        }
        _ => {
            cx.report(
                Diagnostic::error(
                    codes::ARGUMENT_COUNT,
                    args_range(node, args),
                    "FROM requires either one or three arguments",
                )
                .with_label(format!("{} arguments", args.len()))
                .with_help("write `FROM <image>` or `FROM <image> AS <name>`"),
            );
            None
        }
    }
}

/// `AS` compared as Go's `strings.EqualFold` does (`ſ` folds to `s`).
fn is_as(word: &str) -> bool {
    let mut chars = word.chars();
    matches!(
        (chars.next(), chars.next(), chars.next()),
        (Some('a' | 'A'), Some('s' | 'S' | '\u{17f}'), None)
    )
}

/// `^[a-z][a-z0-9-_.]*$`
fn valid_stage_name(name: &str) -> bool {
    let mut chars = name.chars();
    chars.next().is_some_and(|c| c.is_ascii_lowercase())
        && chars
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || matches!(c, '-' | '_' | '.'))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stage_names() {
        assert!(valid_stage_name("build-1.x_y"));
        assert!(!valid_stage_name("1build"));
        assert!(!valid_stage_name("b@d"));
        assert!(!valid_stage_name(""));
    }

    #[test]
    fn as_is_case_insensitive() {
        assert!(is_as("AS") && is_as("as") && is_as("aS") && is_as("a\u{17f}"));
        assert!(!is_as("ass") && !is_as("a"));
    }
}
