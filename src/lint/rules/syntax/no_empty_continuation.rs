//! `NoEmptyContinuation`: no blank lines inside a continued instruction.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::syntax::text::TextRange;
use crate::syntax::tree::TokenKind;

crate::declare_rule! {
    /// ## What it does
    /// Checks for empty lines inside an instruction continued with `\`.
    /// BuildKit reports the instruction once, at its last line.
    ///
    /// ## Why is this bad?
    /// An empty line looks like the end of the instruction, but the parser
    /// skips it and carries on. Docker has announced that empty
    /// continuation lines will become an error.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine
    /// RUN apk add \
    ///
    ///     curl
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine
    /// RUN apk add \
    ///     curl
    /// ```
    pub struct NoEmptyContinuation;
}

impl Violation for NoEmptyContinuation {
    const RULE: Rule = Rule::NoEmptyContinuation;
    fn message(&self) -> String {
        "Empty continuation line".to_owned()
    }
}

/// SW004.
pub(crate) fn no_empty_continuation(checker: &mut Checker) {
    if !checker.any_enabled(Rule::NoEmptyContinuation) {
        return;
    }
    let tree = checker.tree;
    for node in tree.nodes() {
        // Heredoc bodies may hold blank lines; only the instruction proper
        // counts. An empty line is a newline right after a newline; a line
        // of blanks is an `EmptyContinuation` token.
        let proper = node
            .tokens
            .iter()
            .take_while(|t| !matches!(t.kind, TokenKind::HeredocBody | TokenKind::HeredocEnd));
        let mut previous = None;
        let mut empty = false;
        for t in proper {
            empty |= t.kind == TokenKind::EmptyContinuation
                || (t.kind == TokenKind::Newline && previous == Some(TokenKind::Newline));
            previous = Some(t.kind);
        }
        if !empty {
            continue;
        }
        // The last line of the instruction proper (before heredoc bodies).
        let Some(last) = node.tokens.iter().rev().find(|t| {
            !matches!(
                t.kind,
                TokenKind::HeredocBody | TokenKind::HeredocEnd | TokenKind::Newline
            )
        }) else {
            continue;
        };
        let text = tree.text(TextRange::new(node.range.start(), last.range.end()));
        let line_start = node.range.start() + text.rfind('\n').map_or(0, |i| i + 1);
        checker.report(
            NoEmptyContinuation,
            TextRange::new(line_start, last.range.end()),
        );
    }
}
