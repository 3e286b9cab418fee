//! `ReservedStageName`: no stage called `scratch` or `context`.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

/// The names BuildKit reserves.
const RESERVED: [&str; 2] = ["context", "scratch"];

crate::declare_rule! {
    /// ## What it does
    /// Checks for stages named `scratch` or `context`.
    ///
    /// ## Why is this bad?
    /// `scratch` is the empty base image and `context` the build context in
    /// `COPY --from` and `RUN --mount`; a stage with either name makes
    /// those references ambiguous.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine AS scratch
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine AS base
    /// ```
    pub struct ReservedStageName {
        pub name: String,
    }
}

impl Violation for ReservedStageName {
    const RULE: Rule = Rule::ReservedStageName;
    fn message(&self) -> String {
        format!(
            "Stage name should not use the same name as reserved stage {}",
            crate::syntax::dump::go_quote(&self.name)
        )
    }
}

/// SW006.
pub(crate) fn reserved_stage_name(checker: &mut Checker) {
    if !checker.any_enabled(Rule::ReservedStageName) {
        return;
    }
    let file = checker.file;
    for stage in &file.stages {
        let Some(name) = &stage.name else {
            continue;
        };
        if RESERVED.contains(&name.value.as_str()) {
            let violation = ReservedStageName {
                name: name.value.clone(),
            };
            checker.report(violation, stage.from.range);
        }
    }
}
