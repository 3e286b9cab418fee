//! Dockerfile text to a lossless [`SyntaxTree`], with BuildKit's parser
//! semantics.
//!
//! The parser works line by line, as BuildKit's does: parser directives at
//! the top, comments and blank lines as trivia, instructions as a first line
//! plus continuation lines (joined into one logical line), then the bodies of
//! any heredocs the logical line announces. The logical line is split into
//! keyword, flags and arguments by the per-keyword rules in `args`.
//!
//! Architecture invariant: parsing never fails. It returns the tree and the
//! diagnostics; after an error it goes on with the next instruction, so one
//! run reports every independent problem. Every byte of the input ends up in
//! exactly one item or token, whatever the input.

mod args;
pub mod heredoc;
mod json;

use std::ops::Range;

use nom::{
    IResult, Parser as _,
    bytes::complete::{tag, take_while, take_while1},
    character::complete::satisfy,
    combinator::recognize,
};

use crate::diagnostics::Diagnostic;
use crate::syntax::codes;
use crate::syntax::text::TextRange;
use crate::syntax::tree::{
    Args, Directive, Heredoc, Item, Node, Spanned, SyntaxTree, Token, TokenKind, Trivia, TriviaKind,
};

pub use args::is_go_space;

/// BuildKit's scanner refuses lines longer than this (without the newline).
pub const MAX_LINE_LEN: usize = 65_535;

/// The parser directives BuildKit knows; other `# x=y` lines are comments.
pub const DIRECTIVES: [&str; 3] = ["syntax", "escape", "check"];

/// How the arguments of an instruction are split (grammar/README.md, 7).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ArgRule {
    /// Blank-separated words, quotes not special.
    Words,
    /// A JSON string array, else blank-separated words.
    JsonOrList,
    /// A JSON string array, else the whole text.
    JsonOrText,
    /// `k=v` words or the legacy `k v` form.
    KeyValues,
    /// Words with quotes kept.
    QuotedWords,
    /// The whole text as one argument.
    Text,
    /// A type word, then like `JsonOrText`.
    Health,
    /// Another instruction.
    Nested,
}

/// The 18 instructions and their argument rules.
pub const INSTRUCTIONS: [(&str, ArgRule); 18] = [
    ("add", ArgRule::JsonOrList),
    ("arg", ArgRule::QuotedWords),
    ("cmd", ArgRule::JsonOrText),
    ("copy", ArgRule::JsonOrList),
    ("entrypoint", ArgRule::JsonOrText),
    ("env", ArgRule::KeyValues),
    ("expose", ArgRule::Words),
    ("from", ArgRule::Words),
    ("healthcheck", ArgRule::Health),
    ("label", ArgRule::KeyValues),
    ("maintainer", ArgRule::Text),
    ("onbuild", ArgRule::Nested),
    ("run", ArgRule::JsonOrText),
    ("shell", ArgRule::JsonOrText),
    ("stopsignal", ArgRule::Text),
    ("user", ArgRule::Text),
    ("volume", ArgRule::JsonOrList),
    ("workdir", ArgRule::Text),
];

/// The argument rule of a lower-case keyword; `None` for unknown keywords.
pub fn argument_rule(keyword: &str) -> Option<ArgRule> {
    INSTRUCTIONS
        .iter()
        .find(|(k, _)| *k == keyword)
        .map(|&(_, r)| r)
}

/// A parsed Dockerfile and what was wrong with it.
#[derive(Clone, Debug)]
pub struct Parse {
    pub tree: SyntaxTree,
    pub diagnostics: Vec<Diagnostic>,
}

impl Parse {
    pub fn has_errors(&self) -> bool {
        self.diagnostics.iter().any(Diagnostic::is_error)
    }
}

/// Parses a Dockerfile. Never fails: problems come back as diagnostics.
pub fn parse(source: &str) -> Parse {
    Parser::new(source).run()
}

