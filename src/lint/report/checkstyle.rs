//! `--format checkstyle`: Checkstyle's XML report, which Jenkins, GitLab
//! and reviewdog read. Every checked file gets a `<file>` element, with one
//! `<error>` per diagnostic (`line`, `column`, `severity`, `message`, and
//! the diagnostic code as `source`).

use std::io;

use super::{FileReport, Located};
use crate::diagnostics::Severity;

/// Writes the whole report.
pub fn write(out: &mut dyn io::Write, files: &[FileReport]) -> io::Result<()> {
    writeln!(out, r#"<?xml version="1.0" encoding="UTF-8"?>"#)?;
    writeln!(out, r#"<checkstyle version="4.3">"#)?;
    for f in files {
        writeln!(out, r#"  <file name="{}">"#, escape(&f.path))?;
        for l in Located::all(f) {
            let severity = match l.severity() {
                Severity::Error => "error",
                Severity::Warning => "warning",
            };
            writeln!(
                out,
                r#"    <error line="{}" column="{}" severity="{severity}" message="{}" source="{}"/>"#,
                l.start.line,
                l.start.column,
                escape(&l.diagnostic.message),
                escape(l.diagnostic.code),
            )?;
        }
        writeln!(out, "  </file>")?;
    }
    writeln!(out, "</checkstyle>")
}

/// Escapes text for an XML attribute value. Line breaks and tabs become
/// character references (attribute normalisation would turn them into
/// spaces); other characters XML 1.0 cannot hold become U+FFFD.
pub fn escape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&apos;"),
            '\n' => out.push_str("&#10;"),
            '\r' => out.push_str("&#13;"),
            '\t' => out.push_str("&#9;"),
            c if (c as u32) < 0x20 || matches!(c, '\u{FFFE}' | '\u{FFFF}') => {
                out.push('\u{FFFD}');
            }
            c => out.push(c),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::escape;

    #[test]
    fn escapes_markup_line_breaks_and_control_characters() {
        assert_eq!(
            escape("a<b> & \"c\" 'd'\n\u{1}"),
            "a&lt;b&gt; &amp; &quot;c&quot; &apos;d&apos;&#10;\u{FFFD}"
        );
    }
}
