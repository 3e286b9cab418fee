//! `apt-get-install-without-yes`: `apt-get install` does not wait for an
//! answer.

use crate::lint::checker::{Checker, invocations};
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

use crate::lint::shell::{Invocation, is_option};

crate::declare_rule! {
    /// ## What it does
    /// Checks for `apt-get install` without `-y` (`--yes`,
    /// `--assume-yes`, or `-qq`, which implies it).
    ///
    /// ## Why is this bad?
    /// Without it `apt-get` asks for confirmation before installing
    /// anything that pulls in other packages. A build has no one to answer,
    /// so the step fails.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install curl
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y curl
    /// ```
    pub struct AptGetInstallWithoutYes;
}

impl Violation for AptGetInstallWithoutYes {
    const RULE: Rule = Rule::AptGetInstallWithoutYes;
    fn message(&self) -> String {
        "`apt-get install` without `-y` waits for a confirmation no one can give".to_owned()
    }
}

/// SW025.
pub(crate) fn apt_get_install_without_yes(checker: &mut Checker) {
    if !checker.any_enabled(Rule::AptGetInstallWithoutYes) {
        return;
    }
    let runs = checker.runs();
    for (run, cmd, inv) in invocations(&runs) {
        if inv.program == "apt-get" && inv.subcommand() == Some("install") && !assumes_yes(&inv) {
            checker.report(AptGetInstallWithoutYes, run.source_range(cmd.range));
        }
    }
}

/// `-y`, `--yes`, `--assume-yes`, or quiet level 2 (`-qq`, `-q=2`,
/// `--quiet=2`), which implies `-y`.
fn assumes_yes(inv: &Invocation) -> bool {
    inv.has_option(&['y'], &["yes", "assume-yes"])
        || inv.args.iter().any(|w| {
            let v = w.value.as_str();
            matches!(v, "-q=2" | "--quiet=2")
                || (is_option(v, &['q'], &[]) && v.matches('q').count() >= 2)
        })
}
