//! `shellcheck`: the `shellcheck` program's findings on `RUN` bodies,
//! mapped back to the Dockerfile.

use std::collections::BTreeSet;

use crate::diagnostics::Severity;
use crate::lint::checker::Checker;
use crate::lint::rules::codes::Rule;
use crate::lint::shellcheck::{self, Dialect, Input, Level};
use crate::syntax::instructions::Instruction;

crate::declare_rule! {
    /// ## What it does
    /// Runs [ShellCheck](https://www.shellcheck.net) on the shell code of
    /// every shell-form `RUN` (with continuation lines joined and comment
    /// lines dropped, as the shell gets it) and on heredoc scripts, in the
    /// dialect of the `SHELL` in force (`sh` by default; `bash`, `dash`,
    /// `ksh`), or of a heredoc's `#!` line. Each finding keeps
    /// ShellCheck's code as its rule name (`SC2086`), so codes are
    /// selected, ignored and skipped one by one; `shellcheck` names them
    /// all. Errors stay errors; warnings, notes and style remarks are
    /// warnings.
    ///
    /// Needs the `shellcheck` program (Debian package `shellcheck`); when
    /// it is missing, the linter says so once and the rest of the checks
    /// run. `--no-shellcheck` turns it off. Scripts for other shells
    /// (PowerShell, cmd, zsh) and heredocs in other languages are skipped,
    /// and so are `RUN` triggers inside `ONBUILD`.
    ///
    /// ## Why is this bad?
    /// `RUN` bodies are shell scripts that only run at build time, often in
    /// CI: unquoted variables, a `cd` that fails silently or a bash-only
    /// construct under `/bin/sh` break builds, or worse, let them succeed
    /// with the wrong result.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN cd $APP_DIR && make
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN cd "$APP_DIR" && make
    /// ```
    pub struct Shellcheck;
}

/// SW045: one `shellcheck` process per dialect for the whole file.
pub(crate) fn shellcheck(checker: &mut Checker) {
    if !checker.shellcheck_enabled() || !shellcheck::shellcheck_available() {
        return;
    }
    let runs = checker.runs();
    let mut inputs = Vec::new();
    let mut owners = Vec::new();
    for (i, run) in runs.iter().enumerate() {
        if run.exec || run.script.text.trim().is_empty() {
            continue;
        }
        let Some(dialect) = run.interpreter.as_deref().and_then(Dialect::of) else {
            continue;
        };
        inputs.push(Input {
            text: &run.script.text,
            dialect,
        });
        owners.push(i);
    }
    if inputs.is_empty() {
        return;
    }
    let names = variable_names(checker);
    let found = match shellcheck::check(&inputs, &names) {
        Ok(found) => found,
        Err(message) => {
            if let Some(&first) = owners.first() {
                let range = runs[first].range;
                checker.report_rule(Rule::Shellcheck(0), message, range, None);
            }
            return;
        }
    };
    for f in found {
        let Some(run) = owners.get(f.script).and_then(|&i| runs.get(i)) else {
            continue;
        };
        let severity = match f.level {
            Level::Error => Severity::Error,
            Level::Warning | Level::Info | Level::Style => Severity::Warning,
        };
        let range = run.source_range(f.range);
        checker.report_rule(Rule::Shellcheck(f.code), f.message, range, Some(severity));
    }
}

/// Every `ARG` and `ENV` name of the file: the shell sees them as set.
fn variable_names(checker: &Checker) -> Vec<String> {
    let file = checker.file;
    let mut names = BTreeSet::new();
    let args = file
        .meta_args
        .iter()
        .chain(file.stages.iter().flat_map(|s| {
            s.instructions.iter().filter_map(|i| match i {
                Instruction::Arg(a) => Some(a),
                _ => None,
            })
        }));
    for a in args {
        names.extend(a.args.iter().map(|d| d.key.value.clone()));
    }
    for stage in &file.stages {
        for ins in &stage.instructions {
            if let Instruction::Env(e) = ins {
                names.extend(e.pairs.iter().map(|p| p.key.value.clone()));
            }
        }
    }
    names.into_iter().collect()
}
