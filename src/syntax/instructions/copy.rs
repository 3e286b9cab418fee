//! COPY and ADD: sources, a destination, and the copy flags.
//!
//! Both need at least two arguments; the last is the destination, which may
//! not be a heredoc. A source written as a heredoc (`<<EOF`) becomes an
//! inline file named after the delimiter, holding the heredoc body (leading
//! tabs removed for `<<-`); whether its body is expanded later depends on
//! the delimiter's quoting. All other values stay unexpanded: `--chown`,
//! `--chmod` and `--checksum` are expanded and checked by the IR.

use serde::Serialize;

use crate::diagnostics::Diagnostic;
use crate::syntax::codes;
use crate::syntax::parser::heredoc::{chomp, parse_word};
use crate::syntax::text::TextRange;
use crate::syntax::tree::{Heredoc, Node, Spanned};

use super::flags::{self, Spec, bool_flag, string_flag, strings_flag};
use super::{Cx, args, args_range};

/// A file made from a heredoc source (`COPY <<EOF /dest`).
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct SourceContent {
    /// The file name: the heredoc delimiter without quotes.
    pub path: String,
    /// The body, with leading tabs removed for `<<-`.
    pub data: String,
    /// False when the delimiter was quoted: the body is used verbatim.
    pub expand: bool,
    /// The `<<EOF` word.
    pub range: TextRange,
    /// Where the body is, if the heredoc was read (a heredoc word in JSON
    /// form has no body, and makes an empty file as in BuildKit).
    pub body_range: Option<TextRange>,
}

/// `COPY [flags] src... dest`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Copy {
    pub range: TextRange,
    /// Source paths (heredoc sources are in `contents`).
    pub sources: Vec<Spanned>,
    pub contents: Vec<SourceContent>,
    pub dest: Spanned,
    /// `--from`: a stage name or index, an image, or a named context.
    pub from: Option<Spanned>,
    /// `--chown`, unexpanded; empty means unset.
    pub chown: Option<Spanned>,
    /// `--chmod`, unexpanded; empty means unset.
    pub chmod: Option<Spanned>,
    pub link: bool,
    pub parents: bool,
    /// `--exclude` patterns, in order.
    pub excludes: Vec<Spanned>,
}

/// `ADD [flags] src... dest`
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Add {
    pub range: TextRange,
    /// Source paths and URLs (heredoc sources are in `contents`).
    pub sources: Vec<Spanned>,
    pub contents: Vec<SourceContent>,
    pub dest: Spanned,
    /// `--chown`, unexpanded; empty means unset.
    pub chown: Option<Spanned>,
    /// `--chmod`, unexpanded; empty means unset.
    pub chmod: Option<Spanned>,
    pub link: bool,
    /// `--keep-git-dir`; `None` when not given.
    pub keep_git_dir: Option<bool>,
    /// `--checksum`, unexpanded.
    pub checksum: Option<Spanned>,
    /// `--unpack`; `None` when not given (local archives are unpacked).
    pub unpack: Option<bool>,
    /// `--exclude` patterns, in order.
    pub excludes: Vec<Spanned>,
}

const COPY_FLAGS: [Spec; 6] = [
    string_flag("chown"),
    string_flag("from"),
    string_flag("chmod"),
    bool_flag("link"),
    strings_flag("exclude"),
    bool_flag("parents"),
];

const ADD_FLAGS: [Spec; 7] = [
    string_flag("chown"),
    string_flag("chmod"),
    bool_flag("link"),
    bool_flag("keep-git-dir"),
    string_flag("checksum"),
    bool_flag("unpack"),
    strings_flag("exclude"),
];

pub(crate) fn lower_copy(cx: &mut Cx, node: &Node, heredocs: &[Heredoc]) -> Option<Copy> {
    let mark = cx.mark();
    let flags = flags::parse(cx, node, &COPY_FLAGS);
    let (sources, contents, dest) = sources_and_dest(cx, node, heredocs, "COPY")?;
    cx.clean_since(mark).then(|| Copy {
        range: node.range,
        sources,
        contents,
        dest,
        from: flags.string("from"),
        chown: flags.string("chown"),
        chmod: flags.string("chmod"),
        link: flags.bool("link").unwrap_or(false),
        parents: flags.bool("parents").unwrap_or(false),
        excludes: flags.strings("exclude"),
    })
}

pub(crate) fn lower_add(cx: &mut Cx, node: &Node, heredocs: &[Heredoc]) -> Option<Add> {
    let mark = cx.mark();
    let flags = flags::parse(cx, node, &ADD_FLAGS);
    let (sources, contents, dest) = sources_and_dest(cx, node, heredocs, "ADD")?;
    cx.clean_since(mark).then(|| Add {
        range: node.range,
        sources,
        contents,
        dest,
        chown: flags.string("chown"),
        chmod: flags.string("chmod"),
        link: flags.bool("link").unwrap_or(false),
        keep_git_dir: flags.bool("keep-git-dir"),
        checksum: flags.string("checksum"),
        unpack: flags.bool("unpack"),
        excludes: flags.strings("exclude"),
    })
}

type SourcesAndDest = (Vec<Spanned>, Vec<SourceContent>, Spanned);

/// BuildKit's `parseSourcesAndDest`.
fn sources_and_dest(
    cx: &mut Cx,
    node: &Node,
    heredocs: &[Heredoc],
    keyword: &str,
) -> Option<SourcesAndDest> {
    let args = args(node);
    let Some((dest, srcs)) = args.split_last().filter(|(_, srcs)| !srcs.is_empty()) else {
        cx.report(
            Diagnostic::error(
                codes::ARGUMENT_COUNT,
                args_range(node, args),
                format!(
                    "{keyword} requires at least two arguments, but only one was provided. Destination could not be determined"
                ),
            )
            .with_label("no destination")
            .with_help(format!("write `{keyword} <source>... <destination>`")),
        );
        return None;
    };
    if heredoc_word(&dest.value).is_some() {
        cx.report(
            Diagnostic::error(
                codes::HEREDOC_DESTINATION,
                dest.range,
                format!("{keyword} cannot accept a heredoc as a destination"),
            )
            .with_label("heredoc used as the destination")
            .with_help("put the heredoc before the destination path"),
        );
        return None;
    }
    let mut sources = Vec::new();
    let mut contents = Vec::new();
    for src in srcs {
        let Some(spec) = heredoc_word(&src.value) else {
            sources.push(src.clone());
            continue;
        };
        // As in BuildKit, the last heredoc with that name gives the body.
        let doc = heredocs.iter().rev().find(|h| h.name == spec.name);
        let raw = doc.map_or("", |h| h.content.as_str());
        contents.push(SourceContent {
            data: if spec.chomp {
                chomp(raw)
            } else {
                raw.to_owned()
            },
            path: spec.name,
            expand: spec.expand,
            range: src.range,
            body_range: doc.map(|h| h.body_range),
        });
    }
    Some((sources, contents, dest.clone()))
}

/// The heredoc a word introduces, if any (errors count as "not a heredoc",
/// as in BuildKit's `MustParseHeredoc`).
fn heredoc_word(word: &str) -> Option<crate::syntax::parser::heredoc::Spec> {
    parse_word(word).ok().flatten()
}
