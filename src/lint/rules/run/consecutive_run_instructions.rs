//! `consecutive-run-instructions`: back-to-back `RUN`s that could be one.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::syntax::instructions::{CommandLine, Instruction, Run};

crate::declare_rule! {
    /// ## What it does
    /// Checks for a shell-form `RUN` right after another shell-form `RUN`
    /// with the same flags (`--mount`, `--network`, `--security`). Off by
    /// default: turn it on with `experimental=consecutive-run-instructions`
    /// or by selecting it.
    ///
    /// ## Why is this bad?
    /// Each `RUN` is a layer. Files one `RUN` creates and the next deletes
    /// still take space in the first layer, and many small layers make
    /// pulls slower.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update
    /// RUN apt-get install -y --no-install-recommends curl
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN apt-get update \
    ///     && apt-get install -y --no-install-recommends curl
    /// ```
    pub struct ConsecutiveRunInstructions;
}

impl Violation for ConsecutiveRunInstructions {
    const RULE: Rule = Rule::ConsecutiveRunInstructions;
    fn message(&self) -> String {
        "RUN right after another RUN with the same flags: join them to save a layer".to_owned()
    }
}

/// SW032.
pub(crate) fn consecutive_run_instructions(checker: &mut Checker) {
    if !checker.any_enabled(Rule::ConsecutiveRunInstructions) {
        return;
    }
    let file = checker.file;
    for stage in &file.stages {
        let mut previous: Option<&Run> = None;
        for ins in &stage.instructions {
            let Instruction::Run(run) = ins else {
                previous = None;
                continue;
            };
            let shell = matches!(run.command, CommandLine::Shell(_)) && run.files.is_empty();
            if shell
                && let Some(prev) = previous
                && same_flags(prev, run)
            {
                checker.report(ConsecutiveRunInstructions, run.range);
            }
            previous = shell.then_some(run);
        }
    }
}

fn same_flags(a: &Run, b: &Run) -> bool {
    let mounts = |r: &Run| {
        r.mounts
            .iter()
            .map(|m| m.value.value.clone())
            .collect::<Vec<_>>()
    };
    mounts(a) == mounts(b)
        && a.network.as_ref().map(|n| n.value) == b.network.as_ref().map(|n| n.value)
        && a.security.as_ref().map(|s| s.value) == b.security.as_ref().map(|s| s.value)
}
