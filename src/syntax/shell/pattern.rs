//! Glob patterns for `${v#p}`, `${v%p}` and `${v/p/r}`.
//!
//! BuildKit turns the pattern into a Go regular expression and lets Go's
//! leftmost-first engine find the match. This module reproduces the same
//! results without a regex engine:
//!
//! * `?` is one character and `*` any run of characters, but neither matches
//!   a newline (Go's `.` does not). Everything else is literal; there are no
//!   `[...]` classes.
//! * `\*`, `\?` and `\\` are literal; `\}` and `\/` are `}` and `/`. Any other
//!   escape, including a lone trailing `\`, is an error. A leading U+FEFF is
//!   skipped (Go's text scanner drops a BOM).
//! * Stars are lazy for `#`/`%` and greedy for `##`/`%%` and `/`. Among all
//!   matches at the leftmost start, the one a backtracking matcher would find
//!   first wins: a depth-first search over `(pattern item, text position)`
//!   states in priority order, remembering dead states so the work stays
//!   proportional to pattern length times text length.
//! * `//` replacements are Go templates: `$$` is `$`, `$0`/`${0}` is the
//!   whole match, any other `$name`/`${name}` is empty, and a `$` that starts
//!   no name is literal.

use std::collections::HashSet;

use super::unicode::is_name_char;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Item {
    Lit(char),
    Any,
    Star,
}

/// Compile a pattern; on failure returns BuildKit's reason text.
pub(crate) fn compile(pattern: &str) -> Result<Vec<Item>, String> {
    let mut chars = pattern
        .strip_prefix('\u{FEFF}')
        .unwrap_or(pattern)
        .chars()
        .peekable();
    let mut items = Vec::new();
    while let Some(c) = chars.next() {
        let item = match c {
            '*' => Item::Star,
            '?' => Item::Any,
            '\\' => {
                if matches!(chars.peek(), Some('}' | '/')) {
                    continue;
                }
                match chars.next() {
                    Some(e @ ('*' | '?' | '\\')) => Item::Lit(e),
                    // Go prints EOF with %c as U+FFFD.
                    other => {
                        return Err(format!(
                            "invalid escape '\\{}'",
                            other.unwrap_or('\u{FFFD}')
                        ));
                    }
                }
            }
            c => Item::Lit(c),
        };
        // `**` behaves exactly like `*` for both lazy and greedy stars.
        if !(item == Item::Star && items.last() == Some(&Item::Star)) {
            items.push(item);
        }
    }
    Ok(items)
}

/// Reverse a pattern for suffix matching, keeping `\x` pairs in order
/// (`a\*c` becomes `c\*a`). A trailing lone `\` is treated as one character.
pub(crate) fn reverse_pattern(pattern: &str) -> String {
    let chars: Vec<char> = pattern.chars().collect();
    let mut out = vec!['\0'; chars.len()];
    let last = chars.len().wrapping_sub(1);
    let mut i = 0;
    while i < chars.len() {
        let at = last - i;
        if chars[i] == '\\' && i != last {
            out[at - 1] = '\\';
            out[at] = chars[i + 1];
            i += 2;
        } else {
            out[at] = chars[i];
            i += 1;
        }
    }
    out.into_iter().collect()
}

/// `${v#p}` / `${v##p}`: remove the matching prefix.
pub(crate) fn trim_prefix(items: &[Item], value: &str, greedy: bool) -> String {
    let text: Vec<char> = value.chars().collect();
    let mut m = Matcher::new(items, &text, greedy);
    match m.match_at(0) {
        Some(end) => text[end..].iter().collect(),
        None => value.to_owned(),
    }
}

/// `${v%p}` / `${v%%p}`: remove the matching suffix. `items` must come from
/// the reversed pattern; the text is reversed too, as BuildKit does.
pub(crate) fn trim_suffix(items: &[Item], value: &str, greedy: bool) -> String {
    let text: Vec<char> = value.chars().rev().collect();
    let mut m = Matcher::new(items, &text, greedy);
    match m.match_at(0) {
        Some(end) => text[end..].iter().rev().collect(),
        None => value.to_owned(),
    }
}

/// `${v/p/r}`: replace the first match with `replacement`, taken literally.
pub(crate) fn replace_first(items: &[Item], value: &str, replacement: &str) -> String {
    let text: Vec<char> = value.chars().collect();
    let mut m = Matcher::new(items, &text, true);
    match m.find_from(0) {
        Some((start, end)) => {
            let mut out: String = text[..start].iter().collect();
            out.push_str(replacement);
            out.extend(&text[end..]);
            out
        }
        None => value.to_owned(),
    }
}

/// `${v//p/r}`: replace every match, like Go's `Regexp.ReplaceAllString`
/// (an empty match right after a previous match is not replaced; after an
/// empty match the search moves on by one character).
/// `None` as soon as the result would be longer than `limit` bytes.
pub(crate) fn replace_all(
    items: &[Item],
    value: &str,
    template: &str,
    limit: usize,
) -> Option<String> {
    let text: Vec<char> = value.chars().collect();
    let mut m = Matcher::new(items, &text, true);
    let mut out = String::with_capacity(value.len());
    let (mut last_end, mut search) = (0, 0);
    while search <= text.len() {
        let Some((start, end)) = m.find_from(search) else {
            break;
        };
        out.extend(&text[last_end..start]);
        if end > last_end || start == 0 {
            let matched: String = text[start..end].iter().collect();
            expand_template(template, &matched, &mut out);
        }
        if out.len() > limit {
            return None;
        }
        last_end = end;
        search = if end <= search { search + 1 } else { end };
    }
    out.extend(&text[last_end..]);
    (out.len() <= limit).then_some(out)
}

