//! `RedundantTargetPlatform`: no `FROM --platform=$TARGETPLATFORM`.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Checks for `FROM --platform=$TARGETPLATFORM` (or
    /// `${TARGETPLATFORM}`): a platform flag that only repeats the default.
    ///
    /// ## Why is this bad?
    /// A stage is built for the target platform unless told otherwise, so
    /// the flag adds noise and suggests a cross-platform trick that is not
    /// there.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM --platform=$TARGETPLATFORM alpine
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine
    /// ```
    pub struct RedundantTargetPlatform {
        pub platform: String,
    }
}

impl Violation for RedundantTargetPlatform {
    const RULE: Rule = Rule::RedundantTargetPlatform;
    fn message(&self) -> String {
        format!(
            "Setting platform to predefined {} in FROM is redundant as this is the default behavior",
            self.platform
        )
    }
}

/// SW012.
pub(crate) fn redundant_target_platform(checker: &mut Checker) {
    if !checker.any_enabled(Rule::RedundantTargetPlatform) {
        return;
    }
    let file = checker.file;
    let env = checker.meta_env();
    for stage in &file.stages {
        let Some(platform) = &stage.from.platform else {
            continue;
        };
        let Ok(e) = checker.lexer.process_word(&platform.value, &env) else {
            continue;
        };
        let only_target = e.used.matched.len() == 1
            && e.used.unmatched.is_empty()
            && e.used.matched[0] == "TARGETPLATFORM";
        if only_target && env.get("TARGETPLATFORM") == Some(&e.value) {
            let violation = RedundantTargetPlatform {
                platform: platform.value.clone(),
            };
            checker.report(violation, stage.from.range);
        }
    }
}
