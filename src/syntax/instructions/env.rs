//! Name/value instructions: ENV, LABEL and ARG.
//!
//! ENV and LABEL get `key=value` triples from the parser (or one pair for
//! the legacy `KEY value` form) and need at least one pair with a non-empty
//! name. ARG takes `name` or `name=default` words and ignores any flags, as
//! BuildKit does. Keys and values are kept as written, quotes and escapes
//! included: they are removed when the value is expanded.

use serde::Serialize;

use crate::diagnostics::Diagnostic;
use crate::syntax::codes;
use crate::syntax::text::TextRange;
use crate::syntax::tree::{Node, Spanned};

use super::{Cx, args, doc_comment, flags};

/// One `key=value` of ENV or LABEL.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct KeyValue {
    pub key: Spanned,
    pub value: Spanned,
    /// Written `KEY value`, without `=` (the legacy form).
    pub legacy: bool,
}

/// `ENV key=value ...`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Env {
    pub range: TextRange,
    pub pairs: Vec<KeyValue>,
}

/// `LABEL key=value ...`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Label {
    pub range: TextRange,
    pub pairs: Vec<KeyValue>,
}

/// One `name[=default]` of an ARG.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct ArgDef {
    pub key: Spanned,
    /// The default as written (quotes kept); `None` for a bare `ARG name`.
    pub value: Option<Spanned>,
    /// The text after `# <name> ` in a comment just above the ARG.
    pub doc_comment: Option<String>,
}

/// `ARG name[=default] ...`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Arg {
    pub range: TextRange,
    pub args: Vec<ArgDef>,
}

pub(crate) fn lower_env(cx: &mut Cx, node: &Node) -> Option<Env> {
    let mark = cx.mark();
    flags::parse(cx, node, &[]);
    let pairs = key_values(cx, node, "ENV");
    cx.clean_since(mark).then_some(Env {
        range: node.range,
        pairs,
    })
}

pub(crate) fn lower_label(cx: &mut Cx, node: &Node) -> Option<Label> {
    let mark = cx.mark();
    flags::parse(cx, node, &[]);
    let pairs = key_values(cx, node, "LABEL");
    cx.clean_since(mark).then_some(Label {
        range: node.range,
        pairs,
    })
}

/// BuildKit's `parseKvps`: the parser's `key, value, delimiter` triples.
fn key_values(cx: &mut Cx, node: &Node, keyword: &str) -> Vec<KeyValue> {
    let args = args(node);
    if args.is_empty() {
        cx.report(
            Diagnostic::error(
                codes::ARGUMENT_COUNT,
                node.keyword.range,
                format!("{keyword} requires at least one argument"),
            )
            .with_label("nothing to set")
            .with_help(format!("write `{keyword} name=value`")),
        );
        return Vec::new();
    }
    if !args.len().is_multiple_of(3) {
        cx.report(Diagnostic::error(
            codes::ARGUMENT_COUNT,
            node.keyword.range,
            format!("bad input to {keyword}, too many arguments"),
        ));
        return Vec::new();
    }
    let mut pairs = Vec::with_capacity(args.len() / 3);
    for triple in args.chunks_exact(3) {
        let [key, value, delim] = triple else {
            continue;
        };
        if key.value.is_empty() {
            cx.report(blank_name(keyword, key.range.cover(value.range)));
            continue;
        }
        pairs.push(KeyValue {
            key: key.clone(),
            value: value.clone(),
            legacy: delim.value.is_empty(),
        });
    }
    pairs
}

pub(crate) fn lower_arg(cx: &mut Cx, node: &Node) -> Option<Arg> {
    // BuildKit never parses the flags of ARG: any flag is ignored.
    let mark = cx.mark();
    let words = args(node);
    if words.is_empty() {
        cx.report(
            Diagnostic::error(
                codes::ARGUMENT_COUNT,
                node.keyword.range,
                "ARG requires at least one argument",
            )
            .with_label("no name given")
            .with_help("write `ARG name` or `ARG name=default`"),
        );
        return None;
    }
    let mut defs = Vec::with_capacity(words.len());
    for word in words {
        let (key, value) = match word.value.split_once('=') {
            None => (word.clone(), None),
            Some(("", _)) => {
                cx.report(blank_name("ARG", word.range));
                continue;
            }
            Some((k, v)) => {
                let (k_range, v_range) = split_range(cx, word, k.len());
                (Spanned::new(k, k_range), Some(Spanned::new(v, v_range)))
            }
        };
        defs.push(ArgDef {
            doc_comment: doc_comment(&node.comments, Some(&key.value)),
            key,
            value,
        });
    }
    cx.clean_since(mark).then_some(Arg {
        range: node.range,
        args: defs,
    })
}

/// The ranges of `key` and `value` in a `key=value` word, when the word is
/// written in the source as is; the whole word's range for both otherwise.
fn split_range(cx: &Cx, word: &Spanned, key_len: usize) -> (TextRange, TextRange) {
    if cx.text(word.range) != word.value {
        return (word.range, word.range);
    }
    let eq = word.range.start() + key_len;
    (
        TextRange::new(word.range.start(), eq),
        TextRange::new(eq + 1, word.range.end()),
    )
}

fn blank_name(keyword: &str, range: TextRange) -> Diagnostic {
    Diagnostic::error(
        codes::BLANK_NAME,
        range,
        format!("{keyword} names can not be blank"),
    )
    .with_label("no name before `=`")
    .with_help(format!("write `{keyword} name=value`"))
}
