//! Errors from shell-word expansion.
//!
//! Every error carries the byte range in the input word where the problem is,
//! so callers can map it onto a Dockerfile span. Messages keep BuildKit's
//! wording (without its `failed to process "<word>":` prefix, which the IR
//! adds with `plan::process_error`) because users search for them.

use std::ops::Range;

use miette::Diagnostic;
use thiserror::Error;

/// The deepest `${a:-${b:-…}}` nesting accepted before giving up.
pub const MAX_NESTING: usize = 64;

/// The longest expansion of one word, in bytes. BuildKit has no limit
/// (and runs out of memory on words that double at every step, such as
/// nested `${v//…/…}` with an empty pattern); slipway reports an error.
pub const MAX_EXPANSION: usize = 4 << 20;

/// Why a word could not be expanded.
#[derive(Clone, Debug, PartialEq, Eq, Error, Diagnostic)]
pub enum ShellError {
    /// A `'` or `"` with no closing quote. The range runs from the opening
    /// quote to the end of the input.
    #[error("unexpected end of statement while looking for matching {}", quote_name(*quote))]
    #[diagnostic(code("slipway::shell::unterminated-quote"))]
    UnterminatedQuote {
        quote: char,
        #[label("quote opened here")]
        range: Range<usize>,
    },

    /// `${` with no closing `}`. The range runs from the `$` to the end of
    /// the input.
    #[error("syntax error: missing '}}'")]
    #[diagnostic(code("slipway::shell::missing-brace"))]
    MissingBrace {
        #[label("substitution opened here")]
        range: Range<usize>,
    },

    /// `${v/pattern` or `${v//pattern` with no `/` ending the pattern.
    #[error("syntax error: missing '/' in ${{}}")]
    #[diagnostic(code("slipway::shell::missing-slash"))]
    MissingSlash {
        #[label("substitution opened here")]
        range: Range<usize>,
    },

    /// `${}`, `${:…}` or `${{…}`. The range covers `${` and the offending
    /// character.
    #[error("syntax error: bad substitution")]
    #[diagnostic(code("slipway::shell::bad-substitution"))]
    BadSubstitution {
        #[label("no variable name here")]
        range: Range<usize>,
    },

    /// An operator BuildKit does not implement: `${v=w}`, `${v:=w}`,
    /// `${v:offset}`, `${#v}`, `${.}`, `${v:#p}`, … The range covers the
    /// modifier characters.
    #[error("unsupported modifier ({modifier}) in substitution")]
    #[diagnostic(
        code("slipway::shell::unsupported-modifier"),
        help(
            "supported forms: ${{v}} ${{v:-w}} ${{v-w}} ${{v:+w}} ${{v+w}} ${{v:?w}} ${{v?w}} ${{v#p}} ${{v##p}} ${{v%p}} ${{v%%p}} ${{v/p/r}} ${{v//p/r}}"
        )
    )]
    UnsupportedModifier {
        modifier: String,
        #[label("unsupported")]
        range: Range<usize>,
    },

    /// `${v?msg}` with `v` unset, or `${v:?msg}` with `v` unset or empty.
    /// `message` is the user's text, or BuildKit's default. The range covers
    /// the whole `${…}`.
    #[error("{name}: {message}")]
    #[diagnostic(code("slipway::shell::unset-variable"))]
    UnsetVariable {
        name: String,
        message: String,
        #[label("required here")]
        range: Range<usize>,
    },

    /// A `#`, `%` or `/` pattern with a bad escape such as `\x`. `pattern` is
    /// the pattern as BuildKit reports it (reversed for `%` and `%%`). The
    /// range covers the pattern text.
    #[error("invalid pattern ({pattern}) in substitution: {reason}")]
    #[diagnostic(code("slipway::shell::invalid-pattern"))]
    InvalidPattern {
        pattern: String,
        reason: String,
        #[label("in this pattern")]
        range: Range<usize>,
    },

    /// More than [`MAX_NESTING`] substitutions inside one another. The range
    /// covers the `${` that went one level too deep.
    #[error("substitutions nested more than {limit} levels deep")]
    #[diagnostic(code("slipway::shell::nesting-too-deep"))]
    NestingTooDeep {
        limit: usize,
        #[label("too deep")]
        range: Range<usize>,
    },

    /// A word that expands to more than [`MAX_EXPANSION`] bytes. The range
    /// covers the substitution that went over.
    #[error("expansion longer than {limit} bytes")]
    #[diagnostic(code("slipway::shell::expansion-too-large"))]
    ExpansionTooLarge {
        limit: usize,
        #[label("expands too far")]
        range: Range<usize>,
    },
}

impl ShellError {
    /// The byte range within the input word where the problem is.
    pub fn range(&self) -> Range<usize> {
        match self {
            Self::UnterminatedQuote { range, .. }
            | Self::MissingBrace { range }
            | Self::MissingSlash { range }
            | Self::BadSubstitution { range }
            | Self::UnsupportedModifier { range, .. }
            | Self::UnsetVariable { range, .. }
            | Self::InvalidPattern { range, .. }
            | Self::NestingTooDeep { range, .. }
            | Self::ExpansionTooLarge { range, .. } => range.clone(),
        }
    }

    /// The stable diagnostic code, e.g. `slipway::shell::missing-brace`.
    pub fn code(&self) -> &'static str {
        match self {
            Self::UnterminatedQuote { .. } => "slipway::shell::unterminated-quote",
            Self::MissingBrace { .. } => "slipway::shell::missing-brace",
            Self::MissingSlash { .. } => "slipway::shell::missing-slash",
            Self::BadSubstitution { .. } => "slipway::shell::bad-substitution",
            Self::UnsupportedModifier { .. } => "slipway::shell::unsupported-modifier",
            Self::UnsetVariable { .. } => "slipway::shell::unset-variable",
            Self::InvalidPattern { .. } => "slipway::shell::invalid-pattern",
            Self::NestingTooDeep { .. } => "slipway::shell::nesting-too-deep",
            Self::ExpansionTooLarge { .. } => "slipway::shell::expansion-too-large",
        }
    }
}

fn quote_name(quote: char) -> &'static str {
    if quote == '\'' {
        "single-quote"
    } else {
        "double-quote"
    }
}
