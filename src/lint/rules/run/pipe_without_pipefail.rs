//! `pipe-without-pipefail`: pipes in RUN fail when any command fails.

use crate::lint::checker::{Checker, RunScript};
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::lint::shell::{Command, Separator};

crate::declare_rule! {
    /// ## What it does
    /// Checks for a pipe (`a | b`) in `RUN` when the shell supports
    /// `pipefail` (bash, zsh, ksh, ash) but neither the `SHELL` nor the
    /// script sets it (`set -o pipefail` before the pipe). The default
    /// `/bin/sh` is not reported: it may be a shell without `pipefail`
    /// (dash), and the fix there is a `SHELL` instruction.
    ///
    /// ## Why is this bad?
    /// A pipeline's status is that of its last command. In
    /// `curl -fsSL $URL | tar -xz` a failed download leaves `tar` reading
    /// nothing, the step succeeds, and the image is built without the
    /// files.
    ///
    /// ## Example
    /// ```dockerfile
    /// SHELL ["/bin/bash", "-c"]
    /// RUN curl -fsSL https://example.com/tool.tgz | tar -xz
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// SHELL ["/bin/bash", "-o", "pipefail", "-c"]
    /// RUN curl -fsSL https://example.com/tool.tgz | tar -xz
    /// ```
    pub struct PipeWithoutPipefail;
}

impl Violation for PipeWithoutPipefail {
    const RULE: Rule = Rule::PipeWithoutPipefail;
    fn message(&self) -> String {
        "pipe without `set -o pipefail`: a failure before the last command goes unnoticed"
            .to_owned()
    }
}

/// Shells with `set -o pipefail`.
const PIPEFAIL_SHELLS: [&str; 6] = ["bash", "zsh", "ksh", "mksh", "ash", "busybox"];

/// SW033.
pub(crate) fn pipe_without_pipefail(checker: &mut Checker) {
    if !checker.any_enabled(Rule::PipeWithoutPipefail) {
        return;
    }
    let runs = checker.runs();
    for run in runs.iter() {
        if run.exec || !supports_pipefail(run) || shell_sets_pipefail(run) {
            continue;
        }
        let mut set = false;
        for (i, cmd) in run.commands.iter().enumerate() {
            if sets_pipefail(cmd) {
                set = true;
            }
            if set || cmd.separator != Separator::Pipe {
                continue;
            }
            let range = match run.commands.get(i + 1) {
                Some(next) => cmd.range.cover(next.range),
                None => cmd.range,
            };
            checker.report(PipeWithoutPipefail, run.source_range(range));
            break;
        }
    }
}

/// The script's interpreter supports `pipefail` (the default `/bin/sh`
/// is `sh`, which is not counted).
fn supports_pipefail(run: &RunScript) -> bool {
    run.interpreter
        .as_deref()
        .is_some_and(|i| PIPEFAIL_SHELLS.contains(&i))
}

/// `SHELL ["/bin/bash", "-o", "pipefail", "-c"]` (or `-euo pipefail`).
fn shell_sets_pipefail(run: &RunScript) -> bool {
    run.shell
        .windows(2)
        .any(|w| w[0].starts_with('-') && w[0].contains('o') && w[1] == "pipefail")
}

/// `set -o pipefail`, `set -euo pipefail`, `set -eux -o pipefail`.
fn sets_pipefail(cmd: &Command) -> bool {
    if cmd.name() != Some("set") {
        return false;
    }
    cmd.args().windows(2).any(|w| {
        let flag = w[0].value.as_str();
        flag.starts_with('-')
            && !flag.starts_with("--")
            && flag.contains('o')
            && w[1].value == "pipefail"
    })
}
