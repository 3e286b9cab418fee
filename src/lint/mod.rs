//! The linter: BuildKit's build checks (and, later, hadolint-class rules)
//! over the syntax tree and typed instructions.
//!
//! [`lint`] parses a Dockerfile, works out which rules run (the
//! `# check=` directive, or [`LintOptions::check`], the equivalent of
//! BuildKit's `BUILDKIT_DOCKERFILE_CHECK` build argument, which replaces the
//! directive), and returns the findings as [`Diagnostic`]s.
//!
//! - `rules/<group>/<rule_name>.rs`: one rule per file, ruff style: doc
//!   comment (`## What it does`, `## Why is this bad?`, `## Example`), the
//!   violation type with its message, one check function.
//! - [`rules::codes`]: the registry (id, kebab name, BuildKit name,
//!   hadolint code, severity, status).
//! - [`checker`]: what rules read and where they report.
//! - [`config`]: `check=` values.
//!
//! **API boundary:** a finding's code is `slipway::lint::<kebab-name>`;
//! the kebab name is the user-visible rule id. Wherever rules are named
//! (`# check=skip=`, `--explain`), the BuildKit name (`JSONArgsRecommended`),
//! the kebab name and the `SWnnn` id are all accepted.
//!
//! Messages are BuildKit's, word for word, so findings compare with
//! `docker build --check`. Only `syntax` (and `diagnostics`, `text`) are
//! used: linting never needs LLB.

pub mod checker;
pub mod config;
pub mod rule;
pub mod rules;

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::parse_instructions;
use crate::syntax::parse;

pub use config::CheckConfig;
pub use rule::{Status, Violation};
pub use rules::codes::{RULES, Rule, RuleInfo};

/// Code of the error for a `check=` value that does not parse.
pub const INVALID_CHECK: &str = "slipway::lint::invalid-check-option";

/// Options of one lint run.
#[derive(Clone, Debug, Default)]
pub struct LintOptions {
    /// A `check=` value that replaces the file's `# check=` directive, like
    /// BuildKit's `BUILDKIT_DOCKERFILE_CHECK` build argument.
    pub check: Option<String>,
}

/// The result of linting one file.
#[derive(Clone, Debug, Default)]
pub struct LintResult {
    /// Rule findings, in source order.
    pub findings: Vec<Diagnostic>,
    /// Errors that make the file unbuildable: parse and instruction errors,
    /// an invalid `check=` value. Rules still run on what parsed.
    pub errors: Vec<Diagnostic>,
    /// `error=true` was set: findings fail the build.
    pub error_on_findings: bool,
}

/// Lints a Dockerfile's source text. Never fails.
pub fn lint(source: &str, options: &LintOptions) -> LintResult {
    let parsed = parse(source);
    let tree = &parsed.tree;
    let (file, more) = parse_instructions(tree);
    let mut errors: Vec<Diagnostic> = parsed
        .diagnostics
        .iter()
        .chain(&more)
        .filter(|d| d.is_error())
        .cloned()
        .collect();
    let directive = tree.directive("check");
    let (value, range) = match (&options.check, directive) {
        (Some(v), _) => (v.clone(), None),
        (None, Some(d)) => (d.value.clone(), Some(d.value_range)),
        (None, None) => (String::new(), None),
    };
    let config = match CheckConfig::parse(&value) {
        Ok(c) => c,
        Err(msg) => {
            let at = range.unwrap_or_default();
            errors.push(Diagnostic::error(INVALID_CHECK, at, msg));
            CheckConfig::default()
        }
    };
    let mut checker = checker::Checker::new(tree, &file, &config);
    rules::run_all(&mut checker);
    LintResult {
        findings: checker.into_diagnostics(),
        errors,
        error_on_findings: config.error,
    }
}
