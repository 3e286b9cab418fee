//! Runs the `shellcheck` program over shell scripts and reads its findings
//! back, with positions as byte ranges into each script.
//!
//! All the scripts of one Dockerfile go to one `shellcheck` process per
//! dialect (usually one), as files in a temporary directory, with
//! `--format=json1` (columns count characters, a tab is one). Each script
//! gets a last line `export NAME=1 …` declaring the Dockerfile's `ARG` and
//! `ENV` names, so ShellCheck does not call them unassigned; being last, it
//! leaves line numbers alone. `.shellcheckrc` files are not read (`--norc`),
//! so results do not depend on where slipway runs. The sourcing checks
//! (SC1090, SC1091) and the ash-as-dash note (SC2187) are left out.
//!
//! This is the only part of the linter that starts a process. Whether the
//! program is there is checked once per process ([`shellcheck_available`]).

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Stdio};
use std::sync::OnceLock;

use super::LintOptions;
use super::rules::codes::Rule;
use crate::syntax::text::TextRange;
use crate::tempdir::TempDir;

/// The program run: `shellcheck` on the `PATH`.
const PROGRAM: &str = "shellcheck";

/// Codes never reported: sourcing other files (not in the build context
/// here) and ShellCheck's note that it checks ash as dash.
const EXCLUDED: &str = "SC1090,SC1091,SC2187";

/// Whether the `shellcheck` program can be run (checked once).
pub fn shellcheck_available() -> bool {
    static AVAILABLE: OnceLock<bool> = OnceLock::new();
    *AVAILABLE.get_or_init(|| {
        Command::new(PROGRAM)
            .arg("--version")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success())
    })
}

/// Whether the options leave the `shellcheck` rules on: not ignored as a
/// family, and selected if there is a selection. (`--no-shellcheck` is
/// `ignore` of the family.)
pub fn wanted(options: &LintOptions) -> bool {
    let family = Rule::Shellcheck(0);
    !options.ignore.contains(&family)
        && options
            .select
            .as_ref()
            .is_none_or(|s| s.iter().any(|r| matches!(r, Rule::Shellcheck(_))))
}

/// The shell dialects ShellCheck knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Dialect {
    Sh,
    Bash,
    Dash,
    Ksh,
}

impl Dialect {
    /// The dialect for a shell program name (`bash`, `sh`, …); `None` for
    /// shells ShellCheck cannot check (zsh, fish, PowerShell, cmd).
    pub fn of(program: &str) -> Option<Dialect> {
        Some(match program {
            "sh" => Dialect::Sh,
            "bash" => Dialect::Bash,
            // ShellCheck checks ash (and BusyBox's ash) as dash.
            "dash" | "ash" | "busybox" => Dialect::Dash,
            "ksh" | "mksh" => Dialect::Ksh,
            _ => return None,
        })
    }

    fn flag(self) -> &'static str {
        match self {
            Dialect::Sh => "sh",
            Dialect::Bash => "bash",
            Dialect::Dash => "dash",
            Dialect::Ksh => "ksh",
        }
    }
}

/// One script to check.
#[derive(Clone, Debug)]
pub struct Input<'a> {
    pub text: &'a str,
    pub dialect: Dialect,
}

/// How serious ShellCheck says a finding is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Level {
    Error,
    Warning,
    Info,
    Style,
}

/// One ShellCheck finding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Finding {
    /// The index of the script in the input.
    pub script: usize,
    /// Where in the script (bytes).
    pub range: TextRange,
    /// The number of the `SCnnnn` code.
    pub code: u16,
    pub level: Level,
    pub message: String,
}

/// Checks `inputs`, declaring `names` as assigned variables in each.
/// Findings come in input order, then by position.
pub fn check(inputs: &[Input], names: &[String]) -> Result<Vec<Finding>, String> {
    if inputs.is_empty() {
        return Ok(Vec::new());
    }
    let dir = TempDir::new("shellcheck")
        .map_err(|e| format!("cannot create a directory for shellcheck: {e}"))?;
    let exports: Vec<&str> = names
        .iter()
        .map(String::as_str)
        .filter(|n| is_name(n))
        .collect();
    let mut by_dialect: BTreeMap<Dialect, Vec<usize>> = BTreeMap::new();
    for (i, input) in inputs.iter().enumerate() {
        let mut text = input.text.to_owned();
        if !exports.is_empty() {
            text.push_str("\n# slipway: variables the Dockerfile defines\nexport");
            for n in &exports {
                text.push(' ');
                text.push_str(n);
                text.push_str("=1");
            }
            text.push('\n');
        }
        std::fs::write(dir.path().join(file_name(i)), text)
            .map_err(|e| format!("cannot write a script for shellcheck: {e}"))?;
        by_dialect.entry(input.dialect).or_default().push(i);
    }
    let mut out = Vec::new();
    for (dialect, indexes) in by_dialect {
        let output = Command::new(PROGRAM)
            .args(["--format=json1", "--norc", "--severity=style"])
            .arg(format!("--shell={}", dialect.flag()))
            .arg(format!("--exclude={EXCLUDED}"))
            .args(indexes.iter().map(|&i| file_name(i)))
            .current_dir(dir.path())
            .stdin(Stdio::null())
            .output()
            .map_err(|e| format!("cannot run shellcheck: {e}"))?;
        let stdout = String::from_utf8_lossy(&output.stdout);
        let parsed = parse_json1(&stdout).ok_or_else(|| {
            let stderr = String::from_utf8_lossy(&output.stderr);
            let first = stderr.lines().next().unwrap_or("no output");
            format!("shellcheck failed ({}): {first}", output.status)
        })?;
        for c in parsed {
            let Some(text) = inputs.get(c.script).map(|i| i.text) else {
                continue;
            };
            let start = offset(text, c.line, c.column);
            let end = offset(text, c.end_line, c.end_column).max(start);
            out.push(Finding {
                script: c.script,
                range: TextRange::new(start, end),
                code: c.code,
                level: c.level,
                message: c.message,
            });
        }
    }
    out.sort_by_key(|f| (f.script, f.range.start, f.range.end, f.code));
    Ok(out)
}

