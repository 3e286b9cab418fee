//! Path patterns with the semantics of `moby/patternmatcher`, the matcher
//! behind `.dockerignore` and the include/exclude filters of local sources.
//!
//! A pattern is trimmed, cleaned like Go's `filepath.Clean` (so a trailing
//! `/` disappears and `a/./b` is `a/b`), may start with `!` to make it an
//! exception, and must be a valid Go `filepath.Match` pattern. Matching
//! follows the upstream translation to a regular expression without using
//! one: `*` and `?` never cross a `/`, `**` crosses any number of
//! directories, and patterns made only of literals (optionally with a
//! leading `**` or a trailing `**`) compare strings directly. Later
//! patterns override earlier ones, and a pattern that matches a parent
//! directory matches everything below it.
//!
//! Upstream quirks kept on purpose: a leading `/` is *not* stripped here
//! (that is [`super::dockerignore::parse`]'s job), `**file` matches `myfile`, a
//! negated class such as `[^a]` matches `/`, and `^` outside a class is a
//! start anchor once the pattern is not a plain literal. Known differences:
//! POSIX classes (`[[:alpha:]]`) and `*`/`?` inside a class are taken as
//! literal characters, and escapes of letters other than `\a\f\t\n\r\v`
//! count as malformed.

use std::fmt;

/// A malformed pattern (Go's `filepath.ErrBadPattern` or an illegal `!`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PatternError {
    /// The pattern as written.
    pub pattern: String,
    /// What is wrong with it.
    pub reason: &'static str,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "invalid pattern {:?}: {}", self.pattern, self.reason)
    }
}

impl std::error::Error for PatternError {}

fn bad(pattern: &str) -> PatternError {
    PatternError {
        pattern: pattern.to_owned(),
        reason: "syntax error in pattern",
    }
}

// ---------------------------------------------------------------------------
// Go's filepath.Match, used to validate patterns and for follow-path globs.

/// Splits off the leading stars and the following chunk (up to the next
/// `*` outside a class).
fn scan_chunk(pattern: &str) -> (bool, &str, &str) {
    let trimmed = pattern.trim_start_matches('*');
    let star = trimmed.len() != pattern.len();
    let bytes = trimmed.as_bytes();
    let mut in_range = false;
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if i + 1 < bytes.len() => i += 1,
            b'[' => in_range = true,
            b']' => in_range = false,
            b'*' if !in_range => break,
            _ => {}
        }
        i += 1;
    }
    (star, &trimmed[..i], &trimmed[i..])
}

fn class_char(chunk: &str) -> Option<(char, &str)> {
    let mut chars = chunk.chars();
    let c = chars.next()?;
    if c == '-' || c == ']' {
        return None;
    }
    let c = if c == '\\' { chars.next()? } else { c };
    let rest = chars.as_str();
    if rest.is_empty() {
        return None;
    }
    Some((c, rest))
}

/// Matches one chunk at the start of `s`; the whole chunk is always parsed
/// so that syntax errors surface even after a mismatch.
fn match_chunk<'a>(mut chunk: &str, mut s: &'a str) -> Result<Option<&'a str>, ()> {
    let mut failed = false;
    while let Some(c) = chunk.chars().next() {
        if !failed && s.is_empty() {
            failed = true;
        }
        match c {
            '[' => {
                let mut r = None;
                if !failed {
                    let mut it = s.chars();
                    r = it.next();
                    s = it.as_str();
                }
                chunk = &chunk[1..];
                let negated = chunk.starts_with('^');
                if negated {
                    chunk = &chunk[1..];
                }
                let mut matched = false;
                let mut ranges = 0;
                loop {
                    if chunk.starts_with(']') && ranges > 0 {
                        chunk = &chunk[1..];
                        break;
                    }
                    let (lo, rest) = class_char(chunk).ok_or(())?;
                    chunk = rest;
                    let mut hi = lo;
                    if let Some(after) = chunk.strip_prefix('-') {
                        let (h, rest) = class_char(after).ok_or(())?;
                        hi = h;
                        chunk = rest;
                    }
                    if r.is_some_and(|r| lo <= r && r <= hi) {
                        matched = true;
                    }
                    ranges += 1;
                }
                if matched == negated {
                    failed = true;
                }
            }
            '?' => {
                if !failed {
                    let mut it = s.chars();
                    if it.next() == Some('/') {
                        failed = true;
                    }
                    s = it.as_str();
                }
                chunk = &chunk[1..];
            }
            _ => {
                let mut it = chunk.chars();
                let mut c = it.next().ok_or(())?;
                if c == '\\' {
                    c = it.next().ok_or(())?;
                }
                chunk = it.as_str();
                if !failed {
                    let mut st = s.chars();
                    if st.next() != Some(c) {
                        failed = true;
                    }
                    s = st.as_str();
                }
            }
        }
    }
    Ok(if failed { None } else { Some(s) })
}

