//! `StageNameCasing`: stage names in lower case.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Checks that the name given to a stage with `AS` is all lower case.
    ///
    /// ## Why is this bad?
    /// Stage names are case-insensitive: BuildKit lower-cases them, so
    /// `--target Build` and `COPY --from=BUILD` both mean `build`. Writing
    /// them in lower case avoids suggesting otherwise.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine AS Builder
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine AS builder
    /// ```
    pub struct StageNameCasing {
        pub name: String,
    }
}

impl Violation for StageNameCasing {
    const RULE: Rule = Rule::StageNameCasing;
    fn message(&self) -> String {
        format!("Stage name '{}' should be lowercase", self.name)
    }
}

/// SW003.
pub(crate) fn stage_name_casing(checker: &mut Checker) {
    if !checker.any_enabled(Rule::StageNameCasing) {
        return;
    }
    let mut found = Vec::new();
    for stage in &checker.file.stages {
        let Some(node) = checker.node_at(stage.from.range) else {
            continue;
        };
        let args = node.args.list();
        if args.len() != 3 || args[2].value == args[2].value.to_lowercase() {
            continue;
        }
        let name = args[2].value.clone();
        found.push((StageNameCasing { name }, node.range));
    }
    for (v, r) in found {
        checker.report(v, r);
    }
}
