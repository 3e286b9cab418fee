//! Safe mechanical fixes for lint findings, as byte-range edits on the
//! lossless syntax tree (what `slipway lint --fix` and `--diff` apply).
//!
//! [`fix`] lints the source, turns each finding of a fixable rule into
//! [`Edit`]s on the instruction it points at, applies them, and lints
//! again, until no fixable finding is left (at most [`MAX_PASSES`] passes).
//! Only findings are fixed, so `# check=skip=…`, `--check`, ignore
//! pragmas and the settings' `select`/`ignore` turn fixes off with their
//! rules (while fixing, only the fixable rules run). A file with parse or
//! instruction errors is left alone.
//!
//! | Rule | Fix |
//! |------|-----|
//! | `consistent-instruction-casing` | the keyword in the case of the file's majority (upper case on a tie), as the rule decides |
//! | `from-as-casing` | `AS` in the case of its `FROM` (after the `FROM` itself is fixed) |
//! | `legacy-key-value-format` | `ENV k v` / `LABEL k v` to `k=v`, quoting the value so that it expands to the same text |
//! | `json-args-recommended` | `CMD cmd` / `ENTRYPOINT cmd` to `["/bin/sh", "-c", "cmd"]` |
//!
//! ## Fix safety
//!
//! Every fix keeps the build identical: the same LLB and the same image
//! config. Keyword and `AS` case is not significant. A legacy value is
//! joined to its key with `=`; if it holds blanks outside quotes (which the
//! `k=v` form would split on) it is put in double quotes when it has no
//! quote or escape character, otherwise each such blank gets the escape
//! character in front. Shell-form `CMD`/`ENTRYPOINT` becomes the exec form
//! BuildKit builds from it: the shell plus the command text. The rule only
//! fires when no `SHELL` is in force (BuildKit checks the image's config,
//! base image included), and then the shell is `/bin/sh -c` on Linux: the
//! fix is exact exactly when the finding is. Files whose `FROM` lines name
//! Windows (`--platform=windows/…`, a `windows`/`nanoserver`/`servercore`
//! image) would use `cmd /S /C`, so their commands are not converted. The
//! exec form still runs the shell, so this silences the check without
//! changing behaviour; writing the command without a shell is a change
//! only a person can make.
//!
//! Fixes that would lose a comment inside a continued instruction are not
//! made. Before a pass is accepted the result is parsed again and every
//! instruction compared with the original (keyword, flags, arguments,
//! heredocs; `ENV`/`LABEL` values expanded under several environments); an
//! edit that changes anything else is dropped and its finding stays.

use std::collections::HashSet;

use crate::diagnostics::Diagnostic;
use crate::syntax::parse;
use crate::syntax::parser::is_go_space;
use crate::syntax::shell::Lexer;
use crate::syntax::text::TextRange;
use crate::syntax::tree::{Node, SyntaxTree, TokenKind};

use super::{LintOptions, RULES, Rule, lint};

/// The most lint-and-fix passes [`fix`] makes on one file.
pub const MAX_PASSES: usize = 8;

/// The rules that have a fix.
pub const FIXABLE: [Rule; 4] = [
    Rule::ConsistentInstructionCasing,
    Rule::FromAsCasing,
    Rule::LegacyKeyValueFormat,
    Rule::JsonArgsRecommended,
];

/// Replace `range` of the source with `replacement`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edit {
    pub range: TextRange,
    pub replacement: String,
}

/// One fix that was applied.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AppliedFix {
    pub rule: Rule,
    /// The instruction before the fix (its first line).
    pub before: String,
    /// The same instruction after it.
    pub after: String,
}

/// The result of [`fix`].
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Fixed {
    /// The fixed text (the input when nothing was fixed).
    pub source: String,
    /// The fixes, in the order they were applied.
    pub applied: Vec<AppliedFix>,
}

