//! The [`Checker`]: what rules look at (the syntax tree, the typed
//! instructions, the stage chain) and where they report.
//!
//! Rules never push diagnostics themselves: [`Checker::report`] applies the
//! file's `# check=` configuration and any per-instruction `# check=`
//! comment, then records the finding with the rule's stable code.

use std::collections::HashMap;

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::{Dockerfile, Stage};
use crate::syntax::shell::Lexer;
use crate::syntax::text::TextRange;
use crate::syntax::tree::{Node, SyntaxTree};

use super::config::CheckConfig;
use super::rule::Violation;
use super::rules::codes::Rule;

/// The platform BuildKit assumes for the `BUILDPLATFORM`/`TARGETPLATFORM`
/// family when nothing else is known (values only matter for comparisons).
pub const DEFAULT_PLATFORM: [(&str, &str); 8] = [
    ("BUILDPLATFORM", "linux/amd64"),
    ("BUILDOS", "linux"),
    ("BUILDARCH", "amd64"),
    ("BUILDVARIANT", ""),
    ("TARGETPLATFORM", "linux/amd64"),
    ("TARGETOS", "linux"),
    ("TARGETARCH", "amd64"),
    ("TARGETVARIANT", ""),
];

/// The state rules share while one file is checked.
pub struct Checker<'a> {
    pub tree: &'a SyntaxTree,
    pub file: &'a Dockerfile,
    pub lexer: Lexer,
    config: &'a CheckConfig,
    /// Per-instruction `# check=` comments: the node's range and the
    /// configuration merged for findings inside it.
    local: Vec<(TextRange, CheckConfig)>,
    diagnostics: Vec<Diagnostic>,
}

impl<'a> Checker<'a> {
    pub fn new(tree: &'a SyntaxTree, file: &'a Dockerfile, config: &'a CheckConfig) -> Self {
        let local = tree
            .nodes()
            .filter_map(|n| {
                let c = CheckConfig::from_comments(&n.comments)?;
                Some((n.range, config.merged(&c)))
            })
            .collect();
        Checker {
            tree,
            file,
            lexer: Lexer::new(tree.escape),
            config,
            local,
            diagnostics: Vec::new(),
        }
    }

    /// Whether `rule` runs anywhere in this file (a cheap early return for
    /// rules; the per-instruction configuration is applied in `report`).
    pub fn any_enabled(&self, rule: Rule) -> bool {
        self.config.enabled(rule) || self.local.iter().any(|(_, c)| c.enabled(rule))
    }

    /// Records a finding of `V` at `range`, unless the rule is off there.
    pub fn report<V: Violation>(&mut self, violation: V, range: TextRange) {
        let config = self
            .local
            .iter()
            .find(|(r, _)| r.start <= range.start && range.start < r.end.max(r.start + 1))
            .map_or(self.config, |(_, c)| c);
        if !config.enabled(V::RULE) {
            return;
        }
        let info = V::RULE.info();
        let range = self.trim_newline(range);
        let mut d = Diagnostic::warning(info.code, range, violation.message());
        d.severity = info.severity;
        if info.buildkit.is_some() {
            d = d.with_help(format!(
                "see https://docs.docker.com/go/dockerfile/rule/{}/",
                info.name
            ));
        }
        self.diagnostics.push(d);
    }

    /// The range without its trailing line ending, for display.
    pub fn trim_newline(&self, range: TextRange) -> TextRange {
        let text = self.tree.text(range);
        let trimmed = text.trim_end_matches(['\n', '\r']);
        TextRange::new(range.start(), range.start() + trimmed.len())
    }

    /// The top-level node that starts at `range`'s start.
    pub fn node_at(&self, range: TextRange) -> Option<&'a Node> {
        self.tree.nodes().find(|n| n.range.start == range.start)
    }

    /// The keyword of the instruction at `range`, as written.
    pub fn keyword_at(&self, range: TextRange) -> String {
        self.node_at(range)
            .map_or_else(String::new, |n| n.keyword.value.clone())
    }

    /// The global ARGs with their default values, plus the built-in
    /// platform args: what FROM lines expand against when no build
    /// arguments are given.
    pub fn meta_env(&self) -> HashMap<String, String> {
        let mut env: HashMap<String, String> = DEFAULT_PLATFORM
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        for arg in &self.file.meta_args {
            for def in &arg.args {
                let value = def.value.as_ref().map(|v| {
                    self.lexer
                        .process_word(&v.value, &env)
                        .map_or_else(|_| v.value.clone(), |e| e.value)
                });
                // Without a default (and no build arguments) the ARG is
                // declared but has no value.
                if let Some(v) = value {
                    env.insert(def.key.value.clone(), v);
                }
            }
        }
        env
    }

    /// For each stage, the index of the earlier stage it is built on
    /// (`FROM <stage name>`), with the base name expanded like BuildKit
    /// does against the global ARG defaults.
    pub fn parents(&self) -> Vec<Option<usize>> {
        let env = self.meta_env();
        let stages = &self.file.stages;
        let mut out = Vec::with_capacity(stages.len());
        for (i, stage) in stages.iter().enumerate() {
            let base = self
                .lexer
                .process_word(&stage.from.image.value, &env)
                .map_or_else(|_| stage.from.image.value.clone(), |e| e.value)
                .to_lowercase();
            out.push(stages[..i].iter().rposition(|s| stage_named(s, &base)));
        }
        out
    }

    pub fn into_diagnostics(mut self) -> Vec<Diagnostic> {
        self.diagnostics
            .sort_by_key(|d| (d.range.start, d.range.end, d.code));
        self.diagnostics
    }
}

fn stage_named(stage: &Stage, name: &str) -> bool {
    stage.name.as_ref().is_some_and(|n| n.value == name)
}
