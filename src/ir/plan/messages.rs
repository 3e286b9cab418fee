//! Message helpers shared by planning and lowering: shell errors mapped to
//! source spans with BuildKit's wording, Go's `%q` quoting, and BuildKit's "did you mean"
//! suggestions (Levenshtein distance under 3).

use crate::diagnostics::Diagnostic;
use crate::syntax::shell::ShellError;
use crate::syntax::text::TextRange;
use crate::syntax::tree::Spanned;

/// BuildKit's message for a failed expansion of `word`: its lexer wraps
/// every error as `failed to process "<word>": <error>`.
pub fn process_error(word: &str, err: &ShellError) -> String {
    format!("failed to process {}: {err}", go_quote(word))
}

/// Turns a shell expansion error on `word` into a diagnostic: at the exact
/// span when the word is written in the source as is, otherwise on the
/// whole word (or instruction). The message is [`process_error`]'s.
pub fn expand_error(
    err: &ShellError,
    word: &Spanned,
    fallback: TextRange,
    source: &str,
) -> Diagnostic {
    let r = err.range();
    let written = source.get(word.range.as_range()) == Some(word.value.as_str());
    let range = if written && r.end <= word.value.len() {
        TextRange::new(word.range.start() + r.start, word.range.start() + r.end)
    } else if word.range.is_empty() {
        fallback
    } else {
        word.range
    };
    Diagnostic::error(err.code(), range, process_error(&word.value, err))
}

/// A string quoted like Go's `%q`.
pub use crate::syntax::dump::go_quote;

/// BuildKit's `suggest.Search`: the closest option by Levenshtein
/// distance, if within 2 edits.
pub fn suggest(val: &str, options: &[&str], case_sensitive: bool) -> Option<String> {
    let fold = |s: &str| {
        if case_sensitive {
            s.to_owned()
        } else {
            s.to_lowercase()
        }
    };
    let v = fold(val);
    let mut best: Option<String> = None;
    let mut min = 3;
    for opt in options {
        let o = fold(opt);
        if o == v {
            return None;
        }
        let d = levenshtein(&v, &o);
        if d < min {
            min = d;
            best = Some(if case_sensitive {
                o
            } else if val == val.to_lowercase() {
                o.to_lowercase()
            } else if val == val.to_uppercase() {
                o.to_uppercase()
            } else {
                o
            });
        }
    }
    best
}

fn levenshtein(a: &str, b: &str) -> usize {
    let a: Vec<char> = a.chars().collect();
    let b: Vec<char> = b.chars().collect();
    let mut prev: Vec<usize> = (0..=b.len()).collect();
    let mut cur = vec![0; b.len() + 1];
    for i in 1..=a.len() {
        cur[0] = i;
        for j in 1..=b.len() {
            let cost = usize::from(a[i - 1] != b[j - 1]);
            cur[j] = (prev[j - 1] + cost).min(prev[j] + 1).min(cur[j - 1] + 1);
        }
        std::mem::swap(&mut prev, &mut cur);
    }
    prev[b.len()]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn suggestions_within_two_edits() {
        assert_eq!(
            suggest("buidl", &["build", "test"], true),
            Some("build".into())
        );
        assert_eq!(suggest("xyz", &["build"], true), None);
        assert_eq!(suggest("build", &["build"], true), None);
    }
}
