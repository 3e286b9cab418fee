//! `--format github`: GitHub Actions workflow commands, one per diagnostic
//! (`::warning file=…,line=…,col=…,endLine=…,endColumn=…,title=…::message`,
//! titled with the diagnostic code), which the runner turns into
//! annotations on the changed files.
//!
//! Escaping follows the runner's rules: in the message `%`, CR and LF
//! become `%25`, `%0D` and `%0A`; in property values `:` and `,` also
//! become `%3A` and `%2C`.

use std::io;

use super::{FileReport, Located};
use crate::diagnostics::Severity;

/// Writes one workflow command per diagnostic.
pub fn write(out: &mut dyn io::Write, files: &[FileReport]) -> io::Result<()> {
    for f in files {
        for l in Located::all(f) {
            writeln!(out, "{}", command(&f.path, &l))?;
        }
    }
    Ok(())
}

/// The workflow command for one diagnostic.
pub fn command(path: &str, l: &Located) -> String {
    let kind = match l.severity() {
        Severity::Error => "error",
        Severity::Warning => "warning",
    };
    let path = path.strip_prefix("./").unwrap_or(path);
    format!(
        "::{kind} file={},line={},col={},endLine={},endColumn={},title={}::{}",
        property(path),
        l.start.line,
        l.start.column,
        l.end.line,
        l.end.column,
        property(l.diagnostic.code),
        data(&l.diagnostic.message),
    )
}

/// Escapes a command's message.
pub fn data(s: &str) -> String {
    s.replace('%', "%25")
        .replace('\r', "%0D")
        .replace('\n', "%0A")
}

/// Escapes a property value.
pub fn property(s: &str) -> String {
    data(s).replace(':', "%3A").replace(',', "%2C")
}

#[cfg(test)]
mod tests {
    use super::{data, property};

    #[test]
    fn escapes_as_the_runner_expects() {
        assert_eq!(data("100% a:b, c\r\nd"), "100%25 a:b, c%0D%0Ad");
        assert_eq!(property("a,b:c%d\n"), "a%2Cb%3Ac%25d%0A");
    }
}
