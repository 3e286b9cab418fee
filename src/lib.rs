//! Slipway: a Dockerfile compiler.
//!
//! Data flows one way: text -> [`syntax`] (lossless tree, typed instructions,
//! shell-word expansion) -> IR -> LLB -> BuildKit or the native solver.
//! Each layer depends only on the ones before it.

pub mod diagnostics;
pub mod proto;
pub mod syntax;
pub mod text;