/// Checks that a file's bytes are UTF-8, the one encoding slipway reads.
/// The error points at the first byte that is not.
pub fn decode(bytes: &[u8]) -> Result<&str, Diagnostic> {
    std::str::from_utf8(bytes).map_err(|e| {
        let at = e.valid_up_to();
        Diagnostic::error(
            codes::INVALID_UTF8,
            TextRange::new(at, at + e.error_len().unwrap_or(bytes.len() - at)),
            format!("the Dockerfile is not valid UTF-8 (byte {at})"),
        )
        .with_label("not UTF-8")
        .with_help("save the file as UTF-8")
    })
}

/// One physical line: `start..content_end` is its text without the line
/// ending, `content_end..end` the ending (`\n`, `\r\n`, or nothing at EOF).
#[derive(Clone, Copy, Debug)]
struct Line {
    start: usize,
    content_end: usize,
    end: usize,
}

/// A logical line and where each of its pieces came from in the source.
#[derive(Default)]
struct Logical {
    text: String,
    /// `(logical offset, source offset, length)` of each copied piece.
    segments: Vec<(usize, usize, usize)>,
    /// Where the instruction starts, for a logical line with no text.
    origin: usize,
}

impl Logical {
    fn push(&mut self, source_offset: usize, piece: &str) {
        if piece.is_empty() {
            return;
        }
        self.segments
            .push((self.text.len(), source_offset, piece.len()));
        self.text.push_str(piece);
    }

    /// Source offset of a logical offset, for the start of a range: the
    /// first segment that ends after it. Binary search keeps instructions
    /// with thousands of continuation lines linear.
    fn map_start(&self, off: usize) -> usize {
        let i = self
            .segments
            .partition_point(|&(log, _, len)| log + len <= off);
        self.locate(i, off)
    }

    /// Source offset of a logical offset, for the end of a range: the first
    /// segment that ends at or after it.
    fn map_end(&self, off: usize) -> usize {
        let i = self
            .segments
            .partition_point(|&(log, _, len)| log + len < off);
        self.locate(i, off)
    }

    fn locate(&self, i: usize, off: usize) -> usize {
        match self.segments.get(i) {
            Some(&(log, src, _)) => src + off.saturating_sub(log),
            None => self
                .segments
                .last()
                .map_or(self.origin, |&(_, src, len)| src + len),
        }
    }

    fn range(&self, r: Range<usize>) -> TextRange {
        let start = self.map_start(r.start);
        if r.is_empty() {
            return TextRange::empty(start);
        }
        TextRange::new(start, self.map_end(r.end).max(start))
    }
}

struct Parser<'s> {
    src: &'s str,
    pos: usize,
    escape: char,
    directives_done: bool,
    directives: Vec<Directive>,
    items: Vec<Item>,
    diags: Vec<Diagnostic>,
    /// Comments seen since the last instruction (BuildKit's `PrevComment`).
    comments: Vec<String>,
    /// Set when a too-long line stopped the scan: the rest of the file.
    tail: Option<TextRange>,
}

impl<'s> Parser<'s> {
    fn new(src: &'s str) -> Self {
        Parser {
            src,
            pos: 0,
            escape: '\\',
            directives_done: false,
            directives: Vec::new(),
            items: Vec::new(),
            diags: Vec::new(),
            comments: Vec::new(),
            tail: None,
        }
    }

    fn run(mut self) -> Parse {
        if let Some(rest) = self.src.strip_prefix('\u{feff}') {
            let bom = self.src.len() - rest.len();
            self.items.push(Item::Trivia(Trivia {
                kind: TriviaKind::Bom,
                range: TextRange::new(0, bom),
            }));
            self.pos = bom;
        }
        while let Some(line) = self.next_line() {
            self.top_level_line(line);
        }
        if let Some(range) = self.tail {
            self.items.push(Item::Trivia(Trivia {
                kind: TriviaKind::Invalid,
                range,
            }));
        }
        let end = TextRange::empty(self.src.len());
        if self.src.is_empty() {
            self.diags.push(
                Diagnostic::error(
                    codes::EMPTY_DOCKERFILE,
                    end,
                    "the Dockerfile cannot be empty",
                )
                .with_help("add at least a FROM instruction"),
            );
        } else if !self.items.iter().any(|i| matches!(i, Item::Instruction(_))) {
            self.diags.push(
                Diagnostic::error(codes::NO_INSTRUCTIONS, end, "file with no instructions")
                    .with_help("add at least a FROM instruction"),
            );
        }
        Parse {
            tree: SyntaxTree {
                source: self.src.to_owned(),
                escape: self.escape,
                directives: self.directives,
                items: self.items,
            },
            diagnostics: self.diags,
        }
    }

