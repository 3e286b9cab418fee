//! The expansion state machine: one pass over a word, mirroring BuildKit's
//! `shellWord` (frontend/dockerfile/shell/lex.go) decision for decision.
//!
//! The cursor is a byte offset into the input and only ever moves by whole
//! characters, so slicing never splits a UTF-8 sequence. Recursion happens
//! only through `${name<op>word}` operands and is capped at
//! [`MAX_NESTING`] levels.

use std::collections::HashSet;
use std::mem;
use std::ops::Range;

use super::error::{MAX_EXPANSION, MAX_NESTING, ShellError};
use super::pattern;
use super::unicode::{is_digit, is_name_char};
use super::{Env, Options, Vars};

/// Word-splitting state for `process_words`.
///
/// Upstream keeps the current word in a buffer shared by every nesting level
/// and clears it whenever an operator operand starts, so text gathered
/// before a `${v<op>…}` in the same word is dropped (`a${x:-b}` gives the
/// word `b`). That behaviour is reproduced on purpose; see
/// [`Expander::operand`].
#[derive(Default)]
struct Words {
    done: Vec<String>,
    current: String,
}

impl Words {
    /// Unquoted text: whitespace ends the current word.
    fn push(&mut self, c: char) {
        if c.is_whitespace() {
            self.flush();
        } else {
            self.current.push(c);
        }
    }

    fn push_str(&mut self, s: &str) {
        s.chars().for_each(|c| self.push(c));
    }

    /// Quoted or escaped text: never splits.
    fn push_raw(&mut self, s: &str) {
        self.current.push_str(s);
    }

    fn flush(&mut self) {
        if !self.current.is_empty() {
            self.done.push(mem::take(&mut self.current));
        }
    }
}

/// Names looked up, split by whether they were set.
#[derive(Default)]
struct Used {
    seen: HashSet<String>,
    vars: Vars,
}

pub(crate) struct Expander<'a> {
    src: &'a str,
    pos: usize,
    opts: Options,
    /// Current escape mode; operands temporarily override it.
    raw_escapes: bool,
    env: &'a dyn Env,
    depth: usize,
    used: Used,
    words: Option<Words>,
}

/// What a successful run produced.
pub(crate) struct Output {
    pub value: String,
    pub words: Vec<String>,
    pub used: Vars,
}

impl<'a> Expander<'a> {
    pub(crate) fn new(src: &'a str, opts: Options, env: &'a dyn Env, split: bool) -> Self {
        Self {
            src,
            // Go's text scanner silently drops a leading byte-order mark.
            pos: if src.starts_with('\u{FEFF}') { 3 } else { 0 },
            opts,
            raw_escapes: opts.raw_escapes,
            env,
            depth: 0,
            used: Used::default(),
            words: split.then(Words::default),
        }
    }

    pub(crate) fn run(mut self) -> Result<Output, ShellError> {
        let value = self.word(None, self.opts.raw_escapes)?;
        let words = match self.words.take() {
            Some(mut w) => {
                w.flush();
                w.done
            }
            None => Vec::new(),
        };
        Ok(Output {
            value,
            words,
            used: self.used.vars,
        })
    }

    fn peek(&self) -> Option<char> {
        self.src[self.pos..].chars().next()
    }

    fn next(&mut self) -> Option<char> {
        let c = self.peek()?;
        self.pos += c.len_utf8();
        Some(c)
    }

    fn to_end(&self, start: usize) -> Range<usize> {
        start..self.src.len()
    }

    /// Feed the top-level word splitter (only at the outermost level).
    fn split(&mut self, top: bool, f: impl FnOnce(&mut Words)) {
        if top && let Some(words) = &mut self.words {
            f(words);
        }
    }

    /// Process text until `stop` (consumed) or, for `None`, the end of input.
    /// Running out of input before `stop` returns a placeholder error that
    /// [`Self::operand`] replaces.
    fn word(&mut self, stop: Option<char>, raw_escapes: bool) -> Result<String, ShellError> {
        let saved = mem::replace(&mut self.raw_escapes, raw_escapes);
        let result = self.word_inner(stop);
        self.raw_escapes = saved;
        result
    }

