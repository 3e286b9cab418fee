//! Slipway: a Dockerfile compiler.
//!
//! Data flows one way: text -> [`syntax`] (lossless tree, typed instructions,
//! shell-word expansion) -> IR -> LLB -> BuildKit or the native solver.
//! Each layer depends only on the ones before it.

pub mod buildkit;
pub mod compile;
pub mod diagnostics;
pub mod frontend;
pub mod ir;
pub mod lint;
pub mod llb;
pub mod proto;
pub mod syntax;
pub mod tempdir;
pub mod text;
