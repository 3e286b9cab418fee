//! `copy-from-unknown-stage`: `COPY --from` names an earlier stage or an
//! image.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::syntax::instructions::Instruction;

use super::{FromTarget, from_target};

crate::declare_rule! {
    /// ## What it does
    /// Checks `COPY --from=<name>` where the name is not an earlier stage
    /// and does not look like an image reference (no `/`, `:`, `@` or `.`),
    /// or names a stage defined further down the file.
    ///
    /// ## Why is this bad?
    /// BuildKit takes a name that is no stage for an image on Docker Hub:
    /// a typo in a stage name (`--from=biuld`) pulls `docker.io/library/biuld`
    /// instead of failing. A stage defined later cannot be what the author
    /// meant either.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// RUN go build -o /app .
    /// FROM debian:12
    /// COPY --from=builder /app /app
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM golang:1.23 AS build
    /// RUN go build -o /app .
    /// FROM debian:12
    /// COPY --from=build /app /app
    /// ```
    ///
    /// ## Known problems
    /// A named build context (`--build-context name=...`) with a plain name
    /// is reported too: slipway does not know the build's contexts.
    pub struct CopyFromUnknownStage {
        pub from: String,
        pub later: bool,
    }
}

impl Violation for CopyFromUnknownStage {
    const RULE: Rule = Rule::CopyFromUnknownStage;
    fn message(&self) -> String {
        let from = &self.from;
        if self.later {
            format!(
                "`--from={from}` names a stage defined further down; only earlier stages can be copied from"
            )
        } else if from.bytes().all(|b| b.is_ascii_digit()) {
            format!("`--from={from}` is not the index of an earlier stage")
        } else {
            format!("`--from={from}` names no stage, so it is pulled as an image from Docker Hub")
        }
    }
}

/// SW034.
pub(crate) fn copy_from_unknown_stage(checker: &mut Checker) {
    if !checker.any_enabled(Rule::CopyFromUnknownStage) {
        return;
    }
    let file = checker.file;
    for (i, stage) in file.stages.iter().enumerate() {
        for ins in &stage.instructions {
            let Instruction::Copy(c) = ins else { continue };
            let Some(from) = &c.from else { continue };
            let later = match from_target(checker, i, &from.value) {
                FromTarget::Unknown => false,
                FromTarget::LaterStage(_) => true,
                _ => continue,
            };
            let from_value = from.value.clone();
            checker.report(
                CopyFromUnknownStage {
                    from: from_value,
                    later,
                },
                from.range,
            );
        }
    }
}
