//! BuildKit-compatible shell-word expansion.
//!
//! Dockerfile instructions such as `ENV`, `COPY`, `WORKDIR` and `FROM` expand
//! `$VAR` and `${VAR…}` and remove quotes with a small shell-like lexer. This
//! module reimplements that lexer (BuildKit's `frontend/dockerfile/shell`)
//! so the results match BuildKit byte for byte, including its quirks.
//!
//! ```
//! use std::collections::HashMap;
//! use slipway::syntax::shell::Lexer;
//!
//! let env = HashMap::from([("NAME".to_owned(), "world".to_owned())]);
//! let lexer = Lexer::new('\\');
//! let out = lexer.process_word(r#"hello" ${NAME}"${MISSING:-!}"#, &env).unwrap();
//! assert_eq!(out.value, "hello world!");
//! assert_eq!(out.used.matched, ["NAME"]);
//! assert_eq!(out.used.unmatched, ["MISSING"]);
//! ```
//!
//! # Rules
//!
//! * `'…'` is literal. In `"…"` only `$` expands, and the escape character
//!   only escapes `"`, `$` and itself. Outside quotes the escape character
//!   escapes anything; a trailing lone escape character is dropped. Missing
//!   closing quotes are errors.
//! * `$name` takes letters, digits and `_`. A leading digit takes the whole
//!   digit run (a positional parameter) and `@ * # ? - $ ! 0` are special
//!   parameters; such names are looked up like any other, and a Dockerfile
//!   environment never defines them, so they expand to nothing. `$` before
//!   anything else is literal.
//! * `${v}`, `${v-w}`, `${v:-w}`, `${v+w}`, `${v:+w}`, `${v?w}`, `${v:?w}`,
//!   `${v#p}`, `${v##p}`, `${v%p}`, `${v%%p}`, `${v/p/r}` and `${v//p/r}`.
//!   Operands may contain quotes and further expansions, and are always
//!   parsed, even when the value makes them irrelevant. `#`/`%`/`/`
//!   operands keep their escape characters so the pattern can use `\*`,
//!   `\?`, `\\`, `\}` and `\/`; `?` is one character and `*` any run, neither
//!   matching a newline, and there are no `[...]` classes. Everything else (`${v=w}`, `${v:=w}`, `${v:1}`, `${#v}`,
//!   `${}`, `${.}`, …) is an error. Command substitution is not supported:
//!   backticks and `$(` are literal text.
//! * Variable names are case-sensitive.
//!
//! # Limits (slipway's, not BuildKit's)
//!
//! Substitutions nest at most [`MAX_NESTING`] levels deep, and a word
//! expands to at most [`MAX_EXPANSION`] bytes. BuildKit has neither: a word
//! that grows at every level (`${v//…/${v//…/…}}` with an empty pattern,
//! or a variable repeated until it is gigabytes long) exhausts its memory,
//! where slipway reports an error at the substitution.
//!
//! # Word splitting
//!
//! [`Lexer::process_words`] splits on whitespace that comes from unquoted
//! text or unquoted expansions; quoted and escaped whitespace does not split,
//! and empty words (such as `""`) are dropped. `<<` and the blanks after it
//! stay attached to the next word. One upstream quirk is kept for parity:
//! text collected for the current word is discarded when an operator
//! substitution starts, so `8${X:-0}` splits to `["0"]`, not `["80"]`.

mod error;
mod lexer;
mod pattern;
mod unicode;

use std::borrow::Borrow;
use std::collections::{BTreeMap, HashMap};
use std::hash::{BuildHasher, Hash};
use std::marker::PhantomData;

pub use error::{MAX_EXPANSION, MAX_NESTING, ShellError};

/// Where variable values come from.
pub trait Env {
    /// The value of `name`, or `None` if it is not set. Set-but-empty is
    /// `Some("")`.
    fn lookup(&self, name: &str) -> Option<&str>;
}

impl<T: Env + ?Sized> Env for &T {
    fn lookup(&self, name: &str) -> Option<&str> {
        (**self).lookup(name)
    }
}

impl<K, V, S> Env for HashMap<K, V, S>
where
    K: Borrow<str> + Hash + Eq,
    V: AsRef<str>,
    S: BuildHasher,
{
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(AsRef::as_ref)
    }
}

impl<K: Borrow<str> + Ord, V: AsRef<str>> Env for BTreeMap<K, V> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name).map(AsRef::as_ref)
    }
}

/// Ordered `(name, value)` pairs; a later pair overrides an earlier one.
impl<K: AsRef<str>, V: AsRef<str>> Env for [(K, V)] {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.iter()
            .rev()
            .find(|(k, _)| k.as_ref() == name)
            .map(|(_, v)| v.as_ref())
    }
}