    /// The next physical line, or `None` at the end (or after a line too
    /// long for BuildKit, which ends the scan).
    fn next_line(&mut self) -> Option<Line> {
        if self.pos >= self.src.len() || self.tail.is_some() {
            return None;
        }
        let start = self.pos;
        let bytes = &self.src.as_bytes()[start..];
        let end = match memchr::memchr(b'\n', bytes) {
            Some(i) => start + i + 1,
            None => self.src.len(),
        };
        let mut content_end = end;
        while content_end > start && matches!(self.src.as_bytes()[content_end - 1], b'\n' | b'\r') {
            content_end -= 1;
        }
        if content_end - start > MAX_LINE_LEN {
            let mut cut = start + 80;
            while !self.src.is_char_boundary(cut) {
                cut -= 1;
            }
            self.diags.push(
                Diagnostic::error(
                    codes::LINE_TOO_LONG,
                    TextRange::new(start, cut),
                    format!("dockerfile line greater than max allowed size of {MAX_LINE_LEN}"),
                )
                .with_label(format!("this line is {} bytes long", content_end - start))
                .with_help("split the line with line continuations"),
            );
            self.tail = Some(TextRange::new(start, self.src.len()));
            self.pos = self.src.len();
            return None;
        }
        self.pos = end;
        Some(Line {
            start,
            content_end,
            end,
        })
    }