    fn word_inner(&mut self, stop: Option<char>) -> Result<String, ShellError> {
        let top = stop.is_none();
        let mut out = String::new();
        while let Some(c) = self.peek() {
            if Some(c) == stop {
                self.pos += c.len_utf8();
                return Ok(out);
            }
            match c {
                '$' => {
                    let at = self.pos;
                    let v = self.dollar()?;
                    self.split(top, |w| w.push_str(&v));
                    out.push_str(&v);
                    self.check_size(&out, at)?;
                }
                '<' => {
                    let v = self.angle();
                    self.split(top, |w| w.push_raw(v));
                    out.push_str(v);
                }
                '\'' | '"' if !self.opts.skip_process_quotes => {
                    let v = if c == '\'' {
                        self.single_quote()?
                    } else {
                        self.double_quote()?
                    };
                    self.split(top, |w| w.push_raw(&v));
                    out.push_str(&v);
                }
                _ => {
                    self.pos += c.len_utf8();
                    if c != self.opts.escape {
                        self.split(top, |w| w.push(c));
                        out.push(c);
                        continue;
                    }
                    if self.raw_escapes {
                        self.split(top, |w| w.current.push(c));
                        out.push(c);
                    }
                    // A trailing escape character is dropped.
                    let Some(e) = self.next() else { break };
                    self.split(top, |w| w.current.push(e));
                    out.push(e);
                }
            }
        }
        match stop {
            None => Ok(out),
            Some(_) => Err(ShellError::MissingBrace {
                range: self.to_end(self.pos),
            }),
        }
    }

    /// Fails when a word has grown past [`MAX_EXPANSION`] with the
    /// substitution that started at `at`.
    fn check_size(&self, out: &str, at: usize) -> Result<(), ShellError> {
        if out.len() > MAX_EXPANSION {
            return Err(ShellError::ExpansionTooLarge {
                limit: MAX_EXPANSION,
                range: at..self.pos,
            });
        }
        Ok(())
    }

