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
    /// Compile a Dockerfile to LLB (what `buildctl build` reads on stdin).
    Compile(CompileArgs),
    /// Print the build args, secrets and SSH sockets a target uses, as
    /// BuildKit's `--call=outline` JSON.
    Outline(BuildArgs),
    /// Print the stages of a Dockerfile, as BuildKit's `--call=targets`
    /// JSON.
    Targets(BuildArgs),
    /// Run slipway as a BuildKit frontend, or package it as a frontend image.
    #[command(subcommand)]
    Frontend(FrontendCommand),
    /// Check Dockerfiles with BuildKit's build checks.
    Lint(LintArgs),
}

#[derive(Debug, clap::Args)]
pub struct LintArgs {
    /// Dockerfiles, or directories searched for `Dockerfile`,
    /// `*.Dockerfile`, `Dockerfile.*` and `Containerfile`; `-` reads
    /// standard input. Default: the current directory.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// How to print findings.
    #[arg(long, value_enum, default_value_t = LintFormat::Tty)]
    pub format: LintFormat,

    /// Print a rule's documentation (by kebab name, BuildKit name or id)
    /// and exit.
    #[arg(long, value_name = "RULE")]
    pub explain: Option<String>,

    /// List every rule and exit.
    #[arg(long)]
    pub list_rules: bool,

    /// A `check=` value replacing each file's `# check=` directive, like
    /// the `BUILDKIT_DOCKERFILE_CHECK` build argument (`skip=all`,
    /// `skip=A,B;error=true`).
    #[arg(long, value_name = "CHECK")]
    pub check: Option<String>,

    /// When to colour the tty output.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,

    /// Apply the safe mechanical fixes to the files in place.
    #[arg(long)]
    pub fix: bool,

    /// Print the fixes as a unified diff instead of writing them.
    #[arg(long)]
    pub diff: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LintFormat {
    /// Findings with their source snippets.
    Tty,
    /// One JSON object per finding, one per line.
    Json,
}

#[derive(Debug, Subcommand)]
pub enum FrontendCommand {
    /// Answer one build over stdin/stdout as BuildKit's gateway frontend.
    ///
    /// This is what the frontend image runs; BuildKit supplies the options
    /// in the environment. Started with no arguments and BuildKit's
    /// environment variables, slipway does this on its own.
    Serve,
    /// Package this slipway binary as a frontend image and load it into the
    /// Docker engine at DOCKER_HOST (use it with `# syntax=<tag>` or
    /// `--build-arg BUILDKIT_SYNTAX=<tag>`).
    Install(InstallArgs),
}

#[derive(Debug, clap::Args)]
pub struct InstallArgs {
    /// The image's name and tag.
    #[arg(long, value_name = "NAME:TAG", default_value = "slipway/frontend:dev")]
    pub tag: String,

    /// Write the image to FILE as an OCI image-layout tar (which `docker
    /// load` also accepts) instead of loading it into the engine.
    #[arg(long, value_name = "FILE")]
    pub output: Option<PathBuf>,
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

/// The inputs of a build, with docker/buildx flag names.
#[derive(Debug, clap::Args)]
pub struct BuildArgs {
    /// The build context directory.
    #[arg(value_name = "CONTEXT", default_value = ".")]
    pub context: PathBuf,

    /// The Dockerfile (default: CONTEXT/Dockerfile).
    #[arg(short = 'f', long = "file", value_name = "PATH")]
    pub file: Option<PathBuf>,

    /// The stage to build (default: the last one).
    #[arg(long, value_name = "STAGE")]
    pub target: Option<String>,

    /// A build arg, `NAME=VALUE`; `NAME` alone takes the value from the
    /// environment. Repeatable.
    #[arg(long = "build-arg", value_name = "NAME[=VALUE]")]
    pub build_args: Vec<String>,

    /// Target platforms, `os/arch[/variant]`, comma-separated or repeated.
    #[arg(long = "platform", value_name = "PLATFORM")]
    pub platforms: Vec<String>,

