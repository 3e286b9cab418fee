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
    /// Build an image: compile the Dockerfile and drive a BuildKit daemon
    /// (a buildkitd, or a Docker engine's) as its client.
    Build(Box<BuildCommandArgs>),
    /// Show the daemon's build cache usage.
    Du(DaemonArgs),
    /// Remove build cache from the daemon.
    Prune(PruneArgs),
}

/// How to reach the daemon; shared by every command that talks to one.
#[derive(Debug, clap::Args)]
pub struct DaemonArgs {
    /// The daemon: `unix://PATH` or `tcp://HOST:PORT` (buildkitd),
    /// `docker://` or `docker+unix://PATH` (a Docker engine). Default:
    /// `BUILDKIT_HOST`, else the Docker engine at `DOCKER_HOST`, else
    /// `/var/run/docker.sock`.
    #[arg(long, value_name = "ADDRESS")]
    pub addr: Option<String>,

    /// CA certificate for a `tcp://` buildkitd.
    #[arg(long, value_name = "FILE")]
    pub tls_ca: Option<PathBuf>,

    /// Client certificate for a `tcp://` buildkitd.
    #[arg(long, value_name = "FILE")]
    pub tls_cert: Option<PathBuf>,

    /// Client key for a `tcp://` buildkitd.
    #[arg(long, value_name = "FILE")]
    pub tls_key: Option<PathBuf>,

    /// The name the daemon's certificate must carry (default: its host).
    #[arg(long, value_name = "NAME")]
    pub tls_server_name: Option<String>,
}

#[derive(Debug, clap::Args)]
pub struct PruneArgs {
    #[command(flatten)]
    pub daemon: DaemonArgs,

    /// Remove all cache, not only unused internal records.
    #[arg(short, long)]
    pub all: bool,

    /// Keep cache used more recently than this (`24h`, `30m`, `90s`).
    #[arg(long, value_name = "DURATION")]
    pub keep_duration: Option<String>,

    /// A BuildKit prune filter (`type==regular`, `id==…`). Repeatable.
    #[arg(long = "filter", value_name = "FILTER")]
    pub filters: Vec<String>,
}

#[derive(Debug, clap::Args)]
pub struct BuildCommandArgs {
    #[command(flatten)]
    pub build: BuildArgs,

    #[command(flatten)]
    pub daemon: DaemonArgs,

    /// Image name, `NAME[:TAG]`. Repeatable.
    #[arg(short = 't', long = "tag", value_name = "NAME")]
    pub tags: Vec<String>,

    /// A secret for `RUN --mount=type=secret`: `id=ID,src=FILE` or
    /// `id=ID,env=VAR`. Repeatable.
    #[arg(long = "secret", value_name = "SPEC")]
    pub secrets: Vec<String>,

    /// An SSH agent for `RUN --mount=type=ssh`: `default`,
    /// `default=SOCKET` or `ID=SOCKET`. Repeatable.
    #[arg(long = "ssh", value_name = "SPEC")]
    pub ssh: Vec<String>,

    /// Build without the cache.
    #[arg(long)]
    pub no_cache: bool,

    /// Build these stages without the cache. Repeatable.
    #[arg(long = "no-cache-filter", value_name = "STAGE")]
    pub no_cache_filter: Vec<String>,

    /// Import cache: `type=local,src=DIR`, `type=registry,ref=REF`, or a
    /// bare image reference. Repeatable.
    #[arg(long = "cache-from", value_name = "SPEC")]
    pub cache_from: Vec<String>,

    /// Export cache: `type=local,dest=DIR`, `type=inline`,
    /// `type=registry,ref=REF`. Repeatable.
    #[arg(long = "cache-to", value_name = "SPEC")]
    pub cache_to: Vec<String>,

