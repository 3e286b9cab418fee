//! `sudo-in-run`: no `sudo` in the build.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Checks for `sudo` in `RUN`.
    ///
    /// ## Why is this bad?
    /// Build steps run as the current `USER` with no terminal: `sudo` either
    /// is not installed, asks for a password no one can type, or works only
    /// because the image grants password-less root to its user, which then
    /// stays in the image. Switch users with `USER` instead.
    ///
    /// ## Example
    /// ```dockerfile
    /// USER app
    /// RUN sudo apt-get install -y curl
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// USER root
    /// RUN apt-get install -y curl
    /// USER app
    /// ```
    pub struct SudoInRun;
}

impl Violation for SudoInRun {
    const RULE: Rule = Rule::SudoInRun;
    fn message(&self) -> String {
        "`sudo` in RUN: switch users with USER instead".to_owned()
    }
}

/// SW030.
pub(crate) fn sudo_in_run(checker: &mut Checker) {
    if !checker.any_enabled(Rule::SudoInRun) {
        return;
    }
    let runs = checker.runs();
    for run in runs.iter() {
        for cmd in run.commands_named("sudo") {
            if let Some(word) = cmd.words.first() {
                checker.report(SudoInRun, run.word_range(word));
            }
        }
    }
}