fn file_name(i: usize) -> String {
    format!("{i}.sh")
}

/// A shell variable name.
fn is_name(n: &str) -> bool {
    let mut chars = n.chars();
    chars
        .next()
        .is_some_and(|c| c == '_' || c.is_ascii_alphabetic())
        && chars.all(|c| c == '_' || c.is_ascii_alphanumeric())
}

/// A comment of ShellCheck's `json1` output.
struct Comment {
    script: usize,
    line: usize,
    column: usize,
    end_line: usize,
    end_column: usize,
    code: u16,
    level: Level,
    message: String,
}

/// Reads `{"comments": [...]}`; `None` if it is not that.
fn parse_json1(text: &str) -> Option<Vec<Comment>> {
    let v: serde_json::Value = serde_json::from_str(text).ok()?;
    let comments = v.get("comments")?.as_array()?;
    let mut out = Vec::with_capacity(comments.len());
    for c in comments {
        let num = |k: &str| {
            c.get(k)
                .and_then(serde_json::Value::as_u64)
                .and_then(|n| usize::try_from(n).ok())
        };
        let file = c.get("file").and_then(serde_json::Value::as_str)?;
        let Some(script) = file
            .strip_suffix(".sh")
            .and_then(|n| Path::new(n).file_name()?.to_str()?.parse().ok())
        else {
            continue;
        };
        let level = match c.get("level").and_then(serde_json::Value::as_str) {
            Some("error") => Level::Error,
            Some("warning") => Level::Warning,
            Some("info") => Level::Info,
            _ => Level::Style,
        };
        out.push(Comment {
            script,
            line: num("line")?,
            column: num("column")?,
            end_line: num("endLine")?,
            end_column: num("endColumn")?,
            code: num("code").and_then(|n| u16::try_from(n).ok())?,
            level,
            message: c
                .get("message")
                .and_then(serde_json::Value::as_str)?
                .to_owned(),
        });
    }
    Some(out)
}

/// The byte offset of a 1-based line and character column in `text`,
/// clamped to the text (a position past a line's end is its end).
pub fn offset(text: &str, line: usize, column: usize) -> usize {
    let mut start = 0;
    for _ in 1..line.max(1) {
        match text[start..].find('\n') {
            Some(i) => start += i + 1,
            None => return text.len(),
        }
    }
    let line_text = &text[start..];
    let line_end = line_text.find('\n').unwrap_or(line_text.len());
    let line_text = &line_text[..line_end];
    let within = line_text
        .char_indices()
        .nth(column.saturating_sub(1))
        .map_or(line_text.len(), |(i, _)| i);
    start + within
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn offsets_count_characters() {
        let text = "ab\n\téx y\nlast";
        assert_eq!(offset(text, 1, 1), 0);
        assert_eq!(offset(text, 2, 1), 3);
        assert_eq!(offset(text, 2, 2), 4);
        assert_eq!(offset(text, 2, 3), 6);
        assert_eq!(offset(text, 2, 4), 7);
        assert_eq!(offset(text, 2, 99), 9);
        assert_eq!(offset(text, 3, 5), text.len());
        assert_eq!(offset(text, 9, 1), text.len());
        assert_eq!(offset("", 0, 0), 0);
    }

    #[test]
    fn reads_json1() {
        let out = r#"{"comments":[{"file":"3.sh","line":1,"endLine":1,"column":6,"endColumn":10,"level":"info","code":2086,"message":"Double quote.","fix":null},{"file":"x.txt","line":1,"endLine":1,"column":1,"endColumn":2,"level":"error","code":1,"message":"m"}]}"#;
        let c = parse_json1(out).expect("json1");
        assert_eq!(c.len(), 1);
        assert_eq!((c[0].script, c[0].code, c[0].level), (3, 2086, Level::Info));
        assert!(parse_json1("not json").is_none());
    }

    #[test]
    fn dialects() {
        assert_eq!(Dialect::of("bash"), Some(Dialect::Bash));
        assert_eq!(Dialect::of("ash"), Some(Dialect::Dash));
        assert_eq!(Dialect::of("pwsh"), None);
        assert!(is_name("_a1") && !is_name("1a") && !is_name("a-b") && !is_name(""));
    }

    /// Needs the `shellcheck` program (`scripts/install-deps` installs it).
    #[test]
    fn runs_shellcheck_on_a_batch() {
        assert!(
            shellcheck_available(),
            "shellcheck is not installed; run scripts/install-deps"
        );
        let inputs = [
            Input {
                text: "echo $foo $bar",
                dialect: Dialect::Sh,
            },
            Input {
                text: "[[ -n $HOME ]] && echo ok",
                dialect: Dialect::Sh,
            },
            Input {
                text: "[[ -n $HOME ]] && echo ok",
                dialect: Dialect::Bash,
            },
        ];
        let found = check(&inputs, &["foo".to_owned()]).expect("shellcheck runs");
        let summary: Vec<(usize, u16, &str)> = found
            .iter()
            .map(|f| (f.script, f.code, &inputs[f.script].text[f.range.as_range()]))
            .collect();
        assert_eq!(
            summary,
            [
                (0, 2086, "$foo"),
                (0, 2086, "$bar"),
                (0, 2154, "$bar"),
                (1, 3010, "[[ -n $HOME ]]"),
            ]
        );
    }
}