/// Go's regexp template expansion for a pattern with no capture groups.
fn expand_template(template: &str, matched: &str, out: &mut String) {
    let mut rest = template;
    while let Some(i) = rest.find('$') {
        out.push_str(&rest[..i]);
        rest = &rest[i + 1..];
        if let Some(after) = rest.strip_prefix('$') {
            out.push('$');
            rest = after;
            continue;
        }
        match template_name(rest) {
            Some((name, after)) => {
                if name == "0" {
                    out.push_str(matched);
                }
                rest = after;
            }
            None => out.push('$'),
        }
    }
    out.push_str(rest);
}

/// The `name` or `{name}` after a `$`, and the text after it.
fn template_name(s: &str) -> Option<(&str, &str)> {
    let (braced, body) = match s.strip_prefix('{') {
        Some(body) => (true, body),
        None => (false, s),
    };
    let len = body
        .char_indices()
        .find(|&(_, c)| !is_name_char(c))
        .map_or(body.len(), |(i, _)| i);
    if len == 0 {
        return None;
    }
    let (name, rest) = body.split_at(len);
    if braced {
        return Some((name, rest.strip_prefix('}')?));
    }
    Some((name, rest))
}

/// States already explored without success.
enum Visited {
    /// One bit per state, cleared through the list of touched words.
    Bits { bits: Vec<u64>, touched: Vec<usize> },
    /// For very large pattern × text products.
    Set(HashSet<usize>),
}

/// Above this many states a hash set is used instead of a bitmap.
const MAX_BITMAP_STATES: usize = 1 << 24;

struct Matcher<'a> {
    items: &'a [Item],
    text: &'a [char],
    greedy: bool,
    visited: Visited,
    stack: Vec<(usize, usize)>,
}

impl<'a> Matcher<'a> {
    fn new(items: &'a [Item], text: &'a [char], greedy: bool) -> Self {
        let states = (items.len() + 1).saturating_mul(text.len() + 1);
        let visited = if states <= MAX_BITMAP_STATES {
            Visited::Bits {
                bits: vec![0; states.div_ceil(64)],
                touched: Vec::new(),
            }
        } else {
            Visited::Set(HashSet::new())
        };
        Self {
            items,
            text,
            greedy,
            visited,
            stack: Vec::new(),
        }
    }

    fn forget(&mut self) {
        match &mut self.visited {
            Visited::Bits { bits, touched } => {
                for w in touched.drain(..) {
                    bits[w] = 0;
                }
            }
            Visited::Set(set) => set.clear(),
        }
    }

    /// Mark a state; false if it was already marked.
    fn mark(&mut self, item: usize, pos: usize) -> bool {
        let state = item * (self.text.len() + 1) + pos;
        match &mut self.visited {
            Visited::Bits { bits, touched } => {
                let (w, b) = (state / 64, 1u64 << (state % 64));
                if bits[w] & b != 0 {
                    return false;
                }
                if bits[w] == 0 {
                    touched.push(w);
                }
                bits[w] |= b;
                true
            }
            Visited::Set(set) => set.insert(state),
        }
    }

    /// Anchored match at `start` (first search): the end of the match.
    fn match_at(&mut self, start: usize) -> Option<usize> {
        self.forget();
        self.search(start)
    }

    /// Leftmost match starting at or after `from`.
    fn find_from(&mut self, from: usize) -> Option<(usize, usize)> {
        self.forget();
        // Dead states stay dead for later start positions, so they are shared.
        (from..=self.text.len()).find_map(|start| self.search(start).map(|end| (start, end)))
    }

    fn search(&mut self, start: usize) -> Option<usize> {
        let n = self.text.len();
        self.stack.clear();
        self.stack.push((0, start));
        while let Some((item, pos)) = self.stack.pop() {
            if !self.mark(item, pos) {
                continue;
            }
            let Some(&it) = self.items.get(item) else {
                return Some(pos);
            };
            // A character `?` or `*` may consume.
            let any = pos < n && self.text[pos] != '\n';
            match it {
                Item::Lit(c) => {
                    if pos < n && self.text[pos] == c {
                        self.stack.push((item + 1, pos + 1));
                    }
                }
                Item::Any => {
                    if any {
                        self.stack.push((item + 1, pos + 1));
                    }
                }
                // Pushed last is tried first.
                Item::Star if self.greedy => {
                    self.stack.push((item + 1, pos));
                    if any {
                        self.stack.push((item, pos + 1));
                    }
                }
                Item::Star => {
                    if any {
                        self.stack.push((item, pos + 1));
                    }
                    self.stack.push((item + 1, pos));
                }
            }
        }
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reverse() {
        assert_eq!(reverse_pattern(r"a\*c"), r"c\*a");
        assert_eq!(reverse_pattern(r"\\\ab"), r"b\a\\");
        assert_eq!(reverse_pattern(r"ab\"), r"\ba");
        assert_eq!(reverse_pattern(r"\\b"), r"b\\");
        assert_eq!(reverse_pattern(""), "");
    }

    #[test]
    fn compile_errors() {
        assert_eq!(compile(r"\").unwrap_err(), "invalid escape '\\\u{FFFD}'");
        assert_eq!(compile(r"\x").unwrap_err(), r"invalid escape '\x'");
        assert!(compile(r"\\\").is_err());
        assert_eq!(compile(r"a\}\/**?").unwrap(), {
            use Item::*;
            vec![Lit('a'), Lit('}'), Lit('/'), Star, Any]
        });
    }

    #[test]
    fn templates() {
        let mut out = String::new();
        expand_template("<$0|${0}|$$|$1|$x|${x|$|$.>", "M", &mut out);
        assert_eq!(out, "<M|M|$|||${x|$|$.>");
    }
}
