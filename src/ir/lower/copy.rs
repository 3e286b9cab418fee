//! COPY and ADD: one file-change step with a copy action per source,
//! from the build context, another stage, an HTTP download or a heredoc
//! document, onto the stage. `--link` (without `--chmod`) copies onto an
//! empty layer and links it on top. A Git source is a checkout copied
//! from its root.

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::{Add, Copy, SourceContent};
use crate::syntax::shell::{Lexer, Options};
use crate::syntax::tree::Spanned;

use crate::ir::build::{
    CopyAction, FileAction, Files, Fs, GitSource, ProgressGroup, Step, StepInfo, StepKind,
};
use crate::ir::codes;
use crate::ir::paths;
use crate::ir::plan::{Command, go_quote, process_error};

use super::names::{process_cmd_env, uppercase_cmd};
use super::owner::owner_of;
use super::{Stage, chmod, history, stage};
use crate::ir::reference::check_digest;
use crate::ir::remote::{has_wildcards, http_filename, is_git, is_http, parse_git_ref};

/// The parts of COPY and ADD that the shared lowering needs.
struct Config<'a> {
    add: bool,
    sources: &'a [Spanned],
    contents: &'a [SourceContent],
    dest: &'a Spanned,
    chown: Option<&'a Spanned>,
    chmod: Option<&'a Spanned>,
    checksum: Option<&'a Spanned>,
    link: bool,
    parents: bool,
    excludes: Vec<String>,
    unpack: Option<bool>,
    /// `ADD --keep-git-dir`.
    keep_git_dir: Option<bool>,
    /// `COPY --from`: the source stage and the name as written.
    from: Option<(usize, &'a str)>,
}

pub(super) fn lower_copy(stage: &mut Stage, cmd: &Command, c: &Copy) -> Result<(), Diagnostic> {
    let from = c
        .from
        .as_ref()
        .and_then(|f| cmd.sources.first().map(|&s| (s, f.value.as_str())));
    lower(
        stage,
        cmd,
        Config {
            add: false,
            sources: &c.sources,
            contents: &c.contents,
            dest: &c.dest,
            chown: c.chown.as_ref(),
            chmod: c.chmod.as_ref(),
            checksum: None,
            link: c.link,
            parents: c.parents,
            excludes: c.excludes.iter().map(|e| e.value.clone()).collect(),
            unpack: None,
            keep_git_dir: None,
            from,
        },
    )
}

pub(super) fn lower_add(stage: &mut Stage, cmd: &Command, a: &Add) -> Result<(), Diagnostic> {
    lower(
        stage,
        cmd,
        Config {
            add: true,
            sources: &a.sources,
            contents: &a.contents,
            dest: &a.dest,
            chown: a.chown.as_ref(),
            chmod: a.chmod.as_ref(),
            checksum: a.checksum.as_ref(),
            link: a.link,
            parents: false,
            excludes: a.excludes.iter().map(|e| e.value.clone()).collect(),
            unpack: a.unpack,
            keep_git_dir: a.keep_git_dir,
            from: None,
        },
    )
}

