//! Typed instructions: the syntax tree's raw nodes checked and turned into
//! one struct per Dockerfile instruction, grouped into build stages, with
//! the semantics of BuildKit's instruction parser (`instructions.Parse`).
//!
//! [`parse_instructions`] takes a [`SyntaxTree`] and returns a [`Dockerfile`]
//! plus diagnostics. It never fails: an instruction with an error is left
//! out, and the next one is checked, so one run reports every independent
//! problem. Values stay as written (quotes kept, variables unexpanded);
//! expanding them is the IR's job. Only what BuildKit validates while parsing
//! is validated here: flag syntax, the bool flags, `RUN --network`,
//! `--security` and `--device`, the unexpanded syntax of `RUN --mount`
//! ([`mount::check_unexpanded`]), the HEALTHCHECK durations and retries, and
//! argument counts. The typed mount parser for expanded values is
//! [`mount::parse_mount`].
//!
//! # JSON shape (`slipway parse --format json`)
//!
//! Field names are snake_case. Every range is `{"start": u32, "end": u32}`,
//! a half-open range of byte offsets into the source. A value taken from the
//! source is `{"value": "...", "range": {...}}` (a [`Spanned`]).
//!
//! ```text
//! { "meta_args": [Arg...],               // ARGs before the first FROM
//!   "stages": [ { "from": From, "name": Spanned|null, "doc_comment": str|null,
//!                 "instructions": [Instruction...], "range": Range } ] }
//! From        = { "range", "image": Spanned, "platform": Spanned|null, "name": Spanned|null }
//! Instruction = { "kind": "run"|"cmd"|"entrypoint"|"shell"|"env"|"label"|"maintainer"|
//!                 "expose"|"add"|"copy"|"volume"|"user"|"workdir"|"arg"|"onbuild"|
//!                 "stopsignal"|"healthcheck", "range": Range, ...fields of that struct }
//! CommandLine = { "form": "exec", "value": [Spanned...] } | { "form": "shell", "value": Spanned }
//! FlagValue   = { "value": <typed value>, "range": Range }   // range of the whole flag
//! ```
//!
//! The per-instruction fields are documented on each struct ([`Run`],
//! [`Copy`](struct@Copy), [`Env`], …). Optional values are `null` when absent; lists are
//! `[]` when empty. The shape is stable: fields may be added, never renamed.

mod cmd;
mod copy;
mod duration;
mod env;
mod flags;
mod from;
pub mod mount;
mod onbuild;
mod run;
mod simple;

use serde::Serialize;

use crate::diagnostics::{Diagnostic, Severity, suggest};
use crate::syntax::codes;
use crate::syntax::text::TextRange;
use crate::syntax::tree::{Heredoc, Node, Spanned, SyntaxTree};

pub use cmd::{Cmd, CommandLine, Entrypoint, Healthcheck, Shell};
pub use copy::{Add, Copy, SourceContent};
pub use env::{Arg, ArgDef, Env, KeyValue, Label};
pub use flags::FlagValue;
pub use from::From;
pub use mount::{Mount, MountType, RunMount, Sharing, check_unexpanded, parse_mount};
pub use onbuild::Onbuild;
pub use run::{Device, InlineFile, NetworkMode, Run, Security, parse_device};
pub use simple::{Expose, Maintainer, Stopsignal, User, Volume, Workdir};

/// A Dockerfile as typed instructions: global ARGs, then the build stages.
#[derive(Clone, Debug, Default, PartialEq, Eq, Serialize)]
pub struct Dockerfile {
    /// ARG instructions before the first FROM (global "meta" args).
    pub meta_args: Vec<Arg>,
    pub stages: Vec<Stage>,
}

/// A build stage: a FROM and the instructions up to the next FROM.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stage {
    pub from: From,
    /// The stage name from `AS name`, lower-cased (same as `from.name`).
    pub name: Option<Spanned>,
    /// The text after `# <name> ` in a comment just above the FROM.
    pub doc_comment: Option<String>,
    pub instructions: Vec<Instruction>,
    /// From the FROM through the last instruction of the stage.
    pub range: TextRange,
}

/// One instruction inside a stage (FROM starts a [`Stage`] instead).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum Instruction {
    Run(Run),
    Cmd(Cmd),
    Entrypoint(Entrypoint),
    Shell(Shell),
    Env(Env),
    Label(Label),
    Maintainer(Maintainer),
    Expose(Expose),
    Add(Add),
    Copy(Copy),
    Volume(Volume),
    User(User),
    Workdir(Workdir),
    Arg(Arg),
    Onbuild(Onbuild),
    Stopsignal(Stopsignal),
    Healthcheck(Healthcheck),
}

