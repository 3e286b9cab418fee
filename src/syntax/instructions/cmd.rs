//! The container's command: CMD, ENTRYPOINT, SHELL and HEALTHCHECK.
//!
//! CMD and ENTRYPOINT are exec form (a JSON array, kept element by element)
//! or shell form (the text after the keyword and flags, unexpanded). SHELL
//! must be a non-empty JSON array. HEALTHCHECK is `NONE` (flags ignored, no
//! arguments) or `CMD <command>` with duration flags that BuildKit checks
//! while parsing: empty or zero means unset, anything else must be at least
//! 1ms, and `--retries` a non-negative 32-bit integer.

use serde::Serialize;

use crate::diagnostics::Diagnostic;
use crate::syntax::codes;
use crate::syntax::text::TextRange;
use crate::syntax::tree::{Node, Spanned};

use super::duration::{parse_duration, parse_int32};
use super::flags::{self, FlagValue, Flags, string_flag};
use super::{Cx, args, args_range, go_quote};

/// How a command is written.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(tag = "form", content = "value", rename_all = "snake_case")]
pub enum CommandLine {
    /// `["exe", "arg"]`: run as is, no shell.
    Exec(Vec<Spanned>),
    /// `exe arg`: the text, run through the image's shell.
    Shell(Spanned),
}

/// `CMD`: the default command of the image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Cmd {
    pub range: TextRange,
    /// `CMD []` is `Exec([])`, which sets an empty command.
    pub command: CommandLine,
}

/// `ENTRYPOINT`: the entry point of the image.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Entrypoint {
    pub range: TextRange,
    /// `ENTRYPOINT []` is `Exec([])`, which clears the entry point.
    pub command: CommandLine,
}

/// `SHELL ["exe", "param"]`: the shell for later shell-form commands.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Shell {
    pub range: TextRange,
    pub shell: Vec<Spanned>,
}

/// `HEALTHCHECK`. Durations are in nanoseconds; an absent or zero duration
/// means "unset" (the runtime applies its default).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Healthcheck {
    pub range: TextRange,
    /// The command to run; `None` for `HEALTHCHECK NONE`.
    pub command: Option<CommandLine>,
    pub interval: Option<FlagValue<u64>>,
    pub timeout: Option<FlagValue<u64>>,
    pub start_period: Option<FlagValue<u64>>,
    pub start_interval: Option<FlagValue<u64>>,
    pub retries: Option<FlagValue<u32>>,
}

impl Healthcheck {
    /// The image config's `Healthcheck.Test`: `["NONE"]`,
    /// `["CMD", args...]` or `["CMD-SHELL", text]`.
    pub fn test(&self) -> Vec<String> {
        match &self.command {
            None => vec!["NONE".to_owned()],
            Some(CommandLine::Exec(args)) => std::iter::once("CMD".to_owned())
                .chain(args.iter().map(|a| a.value.clone()))
                .collect(),
            Some(CommandLine::Shell(text)) => vec!["CMD-SHELL".to_owned(), text.value.clone()],
        }
    }
}

/// Exec form if the node had a JSON array, shell form otherwise. A missing
/// shell-form command is the empty text just after the keyword and flags.
pub(crate) fn command_line(node: &Node, args: &[Spanned]) -> CommandLine {
    if node.json {
        return CommandLine::Exec(args.to_vec());
    }
    match args {
        [] => {
            let at = node
                .flags
                .last()
                .map_or(node.keyword.range, |f| f.range)
                .end();
            CommandLine::Shell(Spanned::new("", TextRange::empty(at)))
        }
        [one] => CommandLine::Shell(one.clone()),
        many => {
            let text: Vec<&str> = many.iter().map(|a| a.value.as_str()).collect();
            CommandLine::Shell(Spanned::new(text.join(" "), args_range(node, many)))
        }
    }
}

pub(crate) fn lower_cmd(cx: &mut Cx, node: &Node) -> Option<Cmd> {
    let mark = cx.mark();
    flags::parse(cx, node, &[]);
    let command = command_line(node, args(node));
    cx.clean_since(mark).then_some(Cmd {
        range: node.range,
        command,
    })
}

pub(crate) fn lower_entrypoint(cx: &mut Cx, node: &Node) -> Option<Entrypoint> {
    let mark = cx.mark();
    flags::parse(cx, node, &[]);
    let command = command_line(node, args(node));
    cx.clean_since(mark).then_some(Entrypoint {
        range: node.range,
        command,
    })
}