    fn text(&self, line: Line) -> &'s str {
        &self.src[line.start..line.content_end]
    }

    fn trivia(&mut self, kind: TriviaKind, line: Line) {
        self.items.push(Item::Trivia(Trivia {
            kind,
            range: TextRange::new(line.start, line.end),
        }));
    }

    fn top_level_line(&mut self, line: Line) {
        let content = self.text(line);
        let indent = content.len() - content.trim_start_matches(is_go_space).len();
        let token = &content[indent..];
        let comment = token.starts_with('#');
        if comment {
            // BuildKit drops the first byte of the raw line and trims, so an
            // indented comment keeps its `#`.
            let first = content.chars().next().map_or(0, char::len_utf8);
            let text = content[first..].trim_matches(is_go_space);
            if text.is_empty() {
                self.comments.clear();
            } else {
                self.comments.push(text.to_owned());
            }
        }
        if !self.directives_done {
            if let Some(directive) = self.directive(token, line, indent) {
                self.comments.pop();
                self.items.push(Item::Directive(directive));
                return;
            }
            self.directives_done = true;
        }
        if comment {
            return self.trivia(TriviaKind::Comment, line);
        }
        if token.is_empty() {
            return self.trivia(TriviaKind::Blank, line);
        }
        self.instruction(line, indent);
    }

    /// Recognises a parser directive line; records its effect and errors.
    fn directive(&mut self, token: &str, line: Line, indent: usize) -> Option<Directive> {
        let (_, (name, value)) = directive_line(token).ok()?;
        let lname = name.to_ascii_lowercase();
        if !DIRECTIVES.contains(&lname.as_str()) {
            return None;
        }
        let base = line.start + indent;
        let offset = |s: &str| s.as_ptr() as usize - token.as_ptr() as usize + base;
        let directive = Directive {
            name: lname.clone(),
            value: value.to_owned(),
            range: TextRange::new(line.start, line.end),
            name_range: TextRange::new(offset(name), offset(name) + name.len()),
            value_range: TextRange::new(offset(value), offset(value) + value.len()),
        };
        if let Some(first) = self.directives.iter().find(|d| d.name == lname) {
            let first_line = self.src[..first.range.start()].matches('\n').count() + 1;
            self.diags.push(
                Diagnostic::error(
                    codes::DUPLICATE_DIRECTIVE,
                    directive.name_range,
                    format!("only one {lname} parser directive can be used"),
                )
                .with_label("repeated here")
                .with_help(format!(
                    "the first one is on line {first_line}; remove this one"
                )),
            );
            return Some(directive);
        }
        if lname == "escape" {
            match value {
                "\\" => self.escape = '\\',
                "`" => self.escape = '`',
                _ => {
                    self.diags.push(
                        Diagnostic::error(
                            codes::INVALID_ESCAPE,
                            directive.value_range,
                            format!("invalid escape token '{value}' does not match ` or \\"),
                        )
                        .with_label("not an escape character")
                        .with_help("use `# escape=\\` or `# escape=``"),
                    );
                    return Some(directive);
                }
            }
        }
        self.directives.push(directive.clone());
        Some(directive)
    }

    /// Emits the tokens of one instruction line: indent, text, continuation,
    /// newline. Returns the text part and whether the line continues.
    fn line_tokens(
        &self,
        line: Line,
        indent: usize,
        tokens: &mut Vec<Token>,
    ) -> (Range<usize>, bool) {
        let content = self.text(line);
        let cont = continuation_at(&content[indent..], self.escape).map(|c| c + indent);
        let text_end = cont.unwrap_or(content.len());
        let abs = |o: usize| line.start + o;
        let mut push = |kind, a: usize, b: usize| {
            if a < b {
                tokens.push(Token {
                    kind,
                    range: TextRange::new(a, b),
                });
            }
        };
        push(TokenKind::Indent, abs(0), abs(indent));
        push(TokenKind::Text, abs(indent), abs(text_end));
        push(TokenKind::Continuation, abs(text_end), line.content_end);
        push(TokenKind::Newline, line.content_end, line.end);
        (abs(indent)..abs(text_end), cont.is_some())
    }

    fn instruction(&mut self, first: Line, indent: usize) {
        let mut tokens = Vec::new();
        let mut logical = Logical {
            origin: first.start + indent,
            ..Logical::default()
        };
        let (text, mut continues) = self.line_tokens(first, indent, &mut tokens);
        logical.push(text.start, &self.src[text]);
        let mut last = first;
        let mut empty_lines: Vec<TextRange> = Vec::new();
        while continues {
            let Some(line) = self.next_line() else { break };
            last = line;
            let content = self.text(line);
            let blank = content.trim_start_matches(is_go_space);
            let kind = if blank.starts_with('#') {
                Some(TokenKind::Comment)
            } else if blank.is_empty() {
                empty_lines.push(TextRange::new(line.start, line.end));
                Some(TokenKind::EmptyContinuation)
            } else {
                None
            };
            if let Some(kind) = kind {
                for (kind, a, b) in [
                    (kind, line.start, line.content_end),
                    (TokenKind::Newline, line.content_end, line.end),
                ] {
                    if a < b {
                        tokens.push(Token {
                            kind,
                            range: TextRange::new(a, b),
                        });
                    }
                }
                continue;
            }
            // Continuation lines keep their leading blanks in the logical
            // line; only the token kind says they are indentation.
            let lead = content.len() - blank.len();
            let (text, more) = self.line_tokens(line, lead, &mut tokens);
            logical.push(line.start, &self.src[line.start..text.end]);
            continues = more;
        }

        let comments = std::mem::take(&mut self.comments);
        let mut node = match self.node_from_line(&logical.text, 0, &logical, comments) {
            Ok(node) => node,
            Err(diag) => {
                self.diags.push(diag);
                // Keep the text in the tree (it stays lossless) as a node
                // with no arguments.
                let (kw, _) = args::split_keyword(&logical.text);
                empty_node(&logical, kw)
            }
        };
        if let Some(&first_empty) = empty_lines.first() {
            let label = match empty_lines.len() {
                1 => "empty continuation line".to_owned(),
                n => format!("the first of {n} empty continuation lines"),
            };
            self.diags.push(
                Diagnostic::warning(
                    codes::EMPTY_CONTINUATION,
                    first_empty,
                    "empty continuation line found in a continued instruction",
                )
                .with_label(label)
                .with_help(
                    "remove the blank line or put a comment there; empty continuation lines will become errors in a future release",
                ),
            );
        }

        if can_contain_heredoc(&node) && logical.text.contains("<<") {
            match heredoc::from_line(&logical.text) {
                Ok(specs) => {
                    for spec in specs {
                        let doc = self.heredoc_body(spec, &logical, &mut tokens, &mut last);
                        node.heredocs.push(doc);
                    }
                }
                Err(message) => {
                    node.broken = true;
                    let range = TextRange::new(first.start + indent, first.content_end);
                    self.diags.push(
                        Diagnostic::error(codes::INVALID_HEREDOC, range, message)
                            .with_label("in this heredoc")
                            .with_help("close the quotes around the heredoc delimiter"),
                    );
                }
            }
        }

        // Mark the keyword inside the first text token that holds it.
        split_keyword_token(&mut tokens, node.keyword.range);
        node.range = TextRange::new(first.start, last.end);
        node.tokens = tokens;
        self.items.push(Item::Instruction(node));
    }

    /// Reads one heredoc body up to its terminator line.
    fn heredoc_body(
        &mut self,
        spec: heredoc::Spec,
        logical: &Logical,
        tokens: &mut Vec<Token>,
        last: &mut Line,
    ) -> Heredoc {
        let body_start = self.pos;
        let mut content = String::new();
        let mut terminator = None;
        while let Some(line) = self.next_line() {
            *last = line;
            let mut text = self.text(line);
            if spec.chomp {
                text = text.trim_start_matches('\t');
            }
            if text == spec.name {
                tokens.push(Token {
                    kind: TokenKind::HeredocEnd,
                    range: TextRange::new(line.start, line.content_end),
                });
                if line.content_end < line.end {
                    tokens.push(Token {
                        kind: TokenKind::Newline,
                        range: TextRange::new(line.content_end, line.end),
                    });
                }
                terminator = Some(TextRange::new(line.start, line.end));
                break;
            }
            content.push_str(&self.src[line.start..line.end]);
            tokens.push(Token {
                kind: TokenKind::HeredocBody,
                range: TextRange::new(line.start, line.end),
            });
        }
        let body_end = terminator.map_or(self.pos, |t| t.start());
        if terminator.is_none() {
            let at = find_heredoc_word(&logical.text, &spec.name).map_or_else(
                || logical.range(0..logical.text.len()),
                |r| logical.range(r),
            );
            self.diags.push(
                Diagnostic::error(codes::UNTERMINATED_HEREDOC, at, "unterminated heredoc")
                    .with_label(format!("heredoc `{}` starts here", spec.name))
                    .with_help(format!(
                        "end the heredoc with a line that holds only `{}`",
                        spec.name
                    )),
            );
        }
        Heredoc {
            name: spec.name,
            expand: spec.expand,
            chomp: spec.chomp,
            fd: spec.fd,
            content,
            body_range: TextRange::new(body_start, body_end),
            terminator_range: terminator.unwrap_or(TextRange::empty(self.pos)),
        }
    }

    /// Splits a logical line (or the nested text of `ONBUILD`) into a node.
    /// `base` is where `line` starts inside `logical.text`.
    fn node_from_line(
        &self,
        line: &str,
        base: usize,
        logical: &Logical,
        comments: Vec<String>,
    ) -> Result<Node, Diagnostic> {
        let map = |r: Range<usize>| logical.range(r.start + base..r.end + base);
        let (kw, rest_at) = args::split_keyword(line);
        let (flags, rest_range) = match rest_at {
            Some(at) => {
                let (flags, off) = args::extract_flags(&line[at..], self.escape);
                let after = &line[at + off..];
                let t = args::trim_range(after);
                let flags = flags
                    .into_iter()
                    .map(|(v, r)| Spanned::new(v, map(r.start + at..r.end + at)))
                    .collect();
                (flags, at + off + t.start..at + off + t.end)
            }
            None => (Vec::new(), kw.end..kw.end),
        };
        let rest = &line[rest_range.clone()];
        let keyword = Spanned::new(&line[kw.clone()], map(kw.clone()));
        let name = keyword.value.to_lowercase();
        let esc = self.escape;
        let split = match argument_rule(&name) {
            Some(ArgRule::JsonOrList) => args::maybe_json_list(rest),
            Some(ArgRule::QuotedWords) => Ok(args::name_or_name_val(rest, esc)),
            Some(ArgRule::JsonOrText) => args::maybe_json(rest),
            Some(ArgRule::KeyValues) if name == "env" => args::name_val(rest, esc, "ENV"),
            Some(ArgRule::KeyValues) => args::name_val(rest, esc, "LABEL"),
            Some(ArgRule::Words) => Ok(args::whitespace_list(rest)),
            Some(ArgRule::Health) => args::health(rest),
            Some(ArgRule::Text) => Ok(args::single(rest)),
            Some(ArgRule::Nested) => Ok(args::Split::default()),
            None => Ok(args::Split {
                args: vec![(String::new(), 0..0)],
                json: false,
            }),
        };
        let at = |r: Range<usize>| map(r.start + rest_range.start..r.end + rest_range.start);
        let split = split.map_err(|e| split_error(e, &at, &keyword))?;
        let args = if name == "onbuild" && !rest.is_empty() {
            let nested = self.node_from_line(rest, base + rest_range.start, logical, Vec::new())?;
            Args::Nested(Box::new(nested))
        } else {
            Args::List(
                split
                    .args
                    .into_iter()
                    .map(|(v, r)| Spanned::new(v, at(r)))
                    .collect(),
            )
        };
        Ok(Node {
            range: map(0..line.len()),
            keyword,
            flags,
            args,
            json: split.json,
            heredocs: Vec::new(),
            original: line.to_owned(),
            comments,
            broken: false,
            tokens: Vec::new(),
        })
    }
}