fn lower(stage: &mut Stage, cmd: &Command, cfg: Config) -> Result<(), Diagnostic> {
    let plan = stage.plan();
    let opt_expand = |stage: &Stage, w: Option<&Spanned>| -> Result<String, Diagnostic> {
        w.map_or(Ok(String::new()), |w| stage.expand(w, cmd))
    };
    let chown = opt_expand(stage, cfg.chown)?;
    let chmod_text = opt_expand(stage, cfg.chmod)?;
    let checksum = opt_expand(stage, cfg.checksum)?;
    let mut sources = Vec::with_capacity(cfg.sources.len());
    for s in cfg.sources {
        sources.push(stage.expand(s, cmd)?);
    }
    let dest_written = stage.expand(cfg.dest, cmd)?;
    let mut contents = Vec::with_capacity(cfg.contents.len());
    let raw_lexer = Lexer::with_options(Options {
        escape: '\\',
        skip_process_quotes: true,
        ..Options::default()
    });
    for c in cfg.contents {
        let data = if c.expand {
            raw_lexer
                .process_word(&c.data, &stage.state.env)
                .map(|e| e.value)
                .map_err(|e| {
                    let range = c.body_range.unwrap_or(c.range);
                    Diagnostic::error(
                        e.code(),
                        super::span(cmd, range),
                        process_error(&c.data, &e),
                    )
                })?
        } else {
            c.data.clone()
        };
        contents.push((c.path.clone(), data));
    }

    let invalid = |w: Option<&Spanned>, msg: String| {
        let range = w.map_or(cmd.range, |w| super::span(cmd, w.range));
        Diagnostic::error(codes::INVALID_FLAG_VALUE, range, msg)
    };
    let source_fs = match cfg.from {
        Some((src, written)) => match stage::source_fs(stage.lw, src) {
            Some(fs) => fs,
            None => {
                return Err(Diagnostic::error(
                    codes::STAGE_ORDER,
                    super::span(cmd, cfg.from.map_or(cmd.range, |_| cmd.range)),
                    format!(
                        "cannot copy from stage {}, it needs to be defined before current stage {}",
                        go_quote(written),
                        go_quote(&stage.display_name)
                    ),
                )
                .with_help("move the stage above the one that copies from it"));
            }
        },
        None => Fs::Scratch,
    };

    let dest = dest_path(&stage.state.dir, &dest_written);
    let owner = (!chown.is_empty()).then(|| owner_of(&chown));
    let chmod = if chmod_text.is_empty() {
        None
    } else {
        Some(chmod::parse(&chmod_text).map_err(|e| invalid(cfg.chmod, e))?)
    };
    if !checksum.is_empty() {
        if sources.len() != 1 {
            return Err(invalid(
                cfg.checksum,
                "checksum can't be specified for multiple sources".to_owned(),
            ));
        }
        if !is_http(&sources[0]) && !is_git(&sources[0]) {
            return Err(invalid(
                cfg.checksum,
                "checksum requires HTTP(S) or Git sources".to_owned(),
            ));
        }
    }

    let mut msg = String::from(if cfg.add { "ADD" } else { "COPY" });
    if cfg.parents {
        msg.push_str(" --parents");
    }
    if !chown.is_empty() {
        msg.push_str(&format!(" --chown={chown}"));
    }
    if !chmod_text.is_empty() {
        msg.push_str(&format!(" --chmod={chmod_text}"));
    }

    let platform = stage.state.platform.clone();
    let env = stage.state.env.clone();
    let name = uppercase_cmd(&process_cmd_env(&plan.lexer, &cmd.text, &env));
    let pg_name = stage.prefix(&name, Some(&platform), Some(&env));
    let dir = stage.state.dir.clone();
    let op_dest = paths::llb_normalize(&dir, &dest, true);
    let base_copy = |source: Fs, src: String| CopyAction {
        owner: owner.clone(),
        chmod: chmod.clone(),
        exclude_patterns: cfg.excludes.clone(),
        create_dest_path: true,
        ..CopyAction::plain(source, src, op_dest.clone())
    };

    let mut actions = Vec::new();
    // BuildKit carries these from one Git source to the next.
    let mut keep_git_dir = cfg.keep_git_dir;
    let mut git_checksum = checksum.clone();
    for (src, word) in sources.iter().zip(cfg.sources) {
        msg.push_str(&format!(" {src}"));
        if is_git(src) {
            if !cfg.add {
                return Err(invalid(
                    Some(word),
                    "source can't be a git ref for COPY".to_owned(),
                ));
            }
            let git = parse_git_ref(src).map_err(|e| {
                Diagnostic::error(codes::INVALID_FLAG_VALUE, super::span(cmd, word.range), e)
            })?;
            if let (Some(flag), Some(query)) = (keep_git_dir, git.keep_git_dir)
                && flag != query
            {
                return Err(invalid(
                    Some(word),
                    "inconsistent keep-git-dir configuration".to_owned(),
                ));
            }
            if git.keep_git_dir.is_some() {
                keep_git_dir = git.keep_git_dir;
            }
            if !git_checksum.is_empty() && !git.checksum.is_empty() && git_checksum != git.checksum
            {
                return Err(invalid(
                    cfg.checksum,
                    format!(
                        "checksum mismatch {} != {}",
                        go_quote(&git_checksum),
                        go_quote(&git.checksum)
                    ),
                ));
            }
            if !git.checksum.is_empty() {
                git_checksum = git.checksum.clone();
            }
            let source = stage.push(Step {
                kind: StepKind::Git(Box::new(GitSource {
                    identifier: git.identifier(),
                    remote: git.remote.clone(),
                    ssh: git.ssh,
                    keep_git_dir: keep_git_dir == Some(true),
                    checksum: (!git_checksum.is_empty()).then(|| git_checksum.clone()),
                    skip_submodules: git.submodules == Some(false),
                    fetch_by_commit: git.fetch_by_commit,
                    mtime: None,
                })),
                info: StepInfo {
                    name: Some(pg_name.clone()),
                    ..StepInfo::default()
                },
            });
            actions.push(FileAction::Copy(Box::new(CopyAction {
                owner: owner.clone(),
                chmod: chmod.clone(),
                exclude_patterns: cfg.excludes.clone(),
                create_dest_path: true,
                ..CopyAction::plain(source, "/".to_owned(), op_dest.clone())
            })));
            continue;
        }
        if is_http(src) {
            if !cfg.add {
                return Err(invalid(
                    Some(word),
                    "source can't be a URL for COPY".to_owned(),
                ));
            }
            let filename = http_filename(src);
            if !checksum.is_empty() {
                check_digest(&checksum).map_err(|e| invalid(cfg.checksum, e))?;
            }
            let http = stage.push(Step {
                kind: StepKind::Http {
                    url: src.clone(),
                    filename: filename.clone(),
                    checksum: (!checksum.is_empty()).then(|| checksum.clone()),
                },
                info: StepInfo {
                    name: Some(pg_name.clone()),
                    command: Some(String::new()),
                    ..StepInfo::default()
                },
            });
            actions.push(FileAction::Copy(Box::new(CopyAction {
                unpack: cfg.unpack.unwrap_or(false),
                ..base_copy(http, paths::join(&["/", &filename]))
            })));
            continue;
        }
        let mut src_path = src.clone();
        let mut include = Vec::new();
        let mut required = Vec::new();
        if cfg.parents {
            let (parent, pattern) = match src.split_once("/./") {
                Some((p, pat)) => (p.to_owned(), pat.to_owned()),
                None => ("/".to_owned(), src.clone()),
            };
            let pattern = paths::normalize("/", &pattern, false);
            include.push(pattern.strip_prefix('/').unwrap_or(&pattern).to_owned());
            if !has_wildcards(&parent) && !has_wildcards(&pattern) {
                required.push(paths::normalize(
                    "/",
                    &paths::join(&[&parent, &pattern]),
                    false,
                ));
            }
            src_path = parent;
        }
        let src_path = paths::normalize("/", &src_path, false);
        let source = match cfg.from {
            Some(_) => source_fs,
            None => stage.lw.context_fs(),
        };
        actions.push(FileAction::Copy(Box::new(CopyAction {
            follow_symlinks: true,
            dir_contents_only: true,
            include_patterns: include,
            required_paths: required,
            unpack: cfg.unpack.unwrap_or(cfg.add),
            allow_wildcard: true,
            allow_empty_wildcard: true,
            ..base_copy(source, paths::clean(&src_path))
        })));
    }
    for (path, data) in &contents {
        msg.push_str(&format!(" <<{path}"));
        let doc = stage.push(Step {
            kind: StepKind::Files(Files {
                base: Fs::Scratch,
                actions: vec![FileAction::MakeFile {
                    path: paths::llb_normalize("/", path, false),
                    mode: 0o644,
                    data: data.clone(),
                    owner: None,
                    created: None,
                }],
            }),
            info: StepInfo {
                name: Some("[internal] preparing inline document".to_owned()),
                ..StepInfo::default()
            },
        });
        let src = paths::clean(path);
        let src = if paths::is_abs(&src) {
            src
        } else {
            paths::join(&["/", &src])
        };
        actions.push(FileAction::Copy(Box::new(base_copy(doc, src))));
    }
    msg.push_str(&format!(" {dest_written}"));

    // Paths of the build context (or source stage) this step reads.
    match cfg.from {
        None => {
            for s in &sources {
                if !(cfg.add
                    && (is_git(s) || s.starts_with("http://") || s.starts_with("https://")))
                {
                    stage.lw.context_paths.insert(paths::join(&["/", s]));
                }
            }
        }
        Some((src, _)) => {
            let set = stage.lw.source_paths.entry(src).or_default();
            for s in &sources {
                set.insert(paths::join(&["/", s]));
            }
        }
    }

    let ignore_cache = stage.ignore_cache;
    let info = |name: String, group: Option<ProgressGroup>| StepInfo {
        name: Some(name),
        lines: Some(vec![cmd.lines]),
        ignore_cache,
        progress_group: group,
        ..StepInfo::default()
    };
    if cfg.link && chmod_text.is_empty() && plan.options.supports("mergeop") {
        stage.cmd_index = stage.cmd_index.saturating_sub(1);
        let copy_name = stage.prefix(&name, Some(&platform), Some(&env));
        let group_id = format!("link-{}", stage.lw.steps.len());
        let upper = stage.push(Step {
            kind: StepKind::Files(Files {
                base: Fs::Scratch,
                actions,
            }),
            info: info(
                copy_name.clone(),
                Some(ProgressGroup {
                    id: group_id.clone(),
                    name: copy_name.clone(),
                    weak: true,
                }),
            ),
        });
        stage.cmd_index = stage.cmd_index.saturating_sub(1);
        let link_name = stage.prefix(&format!("LINK {name}"), Some(&platform), Some(&env));
        stage.state.fs = match stage.state.fs {
            Fs::Scratch => upper,
            lower => stage.push(Step {
                kind: StepKind::Link { lower, upper },
                info: info(
                    link_name,
                    Some(ProgressGroup {
                        id: group_id,
                        name: copy_name,
                        weak: false,
                    }),
                ),
            }),
        };
    } else {
        let base = stage.state.fs;
        stage.state.fs = stage.push(Step {
            kind: StepKind::Files(Files { base, actions }),
            info: info(pg_name, None),
        });
    }
    let epoch = plan.epoch;
    history::commit(&mut stage.state.image, msg, true, true, epoch);
    Ok(())
}

/// BuildKit's `pathRelativeToWorkingDir`.
fn dest_path(dir: &str, p: &str) -> String {
    if paths::is_abs(p) {
        return paths::normalize("/", p, true);
    }
    let p = if p == "." || p.is_empty() { "./" } else { p };
    paths::normalize(dir, p, true)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn destinations() {
        assert_eq!(dest_path("/app", "."), "/app/");
        assert_eq!(dest_path("/app", ""), "/app/");
        assert_eq!(dest_path("/app", "x"), "/app/x");
        assert_eq!(dest_path("/app", "/y/"), "/y/");
    }
}
