//! `copy-from-own-stage`: `COPY --from` does not name its own stage.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::syntax::instructions::Instruction;

use super::{FromTarget, from_target};

crate::declare_rule! {
    /// ## What it does
    /// Checks for `COPY --from=<stage>` inside that same stage, by name or
    /// by index.
    ///
    /// ## Why is this bad?
    /// A stage cannot copy from itself: the build fails with a circular
    /// dependency. Within a stage, files are already there; `RUN cp` moves
    /// them.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine:3.20 AS app
    /// COPY --from=app /etc/hosts /hosts
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine:3.20 AS app
    /// RUN cp /etc/hosts /hosts
    /// ```
    pub struct CopyFromOwnStage {
        pub from: String,
    }
}

impl Violation for CopyFromOwnStage {
    const RULE: Rule = Rule::CopyFromOwnStage;
    fn message(&self) -> String {
        format!(
            "`--from={}` names the stage this COPY is in; a stage cannot copy from itself",
            self.from
        )
    }
}

/// SW035.
pub(crate) fn copy_from_own_stage(checker: &mut Checker) {
    if !checker.any_enabled(Rule::CopyFromOwnStage) {
        return;
    }
    let file = checker.file;
    for (i, stage) in file.stages.iter().enumerate() {
        for ins in &stage.instructions {
            let Instruction::Copy(c) = ins else { continue };
            let Some(from) = &c.from else { continue };
            if from_target(checker, i, &from.value) == FromTarget::OwnStage {
                let violation = CopyFromOwnStage {
                    from: from.value.clone(),
                };
                checker.report(violation, from.range);
            }
        }
    }
}