impl Fixed {
    /// Whether the text changed.
    pub fn changed(&self) -> bool {
        !self.applied.is_empty()
    }
}

/// Applies the safe fixes to `source` until none is left. Never fails.
pub fn fix(source: &str, options: &LintOptions) -> Fixed {
    // Only the fixable rules need to run (no `shellcheck` processes).
    let options = &LintOptions {
        select: Some(match &options.select {
            Some(s) => s.iter().copied().filter(|r| FIXABLE.contains(r)).collect(),
            None => FIXABLE.into_iter().collect(),
        }),
        ..options.clone()
    };
    let mut current = source.to_owned();
    let mut applied = Vec::new();
    // Fixes whose result did not check out, by instruction index (fixes
    // never add or remove instructions, so indices stay valid).
    let mut refused: HashSet<(usize, Rule)> = HashSet::new();
    for _ in 0..MAX_PASSES {
        let result = lint(&current, options);
        if !result.errors.is_empty() {
            break;
        }
        let tree = parse(&current).tree;
        let fixes = plan(&tree, &result.findings, &refused);
        if fixes.is_empty() {
            break;
        }
        let next = apply(&current, fixes.iter().flat_map(|f| &f.edits));
        let bad = verify(&tree, &next, &fixes);
        if !bad.is_empty() {
            // Try the pass again without the fixes that changed meaning;
            // refusals are remembered per node, so this ends.
            refused.extend(bad);
            continue;
        }
        let after = parse(&next).tree;
        let nodes: Vec<&Node> = after.nodes().collect();
        for f in &fixes {
            applied.push(AppliedFix {
                rule: f.rule,
                before: first_line(tree.text(f.range)),
                after: nodes
                    .get(f.node)
                    .map_or_else(String::new, |n| first_line(after.text(n.range))),
            });
        }
        current = next;
    }
    Fixed {
        source: current,
        applied,
    }
}

/// A unified diff of `old` and `new` with three lines of context, both
/// sides named `name`; empty when they are equal.
pub fn unified_diff(name: &str, old: &str, new: &str) -> String {
    if old == new {
        return String::new();
    }
    similar::TextDiff::from_lines(old, new)
        .unified_diff()
        .context_radius(3)
        .header(name, name)
        .to_string()
}

/// The fixes of one instruction for one rule.
struct NodeFix {
    node: usize,
    rule: Rule,
    range: TextRange,
    edits: Vec<Edit>,
}

fn rule_of(d: &Diagnostic) -> Option<Rule> {
    RULES
        .iter()
        .find(|i| i.code == d.code)
        .map(|i| i.rule)
        .filter(|r| FIXABLE.contains(r))
}

/// The fixes for this pass: at most one per (instruction, rule), none that
/// overlap.
fn plan(
    tree: &SyntaxTree,
    findings: &[Diagnostic],
    refused: &HashSet<(usize, Rule)>,
) -> Vec<NodeFix> {
    let nodes: Vec<&Node> = tree.nodes().collect();
    let mut wanted: Vec<(usize, Rule)> = Vec::new();
    for d in findings {
        let Some(rule) = rule_of(d) else { continue };
        let Some(i) = nodes.iter().position(|n| n.range.start == d.range.start) else {
            continue;
        };
        if !wanted.contains(&(i, rule)) && !refused.contains(&(i, rule)) {
            wanted.push((i, rule));
        }
    }
    let windows = targets_windows(&nodes);
    let mut fixes: Vec<NodeFix> = Vec::new();
    for &(i, rule) in &wanted {
        let node = nodes[i];
        let edits = match rule {
            Rule::ConsistentInstructionCasing => keyword_case(&nodes, node),
            // `AS` follows `FROM`: wait until the keyword itself is fixed.
            Rule::FromAsCasing if wanted.contains(&(i, Rule::ConsistentInstructionCasing)) => None,
            Rule::FromAsCasing => as_case(node),
            Rule::LegacyKeyValueFormat => legacy_key_value(tree, node),
            Rule::JsonArgsRecommended if !windows => exec_form(node),
            _ => None,
        };
        let Some(edits) = edits else { continue };
        let overlaps = fixes.iter().flat_map(|f| &f.edits).any(|a| {
            edits.iter().any(|b| {
                a.range.start < b.range.end.max(b.range.start + 1)
                    && b.range.start < a.range.end.max(a.range.start + 1)
            })
        });
        if !overlaps {
            fixes.push(NodeFix {
                node: i,
                rule,
                range: node.range,
                edits,
            });
        }
    }
    fixes
}

