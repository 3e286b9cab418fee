//! `--format json`: one JSON object per diagnostic, one per line, with the
//! file, rule, code, BuildKit name, severity, message, start and end
//! positions and documentation URL.

use std::io;

use super::{FileReport, Located};

/// Writes one line per diagnostic.
pub fn write(out: &mut dyn io::Write, files: &[FileReport]) -> io::Result<()> {
    for f in files {
        for l in Located::all(f) {
            let d = l.diagnostic;
            let value = serde_json::json!({
                "file": f.path,
                "rule": l.name(),
                "code": d.code,
                "buildkit_rule": l.rule.and_then(|i| i.buildkit),
                "severity": d.severity,
                "message": d.message,
                "start": {"line": l.start.line, "column": l.start.column},
                "end": {"line": l.end.line, "column": l.end.column},
                "url": l.url(),
            });
            writeln!(out, "{value}")?;
        }
    }
    Ok(())
}
