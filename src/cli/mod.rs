//! Command-line entry: parses arguments, runs a command, maps the outcome to
//! an exit code.
//!
//! Exit codes, for every command: 0 success, 1 the input has errors (or
//! findings), 2 usage or I/O error. Only this module renders `miette`
//! reports; the library hands back plain diagnostics.

mod args;
mod build;
mod compile;
mod fix;
mod frontend;
mod lint;
mod parse;
mod render;

use std::process::ExitCode;

use clap::Parser as _;

pub use args::{Cli, Command};

/// What a command ended with.
pub enum Outcome {
    /// Done, nothing wrong.
    Ok,
    /// The input had errors; they have been reported.
    Errors,
    /// Stopped by Ctrl-C.
    Interrupted,
}

/// A failure that is not about the input's content: bad usage, I/O.
#[derive(Debug)]
pub struct Fatal(pub String);

impl<E: std::fmt::Display> From<E> for Fatal {
    fn from(e: E) -> Self {
        Fatal(e.to_string())
    }
}

pub fn main() -> ExitCode {
    if let Some(code) = frontend::serve_if_started_by_buildkit() {
        return code;
    }
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { 2 } else { 0 });
        }
    };
    let result = match cli.command {
        Command::Parse(a) => parse::run(&a),
        Command::Compile(a) => compile::run(&a),
        Command::Outline(a) => compile::outline(&a),
        Command::Targets(a) => compile::targets(&a),
        Command::Frontend(c) => frontend::run(&c),
        Command::Lint(a) => lint::run(&a),
        Command::Build(a) => build::run(&a),
        Command::Du(a) => build::du(&a),
        Command::Prune(a) => build::prune(&a),
    };
    match result {
        Ok(Outcome::Ok) => ExitCode::SUCCESS,
        Ok(Outcome::Errors) => ExitCode::from(1),
        Ok(Outcome::Interrupted) => ExitCode::from(130),
        Err(Fatal(msg)) => {
            eprintln!("slipway: {msg}");
            ExitCode::from(2)
        }
    }
}