fn split_error(
    e: args::SplitError,
    at: &dyn Fn(Range<usize>) -> TextRange,
    keyword: &Spanned,
) -> Diagnostic {
    match e {
        args::SplitError::NotStringArray(r) => Diagnostic::error(
            codes::JSON_NOT_STRINGS,
            at(r),
            "when using JSON array syntax, arrays must be comprised of strings only",
        )
        .with_label("this element is not a string")
        .with_help("quote the element, or write the command in shell form"),
        args::SplitError::MissingValue { keyword: kw } => Diagnostic::error(
            codes::MISSING_VALUE,
            keyword.range,
            format!("{kw} must have two arguments"),
        )
        .with_label("no value follows the name")
        .with_help(format!("write `{kw} name=value`")),
        args::SplitError::MissingEquals { word, range } => Diagnostic::error(
            codes::MISSING_EQUALS,
            at(range),
            format!("syntax error - can't find = in {word:?}. Must be of the form: name=value"),
        )
        .with_label("no `=` in this word")
        .with_help("write every pair as `name=value`, quoting values with spaces"),
    }
}

/// A node with no arguments, for an instruction whose arguments had errors.
fn empty_node(logical: &Logical, kw: Range<usize>) -> Node {
    Node {
        range: logical.range(0..logical.text.len()),
        keyword: Spanned::new(&logical.text[kw.clone()], logical.range(kw)),
        flags: Vec::new(),
        args: Args::List(Vec::new()),
        json: false,
        heredocs: Vec::new(),
        original: logical.text.clone(),
        comments: Vec::new(),
        broken: true,
        tokens: Vec::new(),
    }
}