    /// `<`, or `<<` plus any following blanks, which stay glued to the next
    /// word when splitting (so `<< EOF` is one word, as heredoc detection needs).
    fn angle(&mut self) -> &'a str {
        let start = self.pos;
        self.pos += 1;
        if self.peek() == Some('<') {
            self.pos += 1;
            while let Some(' ' | '\t' | '\r') = self.peek() {
                self.pos += 1;
            }
        }
        &self.src[start..self.pos]
    }

    fn single_quote(&mut self) -> Result<String, ShellError> {
        let open = self.pos;
        self.pos += 1;
        let Some(len) = self.src[self.pos..].find('\'') else {
            return Err(ShellError::UnterminatedQuote {
                quote: '\'',
                range: self.to_end(open),
            });
        };
        let body = &self.src[self.pos..self.pos + len];
        self.pos += len + 1;
        Ok(if self.opts.raw_quotes {
            format!("'{body}'")
        } else {
            body.to_owned()
        })
    }

    fn double_quote(&mut self) -> Result<String, ShellError> {
        let open = self.pos;
        self.pos += 1;
        let mut out = String::new();
        if self.opts.raw_quotes {
            out.push('"');
        }
        loop {
            let Some(c) = self.peek() else {
                return Err(ShellError::UnterminatedQuote {
                    quote: '"',
                    range: self.to_end(open),
                });
            };
            match c {
                '"' => {
                    self.pos += 1;
                    if self.opts.raw_quotes {
                        out.push('"');
                    }
                    return Ok(out);
                }
                '$' => {
                    let at = self.pos;
                    let v = self.dollar()?;
                    out.push_str(&v);
                    self.check_size(&out, at)?;
                }
                _ => {
                    self.pos += c.len_utf8();
                    let mut ch = c;
                    if c == self.opts.escape {
                        if self.raw_escapes {
                            out.push(c);
                        }
                        // Only `"`, `$` and the escape character itself can be
                        // escaped; otherwise the escape character is kept
                        // (and written twice in raw-escape mode, as upstream).
                        match self.peek() {
                            None => continue,
                            Some(n) if n == '"' || n == '$' || n == self.opts.escape => {
                                self.pos += n.len_utf8();
                                ch = n;
                            }
                            Some(_) => {}
                        }
                    }
                    out.push(ch);
                }
            }
        }
    }

    /// A variable name after `$` or `${`: a run of digits (positional
    /// parameter), one special-parameter character, or letters, digits and
    /// underscores. Returns "" when nothing matches.
    fn name(&mut self) -> &'a str {
        let start = self.pos;
        let rest = &self.src[start..];
        let len = match rest.chars().next() {
            None => 0,
            Some(c) if is_digit(c) => prefix_len(rest, is_digit),
            Some(c @ ('@' | '*' | '#' | '?' | '-' | '$' | '!')) => c.len_utf8(),
            Some(_) => prefix_len(rest, is_name_char),
        };
        self.pos += len;
        &rest[..len]
    }

    /// Look a name up and record it as matched or unmatched.
    fn lookup(&mut self, name: &str) -> Option<String> {
        let value = self.env.lookup(name).map(str::to_owned);
        if !self.used.seen.contains(name) {
            self.used.seen.insert(name.to_owned());
            let list = match value {
                Some(_) => &mut self.used.vars.matched,
                None => &mut self.used.vars.unmatched,
            };
            list.push(name.to_owned());
        }
        value
    }

    /// At a `$`.
    fn dollar(&mut self) -> Result<String, ShellError> {
        let start = self.pos;
        self.pos += 1;
        if self.peek() != Some('{') {
            let name = self.name();
            if name.is_empty() {
                return Ok("$".to_owned());
            }
            return Ok(match self.lookup(name) {
                Some(v) => v,
                None if self.opts.skip_unset_env => format!("${name}"),
                None => String::new(),
            });
        }
        self.pos += 1;
        match self.peek() {
            None => {
                return Err(ShellError::MissingBrace {
                    range: self.to_end(start),
                });
            }
            Some('{' | '}' | ':') => {
                return Err(ShellError::BadSubstitution {
                    range: start..self.pos + 1,
                });
            }
            Some(_) => {}
        }
        if self.depth >= MAX_NESTING {
            return Err(ShellError::NestingTooDeep {
                limit: MAX_NESTING,
                range: start..start + 2,
            });
        }
        self.depth += 1;
        let result = self.braced(start);
        self.depth -= 1;
        result
    }

    /// After `${`; `start` is the offset of the `$`.
    fn braced(&mut self, start: usize) -> Result<String, ShellError> {
        let name = self.name();
        let value = self.lookup(name);
        let skip = value.is_none() && self.opts.skip_unset_env;
        let op_start = self.pos;
        let unsupported = |modifier: String, end: usize| ShellError::UnsupportedModifier {
            modifier,
            range: op_start..end,
        };
        let Some(op) = self.next() else {
            // Upstream says "unsupported modifier (\u{FFFD})" here.
            return Err(ShellError::MissingBrace {
                range: self.to_end(start),
            });
        };
        match op {
            '}' => Ok(match value {
                Some(v) => v,
                None if skip => format!("${{{name}}}"),
                None => String::new(),
            }),
            '/' => self.replace(start, name, value),
            '+' | '-' | '?' | '#' | '%' | ':' => {
                let null_is_unset = op == ':';
                let op = if null_is_unset { self.next() } else { Some(op) };
                let modifier = format!(
                    "{}{}",
                    if null_is_unset { ":" } else { "" },
                    op.unwrap_or('\u{FFFD}')
                );
                let raw = matches!(op, Some('#' | '%'));
                if null_is_unset && raw {
                    return Err(unsupported(modifier, self.pos));
                }
                let op_end = self.pos;
                let word = self.operand('}', raw, start)?;
                if skip {
                    return Ok(format!("${{{name}{modifier}{word}}}"));
                }
                let unset = match &value {
                    None => true,
                    Some(v) => null_is_unset && v.is_empty(),
                };
                match op {
                    Some('-') => Ok(if unset {
                        word
                    } else {
                        value.unwrap_or_default()
                    }),
                    Some('+') => Ok(if unset { String::new() } else { word }),
                    Some('?') if unset => Err(ShellError::UnsetVariable {
                        name: name.to_owned(),
                        message: if !word.is_empty() {
                            word
                        } else if value.is_none() {
                            "is not allowed to be unset".to_owned()
                        } else {
                            "is not allowed to be empty".to_owned()
                        },
                        range: start..self.pos,
                    }),
                    Some('?') => Ok(value.unwrap_or_default()),
                    Some(c @ ('#' | '%')) => {
                        let (greedy, pat) = match word.strip_prefix(c) {
                            Some(rest) => (true, rest),
                            None => (false, word.as_str()),
                        };
                        let range = op_end + usize::from(greedy)..self.pos - 1;
                        self.trim(c == '%', pat, greedy, value.as_deref().unwrap_or(""), range)
                    }
                    _ => Err(unsupported(modifier, op_end)),
                }
            }
            other => Err(unsupported(other.to_string(), self.pos)),
        }
    }

    /// Parse an operator's operand up to `stop`. Errors that happen at the
    /// end of the input become "missing `}`" (or "missing `/`"), as upstream.
    fn operand(&mut self, stop: char, raw: bool, start: usize) -> Result<String, ShellError> {
        // Upstream quirk: every operand clears the shared word buffer.
        if let Some(words) = &mut self.words {
            words.current.clear();
        }
        match self.word(Some(stop), raw) {
            Err(e @ ShellError::ExpansionTooLarge { .. }) => Err(e),
            Err(_) if self.pos >= self.src.len() => Err(if stop == '/' {
                ShellError::MissingSlash {
                    range: self.to_end(start),
                }
            } else {
                ShellError::MissingBrace {
                    range: self.to_end(start),
                }
            }),
            other => other,
        }
    }

    fn trim(
        &self,
        suffix: bool,
        pat: &str,
        greedy: bool,
        value: &str,
        range: Range<usize>,
    ) -> Result<String, ShellError> {
        let pat = if suffix {
            pattern::reverse_pattern(pat)
        } else {
            pat.to_owned()
        };
        let items = pattern::compile(&pat).map_err(|reason| ShellError::InvalidPattern {
            pattern: pat,
            reason,
            range,
        })?;
        Ok(if suffix {
            pattern::trim_suffix(&items, value, greedy)
        } else {
            pattern::trim_prefix(&items, value, greedy)
        })
    }

    /// After `${name/`.
    fn replace(
        &mut self,
        start: usize,
        name: &str,
        value: Option<String>,
    ) -> Result<String, ShellError> {
        let all = self.peek() == Some('/');
        if all {
            self.pos += 1;
        }
        let pat_start = self.pos;
        let pat = self.operand('/', true, start)?;
        let pat_range = pat_start..self.pos - 1;
        let replacement = self.operand('}', true, start)?;
        let Some(value) = value else {
            if self.opts.skip_unset_env {
                // Upstream prints a single `/` even for `//`.
                return Ok(format!("${{{name}/{pat}/{replacement}}}"));
            }
            return self.replace_in("", &pat, pat_range, &replacement, all);
        };
        self.replace_in(&value, &pat, pat_range, &replacement, all)
            .map_err(|e| match e {
                // The whole substitution, not its (maybe empty) pattern.
                ShellError::ExpansionTooLarge { limit, .. } => ShellError::ExpansionTooLarge {
                    limit,
                    range: start..self.pos,
                },
                other => other,
            })
    }

    fn replace_in(
        &self,
        value: &str,
        pat: &str,
        range: Range<usize>,
        replacement: &str,
        all: bool,
    ) -> Result<String, ShellError> {
        let items = pattern::compile(pat).map_err(|reason| ShellError::InvalidPattern {
            pattern: pat.to_owned(),
            reason,
            range: range.clone(),
        })?;
        if !all {
            return Ok(pattern::replace_first(&items, value, replacement));
        }
        pattern::replace_all(&items, value, replacement, MAX_EXPANSION).ok_or(
            ShellError::ExpansionTooLarge {
                limit: MAX_EXPANSION,
                range,
            },
        )
    }
}

/// Byte length of the longest prefix of `s` whose characters satisfy `f`.
fn prefix_len(s: &str, f: impl Fn(char) -> bool) -> usize {
    s.char_indices()
        .find(|&(_, c)| !f(c))
        .map_or(s.len(), |(i, _)| i)
}