impl Instruction {
    /// The range of the instruction's node.
    pub fn range(&self) -> TextRange {
        match self {
            Instruction::Run(i) => i.range,
            Instruction::Cmd(i) => i.range,
            Instruction::Entrypoint(i) => i.range,
            Instruction::Shell(i) => i.range,
            Instruction::Env(i) => i.range,
            Instruction::Label(i) => i.range,
            Instruction::Maintainer(i) => i.range,
            Instruction::Expose(i) => i.range,
            Instruction::Add(i) => i.range,
            Instruction::Copy(i) => i.range,
            Instruction::Volume(i) => i.range,
            Instruction::User(i) => i.range,
            Instruction::Workdir(i) => i.range,
            Instruction::Arg(i) => i.range,
            Instruction::Onbuild(i) => i.range,
            Instruction::Stopsignal(i) => i.range,
            Instruction::Healthcheck(i) => i.range,
        }
    }
}

/// The instruction keywords BuildKit knows, for "did you mean" help.
const KEYWORDS: [&str; 18] = [
    "ADD",
    "ARG",
    "CMD",
    "COPY",
    "ENTRYPOINT",
    "ENV",
    "EXPOSE",
    "FROM",
    "HEALTHCHECK",
    "LABEL",
    "MAINTAINER",
    "ONBUILD",
    "RUN",
    "SHELL",
    "STOPSIGNAL",
    "USER",
    "VOLUME",
    "WORKDIR",
];

/// Turns the nodes of a syntax tree into typed instructions and stages.
/// Never fails: every problem is a diagnostic, and the instruction that has
/// it is left out of the result.
pub fn parse_instructions(tree: &SyntaxTree) -> (Dockerfile, Vec<Diagnostic>) {
    let mut cx = Cx::new(&tree.source);
    let mut file = Dockerfile::default();
    // Set after a FROM that had errors: what follows belongs to no stage we
    // can build, but must not be reported as "no build stage" as well.
    let mut broken_stage = false;
    for node in tree.nodes() {
        // A node the parser could not split has been reported already.
        let lowered = if node.broken {
            None
        } else {
            lower_node(&mut cx, node, &node.heredocs)
        };
        if let Some(Lowered::From(from)) = lowered {
            broken_stage = false;
            file.stages.push(Stage {
                name: from.name.clone(),
                doc_comment: doc_comment(
                    &node.comments,
                    from.name.as_ref().map(|n| n.value.as_str()),
                ),
                range: from.range,
                from,
                instructions: Vec::new(),
            });
            continue;
        }
        if lowered.is_none() && node.name() == "from" {
            // A bad FROM starts a stage nothing can be built from.
            broken_stage = true;
            continue;
        }
        if broken_stage {
            continue;
        }
        if let Some(stage) = file.stages.last_mut() {
            stage.range = stage.range.cover(node.range);
            if let Some(Lowered::Instruction(i)) = lowered {
                stage.instructions.push(i);
            }
            continue;
        }
        match lowered {
            Some(Lowered::Instruction(Instruction::Arg(arg))) => file.meta_args.push(arg),
            Some(Lowered::Instruction(_)) => cx.report(
                Diagnostic::error(
                    codes::NO_STAGE,
                    node.keyword.range,
                    "no build stage in current context",
                )
                .with_label("before the first FROM")
                .with_help("only ARG may come before the first FROM; add a FROM above this line"),
            ),
            _ => {}
        }
    }
    (file, cx.diags)
}

/// What one node becomes: the start of a stage, or an instruction in one.
pub(crate) enum Lowered {
    From(From),
    Instruction(Instruction),
}

