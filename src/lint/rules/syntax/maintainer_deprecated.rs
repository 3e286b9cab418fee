//! `MaintainerDeprecated`: `MAINTAINER` is replaced by a label.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::syntax::instructions::Instruction;

crate::declare_rule! {
    /// ## What it does
    /// Checks for the `MAINTAINER` instruction.
    ///
    /// ## Why is this bad?
    /// `MAINTAINER` is deprecated. It only sets the image's `Author` field;
    /// the OCI annotation label says the same thing in a form every tool
    /// reads.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine
    /// MAINTAINER Jane Doe <jane@example.com>
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine
    /// LABEL org.opencontainers.image.authors="jane@example.com"
    /// ```
    pub struct MaintainerDeprecated;
}

impl Violation for MaintainerDeprecated {
    const RULE: Rule = Rule::MaintainerDeprecated;
    fn message(&self) -> String {
        "Maintainer instruction is deprecated in favor of using label".to_owned()
    }
}

/// SW008.
pub(crate) fn maintainer_deprecated(checker: &mut Checker) {
    if !checker.any_enabled(Rule::MaintainerDeprecated) {
        return;
    }
    let file = checker.file;
    for stage in &file.stages {
        for ins in &stage.instructions {
            if let Instruction::Maintainer(m) = ins {
                checker.report(MaintainerDeprecated, m.range);
            }
        }
    }
}
