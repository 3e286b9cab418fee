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
//! - [`settings`]: `slipway.toml` (select, ignore, severities, failure
//!   threshold, trusted registries), found upward from each file.
//! - [`report`]: the output formats (tty, JSON, SARIF, Checkstyle, GitHub
//!   workflow commands), written to any `io::Write`.
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
pub mod fix;
pub mod report;
pub mod rule;
pub mod rules;
pub mod settings;
pub mod shell;
pub mod shellcheck;

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostics::{Diagnostic, Severity};
use crate::syntax::instructions::parse_instructions;
use crate::syntax::parse;
use crate::syntax::tree::{Item, SyntaxTree, TriviaKind};
use crate::text::TextRange;

pub use config::CheckConfig;
pub use rule::{Status, Violation};
pub use rules::codes::{RULES, Rule, RuleInfo};

/// Code of the error for a `check=` value that does not parse.
pub const INVALID_CHECK: &str = "slipway::lint::invalid-check-option";

/// Code of the error for a file that cannot be read.
pub const UNREADABLE_FILE: &str = "slipway::lint::unreadable-file";

/// Code of the error for a file that holds NUL bytes: not a Dockerfile.
pub const BINARY_FILE: &str = "slipway::lint::binary-file";

/// Checks that a file's bytes are text slipway can lint: no NUL byte (a
/// binary file), valid UTF-8. The error points at the first bad byte.
pub fn decode(bytes: &[u8]) -> Result<&str, Diagnostic> {
    if let Some(at) = memchr::memchr(0, bytes) {
        return Err(Diagnostic::error(
            BINARY_FILE,
            TextRange::empty(0),
            format!("binary file (a NUL byte at offset {at}), not a Dockerfile"),
        ));
    }
    crate::syntax::decode(bytes)
}

/// Options of one lint run.
#[derive(Clone, Debug, Default)]
pub struct LintOptions {
    /// A `check=` value that replaces the file's `# check=` directive, like
    /// BuildKit's `BUILDKIT_DOCKERFILE_CHECK` build argument.
    pub check: Option<String>,
    /// Registries base images may come from (`trusted-registries` in
    /// `slipway.toml`); empty means every registry is trusted.
    pub trusted_registries: Vec<String>,
    /// Only these rules report (`select` in `slipway.toml`); `None`: every
    /// rule that is on. Selecting an experimental rule turns it on.
    pub select: Option<BTreeSet<Rule>>,
    /// These rules never report.
    pub ignore: BTreeSet<Rule>,
    /// Severity overrides.
    pub severity: BTreeMap<Rule, Severity>,
    /// The build context's `.dockerignore` patterns, as read by
    /// [`crate::ir::dockerignore::parse`], for `CopyIgnoredFile`; `None`
    /// when not known (the rule then reports nothing).
    pub dockerignore: Option<Vec<String>>,
    /// The platforms base images were resolved to, for
    /// `InvalidBaseImagePlatform`; `None` when not resolved (the rule then
    /// reports nothing).
    pub base_image_platforms:
        Option<Vec<rules::platform::invalid_base_image_platform::BaseImagePlatform>>,
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
    /// The `shellcheck` rules were wanted but the `shellcheck` program is
    /// not installed: `RUN` bodies were not checked by it.
    pub shellcheck_missing: bool,
}