    /// A named context, `NAME=docker-image://REF`, `NAME=local:DIR`, … Repeatable.
    #[arg(long = "build-context", value_name = "NAME=SOURCE")]
    pub build_contexts: Vec<String>,

    /// A label for the image, `KEY=VALUE`. Repeatable.
    #[arg(long = "label", value_name = "KEY=VALUE")]
    pub labels: Vec<String>,

    /// When to colour diagnostics.
    #[arg(long, value_enum, default_value_t = ColorChoice::Auto)]
    pub color: ColorChoice,
}

#[derive(Debug, clap::Args)]
pub struct CompileArgs {
    #[command(flatten)]
    pub build: BuildArgs,

    /// What to print.
    #[arg(long, value_enum, default_value_t = CompileFormat::Pb)]
    pub format: CompileFormat,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum CompileFormat {
    /// The marshalled `pb.Definition` (binary; one platform only).
    Pb,
    /// A readable dump: ops by digest with decoded fields, metadata,
    /// source locations, and the image config.
    Json,
    /// A Graphviz graph of the ops.
    Dot,
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
        let Command::Parse(a) = cli.command else {
            panic!("not the parse command")
        };
        assert_eq!(a.file, PathBuf::from("-"));
        assert_eq!(a.format, ParseFormat::Json);
    }

    #[test]
    fn compile_flags() {
        let cli = Cli::try_parse_from([
            "slipway",
            "compile",
            "ctx",
            "-f",
            "x.Dockerfile",
            "--target",
            "t",
            "--build-arg",
            "A=1",
            "--build-arg",
            "B",
            "--platform",
            "linux/amd64,linux/arm64",
            "--build-context",
            "base=docker-image://alpine",
            "--format",
            "json",
        ])
        .unwrap();
        let Command::Compile(a) = cli.command else {
            panic!("not the compile command")
        };
        assert_eq!(a.build.context, PathBuf::from("ctx"));
        assert_eq!(a.build.file, Some(PathBuf::from("x.Dockerfile")));
        assert_eq!(a.build.build_args, ["A=1", "B"]);
        assert_eq!(a.format, CompileFormat::Json);
        let cli = Cli::try_parse_from(["slipway", "targets"]).unwrap();
        let Command::Targets(a) = cli.command else {
            panic!("not the targets command")
        };
        assert_eq!(a.context, PathBuf::from("."));
        assert!(Cli::try_parse_from(["slipway", "compile", "--format", "yaml"]).is_err());
    }

    #[test]
    fn parse_accepts_dump_format() {
        let cli =
            Cli::try_parse_from(["slipway", "parse", "Dockerfile", "--format", "dump"]).unwrap();
        let Command::Parse(a) = cli.command else {
            panic!("not the parse command")
        };
        assert_eq!(a.format, ParseFormat::Dump);
        assert!(Cli::try_parse_from(["slipway", "parse", "--format", "yaml"]).is_err());
    }

    #[test]
    fn frontend_install_defaults_and_output() {
        let cli = Cli::try_parse_from(["slipway", "frontend", "install"]).unwrap();
        let Command::Frontend(FrontendCommand::Install(a)) = cli.command else {
            panic!("not frontend install")
        };
        assert_eq!(a.tag, "slipway/frontend:dev");
        assert_eq!(a.output, None);
        let cli = Cli::try_parse_from([
            "slipway", "frontend", "install", "--tag", "x/y:1", "--output", "img.tar",
        ])
        .unwrap();
        let Command::Frontend(FrontendCommand::Install(a)) = cli.command else {
            panic!("not frontend install")
        };
        assert_eq!(
            (a.tag.as_str(), a.output),
            ("x/y:1", Some(PathBuf::from("img.tar")))
        );
        let cli = Cli::try_parse_from(["slipway", "frontend", "serve"]).unwrap();
        assert!(matches!(
            cli.command,
            Command::Frontend(FrontendCommand::Serve)
        ));
        assert!(Cli::try_parse_from(["slipway", "frontend"]).is_err());
    }
}
