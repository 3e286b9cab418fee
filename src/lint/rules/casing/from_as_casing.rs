//! `FromAsCasing`: the `AS` keyword in the same case as `FROM`.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Checks that the `AS` of `FROM image AS name` is written in the same
    /// case as the `FROM` keyword. Only checked when `FROM` itself is all
    /// upper or all lower case (mixed case is
    /// `consistent-instruction-casing`'s business).
    ///
    /// ## Why is this bad?
    /// `FROM alpine as build` reads as if `as` were part of the image
    /// reference; matching the keyword's case keeps the file consistent.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine as build
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine AS build
    /// ```
    pub struct FromAsCasing {
        pub from: String,
        pub r#as: String,
    }
}

impl Violation for FromAsCasing {
    const RULE: Rule = Rule::FromAsCasing;
    fn message(&self) -> String {
        format!(
            "'{}' and '{}' keywords' casing do not match",
            self.r#as, self.from
        )
    }
}

/// SW002.
pub(crate) fn from_as_casing(checker: &mut Checker) {
    if !checker.any_enabled(Rule::FromAsCasing) {
        return;
    }
    let mut found = Vec::new();
    for stage in &checker.file.stages {
        let Some(node) = checker.node_at(stage.from.range) else {
            continue;
        };
        let args = node.args.list();
        if args.len() < 3 {
            continue;
        }
        let from = &node.keyword.value;
        let r#as = &args[1].value;
        let (is_lower, is_upper) = (*from == from.to_lowercase(), *from == from.to_uppercase());
        let matches = if is_lower {
            *r#as == r#as.to_lowercase()
        } else if is_upper {
            *r#as == r#as.to_uppercase()
        } else {
            true
        };
        if !matches {
            let violation = FromAsCasing {
                from: from.clone(),
                r#as: r#as.clone(),
            };
            found.push((violation, node.range));
        }
    }
    for (v, r) in found {
        checker.report(v, r);
    }
}
