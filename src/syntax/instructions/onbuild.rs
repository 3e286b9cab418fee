//! `ONBUILD <instruction>`: a trigger stored in the image and run at the
//! start of a child build.
//!
//! BuildKit stores the trigger as text (the line without `ONBUILD`, with any
//! heredoc bodies re-attached) and, while parsing, only refuses
//! `ONBUILD ONBUILD`, `ONBUILD FROM` and `ONBUILD MAINTAINER`. Slipway also
//! checks the nested instruction like any other, but reports what it finds
//! as warnings: BuildKit accepts the file, and the trigger only fails when a
//! child build runs it.

use serde::Serialize;

use crate::diagnostics::{Diagnostic, Severity};
use crate::syntax::codes;
use crate::syntax::text::TextRange;
use crate::syntax::tree::{Args, Heredoc, Node};

use super::{Cx, Instruction, Lowered, flags, lower_node};

/// An ONBUILD instruction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Onbuild {
    pub range: TextRange,
    /// The trigger text stored in the image config (`Config.OnBuild`).
    pub expression: String,
    /// The trigger as a typed instruction; `None` if it has problems (they
    /// are reported as warnings).
    pub trigger: Option<Box<Instruction>>,
}

const TRIGGER_NOTE: &str = "BuildKit checks an ONBUILD trigger only when a child build runs it";

pub(crate) fn lower(cx: &mut Cx, node: &Node, heredocs: &[Heredoc]) -> Option<Onbuild> {
    let mark = cx.mark();
    let nested = match &node.args {
        Args::Nested(nested) => Some(nested.as_ref()),
        Args::List(_) => None,
    };
    let Some(nested) = nested else {
        cx.report(
            Diagnostic::error(
                codes::ARGUMENT_COUNT,
                node.keyword.range,
                "ONBUILD requires at least one argument",
            )
            .with_label("no trigger instruction")
            .with_help("write `ONBUILD <instruction>`, e.g. `ONBUILD RUN make`"),
        );
        flags::parse(cx, node, &[]);
        return None;
    };
    flags::parse(cx, node, &[]);
    let trigger = nested.keyword.value.trim().to_uppercase();
    let message = match trigger.as_str() {
        "ONBUILD" => Some("chaining ONBUILD via `ONBUILD ONBUILD` isn't allowed".to_owned()),
        "MAINTAINER" | "FROM" => Some(format!("{trigger} isn't allowed as an ONBUILD trigger")),
        _ => None,
    };
    if let Some(message) = message {
        cx.report(
            Diagnostic::error(codes::INVALID_TRIGGER, nested.keyword.range, message)
                .with_label("not allowed as a trigger")
                .with_help("ONBUILD accepts any instruction except ONBUILD, FROM and MAINTAINER"),
        );
    }
    if !cx.clean_since(mark) {
        return None;
    }
    let mut inner = Cx::new(cx.src);
    let lowered = lower_node(&mut inner, nested, heredocs);
    for mut d in inner.diags {
        d.severity = Severity::Warning;
        d.help = Some(match d.help.take() {
            Some(help) => format!("{help} ({TRIGGER_NOTE})"),
            None => TRIGGER_NOTE.to_owned(),
        });
        cx.report(d);
    }
    Some(Onbuild {
        range: node.range,
        expression: expression(&node.original, heredocs),
        trigger: match lowered {
            Some(Lowered::Instruction(i)) => Some(Box::new(i)),
            _ => None,
        },
    })
}

/// The stored trigger: the line without a leading `ONBUILD` (any case) and
/// the blanks around it, then `\n<body><name>` for each heredoc.
fn expression(original: &str, heredocs: &[Heredoc]) -> String {
    let blank = |c: char| matches!(c, '\t' | '\n' | '\u{c}' | '\r' | ' ');
    let trimmed = original.trim_start_matches(blank);
    let mut out = match trimmed.get(..7) {
        Some(kw) if kw.eq_ignore_ascii_case("onbuild") => trimmed
            .get(7..)
            .unwrap_or("")
            .trim_start_matches(blank)
            .to_owned(),
        _ => original.to_owned(),
    };
    for h in heredocs {
        out.push('\n');
        out.push_str(&h.content);
        out.push_str(&h.name);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn expression_drops_the_keyword() {
        assert_eq!(expression("  onBuild   RUN x", &[]), "RUN x");
        assert_eq!(expression("ONBUILD", &[]), "");
        assert_eq!(expression("ONBUIL x", &[]), "ONBUIL x");
    }
}
