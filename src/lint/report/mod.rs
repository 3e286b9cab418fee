//! The output formats of `slipway lint`, one file each: [`tty`] (miette
//! reports), [`json`] (one object per line), [`sarif`] (SARIF 2.1.0),
//! [`checkstyle`] (Checkstyle XML) and [`github`] (GitHub Actions workflow
//! commands).
//!
//! Every format reads the same [`FileReport`]s, in the order given (the CLI
//! sorts them by path), and writes to any [`io::Write`]; only the CLI picks
//! one. A file that could not be read is a report with an empty source and
//! one error diagnostic, so every format shows it where the file's findings
//! would be.
//!
//! Positions are 1-based lines and columns counted in Unicode code points
//! ([`Located`]); an end column is exclusive, as in SARIF.

pub mod checkstyle;
pub mod github;
pub mod json;
pub mod sarif;
pub mod tty;

use std::io;

use crate::diagnostics::{Diagnostic, Severity};
use crate::lint::rules::codes::{Rule, RuleInfo};
use crate::text::LineIndex;

/// One linted (or unreadable) file.
#[derive(Clone, Debug, Default)]
pub struct FileReport {
    /// The path as shown to the user (and written into reports).
    pub path: String,
    /// The text the diagnostics' ranges point into.
    pub source: String,
    /// Errors and findings, in source order.
    pub diagnostics: Vec<Diagnostic>,
}

/// An output format, with what it needs beyond the reports.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Format {
    /// miette's graphical reports with source snippets.
    Tty {
        color: bool,
        width: usize,
    },
    Json,
    Sarif,
    Checkstyle,
    Github,
}

/// Writes `files` in `format`.
pub fn write(out: &mut dyn io::Write, format: Format, files: &[FileReport]) -> io::Result<()> {
    match format {
        Format::Tty { color, width } => tty::write(out, files, color, width),
        Format::Json => json::write(out, files),
        Format::Sarif => sarif::write(out, files),
        Format::Checkstyle => checkstyle::write(out, files),
        Format::Github => github::write(out, files),
    }
}

/// A 1-based line and column (in Unicode code points).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub line: u32,
    pub column: u32,
}

/// A diagnostic with its rule and its position in lines and columns.
#[derive(Clone, Copy, Debug)]
pub struct Located<'a> {
    pub diagnostic: &'a Diagnostic,
    /// The rule's registry entry; `None` for parse and file errors.
    pub rule: Option<&'static RuleInfo>,
    pub start: Position,
    /// Just after the last character.
    pub end: Position,
}

impl<'a> Located<'a> {
    /// Every diagnostic of a file, located.
    pub fn all(file: &'a FileReport) -> impl Iterator<Item = Located<'a>> {
        let index = LineIndex::new(&file.source);
        file.diagnostics.iter().map(move |d| Located {
            diagnostic: d,
            rule: Rule::from_code(d.code).map(Rule::info),
            start: position(&file.source, &index, d.range.start()),
            end: position(&file.source, &index, d.range.end()),
        })
    }

    /// The user-visible rule name (kebab case), or the diagnostic code for
    /// errors that belong to no rule.
    pub fn name(&self) -> &'static str {
        self.rule.map_or(self.diagnostic.code, |i| i.name)
    }

    /// The rule's documentation page, when it has one (BuildKit's rules).
    pub fn url(&self) -> Option<String> {
        self.rule.and_then(rule_url)
    }

    pub fn severity(&self) -> Severity {
        self.diagnostic.severity
    }
}

/// The documentation page of a rule, when it has one: BuildKit's rules and
/// ShellCheck's codes.
pub fn rule_url(info: &RuleInfo) -> Option<String> {
    match info.rule {
        Rule::Shellcheck(n) if n != 0 => Some(format!("https://www.shellcheck.net/wiki/SC{n}")),
        _ => info
            .buildkit
            .map(|_| format!("https://docs.docker.com/go/dockerfile/rule/{}/", info.name)),
    }
}

/// The line and code-point column of a byte offset.
fn position(source: &str, index: &LineIndex, offset: usize) -> Position {
    let lc = index.line_col(offset);
    let line_start = offset.saturating_sub(lc.column as usize - 1);
    let column = source
        .get(line_start..offset)
        .map_or(lc.column, |s| s.chars().count() as u32 + 1);
    Position {
        line: lc.line,
        column,
    }
}

/// The first sentence-bearing paragraph under `## What it does` in a rule's
/// documentation, on one line: its short description.
pub fn summary(info: &RuleInfo) -> String {
    let doc = info.doc;
    let body = doc
        .find("## What it does")
        .map_or(doc, |i| &doc[i + "## What it does".len()..]);
    let para: Vec<&str> = body
        .lines()
        .map(str::trim)
        .skip_while(|l| l.is_empty())
        .take_while(|l| !l.is_empty() && !l.starts_with('#'))
        .collect();
    if para.is_empty() {
        info.name.to_owned()
    } else {
        para.join(" ")
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::TextRange;

    #[test]
    fn columns_count_code_points() {
        let source = "FROM alpine\nLABEL x=\"é\" y\n";
        let d = Diagnostic::warning("c", TextRange::new(25, 26), "m");
        let file = FileReport {
            path: "Dockerfile".to_owned(),
            source: source.to_owned(),
            diagnostics: vec![d],
        };
        let l = Located::all(&file).next().expect("one");
        assert_eq!(
            l.start,
            Position {
                line: 2,
                column: 13
            }
        );
        assert_eq!(
            l.end,
            Position {
                line: 2,
                column: 14
            }
        );
    }

    #[test]
    fn summary_is_the_first_paragraph() {
        use crate::lint::RULES;
        for info in RULES {
            let s = summary(info);
            assert!(!s.is_empty() && !s.contains('\n'), "{}: {s:?}", info.name);
        }
    }
}