/// Go's `filepath.Match` on Unix: shell glob over one path, `*` and `?`
/// never matching `/`.
pub fn glob_match(pattern: &str, name: &str) -> Result<bool, PatternError> {
    let err = |_| bad(pattern);
    let mut pat = pattern;
    let mut name = name;
    'outer: while !pat.is_empty() {
        let (star, chunk, rest) = scan_chunk(pat);
        pat = rest;
        if star && chunk.is_empty() {
            return Ok(!name.contains('/'));
        }
        if let Some(t) = match_chunk(chunk, name).map_err(err)?
            && (t.is_empty() || !pat.is_empty())
        {
            name = t;
            continue;
        }
        if star {
            for (i, c) in name.char_indices() {
                if c == '/' {
                    break;
                }
                let after = &name[i + c.len_utf8()..];
                if let Some(t) = match_chunk(chunk, after).map_err(err)? {
                    if pat.is_empty() && !t.is_empty() {
                        continue;
                    }
                    name = t;
                    continue 'outer;
                }
            }
        }
        while !pat.is_empty() {
            let (_, chunk, rest) = scan_chunk(pat);
            pat = rest;
            match_chunk(chunk, "").map_err(err)?;
        }
        return Ok(false);
    }
    Ok(name.is_empty())
}

// ---------------------------------------------------------------------------
// The pattern matcher.

#[derive(Debug, Clone, PartialEq, Eq)]
enum Tok {
    Lit(char),
    /// `[^/]`
    One,
    /// `[^/]*`
    Star,
    /// `(.*/)?`
    Dirs,
    /// `.*`
    Rest,
    /// `^` in the middle of a regular expression: matches only at 0.
    Anchor,
    Class {
        negated: bool,
        ranges: Vec<(char, char)>,
    },
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Kind {
    Exact,
    Prefix,
    Suffix,
    Regexp(Vec<Tok>),
    /// The regular expression upstream would build does not compile.
    Bad,
}

/// One cleaned pattern.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Pattern {
    cleaned: String,
    exclusion: bool,
    kind: Kind,
}

impl Pattern {
    /// The cleaned pattern, without the `!`.
    pub fn as_str(&self) -> &str {
        &self.cleaned
    }

    /// Whether the pattern started with `!`.
    pub fn is_exclusion(&self) -> bool {
        self.exclusion
    }

    fn matches(&self, path: &str) -> Result<bool, PatternError> {
        let p = self.cleaned.as_str();
        Ok(match &self.kind {
            Kind::Exact => path == p,
            Kind::Prefix => path.starts_with(&p[..p.len() - 2]),
            Kind::Suffix => {
                let suffix = &p[2..];
                path.ends_with(suffix) || suffix.strip_prefix('/').is_some_and(|rest| path == rest)
            }
            Kind::Regexp(toks) => run(toks, path),
            Kind::Bad => return Err(bad(p)),
        })
    }
}

fn escaped(c: char) -> Option<char> {
    Some(match c {
        'a' => '\u{7}',
        'f' => '\u{c}',
        't' => '\t',
        'n' => '\n',
        'r' => '\r',
        'v' => '\u{b}',
        c if c.is_ascii_punctuation() => c,
        _ => return None,
    })
}

