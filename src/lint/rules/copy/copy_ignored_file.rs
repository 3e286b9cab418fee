//! `CopyIgnoredFile`: a `COPY` or `ADD` source from the build context that
//! the context's `.dockerignore` excludes.
//!
//! Needs the `.dockerignore` patterns ([`LintOptions::dockerignore`]);
//! without them the rule reports nothing. The matcher here is the part of
//! BuildKit's pattern matching (`patternmatcher`) the check needs: whether a
//! path or one of its parent directories matches any pattern. BuildKit
//! skips the check when the file has `!` exceptions, so they never need
//! evaluating.
//!
//! [`LintOptions::dockerignore`]: crate::lint::LintOptions::dockerignore

use crate::ir::paths::clean;
use crate::ir::patterns::PatternMatcher;
use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::syntax::instructions::Instruction;
use crate::syntax::tree::Spanned;
use crate::text::TextRange;

crate::declare_rule! {
    /// ## What it does
    /// Checks for `COPY` and `ADD` sources from the build context that the
    /// context's `.dockerignore` excludes (the path itself or one of its
    /// parent directories). Runs only when the `.dockerignore` is known and
    /// has no `!` exceptions, as in BuildKit.
    ///
    /// ## Why is this bad?
    /// Excluded files are never sent to the builder: the instruction fails
    /// with "not found", or, with a wildcard, silently copies less than it
    /// seems to.
    ///
    /// ## Example
    /// With a `.dockerignore` holding `*.md`:
    /// ```dockerfile
    /// FROM alpine:3.20
    /// COPY README.md /docs/
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine:3.20
    /// COPY docs/ /docs/
    /// ```
    ///
    /// Or remove the pattern from `.dockerignore`.
    ///
    /// ## Known problems
    /// Sources that use variables are not checked.
    pub struct CopyIgnoredFile {
        /// `Copy` or `Add`.
        pub command: &'static str,
        /// The source, cleaned.
        pub file: String,
    }
}

impl Violation for CopyIgnoredFile {
    const RULE: Rule = Rule::CopyIgnoredFile;
    fn message(&self) -> String {
        format!(
            "Attempting to {} file {} that is excluded by .dockerignore",
            self.command,
            crate::syntax::dump::go_quote(&self.file)
        )
    }
}

/// SW021.
pub(crate) fn copy_ignored_file(checker: &mut Checker) {
    if !checker.any_enabled(Rule::CopyIgnoredFile) {
        return;
    }
    let Some(patterns) = &checker.options.dockerignore else {
        return;
    };
    let patterns: Vec<String> = patterns
        .iter()
        .map(|p| p.trim())
        .filter(|p| !p.is_empty())
        .map(clean)
        .collect();
    if patterns.is_empty() || patterns.iter().any(|p| p.starts_with('!')) {
        return;
    }
    let Ok(matcher) = PatternMatcher::new(&patterns) else {
        return;
    };
    let file = checker.file;
    let mut found = Vec::new();
    for stage in &file.stages {
        for ins in &stage.instructions {
            let (command, sources, range): (_, &[Spanned], TextRange) = match ins {
                // With `--from`, sources come from a stage or an image.
                Instruction::Copy(c) if c.from.is_none() => ("Copy", &c.sources, c.range),
                Instruction::Add(a) => ("Add", &a.sources, a.range),
                _ => continue,
            };
            for src in sources {
                if let Some(file) = ignored(&matcher, &src.value) {
                    found.push((range, CopyIgnoredFile { command, file }));
                }
            }
        }
    }
    for (range, violation) in found {
        checker.report(violation, range);
    }
}

/// The cleaned source when `.dockerignore` excludes it; `None` for URLs,
/// Git sources and sources with variables.
fn ignored(matcher: &PatternMatcher, src: &str) -> Option<String> {
    if src.contains('$') || src.contains("://") || src.starts_with("git@") {
        return None;
    }
    let src = clean(src);
    // The context root is only excluded by a pattern that takes every
    // top-level entry.
    if (src == "." || src == "/")
        && !matcher
            .patterns()
            .iter()
            .any(|p| matches!(p.as_str(), "*" | "**" | "**/*"))
    {
        return None;
    }
    // A pattern that matches a parent directory excludes what is below it.
    matcher.matches_or_parent_matches(&src).ok()?.then_some(src)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerignore_patterns_match_like_buildkit() {
        let p = |pats: &[&str], src: &str| ignored(&PatternMatcher::new(pats).unwrap(), src);
        assert_eq!(p(&["*.md"], "README.md").as_deref(), Some("README.md"));
        assert_eq!(p(&["*.md"], "docs/README.md"), None);
        assert_eq!(
            p(&["**/*.md"], "docs/README.md").as_deref(),
            Some("docs/README.md")
        );
        assert_eq!(
            p(&["node_modules"], "./node_modules/x/").as_deref(),
            Some("node_modules/x")
        );
        assert_eq!(
            p(&["**/secret"], "a/b/secret").as_deref(),
            Some("a/b/secret")
        );
        assert_eq!(p(&["**/secret"], "secret").as_deref(), Some("secret"));
        assert_eq!(p(&["**/secret"], "nosecret"), None);
        assert_eq!(
            p(&["build/**"], "build/out/x").as_deref(),
            Some("build/out/x")
        );
        assert_eq!(p(&["a?c", "[x-z].txt"], "y.txt").as_deref(), Some("y.txt"));
        assert_eq!(p(&["tmp"], "."), None);
        assert_eq!(p(&["*"], ".").as_deref(), Some("."));
        assert_eq!(p(&["*.md"], "$DOC.md"), None);
        assert_eq!(p(&["*"], "https://example.com/a"), None);
    }
}
