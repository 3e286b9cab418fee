//! `apt-get-install-with-recommends`: `apt-get install` installs only what
//! was asked for.

use crate::lint::checker::{Checker, invocations};
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Checks for `apt-get install` without `--no-install-recommends` (or
    /// `-o APT::Install-Recommends=false`).
    ///
    /// ## Why is this bad?
    /// By default apt also installs every package the requested ones
    /// recommend: documentation, extra tools, sometimes whole desktop
    /// libraries. The image grows and carries more software to patch.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y curl
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl
    /// ```
    pub struct AptGetInstallWithRecommends;
}

impl Violation for AptGetInstallWithRecommends {
    const RULE: Rule = Rule::AptGetInstallWithRecommends;
    fn message(&self) -> String {
        "`apt-get install` without `--no-install-recommends` also installs recommended packages"
            .to_owned()
    }
}

/// SW026.
pub(crate) fn apt_get_install_with_recommends(checker: &mut Checker) {
    if !checker.any_enabled(Rule::AptGetInstallWithRecommends) {
        return;
    }
    let runs = checker.runs();
    for (run, cmd, inv) in invocations(&runs) {
        if inv.program != "apt-get" || inv.subcommand() != Some("install") {
            continue;
        }
        let off = inv.has_option(&[], &["no-install-recommends"])
            || inv.args.iter().any(|w| {
                let v = w.value.to_lowercase();
                v.contains("install-recommends=false")
                    || v.contains("install-recommends=0")
                    || v.contains("install-recommends=no")
            });
        if !off {
            checker.report(AptGetInstallWithRecommends, run.source_range(cmd.range));
        }
    }
}
