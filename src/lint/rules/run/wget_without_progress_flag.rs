//! `wget-without-progress-flag`: `wget` does not flood the build log.

use crate::lint::checker::{Checker, invocations};
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Checks for `wget` without an option that tames its progress output:
    /// `-q`/`--quiet`, `-nv`/`--no-verbose`, `--progress=…`, or a log file
    /// (`-o`, `-a`). Off by default: turn it on with
    /// `experimental=wget-without-progress-flag` or by selecting it.
    ///
    /// ## Why is this bad?
    /// Without a terminal, wget prints a line of dots for every few
    /// kilobytes: a large download fills the build log with thousands of
    /// lines and hides the output that matters.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN wget https://example.com/big.tar.gz
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN wget --progress=dot:giga https://example.com/big.tar.gz
    /// ```
    pub struct WgetWithoutProgressFlag;
}

impl Violation for WgetWithoutProgressFlag {
    const RULE: Rule = Rule::WgetWithoutProgressFlag;
    fn message(&self) -> String {
        "`wget` without `-q`, `-nv` or `--progress=` fills the build log with progress dots"
            .to_owned()
    }
}

/// SW043.
pub(crate) fn wget_without_progress_flag(checker: &mut Checker) {
    if !checker.any_enabled(Rule::WgetWithoutProgressFlag) {
        return;
    }
    let runs = checker.runs();
    for (run, cmd, inv) in invocations(&runs) {
        if inv.program != "wget" {
            continue;
        }
        let quiet = inv.has_option(
            &['q', 'o', 'a'],
            &[
                "quiet",
                "no-verbose",
                "progress",
                "output-file",
                "append-output",
            ],
        ) || inv.args.iter().any(|w| w.value == "-nv");
        if !quiet {
            checker.report(WgetWithoutProgressFlag, run.source_range(cmd.range));
        }
    }
}
