//! Every flag of the command line, defined once, documented where it is
//! defined (the doc comments are the `--help` text).

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};

/// Slipway compiles Dockerfiles into BuildKit's low-level build graph (LLB).
#[derive(Debug, Parser)]
#[command(name = "slipway", version, about, propagate_version = true)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Parse a Dockerfile and print its syntax tree.
    Parse(ParseArgs),
}

#[derive(Debug, clap::Args)]
pub struct ParseArgs {
    /// The Dockerfile to read; `-` (the default) reads standard input.
    #[arg(value_name = "FILE|-", default_value = "-")]
    pub file: PathBuf,

    /// What to print.
    #[arg(long, value_enum, default_value_t = ParseFormat::Json)]
    pub format: ParseFormat,

    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ParseFormat {
    /// The typed instructions with byte ranges, as JSON; fails on any
    /// instruction error, as BuildKit's instruction parser does.
    Json,
    /// The raw node tree in BuildKit's parser test format; fails only on
    /// syntax errors.
    Dump,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ColorChoice {
    Auto,
    Always,
    Never,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parse_defaults_to_stdin_and_json() {
        let cli = Cli::try_parse_from(["slipway", "parse"]).unwrap();
        let Command::Parse(a) = cli.command;
        assert_eq!(a.file, PathBuf::from("-"));
        assert_eq!(a.format, ParseFormat::Json);
    }

    #[test]
    fn parse_accepts_dump_format() {
        let cli =
            Cli::try_parse_from(["slipway", "parse", "Dockerfile", "--format", "dump"]).unwrap();
        let Command::Parse(a) = cli.command;
        assert_eq!(a.format, ParseFormat::Dump);
        assert!(Cli::try_parse_from(["slipway", "parse", "--format", "yaml"]).is_err());
    }
}