/// The case the majority of the stage instructions' keywords are in, as
/// `consistent-instruction-casing` counts them: upper unless strictly more
/// are lower case.
fn keyword_case(nodes: &[&Node], node: &Node) -> Option<Vec<Edit>> {
    let counted = nodes
        .iter()
        .skip_while(|n| !n.keyword.value.eq_ignore_ascii_case("from"))
        .filter(|n| !n.broken);
    let (mut lower, mut upper) = (0, 0);
    for n in counted {
        let k = &n.keyword.value;
        if *k == k.to_lowercase() {
            lower += 1;
        } else if *k == k.to_uppercase() {
            upper += 1;
        }
    }
    let k = &node.keyword.value;
    let target = if lower > upper {
        k.to_ascii_lowercase()
    } else {
        k.to_ascii_uppercase()
    };
    (target != *k).then(|| {
        vec![Edit {
            range: node.keyword.range,
            replacement: target,
        }]
    })
}

/// `AS` in the case of the `FROM` keyword.
fn as_case(node: &Node) -> Option<Vec<Edit>> {
    let from = &node.keyword.value;
    let r#as = node.args.list().get(1)?;
    let target = if *from == from.to_ascii_lowercase() {
        r#as.value.to_ascii_lowercase()
    } else if *from == from.to_ascii_uppercase() {
        r#as.value.to_ascii_uppercase()
    } else {
        return None;
    };
    (target != r#as.value && r#as.range.len() == target.len()).then(|| {
        vec![Edit {
            range: r#as.range,
            replacement: target,
        }]
    })
}

/// Whether a `FROM` names a Windows platform or image: shell-form commands
/// would then run in `cmd /S /C`, which the fix does not write.
fn targets_windows(nodes: &[&Node]) -> bool {
    nodes.iter().filter(|n| n.name() == "from").any(|n| {
        let text = n.original.to_ascii_lowercase();
        ["windows", "nanoserver", "servercore"]
            .iter()
            .any(|w| text.contains(w))
    })
}

/// Shell-form `CMD`/`ENTRYPOINT` to the exec form BuildKit builds from it.
fn exec_form(node: &Node) -> Option<Vec<Edit>> {
    let [text] = node.args.list() else {
        return None;
    };
    if node.json
        || !node.flags.is_empty()
        || !node.heredocs.is_empty()
        || lose_comments(node, text.range)
    {
        return None;
    }
    let items: Vec<String> = ["/bin/sh", "-c", text.value.as_str()]
        .iter()
        .map(|s| serde_json::Value::from(*s).to_string())
        .collect();
    Some(vec![Edit {
        range: text.range,
        replacement: format!("[{}]", items.join(", ")),
    }])
}

/// Whether replacing `range` would drop a comment or empty line inside the
/// instruction.
fn lose_comments(node: &Node, range: TextRange) -> bool {
    node.tokens.iter().any(|t| {
        matches!(t.kind, TokenKind::Comment | TokenKind::EmptyContinuation)
            && range.start <= t.range.start
            && t.range.end <= range.end
    })
}

/// The logical line of an instruction (continuations removed), with the
/// source offset of each of its bytes' segments: `(logical, source, len)`.
struct Logical {
    text: String,
    segments: Vec<(usize, usize, usize)>,
}