    /// Where the result goes: `type=image,name=…[,push=true]`,
    /// `type=oci,dest=FILE`, `type=docker,dest=FILE`, `type=local,dest=DIR`,
    /// `type=tar,dest=FILE`; a bare `DIR` means `type=local,dest=DIR` and
    /// `-` a tar on standard output. Repeatable.
    #[arg(short = 'o', long = "output", value_name = "SPEC")]
    pub outputs: Vec<String>,

    /// Load the image into the Docker engine's image store.
    #[arg(long)]
    pub load: bool,

    /// Push the image to its registry (`type=image,push=true`).
    #[arg(long)]
    pub push: bool,

    /// An OCI annotation, `KEY=VALUE` (`manifest:KEY=VALUE` and other
    /// buildx prefixes are passed through). Repeatable.
    #[arg(long = "annotation", value_name = "KEY=VALUE")]
    pub annotations: Vec<String>,

    /// Write the image ID to this file.
    #[arg(long, value_name = "FILE")]
    pub iidfile: Option<PathBuf>,

    /// Write the build's result metadata as JSON to this file.
    #[arg(long, value_name = "FILE")]
    pub metadata_file: Option<PathBuf>,

    /// Network mode for RUN: `default`, `none` or `host`.
    #[arg(long, value_name = "MODE")]
    pub network: Option<String>,

    /// An extra `/etc/hosts` entry for RUN, `HOST:IP`. Repeatable.
    #[arg(long = "add-host", value_name = "HOST:IP")]
    pub add_hosts: Vec<String>,

    /// Extra privileges: `network.host`, `security.insecure`. Repeatable.
    #[arg(long = "allow", value_name = "ENTITLEMENT")]
    pub allow: Vec<String>,

    /// Size of `/dev/shm` for RUN (`64m`).
    #[arg(long, value_name = "SIZE")]
    pub shm_size: Option<String>,

    /// A ulimit for RUN, `NAME=SOFT[:HARD]`. Repeatable.
    #[arg(long = "ulimit", value_name = "LIMIT")]
    pub ulimits: Vec<String>,

    /// How to show progress.
    #[arg(long, value_enum, default_value_t = ProgressChoice::Auto)]
    pub progress: ProgressChoice,

    /// Print only the image ID (progress off).
    #[arg(short, long)]
    pub quiet: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum ProgressChoice {
    /// `tty` on a terminal, else `plain`.
    Auto,
    /// A live view of the running steps.
    Tty,
    /// One line per event, like buildx's plain progress.
    Plain,
    /// The daemon's status messages as JSON lines.
    Rawjson,
    /// Nothing.
    Quiet,
}

#[derive(Clone, Debug, clap::Args)]
pub struct LintArgs {
    /// Dockerfiles, or directories searched for `Dockerfile`,
    /// `*.Dockerfile`, `Dockerfile.*` and `Containerfile`; `-` reads
    /// standard input. Default: the current directory.
    #[arg(value_name = "PATH")]
    pub paths: Vec<PathBuf>,

    /// How to print findings.
    #[arg(long, value_enum, default_value_t = LintFormat::Tty)]
    pub format: LintFormat,

    /// The settings file to use for every file, instead of the nearest
    /// `slipway.toml` found upward from each one.
    #[arg(long, value_name = "FILE")]
    pub config: Option<PathBuf>,

    /// Which findings fail the run (exit code 1), overriding the settings'
    /// `failure-threshold`: `error`, `warning` (the default) or `none`.
    #[arg(long, value_enum, value_name = "LEVEL")]
    pub failure_threshold: Option<LintThreshold>,

    /// Do not run ShellCheck on RUN scripts (it runs when installed).
    #[arg(long)]
    pub no_shellcheck: bool,

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
    /// A SARIF 2.1.0 log (GitHub code scanning and other tools).
    Sarif,
    /// Checkstyle XML.
    Checkstyle,
    /// GitHub Actions workflow commands (annotations).
    Github,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum LintThreshold {
    /// Only errors fail.
    Error,
    /// Warnings and errors fail.
    Warning,
    /// No finding fails.
    None,
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
