//! How an instruction's text becomes flags and arguments, one rule per
//! keyword, as BuildKit's parser splits them.
//!
//! Every function works on a `&str` and returns byte ranges relative to it;
//! the caller maps them back to the source.

use std::ops::Range;

use nom::{
    IResult, Parser,
    bytes::complete::{take_till, take_while},
};

use super::json::{JsonArray, parse_array};

/// A piece of text with its range in the string it came from.
pub type Piece = (String, Range<usize>);

/// The outcome of splitting an instruction's arguments.
#[derive(Debug, Default)]
pub struct Split {
    pub args: Vec<Piece>,
    pub json: bool,
}

/// Why the arguments could not be split.
#[derive(Debug)]
pub enum SplitError {
    /// A JSON array with a non-string element, at this range.
    NotStringArray(Range<usize>),
    /// Legacy `ENV key` with no value.
    MissingValue { keyword: &'static str },
    /// A later `k=v` word without `=`.
    MissingEquals { word: String, range: Range<usize> },
}

/// The whitespace BuildKit's parser splits on: `[\t\v\f\r ]`.
fn is_split_space(c: char) -> bool {
    matches!(c, '\t' | '\u{b}' | '\u{c}' | '\r' | ' ')
}

/// `unicode.IsSpace` as Go defines it.
pub fn is_go_space(c: char) -> bool {
    matches!(
        c,
        '\t' | '\n' | '\u{b}' | '\u{c}' | '\r' | ' ' | '\u{85}' | '\u{a0}'
    ) || (c > '\u{ff}' && c.is_whitespace())
}

/// `strings.TrimSpace`: the range of `s` without leading/trailing whitespace.
pub fn trim_range(s: &str) -> Range<usize> {
    let start = s.len() - s.trim_start_matches(is_go_space).len();
    let end = s.trim_end_matches(is_go_space).len().max(start);
    start..end
}

/// Splits into the keyword and the rest after the first blank run; the rest
/// is `None` when there is no blank after the keyword.
pub fn split_keyword(line: &str) -> (Range<usize>, Option<usize>) {
    fn word(i: &str) -> IResult<&str, (&str, &str)> {
        (take_till(is_split_space), take_while(is_split_space)).parse(i)
    }
    let t = trim_range(line);
    let text = &line[t.clone()];
    let Ok((_, (kw, blanks))) = word(text) else {
        return (t.start..t.start, None);
    };
    let kw_range = t.start..t.start + kw.len();
    if blanks.is_empty() {
        (kw_range, None)
    } else {
        (kw_range, Some(t.start + kw.len() + blanks.len()))
    }
}

/// Takes the leading `--flags` off `line`. Returns the flags (quotes removed,
/// escapes applied) and the offset where the arguments start. A bare `--`
/// ends the flags and is dropped.
pub fn extract_flags(line: &str, escape: char) -> (Vec<Piece>, usize) {
    #[derive(PartialEq)]
    enum Phase {
        Spaces,
        Word,
        Quote(char),
    }
    let mut flags = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut start = 0;
    let mut blank_ok = false;
    let mut chars = line.char_indices().peekable();
    loop {
        let Some((pos, ch)) = chars.next() else {
            if phase != Phase::Spaces && word != "--" && (blank_ok || !word.is_empty()) {
                flags.push((word, start..line.len()));
            }
            return (flags, line.len());
        };
        if phase == Phase::Spaces {
            if is_go_space(ch) {
                continue;
            }
            if ch != '-' || chars.peek().map(|&(_, c)| c) != Some('-') {
                return (flags, pos);
            }
            phase = Phase::Word;
            start = pos;
        }
        if let Phase::Quote(q) = phase {
            if ch == q {
                phase = Phase::Word;
            } else if ch == escape {
                match chars.next() {
                    Some((_, next)) => word.push(next),
                    None => phase = Phase::Word,
                }
            } else {
                word.push(ch);
            }
            continue;
        }
        if is_go_space(ch) {
            phase = Phase::Spaces;
            if word == "--" {
                return (flags, pos);
            }
            if blank_ok || !word.is_empty() {
                flags.push((std::mem::take(&mut word), start..pos));
            }
            word.clear();
            blank_ok = false;
        } else if ch == '\'' || ch == '"' {
            phase = Phase::Quote(ch);
            blank_ok = true;
        } else if ch == escape {
            // An escape at the very end is dropped.
            if let Some((_, next)) = chars.next() {
                word.push(next);
            }
        } else {
            word.push(ch);
        }
    }
}

/// Words split on whitespace outside quotes; quotes and escapes are kept in
/// the words (used by ENV, LABEL and ARG).
pub fn words(rest: &str, escape: char) -> Vec<Piece> {
    #[derive(PartialEq, Clone, Copy)]
    enum Phase {
        Spaces,
        Word,
        Quote(char),
    }
    let mut out = Vec::new();
    let mut phase = Phase::Spaces;
    let mut word = String::new();
    let mut start = 0;
    let mut end = 0;
    let mut blank_ok = false;
    let mut chars = rest.char_indices().peekable();
    while let Some((pos, ch)) = chars.next() {
        if phase == Phase::Spaces {
            if is_go_space(ch) {
                continue;
            }
            phase = Phase::Word;
            start = pos;
        }
        match phase {
            Phase::Spaces => {}
            Phase::Word => {
                if is_go_space(ch) {
                    phase = Phase::Spaces;
                    if blank_ok || !word.is_empty() {
                        out.push((std::mem::take(&mut word), start..end));
                    }
                    blank_ok = false;
                    continue;
                }
                if ch == '\'' || ch == '"' {
                    phase = Phase::Quote(ch);
                    blank_ok = true;
                }
                if ch == escape {
                    if chars.peek().is_none() {
                        continue; // a trailing escape is dropped
                    }
                    word.push(ch);
                    if let Some((p, next)) = chars.next() {
                        word.push(next);
                        end = p + next.len_utf8();
                    }
                    continue;
                }
                word.push(ch);
                end = pos + ch.len_utf8();
            }
            Phase::Quote(q) => {
                if ch == q {
                    phase = Phase::Word;
                }
                if ch == escape && q != '\'' {
                    if chars.peek().is_none() {
                        phase = Phase::Word;
                        continue;
                    }
                    word.push(ch);
                    if let Some((p, next)) = chars.next() {
                        word.push(next);
                        end = p + next.len_utf8();
                    }
                    continue;
                }
                word.push(ch);
                end = pos + ch.len_utf8();
            }
        }
    }
    if phase != Phase::Spaces && (blank_ok || !word.is_empty()) {
        out.push((word, start..end));
    }
    out
}

/// FROM, EXPOSE: split on blank runs; quotes are not special.
pub fn whitespace_list(rest: &str) -> Split {
    let mut args = Vec::new();
    if rest.is_empty() {
        return Split::default();
    }
    let mut start = 0;
    let mut in_gap = false;
    for (i, c) in rest.char_indices() {
        if is_split_space(c) {
            if !in_gap {
                args.push((rest[start..i].to_owned(), start..i));
                in_gap = true;
            }
        } else if in_gap {
            start = i;
            in_gap = false;
        }
    }
    if in_gap {
        // A trailing blank run gives an empty last word, as Go's Split does.
        args.push((String::new(), rest.len()..rest.len()));
    } else {
        args.push((rest[start..].to_owned(), start..rest.len()));
    }
    Split { args, json: false }
}

/// The whole rest as one argument (MAINTAINER, USER, WORKDIR, STOPSIGNAL).
pub fn single(rest: &str) -> Split {
    if rest.is_empty() {
        return Split::default();
    }
    Split {
        args: vec![(rest.to_owned(), 0..rest.len())],
        json: false,
    }
}

fn json_or(rest: &str, fallback: impl FnOnce(&str) -> Split) -> Result<Split, SplitError> {
    let lead = rest.len() - rest.trim_start_matches(is_go_space).len();
    match parse_array(&rest[lead..]) {
        JsonArray::Strings(items) => Ok(Split {
            args: items
                .into_iter()
                .map(|(s, r)| (s, r.start + lead..r.end + lead))
                .collect(),
            json: true,
        }),
        JsonArray::NonString(r) => Err(SplitError::NotStringArray(r.start + lead..r.end + lead)),
        JsonArray::NotJson => Ok(fallback(rest)),
    }
}

/// RUN, CMD, ENTRYPOINT, SHELL: a JSON string array, else the text as one
/// argument.
pub fn maybe_json(rest: &str) -> Result<Split, SplitError> {
    if rest.is_empty() {
        return Ok(Split::default());
    }
    json_or(rest, single)
}

/// ADD, COPY, VOLUME: a JSON string array, else a blank-separated list.
pub fn maybe_json_list(rest: &str) -> Result<Split, SplitError> {
    json_or(rest, whitespace_list)
}

/// ENV and LABEL: `k=v ...`, or the legacy `k v` form.
pub fn name_val(rest: &str, escape: char, keyword: &'static str) -> Result<Split, SplitError> {
    let words = words(rest, escape);
    let Some(first) = words.first() else {
        return Ok(Split::default());
    };
    if !first.0.contains('=') {
        // Legacy form: key, then everything after the first blank run.
        let (key, value_start) = match rest.find(is_split_space) {
            Some(i) => {
                let after = &rest[i..];
                let skip = after.len() - after.trim_start_matches(is_split_space).len();
                (0..i, i + skip)
            }
            None => return Err(SplitError::MissingValue { keyword }),
        };
        let end = rest.len();
        return Ok(Split {
            args: vec![
                (rest[key.clone()].to_owned(), key),
                (rest[value_start..].to_owned(), value_start..end),
                (String::new(), end..end),
            ],
            json: false,
        });
    }
    let mut args = Vec::with_capacity(words.len() * 3);
    for (word, range) in words {
        let Some(eq) = word.find('=') else {
            return Err(SplitError::MissingEquals { word, range });
        };
        let k_end = range.start + eq;
        args.push((word[..eq].to_owned(), range.start..k_end));
        args.push((word[eq + 1..].to_owned(), k_end + 1..range.end));
        args.push(("=".to_owned(), k_end..k_end + 1));
    }
    Ok(Split { args, json: false })
}

/// ARG: each word is one argument.
pub fn name_or_name_val(rest: &str, escape: char) -> Split {
    Split {
        args: words(rest, escape),
        json: false,
    }
}

/// HEALTHCHECK: the first word (`CMD`, `NONE`, …), then the command like CMD.
pub fn health(rest: &str) -> Result<Split, SplitError> {
    let sep = rest
        .find(|c: char| c.is_ascii_whitespace() || c == '\u{b}')
        .unwrap_or(rest.len());
    if sep == 0 {
        return Ok(Split::default());
    }
    let next = sep
        + (rest[sep..].len()
            - rest[sep..]
                .trim_start_matches(|c: char| c.is_ascii_whitespace() || c == '\u{b}')
                .len());
    let mut split = maybe_json(&rest[next..])?;
    for (_, r) in &mut split.args {
        *r = r.start + next..r.end + next;
    }
    split.args.insert(0, (rest[..sep].to_owned(), 0..sep));
    Ok(split)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vals(s: &Split) -> Vec<&str> {
        s.args.iter().map(|(v, _)| v.as_str()).collect()
    }

    #[test]
    fn flags_stop_at_first_plain_word() {
        let (flags, rest) = extract_flags("--a=1 --b=\"x y\" src dst", '\\');
        let f: Vec<_> = flags.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(f, ["--a=1", "--b=x y"]);
        assert_eq!(rest, 16);
        let (flags, rest) = extract_flags("--x -- --y", '\\');
        assert_eq!(flags.len(), 1);
        assert_eq!(rest, 6);
    }

    #[test]
    fn words_keep_quotes_and_escapes() {
        let w = words(r#"a="b c" d\ e f\"#, '\\');
        let v: Vec<_> = w.iter().map(|(v, _)| v.as_str()).collect();
        assert_eq!(v, [r#"a="b c""#, r"d\ e", "f"]);
        assert_eq!(w[0].1, 0..7);
    }

    #[test]
    fn legacy_env_takes_the_rest() {
        let s = name_val("PATH  a b  c", '\\', "ENV").unwrap();
        assert_eq!(vals(&s), ["PATH", "a b  c", ""]);
        assert!(matches!(
            name_val("PATH", '\\', "ENV"),
            Err(SplitError::MissingValue { keyword: "ENV" })
        ));
    }

    #[test]
    fn whitespace_list_splits_on_blank_runs() {
        assert_eq!(vals(&whitespace_list("a  b\tc")), ["a", "b", "c"]);
    }
}