pub(crate) fn lower_shell(cx: &mut Cx, node: &Node) -> Option<Shell> {
    let mark = cx.mark();
    flags::parse(cx, node, &[]);
    let args = args(node);
    if args.is_empty() {
        cx.report(
            Diagnostic::error(
                codes::ARGUMENT_COUNT,
                node.keyword.range,
                "SHELL requires at least one argument",
            )
            .with_label("no shell given")
            .with_help(r#"write `SHELL ["executable", "parameters"]`"#),
        );
    } else if !node.json {
        cx.report(
            Diagnostic::error(
                codes::NOT_JSON,
                args_range(node, args),
                "SHELL requires the arguments to be in JSON form",
            )
            .with_label("not a JSON array")
            .with_help(r#"write `SHELL ["executable", "parameters"]`"#),
        );
    }
    cx.clean_since(mark).then(|| Shell {
        range: node.range,
        shell: args.to_vec(),
    })
}

const HEALTHCHECK_FLAGS: [flags::Spec; 5] = [
    string_flag("interval"),
    string_flag("timeout"),
    string_flag("start-period"),
    string_flag("start-interval"),
    string_flag("retries"),
];

pub(crate) fn lower_healthcheck(cx: &mut Cx, node: &Node) -> Option<Healthcheck> {
    let mark = cx.mark();
    let args = args(node);
    let Some((kind, rest)) = args.split_first() else {
        cx.report(
            Diagnostic::error(
                codes::ARGUMENT_COUNT,
                node.keyword.range,
                "HEALTHCHECK requires at least one argument",
            )
            .with_label("no check given")
            .with_help("write `HEALTHCHECK CMD <command>` or `HEALTHCHECK NONE`"),
        );
        return None;
    };
    let mut check = Healthcheck {
        range: node.range,
        command: None,
        interval: None,
        timeout: None,
        start_period: None,
        start_interval: None,
        retries: None,
    };
    let kind_upper = kind.value.to_uppercase();
    if kind_upper == "NONE" {
        // BuildKit does not look at the flags of HEALTHCHECK NONE.
        if !rest.is_empty() {
            cx.report(
                Diagnostic::error(
                    codes::ARGUMENT_COUNT,
                    args_range(node, rest),
                    "HEALTHCHECK NONE takes no arguments",
                )
                .with_label("unexpected arguments")
                .with_help("remove the arguments after NONE"),
            );
            return None;
        }
        return Some(check);
    }
    let flags = flags::parse(cx, node, &HEALTHCHECK_FLAGS);
    if kind_upper == "CMD" {
        if rest.is_empty() {
            cx.report(
                Diagnostic::error(
                    codes::ARGUMENT_COUNT,
                    kind.range,
                    "missing command after HEALTHCHECK CMD",
                )
                .with_label("no command follows")
                .with_help("write the command to run after CMD"),
            );
        }
        check.command = Some(command_line(node, rest));
    } else {
        cx.report(
            Diagnostic::error(
                codes::UNKNOWN_HEALTHCHECK_TYPE,
                kind.range,
                format!(
                    "unknown type {} in HEALTHCHECK (try CMD)",
                    go_quote(&kind_upper)
                ),
            )
            .with_label("not CMD or NONE")
            .with_help("write `HEALTHCHECK CMD <command>` or `HEALTHCHECK NONE`"),
        );
    }
    check.interval = interval(cx, &flags, "interval");
    check.timeout = interval(cx, &flags, "timeout");
    check.start_period = interval(cx, &flags, "start-period");
    check.start_interval = interval(cx, &flags, "start-interval");
    check.retries = retries(cx, &flags);
    cx.clean_since(mark).then_some(check)
}

/// A duration flag: unset when absent, empty or zero; at least 1ms otherwise.
fn interval(cx: &mut Cx, flags: &Flags, name: &str) -> Option<FlagValue<u64>> {
    let (value, flag_range) = flags.with_flag_range(name)?;
    if value.value.is_empty() {
        return None;
    }
    let invalid = |message: String| {
        Diagnostic::error(codes::INVALID_FLAG_VALUE, value.range, message)
            .with_label("invalid duration")
            .with_help("write a duration such as `30s`, `1m30s` or `500ms`")
    };
    match parse_duration(&value.value) {
        Err(e) => cx.report(invalid(e)),
        Ok(0) => {}
        Ok(nanos) if nanos < 1_000_000 => cx.report(invalid(format!(
            "interval {} cannot be less than 1ms",
            go_quote(name)
        ))),
        Ok(nanos) => {
            return Some(FlagValue {
                value: nanos.unsigned_abs(),
                range: flag_range,
            });
        }
    }
    None
}

fn retries(cx: &mut Cx, flags: &Flags) -> Option<FlagValue<u32>> {
    let (value, flag_range) = flags.with_flag_range("retries")?;
    if value.value.is_empty() {
        return None;
    }
    let message = match parse_int32(&value.value) {
        Ok(n) => match u32::try_from(n) {
            Ok(n) => {
                return Some(FlagValue {
                    value: n,
                    range: flag_range,
                });
            }
            Err(_) => format!("--retries cannot be negative ({n})"),
        },
        Err(e) => e,
    };
    cx.report(
        Diagnostic::error(codes::INVALID_FLAG_VALUE, value.range, message)
            .with_label("invalid retry count")
            .with_help("write a whole number of retries, 0 or more"),
    );
    None
}
