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
                if let Some(file) = ignored(&patterns, &src.value) {
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
fn ignored(patterns: &[String], src: &str) -> Option<String> {
    if src.contains('$') || src.contains("://") || src.starts_with("git@") {
        return None;
    }
    let src = clean(src);
    // The context root is only excluded by a pattern that takes every
    // top-level entry.
    if (src == "." || src == "/")
        && !patterns
            .iter()
            .any(|p| matches!(p.as_str(), "*" | "**" | "**/*"))
    {
        return None;
    }
    let parents = parent_prefixes(&src);
    patterns
        .iter()
        .any(|p| matches(p, &src) || parents.iter().any(|d| matches(p, d)))
        .then_some(src)
}

/// The parent directories of `path`, shortest first (`a/b/c`: `a`, `a/b`).
fn parent_prefixes(path: &str) -> Vec<String> {
    let Some((dir, _)) = path.rsplit_once('/') else {
        return Vec::new();
    };
    let dir = clean(&format!("{dir}/"));
    if dir == "." {
        return Vec::new();
    }
    let parts: Vec<&str> = dir.split('/').collect();
    (1..=parts.len()).map(|i| parts[..i].join("/")).collect()
}

/// One piece of a compiled pattern.
#[derive(Clone, Debug, PartialEq)]
enum Tok {
    Lit(char),
    /// `?`: one character other than `/`.
    One,
    /// `*`: any run without `/`.
    Star,
    /// `**/` inside a pattern: nothing, or any run ending in `/`.
    Dirs,
    /// `**` at the end: anything.
    Rest,
    /// `[...]`.
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

/// Whether `pattern` matches the whole of `path`, with BuildKit's
/// `.dockerignore` semantics (`*`, `?`, `**`, classes, `\` escapes; a
/// pattern that starts with `**` followed by plain text matches any path
/// ending in that text).
fn matches(pattern: &str, path: &str) -> bool {
    if let Some(suffix) = pattern.strip_prefix("**")
        && !suffix.contains(['*', '?', '[', ']', '\\'])
    {
        return path.ends_with(suffix) || suffix.strip_prefix('/').is_some_and(|r| path == r);
    }
    let Some(toks) = compile(pattern) else {
        return false;
    };
    let path: Vec<char> = path.chars().collect();
    run(&toks, &path)
}

fn compile(pattern: &str) -> Option<Vec<Tok>> {
    let chars: Vec<char> = pattern.chars().collect();
    let mut toks = Vec::new();
    let mut i = 0;
    while i < chars.len() {
        let c = chars[i];
        i += 1;
        match c {
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                toks.push(if i == chars.len() {
                    Tok::Rest
                } else {
                    Tok::Dirs
                });
            }
            '*' => toks.push(Tok::Star),
            '?' => toks.push(Tok::One),
            '\\' if i < chars.len() => {
                toks.push(Tok::Lit(chars[i]));
                i += 1;
            }
            '[' => {
                let negated = chars.get(i) == Some(&'^');
                if negated {
                    i += 1;
                }
                let mut ranges = Vec::new();
                let mut first = true;
                loop {
                    let c = *chars.get(i)?;
                    i += 1;
                    if c == ']' && !first {
                        break;
                    }
                    first = false;
                    let lo = if c == '\\' {
                        i += 1;
                        *chars.get(i - 1)?
                    } else {
                        c
                    };
                    let mut hi = lo;
                    if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|c| *c != ']') {
                        hi = chars[i + 1];
                        i += 2;
                    }
                    ranges.push((lo, hi));
                }
                toks.push(Tok::Class { negated, ranges });
            }
            c => toks.push(Tok::Lit(c)),
        }
    }
    Some(toks)
}

/// Backtracking match of `toks` against all of `path`.
fn run(toks: &[Tok], path: &[char]) -> bool {
    let Some((tok, rest)) = toks.split_first() else {
        return path.is_empty();
    };
    match tok {
        Tok::Star => {
            let stop = path.iter().position(|c| *c == '/').unwrap_or(path.len());
            (0..=stop).any(|n| run(rest, &path[n..]))
        }
        Tok::Rest => true,
        Tok::Dirs => {
            run(rest, path) || (1..=path.len()).any(|n| path[n - 1] == '/' && run(rest, &path[n..]))
        }
        single => path.split_first().is_some_and(|(c, tail)| {
            let ok = match single {
                Tok::Lit(l) => l == c,
                Tok::One => *c != '/',
                Tok::Class { negated, ranges } => {
                    ranges.iter().any(|(lo, hi)| lo <= c && c <= hi) != *negated
                }
                _ => false,
            };
            ok && run(rest, tail)
        }),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dockerignore_patterns_match_like_buildkit() {
        let p = |pats: &[&str], src: &str| {
            let pats: Vec<String> = pats.iter().map(|s| (*s).to_owned()).collect();
            ignored(&pats, src)
        };
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