impl Logical {
    /// Rebuilds the parser's logical line from the node's tokens: the
    /// keyword and text of every line, plus the indentation of continuation
    /// lines. `None` when it does not match what the parser saw.
    fn of(tree: &SyntaxTree, node: &Node) -> Option<Logical> {
        let mut out = Logical {
            text: String::new(),
            segments: Vec::new(),
        };
        let mut started = false;
        for t in &node.tokens {
            let take = match t.kind {
                TokenKind::Keyword | TokenKind::Text => true,
                TokenKind::Indent => started,
                _ => false,
            };
            started |= t.kind == TokenKind::Keyword;
            if take && !t.range.is_empty() {
                out.segments
                    .push((out.text.len(), t.range.start(), t.range.len()));
                out.text.push_str(tree.text(t.range));
            }
        }
        (out.text == node.original).then_some(out)
    }

    /// The source offset of the byte at logical offset `at` (or just past
    /// the last byte when `at` is the end).
    fn source(&self, at: usize) -> Option<usize> {
        if let Some(&(log, src, _)) = self
            .segments
            .iter()
            .find(|&&(log, _, len)| log <= at && at < log + len)
        {
            return Some(src + at - log);
        }
        let &(log, src, len) = self.segments.last()?;
        (at == log + len).then_some(src + len)
    }

    /// The source ranges a logical range is made of.
    fn source_ranges(&self, start: usize, end: usize) -> Vec<TextRange> {
        self.segments
            .iter()
            .filter_map(|&(log, src, len)| {
                let (a, b) = (start.max(log), end.min(log + len));
                (a < b).then(|| TextRange::new(src + a - log, src + b - log))
            })
            .collect()
    }
}

/// `ENV k v` / `LABEL k v` to `k=v`, the value quoted when needed.
fn legacy_key_value(tree: &SyntaxTree, node: &Node) -> Option<Vec<Edit>> {
    if !node.flags.is_empty() {
        return None;
    }
    let logical = Logical::of(tree, node)?;
    let line = logical.text.as_str();
    let escape = tree.escape;
    // The rest after the keyword, as the parser cut it.
    let kw_end =
        node.keyword.value.len() + (line.len() - line.trim_start_matches(is_go_space).len());
    let rest_start =
        kw_end + (line[kw_end..].len() - line[kw_end..].trim_start_matches(is_go_space).len());
    let rest_end = line.trim_end_matches(is_go_space).len();
    let rest = line.get(rest_start..rest_end)?;
    let key_len = rest.find(is_split_space)?;
    let key = &rest[..key_len];
    if key.contains(['\'', '"', '=', escape]) || key.contains(is_go_space) {
        return None;
    }
    let gap = &rest[key_len..];
    let value_at =
        rest_start + key_len + (gap.len() - gap.trim_start_matches(is_split_space).len());
    let value = &line[value_at..rest_end];
    let mut edits = Vec::new();
    // The gap becomes `=`: its first byte is replaced, the rest removed
    // (keeping any continuation and comment lines in between).
    let gap_ranges = logical.source_ranges(rest_start + key_len, value_at);
    for (i, r) in gap_ranges.iter().enumerate() {
        edits.push(Edit {
            range: *r,
            replacement: if i == 0 {
                "=".to_owned()
            } else {
                String::new()
            },
        });
    }
    let blanks = unquoted_blanks(value, escape);
    if !blanks.is_empty() {
        if !value.contains(['\'', '"', escape]) {
            for at in [value_at, rest_end] {
                edits.push(Edit {
                    range: TextRange::empty(logical.source(at)?),
                    replacement: "\"".to_owned(),
                });
            }
        } else {
            for b in blanks {
                edits.push(Edit {
                    range: TextRange::empty(logical.source(value_at + b)?),
                    replacement: escape.to_string(),
                });
            }
        }
    }
    Some(edits)
}