/// Parses a class starting after `[` with regular-expression rules;
/// returns the token and the index after `]`.
fn parse_class(chars: &[char], mut i: usize) -> Option<(Tok, usize)> {
    let negated = chars.get(i) == Some(&'^');
    if negated {
        i += 1;
    }
    let mut ranges = Vec::new();
    let mut first = true;
    loop {
        let c = *chars.get(i)?;
        if c == ']' && !first {
            return Some((Tok::Class { negated, ranges }, i + 1));
        }
        first = false;
        let mut lo = c;
        i += 1;
        if c == '\\' {
            lo = escaped(*chars.get(i)?)?;
            i += 1;
        }
        let mut hi = lo;
        if chars.get(i) == Some(&'-') && chars.get(i + 1).is_some_and(|c| *c != ']') {
            hi = chars[i + 1];
            i += 2;
            if hi == '\\' {
                hi = escaped(*chars.get(i)?)?;
                i += 1;
            }
            if hi < lo {
                return None;
            }
        }
        ranges.push((lo, hi));
    }
}

/// Marks the pattern as needing the regular-expression path.
fn regexp(kind: &mut Kind) {
    if *kind != Kind::Bad {
        *kind = Kind::Regexp(Vec::new());
    }
}

fn compile(pattern: &str) -> Kind {
    let chars: Vec<char> = pattern.chars().collect();
    let mut toks = Vec::new();
    let mut kind = Kind::Exact;
    let mut i = 0;
    let mut first = true;
    while i < chars.len() {
        let ch = chars[i];
        i += 1;
        match ch {
            '*' if chars.get(i) == Some(&'*') => {
                i += 1;
                if chars.get(i) == Some(&'/') {
                    i += 1;
                }
                if i == chars.len() {
                    if kind == Kind::Exact {
                        kind = Kind::Prefix;
                    } else {
                        toks.push(Tok::Rest);
                        regexp(&mut kind);
                    }
                } else {
                    toks.push(Tok::Dirs);
                    regexp(&mut kind);
                }
                if first {
                    kind = Kind::Suffix;
                }
            }
            '*' => {
                toks.push(Tok::Star);
                regexp(&mut kind);
            }
            '?' => {
                toks.push(Tok::One);
                regexp(&mut kind);
            }
            '\\' if i < chars.len() => {
                match escaped(chars[i]) {
                    Some(c) => toks.push(Tok::Lit(c)),
                    None => kind = Kind::Bad,
                }
                i += 1;
                regexp(&mut kind);
            }
            '[' => match parse_class(&chars, i) {
                Some((tok, next)) => {
                    toks.push(tok);
                    i = next;
                    regexp(&mut kind);
                }
                None => kind = Kind::Bad,
            },
            ']' => {
                toks.push(Tok::Lit(']'));
                regexp(&mut kind);
            }
            '^' => toks.push(Tok::Anchor),
            c => toks.push(Tok::Lit(c)),
        }
        first = false;
    }
    match kind {
        Kind::Regexp(_) => Kind::Regexp(toks),
        k => k,
    }
}

/// Runs the token program over `path` (anchored at both ends) by keeping
/// the set of reachable positions.
fn run(toks: &[Tok], path: &str) -> bool {
    let chars: Vec<char> = path.chars().collect();
    let n = chars.len();
    let mut cur = vec![false; n + 1];
    cur[0] = true;
    for tok in toks {
        let mut next = vec![false; n + 1];
        match tok {
            Tok::Lit(_) | Tok::One | Tok::Class { .. } => {
                for i in 0..n {
                    if cur[i] && single(tok, chars[i]) {
                        next[i + 1] = true;
                    }
                }
            }
            Tok::Star | Tok::Rest => {
                let stop = if *tok == Tok::Star { '/' } else { '\n' };
                let mut active = false;
                for i in 0..=n {
                    active |= cur[i];
                    next[i] = active;
                    if i < n && chars[i] == stop {
                        active = false;
                    }
                }
            }
            Tok::Dirs => {
                let mut active = false;
                for i in 0..=n {
                    next[i] |= cur[i];
                    if i > 0 && active && chars[i - 1] == '/' {
                        next[i] = true;
                    }
                    active |= cur[i];
                    if i < n && chars[i] == '\n' {
                        active = false;
                    }
                }
            }
            Tok::Anchor => next[0] = cur[0],
        }
        if !next.iter().any(|b| *b) {
            return false;
        }
        cur = next;
    }
    cur[n]
}

fn single(tok: &Tok, c: char) -> bool {
    match tok {
        Tok::Lit(l) => *l == c,
        Tok::One => c != '/',
        Tok::Class { negated, ranges } => {
            ranges.iter().any(|(lo, hi)| *lo <= c && c <= *hi) != *negated
        }
        _ => false,
    }
}

