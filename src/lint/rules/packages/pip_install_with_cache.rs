//! `pip-install-with-cache`: `pip install` keeps no download cache in the
//! image.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::lint::shell::Command;
use crate::syntax::instructions::Instruction;

crate::declare_rule! {
    /// ## What it does
    /// Checks for `pip install` (also `pip3`, `python -m pip`) without
    /// `--no-cache-dir`. Not reported when `PIP_NO_CACHE_DIR` is set with
    /// `ENV` or `ARG` in the stage or a stage it is built on, or when the
    /// `RUN` has a cache mount for pip's cache.
    ///
    /// ## Why is this bad?
    /// pip keeps every downloaded wheel under `~/.cache/pip`. In an image
    /// that cache is dead weight, often as large as the packages.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN pip install -r requirements.txt
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN pip install --no-cache-dir -r requirements.txt
    /// ```
    pub struct PipInstallWithCache;
}

impl Violation for PipInstallWithCache {
    const RULE: Rule = Rule::PipInstallWithCache;
    fn message(&self) -> String {
        "`pip install` without `--no-cache-dir` leaves pip's download cache in the image".to_owned()
    }
}

/// SW037.
pub(crate) fn pip_install_with_cache(checker: &mut Checker) {
    if !checker.any_enabled(Rule::PipInstallWithCache) {
        return;
    }
    let file = checker.file;
    let parents = checker.parents();
    let declares = |i: usize| {
        file.stages[i].instructions.iter().any(|ins| match ins {
            Instruction::Env(e) => e.pairs.iter().any(|p| p.key.value == "PIP_NO_CACHE_DIR"),
            Instruction::Arg(a) => a.args.iter().any(|d| d.key.value == "PIP_NO_CACHE_DIR"),
            _ => false,
        })
    };
    let mut disabled = vec![false; file.stages.len()];
    for i in 0..file.stages.len() {
        disabled[i] = declares(i) || parents[i].is_some_and(|p| disabled[p]);
    }
    let runs = checker.runs();
    for run in runs.iter() {
        if disabled.get(run.stage).copied().unwrap_or(false)
            || super::has_cache_mount(run, &["/root/.cache", "/root/.cache/pip"])
            || run
                .mounts
                .iter()
                .any(|m| m.target.as_deref().is_some_and(|t| t.contains("pip")))
        {
            continue;
        }
        for cmd in &run.commands {
            if is_pip_install(cmd) && !cmd.has_option(&[], &["no-cache-dir"]) {
                checker.report(PipInstallWithCache, run.source_range(cmd.range));
            }
        }
    }
}

/// `pip install …`, `pip3 install …`, `python3 -m pip install …`.
fn is_pip_install(cmd: &Command) -> bool {
    let Some(inv) = cmd.invocation() else {
        return false;
    };
    let args: Vec<&str> = inv.args.iter().map(|w| w.value.as_str()).collect();
    let rest = if inv.program.starts_with("pip") {
        &args[..]
    } else if inv.program.starts_with("python") {
        match args.iter().position(|a| *a == "-m") {
            Some(i) if args.get(i + 1).is_some_and(|m| m.starts_with("pip")) => &args[i + 2..],
            _ => return false,
        }
    } else {
        return false;
    };
    rest.iter().find(|a| !a.starts_with('-')) == Some(&"install")
}