/// `#` blanks `name` blanks `=` blanks `value` (trailing blanks trimmed).
/// `token` has had its leading whitespace removed already.
fn directive_line(token: &str) -> IResult<&str, (&str, &str)> {
    let ascii_space = |c: char| matches!(c, '\t' | '\n' | '\u{c}' | '\r' | ' ');
    let (i, _) = tag("#")(token)?;
    let (i, _) = take_while(is_go_space)(i)?;
    let (i, name) = recognize((
        satisfy(|c| c.is_ascii_alphabetic()),
        take_while(|c: char| c.is_ascii_alphanumeric()),
    ))
    .parse(i)?;
    let (i, _) = (take_while(ascii_space), tag("="), take_while(ascii_space)).parse(i)?;
    let trimmed = i.trim_end_matches(ascii_space);
    // The value is at least one character: with only blanks after `=`, the
    // regular expression BuildKit uses takes the last blank as the value.
    let value = match take_while1::<_, _, nom::error::Error<&str>>(|_| true)(trimmed) {
        Ok((_, v)) => v,
        Err(_) => i
            .get(i.len().saturating_sub(1)..)
            .filter(|v| !v.is_empty())
            .ok_or_else(|| {
                nom::Err::Error(nom::error::Error::new(i, nom::error::ErrorKind::TakeWhile1))
            })?,
    };
    Ok(("", (name, value)))
}