/// Per-pattern results for a directory, handed to its children by
/// [`PatternMatcher::matches_using_parent_results`].
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct MatchInfo {
    parent_matched: Vec<bool>,
}

/// An ordered list of patterns, later ones overriding earlier ones.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct PatternMatcher {
    patterns: Vec<Pattern>,
    exclusions: bool,
}

impl PatternMatcher {
    /// Cleans and checks `patterns`; empty ones are dropped.
    pub fn new<S: AsRef<str>>(patterns: &[S]) -> Result<Self, PatternError> {
        let mut out = PatternMatcher::default();
        for raw in patterns {
            let trimmed = raw.as_ref().trim();
            if trimmed.is_empty() {
                continue;
            }
            let mut p = super::paths::clean(trimmed);
            let exclusion = p.starts_with('!');
            if exclusion {
                if p.len() == 1 {
                    return Err(PatternError {
                        pattern: raw.as_ref().to_owned(),
                        reason: "illegal exclusion pattern: \"!\"",
                    });
                }
                p.remove(0);
                out.exclusions = true;
            }
            glob_match(&p, ".")?;
            let kind = compile(&p);
            out.patterns.push(Pattern {
                cleaned: p,
                exclusion,
                kind,
            });
        }
        Ok(out)
    }

    /// The cleaned patterns in order.
    pub fn patterns(&self) -> &[Pattern] {
        &self.patterns
    }

    /// Whether any pattern is a `!` exception.
    pub fn has_exclusions(&self) -> bool {
        self.exclusions
    }

    /// Whether `path` (slash-separated, relative) or one of its parent
    /// directories is matched by the last pattern that applies.
    pub fn matches_or_parent_matches(&self, path: &str) -> Result<bool, PatternError> {
        let parents = parent_prefixes(path);
        let mut matched = false;
        for pattern in &self.patterns {
            if pattern.exclusion != matched {
                continue;
            }
            let mut m = pattern.matches(path)?;
            if !m {
                for parent in &parents {
                    if pattern.matches(parent).unwrap_or(false) {
                        m = true;
                        break;
                    }
                }
            }
            if m {
                matched = !pattern.exclusion;
            }
        }
        Ok(matched)
    }

    /// Like [`Self::matches_or_parent_matches`], reusing the results of the
    /// parent directory (the default `MatchInfo` means "unknown"). Returns
    /// the verdict and the info to pass to this path's children.
    pub fn matches_using_parent_results(
        &self,
        path: &str,
        parent: &MatchInfo,
    ) -> Result<(bool, MatchInfo), PatternError> {
        let known = &parent.parent_matched;
        if !known.is_empty() && known.len() != self.patterns.len() {
            return Err(PatternError {
                pattern: path.to_owned(),
                reason: "wrong number of values in parentMatched",
            });
        }
        let mut matched = false;
        let mut info = MatchInfo {
            parent_matched: vec![false; self.patterns.len()],
        };
        for (i, pattern) in self.patterns.iter().enumerate() {
            let mut m = known.get(i).copied().unwrap_or(false);
            if !m {
                if pattern.exclusion != matched {
                    continue;
                }
                m = pattern.matches(path)?;
                if !m && known.is_empty() {
                    for parent in parent_prefixes(path) {
                        if pattern.matches(&parent).unwrap_or(false) {
                            m = true;
                            break;
                        }
                    }
                }
            }
            info.parent_matched[i] = m;
            if m {
                matched = !pattern.exclusion;
            }
        }
        Ok((matched, info))
    }
}

/// The parent directories Go's `MatchesOrParentMatches` tries: the
/// prefixes of `filepath.Dir(path)` split at `/` (`a`, `a/b` for `a/b/c`).
fn parent_prefixes(path: &str) -> Vec<String> {
    let Some((dir, _)) = path.rsplit_once('/') else {
        return Vec::new();
    };
    let dir = super::paths::clean(&format!("{dir}/"));
    if dir == "." {
        return Vec::new();
    }
    let parts: Vec<&str> = dir.split('/').collect();
    (1..=parts.len()).map(|i| parts[..i].join("/")).collect()
}

#[cfg(test)]
#[path = "patterns_tests.rs"]
mod tests;