/// The blanks BuildKit's parser splits on: `[\t\v\f\r ]`.
fn is_split_space(c: char) -> bool {
    matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

/// Offsets of the white space in `value` that the `k=v` form's word
/// splitter would split on (outside quotes, not escaped).
fn unquoted_blanks(value: &str, escape: char) -> Vec<usize> {
    let mut out = Vec::new();
    let mut quote: Option<char> = None;
    let mut chars = value.char_indices();
    while let Some((at, c)) = chars.next() {
        match quote {
            Some(q) if c == q => quote = None,
            Some(q) if c == escape && q != '\'' => {
                chars.next();
            }
            Some(_) => {}
            None if c == '\'' || c == '"' => quote = Some(c),
            None if c == escape => {
                chars.next();
            }
            None if is_go_space(c) => out.push(at),
            None => {}
        }
    }
    out
}

/// Applies non-overlapping edits (insertions at one offset keep their
/// order).
fn apply<'e>(source: &str, edits: impl Iterator<Item = &'e Edit>) -> String {
    let mut edits: Vec<&Edit> = edits.collect();
    edits.sort_by_key(|e| (e.range.start, e.range.end));
    let mut out = String::with_capacity(source.len() + 16);
    let mut at = 0;
    for e in edits {
        let r = e.range.as_range();
        if r.start < at {
            continue;
        }
        out.push_str(&source[at..r.start]);
        out.push_str(&e.replacement);
        at = r.end;
    }
    out.push_str(&source[at..]);
    out
}

/// What a node means, apart from where it is.
#[derive(Debug, PartialEq, Eq)]
struct Shape {
    keyword: String,
    flags: Vec<String>,
    args: Vec<String>,
    json: bool,
    heredocs: Vec<(String, bool, bool, u32, String)>,
}

impl Shape {
    fn of(node: &Node) -> Shape {
        Shape {
            keyword: node.keyword.value.clone(),
            flags: node.flags.iter().map(|f| f.value.clone()).collect(),
            args: node.arg_values().into_iter().map(str::to_owned).collect(),
            json: node.json,
            heredocs: node
                .heredocs
                .iter()
                .map(|h| (h.name.clone(), h.expand, h.chomp, h.fd, h.content.clone()))
                .collect(),
        }
    }
}

/// Parses the fixed text and compares each instruction with the original.
/// Returns the fixes to refuse (all of them when the file as a whole
/// changed shape).
fn verify(old: &SyntaxTree, new_source: &str, fixes: &[NodeFix]) -> Vec<(usize, Rule)> {
    let all = || fixes.iter().map(|f| (f.node, f.rule)).collect();
    let parsed = parse(new_source);
    let new = &parsed.tree;
    let (a, b): (Vec<&Node>, Vec<&Node>) = (old.nodes().collect(), new.nodes().collect());
    let errors = parsed.diagnostics.iter().filter(|d| d.is_error()).count();
    let same_directives = old
        .directives
        .iter()
        .map(|d| (&d.name, &d.value))
        .eq(new.directives.iter().map(|d| (&d.name, &d.value)));
    if a.len() != b.len() || errors > 0 || !same_directives || new.escape != old.escape {
        return all();
    }
    let mut bad = Vec::new();
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        let mine: Vec<&NodeFix> = fixes.iter().filter(|f| f.node == i).collect();
        let mut expect = Shape::of(x);
        let got = Shape::of(y);
        let mut legacy = false;
        for f in &mine {
            match f.rule {
                Rule::ConsistentInstructionCasing => expect.keyword.clone_from(&got.keyword),
                Rule::FromAsCasing => {
                    if let (Some(e), Some(g)) = (expect.args.get_mut(1), got.args.get(1)) {
                        e.clone_from(g);
                    }
                }
                Rule::JsonArgsRecommended => {
                    let text = expect.args.first().cloned().unwrap_or_default();
                    expect.args = vec!["/bin/sh".into(), "-c".into(), text];
                    expect.json = true;
                }
                _ => legacy = true,
            }
        }
        let keyword_ok = expect.keyword.eq_ignore_ascii_case(&x.keyword.value);
        let args_ok = if legacy {
            same_pairs(&expect.args, &got.args, old.escape)
        } else {
            expect.args == got.args
        };
        let rest_ok = (
            &expect.keyword,
            &expect.flags,
            expect.json,
            &expect.heredocs,
        ) == (&got.keyword, &got.flags, got.json, &got.heredocs);
        let casing_ok = mine.iter().all(|f| f.rule != Rule::FromAsCasing)
            || expect
                .args
                .get(1)
                .is_some_and(|a| a.eq_ignore_ascii_case("as"));
        if !(keyword_ok && args_ok && rest_ok && casing_ok) {
            if mine.is_empty() {
                return all();
            }
            bad.extend(mine.iter().map(|f| (f.node, f.rule)));
        }
    }
    bad
}

