//! `SecretsUsedInArgOrEnv`: no secrets in `ARG` or `ENV`.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::syntax::instructions::Instruction;
use crate::syntax::text::TextRange;

/// `_`-separated name parts that suggest a secret.
const SECRET: [&str; 10] = [
    "apikey",
    "auth",
    "credential",
    "credentials",
    "key",
    "password",
    "pword",
    "passwd",
    "secret",
    "token",
];

/// Name parts that mark the value as not secret after all.
const ALLOWED: [&str; 3] = ["public", "file", "version"];

crate::declare_rule! {
    /// ## What it does
    /// Checks for `ARG` and `ENV` names (inside stages) with a
    /// `_`-separated part such as `password`, `token`, `secret`, `key` or
    /// `auth`, unless another part is `public`, `file` or `version`.
    ///
    /// ## Why is this bad?
    /// Build arguments and environment variables are stored in the image
    /// config and history, where anyone who can pull the image can read
    /// them. Secrets belong in `RUN --mount=type=secret`.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine
    /// ARG NPM_TOKEN
    /// RUN echo "//registry.npmjs.org/:_authToken=$NPM_TOKEN" > ~/.npmrc
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine
    /// RUN --mount=type=secret,id=npm_token,env=NPM_TOKEN \
    ///     echo "//registry.npmjs.org/:_authToken=$NPM_TOKEN" > ~/.npmrc
    /// ```
    pub struct SecretsUsedInArgOrEnv {
        pub instruction: &'static str,
        pub key: String,
    }
}

impl Violation for SecretsUsedInArgOrEnv {
    const RULE: Rule = Rule::SecretsUsedInArgOrEnv;
    fn message(&self) -> String {
        format!(
            "Do not use ARG or ENV instructions for sensitive data ({} {})",
            self.instruction,
            crate::syntax::dump::go_quote(&self.key)
        )
    }
}

/// SW016. Global ARGs (before the first FROM) are not checked, as in
/// BuildKit.
pub(crate) fn secrets_used_in_arg_or_env(checker: &mut Checker) {
    if !checker.any_enabled(Rule::SecretsUsedInArgOrEnv) {
        return;
    }
    let file = checker.file;
    let mut found: Vec<(&'static str, &str, TextRange)> = Vec::new();
    for stage in &file.stages {
        for ins in &stage.instructions {
            match ins {
                Instruction::Env(e) => {
                    found.extend(
                        e.pairs
                            .iter()
                            .map(|p| ("ENV", p.key.value.as_str(), e.range)),
                    );
                }
                Instruction::Arg(a) => {
                    found.extend(
                        a.args
                            .iter()
                            .map(|d| ("ARG", d.key.value.as_str(), a.range)),
                    );
                }
                _ => {}
            }
        }
    }
    for (instruction, key, range) in found {
        if is_secret(key) {
            let violation = SecretsUsedInArgOrEnv {
                instruction,
                key: key.to_owned(),
            };
            checker.report(violation, range);
        }
    }
}

fn is_secret(key: &str) -> bool {
    let lower = key.to_lowercase();
    let parts: Vec<&str> = lower.split('_').collect();
    parts.iter().any(|p| SECRET.contains(p)) && !parts.iter().any(|p| ALLOWED.contains(p))
}
