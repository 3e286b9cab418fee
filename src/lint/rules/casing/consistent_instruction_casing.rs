//! `ConsistentInstructionCasing`: keywords in one case throughout the file.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Checks that every instruction keyword is written in the same case:
    /// all upper case or all lower case, following the majority of the
    /// file. A keyword in mixed case (`Run`) is always reported.
    ///
    /// ## Why is this bad?
    /// Keywords are case-insensitive, so mixing `RUN` and `run` changes
    /// nothing for the build but makes the file harder to read and to
    /// search.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine
    /// run echo hello
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine
    /// RUN echo hello
    /// ```
    pub struct ConsistentInstructionCasing {
        pub keyword: String,
        pub majority: &'static str,
    }
}

impl Violation for ConsistentInstructionCasing {
    const RULE: Rule = Rule::ConsistentInstructionCasing;
    fn message(&self) -> String {
        format!(
            "Command '{}' should match the case of the command majority ({})",
            self.keyword, self.majority
        )
    }
}

/// SW001. Counts only instructions that belong to a stage (from the first
/// FROM on), like BuildKit.
pub(crate) fn consistent_instruction_casing(checker: &mut Checker) {
    if !checker.any_enabled(Rule::ConsistentInstructionCasing) {
        return;
    }
    let nodes: Vec<_> = checker
        .tree
        .nodes()
        .skip_while(|n| !n.keyword.value.eq_ignore_ascii_case("from"))
        .filter(|n| !n.broken)
        .collect();
    let (mut lower, mut upper) = (0, 0);
    for n in &nodes {
        let k = &n.keyword.value;
        if *k == k.to_lowercase() {
            lower += 1;
        } else if *k == k.to_uppercase() {
            upper += 1;
        }
    }
    let majority_lower = lower > upper;
    for n in nodes {
        let k = &n.keyword.value;
        let majority = if majority_lower && *k != k.to_lowercase() {
            "lowercase"
        } else if !majority_lower && *k != k.to_uppercase() {
            "uppercase"
        } else {
            continue;
        };
        let violation = ConsistentInstructionCasing {
            keyword: k.clone(),
            majority,
        };
        checker.report(violation, n.range);
    }
}