/// Whether a legacy `key value` (parser arguments `key, value, ""`) and a
/// `key=value` (`key, value, "="`) set the same thing: key and value
/// expand to the same text with nothing set, and with every variable they
/// name set to a few awkward values.
fn same_pairs(old: &[String], new: &[String], escape: char) -> bool {
    let ([ok, ov, od], [nk, nv, nd]) = (old, new) else {
        return false;
    };
    if !od.is_empty() || nd != "=" {
        return false;
    }
    let lexer = Lexer::new(escape);
    let mut names: Vec<String> = Vec::new();
    for w in [ok, ov, nk, nv] {
        names.extend(lexer.referenced_vars(w).unwrap_or_default());
    }
    let expand = |w: &str, value: Option<&str>| {
        let env: Vec<(&str, &str)> = value
            .map(|v| names.iter().map(|n| (n.as_str(), v)).collect())
            .unwrap_or_default();
        lexer.process_word(w, &env).map(|e| e.value).ok()
    };
    [None, Some(""), Some("a b"), Some("'\"\\$x` ")]
        .iter()
        .all(|v| expand(ok, *v) == expand(nk, *v) && expand(ov, *v) == expand(nv, *v))
}

fn first_line(text: &str) -> String {
    text.lines().next().unwrap_or("").trim_end().to_owned()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_guard_refuses_an_edit_that_changes_a_value() {
        let source = "FROM a\nENV A b c\n";
        let tree = parse(source).tree;
        let node = tree.nodes().nth(1).expect("ENV");
        let at = source.find(" b c").expect("value");
        let bogus = NodeFix {
            node: 1,
            rule: Rule::LegacyKeyValueFormat,
            range: node.range,
            edits: vec![Edit {
                range: TextRange::new(at, at + 4),
                replacement: "=b".to_owned(),
            }],
        };
        let next = apply(source, bogus.edits.iter());
        assert_eq!(next, "FROM a\nENV A=b\n");
        assert_eq!(
            verify(&tree, &next, &[bogus]),
            [(1, Rule::LegacyKeyValueFormat)]
        );
    }

    #[test]
    fn blanks_the_key_value_form_would_split_on() {
        assert_eq!(unquoted_blanks("a b", '\\'), [1]);
        assert_eq!(unquoted_blanks(r#""a b" 'c d' e\ f"#, '\\'), [5, 11]);
        assert_eq!(unquoted_blanks("a` b c", '`'), [4]);
        assert_eq!(unquoted_blanks("a\u{a0}b", '\\'), [1]);
    }

    #[test]
    fn keys_with_quotes_are_not_rewritten() {
        let source = "FROM a\nENV \"A\" b\n";
        assert_eq!(fix(source, &LintOptions::default()).source, source);
        let source = "FROM a\nENV A a\u{a0}b\n";
        assert_eq!(
            fix(source, &LintOptions::default()).source,
            "FROM a\nENV A=\"a\u{a0}b\"\n"
        );
    }
}
