//! Recognising heredoc words (`<<EOF`, `<<-"EOF"`, `3<<EOF`) on an
//! instruction line.
//!
//! The line is split into words by the shell lexer with quotes and escapes
//! kept; each word of the form `[fd]<<[-][blanks]delimiter` whose delimiter is
//! a single shell word is a heredoc. The body is expanded later unless the
//! delimiter had real (unescaped) quotes in it.

use nom::{
    IResult, Parser,
    bytes::complete::{tag, take_while},
    character::complete::{char, digit0},
    combinator::opt,
};

use crate::syntax::shell::{Env, Lexer, Options};

/// A heredoc announced on an instruction line.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Spec {
    pub name: String,
    pub expand: bool,
    pub chomp: bool,
    pub fd: u32,
}

struct NoEnv;

impl Env for NoEnv {
    fn lookup(&self, _: &str) -> Option<&str> {
        None
    }
}

/// The heredocs of a logical instruction line, in order. Words the lexer
/// cannot split are ignored, as BuildKit ignores them; a heredoc word whose
/// delimiter cannot be lexed is an error.
pub fn from_line(line: &str) -> Result<Vec<Spec>, String> {
    let lexer = Lexer::with_options(Options {
        raw_quotes: true,
        raw_escapes: true,
        skip_unset_env: true,
        ..Options::default()
    });
    let Ok(words) = lexer.process_words(line, &NoEnv) else {
        return Ok(Vec::new());
    };
    let mut out = Vec::new();
    for word in &words.words {
        if let Some(spec) = parse_word(word)? {
            out.push(spec);
        }
    }
    Ok(out)
}

/// `^(\d*)<<(-?)\s*(.*)$` where the tail has no `<` (RE2's `\s`).
fn heredoc_word(i: &str) -> IResult<&str, (&str, Option<char>)> {
    (
        digit0,
        tag("<<"),
        opt(char('-')),
        take_while(|c| matches!(c, '\t' | '\n' | '\u{c}' | '\r' | ' ')),
    )
        .map(|(fd, _, dash, _)| (fd, dash))
        .parse(i)
}

/// Whether one word is a heredoc introducer, and which.
pub fn parse_word(word: &str) -> Result<Option<Spec>, String> {
    let Ok((tail, (fd, dash))) = heredoc_word(word) else {
        return Ok(None);
    };
    if tail.is_empty() || tail.contains('<') {
        return Ok(None);
    }
    let mut opts = Options {
        skip_unset_env: true,
        ..Options::default()
    };
    let plain = Lexer::with_options(opts)
        .process_words(tail, &NoEnv)
        .map_err(|e| e.to_string())?;
    if plain.words.len() != 1 {
        return Ok(None);
    }
    opts.raw_quotes = true;
    let raw = Lexer::with_options(opts)
        .process_words(tail, &NoEnv)
        .map_err(|e| e.to_string())?;
    if raw.words.len() != 1 {
        return Err(format!(
            "internal lexing of heredoc produced inconsistent results: {tail}"
        ));
    }
    let quotes = |s: &str| s.chars().filter(|&c| c == '\'' || c == '"').count();
    let name = plain.words.into_iter().next().unwrap_or_default();
    Ok(Some(Spec {
        expand: quotes(&name) == quotes(&raw.words[0]),
        name,
        chomp: dash.is_some(),
        fd: fd.parse().unwrap_or(0),
    }))
}

/// `<<-` bodies lose the leading tabs of every line when they are used.
pub fn chomp(content: &str) -> String {
    let mut out = String::with_capacity(content.len());
    for line in content.split_inclusive('\n') {
        out.push_str(line.trim_start_matches('\t'));
    }
    out
}
