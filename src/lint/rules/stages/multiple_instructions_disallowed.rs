//! `MultipleInstructionsDisallowed`: one `CMD`, `ENTRYPOINT` and
//! `HEALTHCHECK` per stage.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::syntax::instructions::Instruction;
use crate::syntax::text::TextRange;

crate::declare_rule! {
    /// ## What it does
    /// Checks for a stage with more than one `CMD`, `ENTRYPOINT` or
    /// `HEALTHCHECK`. Each earlier one is reported, since it is the one
    /// that has no effect.
    ///
    /// ## Why is this bad?
    /// Only the last of these instructions counts; the earlier ones are dead
    /// code that suggests a behaviour the image does not have.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine
    /// CMD ["echo", "one"]
    /// CMD ["echo", "two"]
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine
    /// CMD ["echo", "two"]
    /// ```
    pub struct MultipleInstructionsDisallowed {
        pub keyword: String,
    }
}

impl Violation for MultipleInstructionsDisallowed {
    const RULE: Rule = Rule::MultipleInstructionsDisallowed;
    fn message(&self) -> String {
        format!(
            "Multiple {} instructions should not be used in the same stage because only the last one will be used",
            self.keyword
        )
    }
}

/// SW010.
pub(crate) fn multiple_instructions_disallowed(checker: &mut Checker) {
    if !checker.any_enabled(Rule::MultipleInstructionsDisallowed) {
        return;
    }
    let file = checker.file;
    for stage in &file.stages {
        // The previous CMD, ENTRYPOINT and HEALTHCHECK of this stage.
        let mut last: [Option<TextRange>; 3] = [None; 3];
        for ins in &stage.instructions {
            let slot = match ins {
                Instruction::Cmd(_) => 0,
                Instruction::Entrypoint(_) => 1,
                Instruction::Healthcheck(_) => 2,
                _ => continue,
            };
            let range = ins.range();
            if let Some(prev) = last[slot] {
                // BuildKit names the instruction by the later keyword.
                let keyword = checker.keyword_at(range);
                checker.report(MultipleInstructionsDisallowed { keyword }, prev);
            }
            last[slot] = Some(range);
        }
    }
}