/// Lints a Dockerfile's source text. Never fails.
///
/// After the rules have run, findings are filtered by the options
/// (`select`, `ignore`, severity overrides) and by ignore pragmas: a
/// comment `# slipway ignore=RULE[,RULE…]` or `# hadolint ignore=DLxxxx[,…]`
/// directly above an instruction drops those rules' findings on it (a
/// hadolint code stands for the rules mapped to it); with `global` before
/// `ignore` (`# slipway global ignore=…`), anywhere in the file, it drops
/// them in the whole file.
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
    let mut config = match CheckConfig::parse(&value) {
        Ok(c) => c,
        Err(msg) => {
            let at = range.unwrap_or_default();
            errors.push(Diagnostic::error(INVALID_CHECK, at, msg));
            CheckConfig::default()
        }
    };
    for rule in options.select.iter().flatten() {
        let info = rule.info();
        if info.status == Status::Experimental {
            config.experimental.insert(info.name.to_owned());
        }
    }
    let mut checker = checker::Checker::new(tree, &file, &config, options);
    rules::run_all(&mut checker);
    let mut findings = checker.into_diagnostics();
    filter(&mut findings, tree, options);
    LintResult {
        findings,
        errors,
        error_on_findings: config.error,
        shellcheck_missing: shellcheck::wanted(options) && !shellcheck::shellcheck_available(),
    }
}

/// Applies the options and the ignore pragmas to the findings.
fn filter(findings: &mut Vec<Diagnostic>, tree: &SyntaxTree, options: &LintOptions) {
    let global: BTreeSet<Rule> = tree
        .items
        .iter()
        .filter(|item| matches!(item, Item::Trivia(t) if t.kind == TriviaKind::Comment))
        .flat_map(|item| {
            let text = tree.text(item.range());
            let text = text.trim().trim_start_matches('#');
            pragma(text, true)
        })
        .collect();
    let nodes: Vec<(TextRange, BTreeSet<Rule>)> = tree
        .nodes()
        .map(|n| {
            let rules = n.comments.iter().flat_map(|c| pragma(c, false)).collect();
            (n.range, rules)
        })
        .filter(|(_, rules): &(_, BTreeSet<Rule>)| !rules.is_empty())
        .collect();
    findings.retain_mut(|d| {
        let Some(rule) = Rule::from_code(d.code) else {
            return true;
        };
        if options.select.as_ref().is_some_and(|s| !names(s, rule))
            || names(&options.ignore, rule)
            || names(&global, rule)
        {
            return false;
        }
        let at = d.range.start();
        let local = nodes
            .iter()
            .find(|(r, _)| r.start() <= at && at < r.end().max(r.start() + 1));
        if local.is_some_and(|(_, rules)| names(rules, rule)) {
            return false;
        }
        let family = Rule::Shellcheck(0);
        let severity = options.severity.get(&rule).or_else(|| match rule {
            Rule::Shellcheck(_) => options.severity.get(&family),
            _ => None,
        });
        if let Some(&s) = severity {
            d.severity = s;
        }
        true
    });
}

/// Whether `rules` names `rule`: the rule itself or, for a ShellCheck code,
/// the whole family.
fn names(rules: &BTreeSet<Rule>, rule: Rule) -> bool {
    rules.contains(&rule)
        || matches!(rule, Rule::Shellcheck(n) if n != 0 && rules.contains(&Rule::Shellcheck(0)))
}

/// The rules an ignore pragma names: `slipway ignore=A,B` (any rule name)
/// or `hadolint ignore=DL3006,…`; with `global` only
/// `slipway global ignore=…` and `hadolint global ignore=…`. Other
/// comments and unknown names give nothing.
fn pragma(comment: &str, global: bool) -> Vec<Rule> {
    let mut words = comment.split_whitespace();
    let tool = words.next();
    if !matches!(tool, Some("slipway" | "hadolint")) {
        return Vec::new();
    }
    let mut next = words.next();
    if global {
        if next != Some("global") {
            return Vec::new();
        }
        next = words.next();
    }
    let Some(list) = next.and_then(|w| w.strip_prefix("ignore=")) else {
        return Vec::new();
    };
    // `ignore=A, B`: names may continue in the following words while the
    // previous one ends with a comma.
    let mut text = list.to_owned();
    for w in words {
        if !text.ends_with(',') {
            break;
        }
        text.push_str(w);
    }
    text.split(',')
        .map(str::trim)
        .filter(|n| !n.is_empty())
        .flat_map(|name| match tool {
            Some("hadolint") => Rule::from_hadolint(name),
            _ => settings::rules_named(name).unwrap_or_default(),
        })
        .collect()
}