/// Checks one node and builds its typed form. `heredocs` are the bodies read
/// for it (for a node nested in ONBUILD, those of the ONBUILD line).
pub(crate) fn lower_node(cx: &mut Cx, node: &Node, heredocs: &[Heredoc]) -> Option<Lowered> {
    let i = match node.name().as_str() {
        "from" => return from::lower(cx, node).map(Lowered::From),
        "run" => Instruction::Run(run::lower(cx, node, heredocs)?),
        "cmd" => Instruction::Cmd(cmd::lower_cmd(cx, node)?),
        "entrypoint" => Instruction::Entrypoint(cmd::lower_entrypoint(cx, node)?),
        "shell" => Instruction::Shell(cmd::lower_shell(cx, node)?),
        "healthcheck" => Instruction::Healthcheck(cmd::lower_healthcheck(cx, node)?),
        "env" => Instruction::Env(env::lower_env(cx, node)?),
        "label" => Instruction::Label(env::lower_label(cx, node)?),
        "arg" => Instruction::Arg(env::lower_arg(cx, node)?),
        "add" => Instruction::Add(copy::lower_add(cx, node, heredocs)?),
        "copy" => Instruction::Copy(copy::lower_copy(cx, node, heredocs)?),
        "maintainer" => Instruction::Maintainer(simple::lower_maintainer(cx, node)?),
        "user" => Instruction::User(simple::lower_user(cx, node)?),
        "workdir" => Instruction::Workdir(simple::lower_workdir(cx, node)?),
        "stopsignal" => Instruction::Stopsignal(simple::lower_stopsignal(cx, node)?),
        "expose" => Instruction::Expose(simple::lower_expose(cx, node)?),
        "volume" => Instruction::Volume(simple::lower_volume(cx, node)?),
        "onbuild" => Instruction::Onbuild(onbuild::lower(cx, node, heredocs)?),
        _ => {
            let keyword = &node.keyword.value;
            let mut d = Diagnostic::error(
                codes::UNKNOWN_INSTRUCTION,
                node.keyword.range,
                format!("unknown instruction: {keyword}"),
            )
            .with_label("not a Dockerfile instruction");
            if let Some(s) = suggest(keyword, KEYWORDS) {
                d = d.with_help(format!("did you mean {}?", match_case(s, keyword)));
            }
            cx.report(d);
            return None;
        }
    };
    Some(Lowered::Instruction(i))
}

/// True for a node whose arguments the parser could not split (it reported
/// why, and left the node with no flags and no arguments).
/// The lowering context: the source and the diagnostics so far.
pub(crate) struct Cx<'s> {
    pub src: &'s str,
    pub diags: Vec<Diagnostic>,
}

impl<'s> Cx<'s> {
    pub fn new(src: &'s str) -> Self {
        Cx {
            src,
            diags: Vec::new(),
        }
    }

    pub fn report(&mut self, d: Diagnostic) {
        self.diags.push(d);
    }

    /// A checkpoint: the number of errors so far.
    pub fn mark(&self) -> usize {
        self.diags
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .count()
    }

    /// True when no error was reported since `mark`.
    pub fn clean_since(&self, mark: usize) -> bool {
        self.mark() == mark
    }

    /// The source text of a range ("" if the range is not in the source).
    pub fn text(&self, range: TextRange) -> &'s str {
        self.src.get(range.as_range()).unwrap_or("")
    }
}

/// The argument list of a node (empty for a nested ONBUILD node).
pub(crate) fn args(node: &Node) -> &[Spanned] {
    node.args.list()
}

/// The smallest range covering all the arguments, or the keyword if there
/// are none.
pub(crate) fn args_range(node: &Node, args: &[Spanned]) -> TextRange {
    match (args.first(), args.last()) {
        (Some(a), Some(b)) => a.range.cover(b.range),
        _ => node.keyword.range,
    }
}

/// BuildKit's doc comment: the rest of the first comment line that starts
/// with `<name> `.
pub(crate) fn doc_comment(comments: &[String], name: Option<&str>) -> Option<String> {
    let name = name.filter(|n| !n.is_empty())?;
    comments
        .iter()
        .find_map(|c| c.strip_prefix(name)?.strip_prefix(' ').map(str::to_owned))
        .filter(|c| !c.is_empty())
}

/// Gives a suggestion the case of what was typed, as BuildKit does.
pub(crate) fn match_case(suggestion: &str, typed: &str) -> String {
    if typed == typed.to_lowercase() {
        suggestion.to_lowercase()
    } else if typed == typed.to_uppercase() {
        suggestion.to_uppercase()
    } else {
        suggestion.to_owned()
    }
}

pub(crate) use crate::syntax::dump::go_quote;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_quote_escapes_like_go() {
        assert_eq!(go_quote("a\"b\\c"), r#""a\"b\\c""#);
        assert_eq!(go_quote("tab\there\u{1}"), r#""tab\there\x01""#);
        assert_eq!(go_quote("héllo"), "\"héllo\"");
    }

    #[test]
    fn doc_comment_needs_name_and_space() {
        let comments = vec!["foo sets foo".to_owned(), "bar".to_owned()];
        assert_eq!(
            doc_comment(&comments, Some("foo")),
            Some("sets foo".to_owned())
        );
        assert_eq!(doc_comment(&comments, Some("bar")), None);
        assert_eq!(doc_comment(&comments, None), None);
    }

    #[test]
    fn suggestions_follow_the_typed_case() {
        assert_eq!(match_case("ENTRYPOINT", "fntrypoint"), "entrypoint");
        assert_eq!(match_case("ENTRYPOINT", "FNTRYPOINT"), "ENTRYPOINT");
        assert_eq!(match_case("ENTRYPOINT", "Fntrypoint"), "ENTRYPOINT");
    }
}
