//! `slipway lint --fix` / `--diff`: applies the safe fixes
//! (`slipway::lint::fix`), or prints them as a unified diff.
//!
//! - `--fix` writes each changed file in place, then lints the files again
//!   exactly as `slipway lint` does (same formats, settings and threshold),
//!   so what is printed is what is left. Exit code: 1 when a finding left
//!   fails the threshold, else 0.
//! - `--diff` (also with `--fix`) writes nothing and prints one unified
//!   diff per changed file on standard output. Exit code: 1 when any file
//!   would change, else 0 (as ruff's `--diff`).
//! - `-` (standard input): `--fix` prints the fixed text on standard output
//!   and the findings left on standard error; `--diff` prints the diff.
//!
//! A summary line (`Fixed 3 findings in 1 file.`) goes to standard error.
//! A file that cannot be read, decoded or written is named on standard
//! error, the others are still fixed, and the exit code is 2.

use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use slipway::diagnostics::{Diagnostic, Severity};
use slipway::lint::settings::{Settings, SettingsFinder, Threshold};
use slipway::lint::{self, fix};

use super::args::{LintArgs, LintThreshold};
use super::{Fatal, Outcome, render};

pub fn run(args: &LintArgs) -> Result<Outcome, Fatal> {
    let paths = super::lint::checked_paths(args)?;
    let mut inputs = Vec::new();
    for p in &paths {
        super::lint::collect(p, &mut inputs);
    }
    let mut files = Vec::new();
    let mut failed = 0;
    for input in inputs {
        match input.walk_error {
            Some(e) => {
                eprintln!("slipway: {}: {e}", input.path);
                failed += 1;
            }
            None => files.push(PathBuf::from(input.path)),
        }
    }
    files.sort();
    files.dedup();
    let config = args.config.as_deref().map(Settings::load).transpose()?;
    let config = config.map(Arc::new);
    let mut finder = SettingsFinder::new();

    let mut out = std::io::stdout().lock();
    let (mut fixes, mut changed, mut stdin_fails) = (0, 0, false);
    let mut relint = Vec::new();
    for file in &files {
        let settings = match &config {
            Some(s) => s.clone(),
            None => finder.for_dir(&dir_of(file))?,
        };
        let options = settings.options(args.check.clone());
        let (name, bytes) = match super::parse::read_input(file) {
            Ok(x) => x,
            Err(Fatal(msg)) => {
                eprintln!("slipway: {msg}");
                failed += 1;
                continue;
            }
        };
        let source = match lint::decode(&bytes) {
            Ok(s) => s,
            Err(d) => {
                eprintln!("slipway: {name}: {}", d.message);
                failed += 1;
                continue;
            }
        };
        let fixed = fix::fix(source, &options);
        if fixed.changed() {
            fixes += fixed.applied.len();
            changed += 1;
        }
        if args.diff {
            write!(out, "{}", fix::unified_diff(&name, source, &fixed.source))?;
        } else if file.as_os_str() == "-" {
            out.write_all(fixed.source.as_bytes())?;
            out.flush()?;
            let threshold = threshold(args, &settings);
            let left = lint::lint(&fixed.source, &options);
            failed += usize::from(!left.errors.is_empty());
            stdin_fails |= left.findings.iter().any(|d| {
                let severity = if left.error_on_findings {
                    Severity::Error
                } else {
                    d.severity
                };
                threshold.fails(severity)
            });
            let mut all: Vec<Diagnostic> = left.errors;
            all.extend(left.findings);
            all.sort_by_key(|d| (d.range.start, d.range.end));
            render::diagnostics(&name, &fixed.source, &all, args.color);
        } else if fixed.changed() {
            match std::fs::write(file, &fixed.source) {
                Ok(()) => relint.push(file.clone()),
                Err(e) => {
                    eprintln!("slipway: {name}: cannot write the file: {e}");
                    failed += 1;
                }
            }
        } else {
            relint.push(file.clone());
        }
    }
    drop(out);

    let mut outcome = if args.diff && changed > 0 || stdin_fails {
        Outcome::Errors
    } else {
        Outcome::Ok
    };
    if !args.diff && !relint.is_empty() {
        let again = LintArgs {
            paths: relint,
            explain: None,
            list_rules: false,
            fix: false,
            diff: false,
            ..args.clone()
        };
        match super::lint::run(&again) {
            Ok(Outcome::Ok) => {}
            Ok(other) => outcome = other,
            Err(Fatal(msg)) => {
                eprintln!("slipway: {msg}");
                failed += 1;
            }
        }
    }
    eprintln!("{}", summary(args.diff, fixes, changed));
    if failed > 0 {
        return Err(Fatal(format!(
            "{failed} of {} files could not be fixed",
            files.len()
        )));
    }
    Ok(outcome)
}

/// `Fixed 3 findings in 2 files.`, `Would fix …` or `No fixes to apply.`
fn summary(diff: bool, fixes: usize, files: usize) -> String {
    if fixes == 0 {
        return "No fixes to apply.".to_owned();
    }
    let plural = |n: usize, what: &str| format!("{n} {what}{}", if n == 1 { "" } else { "s" });
    format!(
        "{} {} in {}.",
        if diff { "Would fix" } else { "Fixed" },
        plural(fixes, "finding"),
        plural(files, "file")
    )
}

fn threshold(args: &LintArgs, settings: &Settings) -> Threshold {
    match args.failure_threshold {
        Some(LintThreshold::Error) => Threshold::Error,
        Some(LintThreshold::Warning) => Threshold::Warning,
        Some(LintThreshold::None) => Threshold::None,
        None => settings.failure_threshold,
    }
}

/// The directory a file's `slipway.toml` is searched from.
fn dir_of(file: &Path) -> PathBuf {
    match file.parent() {
        Some(p) if !p.as_os_str().is_empty() && file.as_os_str() != "-" => p.to_owned(),
        _ => PathBuf::from("."),
    }
}
