//! Instructions with plain arguments: MAINTAINER, USER, WORKDIR and
//! STOPSIGNAL take exactly one; EXPOSE and VOLUME take one or more.
//!
//! None of them takes flags (STOPSIGNAL ignores any, as BuildKit does).
//! EXPOSE ports are sorted as text, as BuildKit sorts them before
//! expansion; VOLUME entries are trimmed and may not be empty.

use serde::Serialize;

use crate::diagnostics::Diagnostic;
use crate::syntax::codes;
use crate::syntax::parser::is_go_space;
use crate::syntax::text::TextRange;
use crate::syntax::tree::{Node, Spanned};

use super::{Cx, args, args_range, flags};

/// `MAINTAINER name` (deprecated; sets the image author).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Maintainer {
    pub range: TextRange,
    pub name: Spanned,
}

/// `USER user[:group]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct User {
    pub range: TextRange,
    pub user: Spanned,
}

/// `WORKDIR path`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Workdir {
    pub range: TextRange,
    pub path: Spanned,
}

/// `STOPSIGNAL signal` (checked as a signal after expansion).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Stopsignal {
    pub range: TextRange,
    pub signal: Spanned,
}

/// `EXPOSE port[/proto] ...`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Expose {
    pub range: TextRange,
    /// As written, sorted by text (BuildKit's order).
    pub ports: Vec<Spanned>,
}

/// `VOLUME path ...` or `VOLUME ["path", ...]`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Volume {
    pub range: TextRange,
    /// Each path with surrounding blanks removed.
    pub paths: Vec<Spanned>,
}

pub(crate) fn lower_maintainer(cx: &mut Cx, node: &Node) -> Option<Maintainer> {
    let mark = cx.mark();
    let name = exactly_one(cx, node, "MAINTAINER");
    flags::parse(cx, node, &[]);
    let name = name?;
    cx.clean_since(mark).then_some(Maintainer {
        range: node.range,
        name,
    })
}

pub(crate) fn lower_user(cx: &mut Cx, node: &Node) -> Option<User> {
    let mark = cx.mark();
    let user = exactly_one(cx, node, "USER");
    flags::parse(cx, node, &[]);
    let user = user?;
    cx.clean_since(mark).then_some(User {
        range: node.range,
        user,
    })
}

pub(crate) fn lower_workdir(cx: &mut Cx, node: &Node) -> Option<Workdir> {
    let mark = cx.mark();
    let path = exactly_one(cx, node, "WORKDIR");
    flags::parse(cx, node, &[]);
    let path = path?;
    cx.clean_since(mark).then_some(Workdir {
        range: node.range,
        path,
    })
}

pub(crate) fn lower_stopsignal(cx: &mut Cx, node: &Node) -> Option<Stopsignal> {
    // BuildKit never parses the flags of STOPSIGNAL: any flag is ignored.
    let signal = exactly_one(cx, node, "STOPSIGNAL")?;
    Some(Stopsignal {
        range: node.range,
        signal,
    })
}

pub(crate) fn lower_expose(cx: &mut Cx, node: &Node) -> Option<Expose> {
    let mark = cx.mark();
    at_least_one(cx, node, "EXPOSE", "write `EXPOSE <port>[/<protocol>]`");
    flags::parse(cx, node, &[]);
    let mut ports = args(node).to_vec();
    ports.sort_by(|a, b| a.value.cmp(&b.value));
    cx.clean_since(mark).then_some(Expose {
        range: node.range,
        ports,
    })
}

pub(crate) fn lower_volume(cx: &mut Cx, node: &Node) -> Option<Volume> {
    let mark = cx.mark();
    at_least_one(cx, node, "VOLUME", "write `VOLUME <path>`");
    flags::parse(cx, node, &[]);
    let mut paths = Vec::new();
    for arg in args(node) {
        let path = arg.value.trim_matches(is_go_space);
        if path.is_empty() {
            cx.report(
                Diagnostic::error(
                    codes::EMPTY_VOLUME,
                    arg.range,
                    "VOLUME specified can not be an empty string",
                )
                .with_label("empty path")
                .with_help("remove the empty entry or give a path"),
            );
            continue;
        }
        paths.push(Spanned::new(path, arg.range));
    }
    cx.clean_since(mark).then_some(Volume {
        range: node.range,
        paths,
    })
}

fn exactly_one(cx: &mut Cx, node: &Node, keyword: &str) -> Option<Spanned> {
    let args = args(node);
    if let [one] = args {
        return Some(one.clone());
    }
    cx.report(
        Diagnostic::error(
            codes::ARGUMENT_COUNT,
            args_range(node, args),
            format!("{keyword} requires exactly one argument"),
        )
        .with_label(format!("{} arguments", args.len()))
        .with_help(format!("give {keyword} one argument")),
    );
    None
}

fn at_least_one(cx: &mut Cx, node: &Node, keyword: &str, help: &str) {
    if args(node).is_empty() {
        cx.report(
            Diagnostic::error(
                codes::ARGUMENT_COUNT,
                node.keyword.range,
                format!("{keyword} requires at least one argument"),
            )
            .with_label("no arguments")
            .with_help(help.to_owned()),
        );
    }
}
