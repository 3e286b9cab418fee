//! `UndefinedArgInFrom`: FROM uses only declared global ARGs.

use std::collections::BTreeSet;

use crate::diagnostics::suggest;
use crate::lint::checker::{Checker, DEFAULT_PLATFORM};
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Checks that every variable in a `FROM` image name or `--platform`
    /// is a global ARG (declared before the first `FROM`) or one of the
    /// built-in platform ARGs (`BUILDPLATFORM`, `TARGETARCH`, …). A close
    /// declared name is suggested.
    ///
    /// ## Why is this bad?
    /// `FROM` only sees global ARGs. An undeclared variable expands to the
    /// empty string, usually from a typo or an ARG declared inside a stage,
    /// and the base image silently becomes something else.
    ///
    /// ## Example
    /// ```dockerfile
    /// ARG VERSION=3.20
    /// FROM alpine:${VERSON}
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// ARG VERSION=3.20
    /// FROM alpine:${VERSION}
    /// ```
    pub struct UndefinedArgInFrom {
        pub name: String,
        pub suggestion: Option<String>,
    }
}

impl Violation for UndefinedArgInFrom {
    const RULE: Rule = Rule::UndefinedArgInFrom;
    fn message(&self) -> String {
        let mut out = format!("FROM argument '{}' is not declared", self.name);
        if let Some(s) = &self.suggestion {
            out += &format!(" (did you mean {s}?)");
        }
        out
    }
}

/// SW017.
pub(crate) fn undefined_arg_in_from(checker: &mut Checker) {
    if !checker.any_enabled(Rule::UndefinedArgInFrom) {
        return;
    }
    let file = checker.file;
    let env = checker.meta_env();
    let declared: BTreeSet<&str> = file
        .meta_args
        .iter()
        .flat_map(|a| a.args.iter().map(|d| d.key.value.as_str()))
        .chain(DEFAULT_PLATFORM.iter().map(|(k, _)| *k))
        .collect();
    for stage in &file.stages {
        let words = std::iter::once(&stage.from.image.value)
            .chain(stage.from.platform.as_ref().map(|p| &p.value));
        let mut undeclared = BTreeSet::new();
        for word in words {
            let Ok(e) = checker.lexer.process_word(word, &env) else {
                continue;
            };
            undeclared.extend(
                e.used
                    .unmatched
                    .into_iter()
                    .filter(|n| !declared.contains(n.as_str())),
            );
        }
        for name in undeclared {
            let suggestion = suggest(&name, declared.iter().copied()).map(str::to_owned);
            let violation = UndefinedArgInFrom { name, suggestion };
            checker.report(violation, stage.from.range);
        }
    }
}
