//! The lossless syntax tree: what the parser builds, before any instruction
//! is checked.
//!
//! The items of a [`SyntaxTree`] tile the source: every byte belongs to
//! exactly one item, and inside an instruction every byte belongs to exactly
//! one [`Token`]. Printing the tokens back gives the source byte for byte,
//! which is what a formatter, `--fix` edits and a language server need.
//!
//! On top of the tokens, each [`Node`] carries the same information as
//! BuildKit's parser node: the keyword, the raw flags, the split arguments,
//! the exec-form attribute, heredocs and the comments above it. Every piece
//! has a byte range into the source.

use serde::Serialize;

use super::text::TextRange;

/// The parse of a whole Dockerfile.
#[derive(Clone, Debug, Serialize)]
pub struct SyntaxTree {
    /// The source text the ranges point into.
    #[serde(skip)]
    pub source: String,
    /// The escape character in force (`\` unless `# escape=` says otherwise).
    pub escape: char,
    /// Parser directives found at the top, in order.
    pub directives: Vec<Directive>,
    /// Everything in the file, in order; the ranges tile `0..source.len()`.
    pub items: Vec<Item>,
}

impl SyntaxTree {
    /// The instructions in file order.
    pub fn nodes(&self) -> impl Iterator<Item = &Node> {
        self.items.iter().filter_map(|item| match item {
            Item::Instruction(n) => Some(n),
            _ => None,
        })
    }

    /// The value of a directive, by lower-case name.
    pub fn directive(&self, name: &str) -> Option<&Directive> {
        self.directives.iter().find(|d| d.name == name)
    }

    /// The text of a range of the source.
    pub fn text(&self, range: TextRange) -> &str {
        &self.source[range.as_range()]
    }

    /// Prints the tree back from its items and tokens. Equal to `source` for
    /// every input: the tree is lossless.
    pub fn print(&self) -> String {
        let mut out = String::with_capacity(self.source.len());
        for item in &self.items {
            match item {
                Item::Trivia(t) => out.push_str(self.text(t.range)),
                Item::Directive(d) => out.push_str(self.text(d.range)),
                Item::Instruction(n) => {
                    for tok in &n.tokens {
                        out.push_str(self.text(tok.range));
                    }
                }
            }
        }
        out
    }
}

/// One top-level piece of the file.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Item {
    Trivia(Trivia),
    Directive(Directive),
    Instruction(Node),
}

