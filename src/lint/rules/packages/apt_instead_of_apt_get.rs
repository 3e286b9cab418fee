//! `apt-instead-of-apt-get`: scripts use `apt-get`, not `apt`.

use crate::lint::checker::{Checker, invocations};
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Checks for the `apt` command in `RUN`.
    ///
    /// ## Why is this bad?
    /// `apt` is the interactive front end: its output and options may
    /// change between releases, and it warns that its command-line
    /// interface is not stable. `apt-get` and `apt-cache` are meant for
    /// scripts.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt update && apt install -y curl
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y curl
    /// ```
    pub struct AptInsteadOfAptGet;
}

impl Violation for AptInsteadOfAptGet {
    const RULE: Rule = Rule::AptInsteadOfAptGet;
    fn message(&self) -> String {
        "`apt` has no stable interface for scripts; use `apt-get` or `apt-cache`".to_owned()
    }
}

/// SW028.
pub(crate) fn apt_instead_of_apt_get(checker: &mut Checker) {
    if !checker.any_enabled(Rule::AptInsteadOfAptGet) {
        return;
    }
    let runs = checker.runs();
    for (run, _, inv) in invocations(&runs) {
        if inv.program == "apt" {
            checker.report(AptInsteadOfAptGet, run.word_range(inv.name));
        }
    }
}