/// Where the line-continuation character of a line is, if the line ends
/// with one: the escape character, then only spaces and tabs, and not itself
/// escaped (`foo \\` does not continue). A line that is only the escape
/// character continues too.
fn continuation_at(text: &str, escape: char) -> Option<usize> {
    let stripped = text.trim_end_matches([' ', '\t']);
    let before = stripped.strip_suffix(escape)?;
    if before.is_empty() || !before.ends_with(escape) {
        Some(before.len())
    } else {
        None
    }
}

fn can_contain_heredoc(node: &Node) -> bool {
    let node = match &node.args {
        Args::Nested(inner) if node.name() == "onbuild" => inner,
        _ => node,
    };
    matches!(node.name().as_str(), "add" | "copy" | "run") && !node.json
}

/// The logical range of the `<<NAME` word that announced a heredoc.
fn find_heredoc_word(line: &str, name: &str) -> Option<Range<usize>> {
    let mut from = 0;
    while let Some(i) = line[from..].find("<<") {
        let start = from + i;
        let after = &line[start + 2..];
        if let Some(j) = after.find(name) {
            let between = &after[..j];
            if between
                .chars()
                .all(|c| matches!(c, '-' | ' ' | '\t' | '\'' | '"'))
            {
                return Some(start..start + 2 + j + name.len());
            }
        }
        from = start + 2;
    }
    None
}

/// Splits the text token that holds the keyword into keyword and rest.
fn split_keyword_token(tokens: &mut Vec<Token>, kw: TextRange) {
    if kw.is_empty() {
        return;
    }
    let Some(i) = tokens.iter().position(|t| {
        t.kind == TokenKind::Text && t.range.start <= kw.start && kw.end <= t.range.end
    }) else {
        return;
    };
    let t = tokens[i].range;
    let mut parts = Vec::with_capacity(3);
    if t.start < kw.start {
        parts.push(Token {
            kind: TokenKind::Text,
            range: TextRange::new(t.start(), kw.start()),
        });
    }
    parts.push(Token {
        kind: TokenKind::Keyword,
        range: kw,
    });
    if kw.end < t.end {
        parts.push(Token {
            kind: TokenKind::Text,
            range: TextRange::new(kw.end(), t.end()),
        });
    }
    tokens.splice(i..=i, parts);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn continuation_rules() {
        assert_eq!(continuation_at("RUN a \\", '\\'), Some(6));
        assert_eq!(continuation_at("RUN a \\  \t", '\\'), Some(6));
        assert_eq!(continuation_at("\\", '\\'), Some(0));
        assert_eq!(continuation_at("RUN a \\\\", '\\'), None);
        assert_eq!(continuation_at("RUN a `", '`'), Some(6));
        assert_eq!(continuation_at("RUN a \\", '`'), None);
    }

    #[test]
    fn directive_lines() {
        assert_eq!(directive_line("# escape = `").unwrap().1, ("escape", "`"));
        assert_eq!(
            directive_line("#syntax=docker/dockerfile:1  ").unwrap().1,
            ("syntax", "docker/dockerfile:1")
        );
        assert!(directive_line("# escape=").is_err());
        assert!(directive_line("# 1x=y").is_err());
    }

    #[test]
    fn tree_tiles_the_source() {
        let src = "# syntax=x\n\nFROM a \\\n  # c\n\n  AS b\nRUN <<EOF\nbody\nEOF\n";
        let p = parse(src);
        assert_eq!(p.tree.print(), src);
        let mut at = 0;
        for item in &p.tree.items {
            assert_eq!(item.range().start(), at);
            at = item.range().end();
        }
        assert_eq!(at, src.len());
    }
}
