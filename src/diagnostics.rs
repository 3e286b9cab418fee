//! Diagnostics shared by every layer: a stable code, a severity, a message,
//! and a labelled byte range into the source.
//!
//! Layers return `(value, Vec<Diagnostic>)` and keep going after a problem;
//! only the CLI turns diagnostics into rendered `miette` reports. Messages
//! are lower case without a trailing period, like the rest of the tool.

use std::fmt;

use serde::Serialize;

use crate::text::{LineIndex, TextRange};

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Warning,
    Error,
}

/// One problem found in a source text.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Diagnostic {
    /// Stable identifier, e.g. `slipway::parse::unterminated-heredoc`.
    pub code: &'static str,
    pub severity: Severity,
    pub message: String,
    /// Where in the source the problem is.
    pub range: TextRange,
    /// Text shown next to the underlined span.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub label: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(code: &'static str, range: TextRange, message: impl Into<String>) -> Self {
        Self {
            code,
            severity: Severity::Error,
            message: message.into(),
            range,
            label: None,
            help: None,
        }
    }

    pub fn warning(code: &'static str, range: TextRange, message: impl Into<String>) -> Self {
        Self {
            severity: Severity::Warning,
            ..Self::error(code, range, message)
        }
    }

    pub fn with_label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn with_help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    pub fn is_error(&self) -> bool {
        self.severity == Severity::Error
    }

    /// A rendering without colours or source snippet:
    /// `file:line:col: error[code]: message`.
    pub fn to_short_string(&self, file: &str, index: &LineIndex) -> String {
        let lc = index.line_col(self.range.start());
        let sev = match self.severity {
            Severity::Error => "error",
            Severity::Warning => "warning",
        };
        format!(
            "{file}:{}:{}: {sev}[{}]: {}",
            lc.line, lc.column, self.code, self.message
        )
    }

    /// Attach the source so miette can render the snippet.
    pub fn into_report(self, name: &str, source: &str) -> miette::Report {
        miette::Report::new(self)
            .with_source_code(miette::NamedSource::new(name, source.to_owned()))
    }
}

/// Renders diagnostics with their source snippets, the way the CLI prints
/// them: `miette`'s graphical report, `width` columns wide.
pub fn render(name: &str, source: &str, diags: &[Diagnostic], color: bool, width: usize) -> String {
    let theme = if color {
        miette::GraphicalTheme::unicode()
    } else {
        miette::GraphicalTheme::unicode_nocolor()
    };
    let handler = miette::GraphicalReportHandler::new_themed(theme).with_width(width);
    let mut out = String::new();
    for d in diags {
        let report = d.clone().into_report(name, source);
        if handler.render_report(&mut out, report.as_ref()).is_err() {
            out.push_str(&d.message);
            out.push('\n');
        }
    }
    out
}

impl fmt::Display for Diagnostic {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.message)
    }
}

impl std::error::Error for Diagnostic {}

impl miette::Diagnostic for Diagnostic {
    fn code<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        Some(Box::new(self.code))
    }

    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn fmt::Display + 'a>> {
        self.help
            .as_ref()
            .map(|h| Box::new(h) as Box<dyn fmt::Display>)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = miette::LabeledSpan> + '_>> {
        let span = miette::LabeledSpan::new_with_span(self.label.clone(), self.range);
        Some(Box::new(std::iter::once(span)))
    }
}

/// The closest candidate by edit distance, for "did you mean" help lines.
/// Matching ignores ASCII case; a candidate is offered only when it is close
/// enough to be a plausible typo.
pub fn suggest<'a>(input: &str, candidates: impl IntoIterator<Item = &'a str>) -> Option<&'a str> {
    let input = input.to_ascii_lowercase();
    let mut best: Option<(usize, &str)> = None;
    for c in candidates {
        let d = edit_distance(&input, &c.to_ascii_lowercase());
        if best.is_none_or(|(bd, _)| d < bd) {
            best = Some((d, c));
        }
    }
    let (d, c) = best?;
    let limit = (input.chars().count().max(c.len()) / 3).max(1);
    (d > 0 && d <= limit).then_some(c)
}

/// Edit distance where swapping two neighbours counts as one edit (optimal
/// string alignment), so `--form` is one edit from `--from`.
fn edit_distance(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    // Three rows: two back, one back, current.
    let mut two = vec![0; b.len() + 1];
    let mut one: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            let mut d = (one[j - 1] + cost).min(one[j] + 1).min(cur[j - 1] + 1);
            if i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] {
                d = d.min(two[j - 2] + 1);
            }
            cur[j] = d;
        }
        std::mem::swap(&mut two, &mut one);
        std::mem::swap(&mut one, &mut cur);
    }
    one[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggests_close_names_only() {
        let names = ["ENTRYPOINT", "EXPOSE", "ENV"];
        assert_eq!(suggest("FNTRYPOINT", names), Some("ENTRYPOINT"));
        assert_eq!(
            suggest("entrypoint", names),
            None,
            "exact match needs no help"
        );
        assert_eq!(suggest("COMPLETELYDIFFERENT", names), None);
        assert_eq!(suggest("form", ["from", "chown"]), Some("from"));
    }
}