impl<K: AsRef<str>, V: AsRef<str>> Env for Vec<(K, V)> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.as_slice().lookup(name)
    }
}

impl<K: AsRef<str>, V: AsRef<str>, const N: usize> Env for [(K, V); N] {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.as_slice().lookup(name)
    }
}

/// An environment where nothing is set.
#[derive(Clone, Copy, Debug, Default)]
pub struct EmptyEnv;

impl Env for EmptyEnv {
    fn lookup(&self, _: &str) -> Option<&str> {
        None
    }
}

/// Adapts a closure to [`Env`]:
/// `EnvFn::new(|name| table.get(name).copied())`. The closure returns
/// values borrowed for `'v`, which must outlive the adapter.
#[derive(Clone, Copy, Debug)]
pub struct EnvFn<'v, F> {
    f: F,
    _values: PhantomData<&'v str>,
}

impl<'v, F: Fn(&str) -> Option<&'v str>> EnvFn<'v, F> {
    pub fn new(f: F) -> Self {
        Self {
            f,
            _values: PhantomData,
        }
    }
}

impl<'v, F: Fn(&str) -> Option<&'v str>> Env for EnvFn<'v, F> {
    fn lookup(&self, name: &str) -> Option<&str> {
        (self.f)(name)
    }
}

/// Lexer settings. Mirrors the fields of BuildKit's `shell.Lex`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Options {
    /// The escape character: `\` (default) or `` ` `` (`# escape=`` ` ``).
    pub escape: char,
    /// Leave `$name`, `${name}` and `${name<op>word}` as text when `name` is
    /// unset (operands are still processed). Used for step names.
    pub skip_unset_env: bool,
    /// Keep quote characters in the output.
    pub raw_quotes: bool,
    /// Keep escape characters in the output.
    pub raw_escapes: bool,
    /// Treat quotes as ordinary characters (COPY/ADD heredoc bodies; the
    /// caller should also use `\` as the escape character there).
    pub skip_process_quotes: bool,
}

impl Default for Options {
    fn default() -> Self {
        Self {
            escape: '\\',
            skip_unset_env: false,
            raw_quotes: false,
            raw_escapes: false,
            skip_process_quotes: false,
        }
    }
}

/// Which variable names an input looked up, each listed once in the order
/// first referenced: `matched` were set (possibly empty), `unmatched` were not.
///
/// Names inside operands count even when the operand is not used
/// (`${A:-$B}` with `A` set still lists `B`). A substitution without a name,
/// such as `${+x}`, looks up the empty name.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Vars {
    pub matched: Vec<String>,
    pub unmatched: Vec<String>,
}

/// The result of [`Lexer::process_word`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Expansion {
    pub value: String,
    pub used: Vars,
}

/// The result of [`Lexer::process_words`].
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct WordsExpansion {
    pub words: Vec<String>,
    pub used: Vars,
}

/// The shell-word lexer. Cheap to construct and `Sync`; it holds only
/// [`Options`].
#[derive(Clone, Copy, Debug, Default)]
pub struct Lexer {
    opts: Options,
}

impl Lexer {
    /// A lexer with the given escape character and default options.
    pub fn new(escape: char) -> Self {
        Self::with_options(Options {
            escape,
            ..Options::default()
        })
    }

    pub fn with_options(opts: Options) -> Self {
        Self { opts }
    }

    pub fn options(&self) -> Options {
        self.opts
    }

    /// Expand one word without splitting it (BuildKit `ProcessWord`).
    pub fn process_word(&self, input: &str, env: &dyn Env) -> Result<Expansion, ShellError> {
        let out = lexer::Expander::new(input, self.opts, env, false).run()?;
        Ok(Expansion {
            value: out.value,
            used: out.used,
        })
    }

    /// Expand, then split into words (BuildKit `ProcessWords`).
    pub fn process_words(&self, input: &str, env: &dyn Env) -> Result<WordsExpansion, ShellError> {
        let out = lexer::Expander::new(input, self.opts, env, true).run()?;
        Ok(WordsExpansion {
            words: out.words,
            used: out.used,
        })
    }

    /// The variable names `input` refers to, in order, without an
    /// environment: the input is processed with nothing set and
    /// `skip_unset_env` on, so `${v:?}` and bad patterns do not fail, but
    /// syntax errors still do.
    pub fn referenced_vars(&self, input: &str) -> Result<Vec<String>, ShellError> {
        let opts = Options {
            skip_unset_env: true,
            ..self.opts
        };
        let out = lexer::Expander::new(input, opts, &EmptyEnv, false).run()?;
        Ok(out.used.unmatched)
    }
}