impl Item {
    pub fn range(&self) -> TextRange {
        match self {
            Item::Trivia(t) => t.range,
            Item::Directive(d) => d.range,
            Item::Instruction(n) => n.range,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TriviaKind {
    /// The UTF-8 byte-order mark at the very start.
    Bom,
    /// A line holding only whitespace, with its line ending.
    Blank,
    /// A line whose first non-blank character is `#`, with its line ending.
    Comment,
    /// A line that is only a line-continuation character (it joins nothing).
    Continuation,
    /// A line whose text was cut off because it was too long.
    Invalid,
}

#[derive(Clone, Debug, Serialize)]
pub struct Trivia {
    pub kind: TriviaKind,
    pub range: TextRange,
}

/// A parser directive line such as `# escape=`` ` ``.
#[derive(Clone, Debug, Serialize)]
pub struct Directive {
    /// Lower-cased name: `syntax`, `escape` or `check`.
    pub name: String,
    pub value: String,
    /// The whole line, line ending included.
    pub range: TextRange,
    pub name_range: TextRange,
    pub value_range: TextRange,
}

/// A piece of text with its range in the source. For text assembled from
/// several physical lines the range runs from its first to its last byte.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Spanned {
    pub value: String,
    pub range: TextRange,
}

impl Spanned {
    pub fn new(value: impl Into<String>, range: TextRange) -> Self {
        Self {
            value: value.into(),
            range,
        }
    }
}

/// One instruction as BuildKit's parser sees it: keyword, raw flags and split
/// arguments, without checking what the instruction accepts.
#[derive(Clone, Debug, Serialize)]
pub struct Node {
    /// From the first byte of the instruction through the line ending of its
    /// last line (heredoc bodies included). For a node nested in `ONBUILD`,
    /// the range of the nested text.
    pub range: TextRange,
    /// The instruction keyword as written (case kept).
    pub keyword: Spanned,
    /// Leading `--flags`, quotes removed, as BuildKit's parser keeps them
    /// (`--platform=linux/amd64`).
    pub flags: Vec<Spanned>,
    /// The split arguments (the per-keyword rules of BuildKit's parser).
    pub args: Args,
    /// True when the arguments came from a JSON array (exec form).
    pub json: bool,
    /// Heredocs introduced on the instruction line, in order.
    pub heredocs: Vec<Heredoc>,
    /// The logical line: continuation lines joined, comments dropped.
    pub original: String,
    /// Comments directly above the instruction (`#` removed, trimmed).
    pub comments: Vec<String>,
    /// True when the parser reported an error for this node (its arguments
    /// are then empty); later layers skip it instead of reporting again.
    pub broken: bool,
    /// The tokens that tile `range` (empty for nested nodes, whose text is
    /// part of the parent's tokens).
    pub tokens: Vec<Token>,
}

impl Node {
    /// The keyword in lower case, as used for dispatch.
    pub fn name(&self) -> String {
        self.keyword.value.to_lowercase()
    }

    /// The argument strings, flattened as BuildKit's instruction parser sees
    /// them (for `ONBUILD`, the nested keyword followed by its arguments).
    pub fn arg_values(&self) -> Vec<&str> {
        match &self.args {
            Args::List(list) => list.iter().map(|a| a.value.as_str()).collect(),
            Args::Nested(n) => {
                let mut v = vec![n.keyword.value.as_str()];
                v.extend(n.arg_values());
                v
            }
        }
    }
}

/// The arguments of a node: a flat list, or (`ONBUILD`) a nested instruction.
#[derive(Clone, Debug, Serialize)]
#[serde(tag = "kind", content = "value", rename_all = "snake_case")]
pub enum Args {
    List(Vec<Spanned>),
    Nested(Box<Node>),
}

impl Args {
    pub fn list(&self) -> &[Spanned] {
        match self {
            Args::List(l) => l,
            Args::Nested(_) => &[],
        }
    }
}

/// A heredoc: `<<EOF` on the instruction line and its body below.
#[derive(Clone, Debug, Serialize)]
pub struct Heredoc {
    /// The delimiter with quotes removed.
    pub name: String,
    /// False when the delimiter was quoted: the body is used verbatim.
    pub expand: bool,
    /// True for `<<-`: leading tabs are removed when the body is used.
    pub chomp: bool,
    /// The file descriptor number in `3<<EOF` (0 when not given).
    pub fd: u32,
    /// The body, exactly as in the file (line endings kept).
    pub content: String,
    /// Where the body is: from its first line to the end of its last line.
    pub body_range: TextRange,
    /// The terminator line, line ending included.
    pub terminator_range: TextRange,
}

/// The kinds of token an instruction is made of.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum TokenKind {
    /// Spaces and tabs (and other Unicode blanks) at the start of a line.
    Indent,
    /// The instruction keyword.
    Keyword,
    /// Flags and arguments: the rest of a line's text.
    Text,
    /// The line-continuation character and the blanks after it.
    Continuation,
    /// `\n` or `\r\n`.
    Newline,
    /// A comment line inside a continued instruction (without its newline).
    Comment,
    /// A blank line inside a continued instruction (without its newline).
    EmptyContinuation,
    /// A heredoc body line (with its newline).
    HeredocBody,
    /// A heredoc terminator line (without its newline).
    HeredocEnd,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
pub struct Token {
    pub kind: TokenKind,
    pub range: TextRange,
}
