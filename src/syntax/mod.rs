//! The Dockerfile syntax layer: source text to a lossless, spanned tree.
//!
//! - [`parser`] turns text into a [`tree::SyntaxTree`], the lossless tree of
//!   directives, trivia and instruction nodes that BuildKit's parser package
//!   would produce, and never fails: it returns the tree and diagnostics.
//! - [`dump`] prints a tree in BuildKit's parser test format.
//! - [`shell`] expands variables in words like BuildKit's shell lexer.
//!
//! Architecture invariant: nothing here does I/O or knows about the IR, LLB
//! or BuildKit's wire protocol.

pub mod codes;
pub mod dump;
pub mod instructions;
pub mod parser;
pub mod shell;
pub mod tree;

/// Byte ranges and line index, shared by every layer (see [`crate::text`]).
pub use crate::text;
pub use parser::{Parse, decode, parse};
