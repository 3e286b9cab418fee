//! `DuplicateStageName`: every stage name used once.

use std::collections::HashSet;

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Checks for two stages with the same name (names compare without
    /// case). The second and later ones are reported.
    ///
    /// ## Why is this bad?
    /// `--target`, `COPY --from` and `FROM <stage>` then refer to only one
    /// of them, which is rarely what the author meant.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine AS build
    /// FROM debian AS build
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine AS build-alpine
    /// FROM debian AS build-debian
    /// ```
    pub struct DuplicateStageName {
        pub name: String,
    }
}

impl Violation for DuplicateStageName {
    const RULE: Rule = Rule::DuplicateStageName;
    fn message(&self) -> String {
        format!(
            "Duplicate stage name {}, stage names should be unique",
            crate::syntax::dump::go_quote(&self.name)
        )
    }
}

/// SW005.
pub(crate) fn duplicate_stage_name(checker: &mut Checker) {
    if !checker.any_enabled(Rule::DuplicateStageName) {
        return;
    }
    let file = checker.file;
    let mut seen = HashSet::new();
    for stage in &file.stages {
        let Some(name) = &stage.name else {
            continue;
        };
        if !seen.insert(name.value.as_str()) {
            let violation = DuplicateStageName {
                name: name.value.clone(),
            };
            checker.report(violation, stage.from.range);
        }
    }
}
