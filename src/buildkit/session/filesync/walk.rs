//! The filtered walk of a local directory, with `fsutil`'s semantics.
//!
//! Entries come depth-first, each directory's entries sorted by name, and
//! symlinks are never followed. Include patterns keep only what matches (or
//! lies below a match); exclude patterns drop what matches. A directory
//! that fails a filter is not sent, but is still entered when a pattern
//! could match something below it (an include such as `a/b/c` for `a`, an
//! exception such as `!a/keep` for an excluded `a`); it is then sent just
//! before the first entry inside it that passes. When every relevant
//! pattern is a plain path (no `*?[]^\` before a trailing `/*` or `/**`),
//! directories no pattern can reach are skipped without being read.
//!
//! Follow paths name files whose symlinks (at any component, with globs in
//! the last one) are resolved inside the root; the resolved paths are added
//! to the include patterns.

use std::collections::{BTreeSet, HashMap};
use std::ffi::OsString;
use std::io;
use std::os::unix::ffi::OsStrExt;
use std::path::{Path, PathBuf};

use super::stat::make_stat;
use crate::ir::paths;
use crate::ir::patterns::{MatchInfo, Pattern, PatternMatcher, glob_match};
use crate::proto::fsutil::types::Stat;

/// What the daemon asked for.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub(crate) struct WalkRequest {
    /// `include-patterns`; `None` when absent.
    pub(crate) include_patterns: Option<Vec<String>>,
    /// `exclude-patterns`.
    pub(crate) exclude_patterns: Option<Vec<String>>,
    /// `followpaths`.
    pub(crate) follow_paths: Option<Vec<String>>,
}

/// Compiled filters for one walk.
#[derive(Debug)]
pub(crate) struct Filter {
    include: Option<PatternMatcher>,
    exclude: Option<PatternMatcher>,
    only_prefix_includes: bool,
    only_prefix_exclude_exceptions: bool,
}

fn other(msg: String) -> io::Error {
    io::Error::other(msg)
}

/// The pattern with a trailing `/**` or `/*` removed.
fn without_trailing_glob(p: &Pattern) -> &str {
    let s = p.as_str();
    let s = s.strip_suffix("/**").unwrap_or(s);
    s.strip_suffix("/*").unwrap_or(s)
}

fn has_pattern_chars(s: &str) -> bool {
    s.contains(['*', '[', ']', '?', '^', '\\'])
}

/// Whether some pattern of the given polarity could match below `dir`.
fn reaches_below(pm: &PatternMatcher, dir: &str, exclusion: bool) -> bool {
    let dir_slash = format!("{dir}/");
    pm.patterns()
        .iter()
        .filter(|p| p.is_exclusion() == exclusion)
        .any(|p| format!("{}/", without_trailing_glob(p)).starts_with(&dir_slash))
}

impl Filter {
    /// Builds the filters for `root`, resolving follow paths.
    pub(crate) fn new(root: &Path, req: &WalkRequest) -> io::Result<Self> {
        let mut includes = req.include_patterns.clone();
        if let Some(follow) = &req.follow_paths
            && let Some(targets) = follow_links(root, follow)?
        {
            let mut all = includes.unwrap_or_default();
            all.extend(targets);
            includes = dedupe_paths(all);
        }
        let mut filter = Filter {
            include: None,
            exclude: None,
            only_prefix_includes: true,
            only_prefix_exclude_exceptions: true,
        };
        if let Some(includes) = includes.filter(|v| !v.is_empty()) {
            let pm = PatternMatcher::new(&includes)
                .map_err(|e| other(format!("invalid includepatterns: {includes:?}: {e}")))?;
            filter.only_prefix_includes = !pm
                .patterns()
                .iter()
                .any(|p| !p.is_exclusion() && has_pattern_chars(without_trailing_glob(p)));
            filter.include = Some(pm);
        }
        if let Some(excludes) = req.exclude_patterns.as_ref().filter(|v| !v.is_empty()) {
            let pm = PatternMatcher::new(excludes)
                .map_err(|e| other(format!("invalid excludepatterns: {excludes:?}: {e}")))?;
            filter.only_prefix_exclude_exceptions = !pm
                .patterns()
                .iter()
                .any(|p| p.is_exclusion() && has_pattern_chars(without_trailing_glob(p)));
            filter.exclude = Some(pm);
        }
        Ok(filter)
    }
}

/// A directory on the current path of the walk.
struct Parent {
    rel: String,
    full: PathBuf,
    sent: bool,
    include: MatchInfo,
    exclude: MatchInfo,
}

/// Walks `root` and hands every entry that passes `filter` to `emit`, in
/// the order `fsutil` sends them.
pub(crate) fn walk(
    root: &Path,
    filter: &Filter,
    emit: &mut dyn FnMut(Stat, PathBuf) -> io::Result<()>,
) -> io::Result<()> {
    let mut walker = Walker {
        filter,
        emit,
        inodes: HashMap::new(),
        parents: Vec::new(),
    };
    walker.dir(root, "")
}

struct Walker<'a> {
    filter: &'a Filter,
    emit: &'a mut dyn FnMut(Stat, PathBuf) -> io::Result<()>,
    inodes: HashMap<u64, String>,
    parents: Vec<Parent>,
}

fn gone(e: &io::Error) -> bool {
    matches!(
        e.kind(),
        io::ErrorKind::NotFound | io::ErrorKind::NotADirectory
    )
}

impl Walker<'_> {
    fn dir(&mut self, full: &Path, rel: &str) -> io::Result<()> {
        let mut names: Vec<OsString> = match std::fs::read_dir(full) {
            Ok(rd) => rd
                .map(|e| e.map(|e| e.file_name()))
                .collect::<io::Result<_>>()?,
            Err(e) if !rel.is_empty() && gone(&e) => return Ok(()),
            Err(e)
                if !rel.is_empty()
                    && e.kind() == io::ErrorKind::PermissionDenied
                    && self.parents.last().is_some_and(|p| !p.sent) =>
            {
                return Ok(());
            }
            Err(e) => return Err(other(format!("{}: {e}", display(rel)))),
        };
        names.sort_by(|a, b| a.as_bytes().cmp(b.as_bytes()));
        for name in names {
            let name_str = name.to_string_lossy();
            let child_rel = if rel.is_empty() {
                name_str.into_owned()
            } else {
                format!("{rel}/{name_str}")
            };
            let child_full = full.join(&name);
            let meta = match std::fs::symlink_metadata(&child_full) {
                Ok(m) => m,
                Err(e) if gone(&e) => continue,
                Err(e) => return Err(other(format!("{child_rel}: {e}"))),
            };
            let is_dir = meta.is_dir();
            let (skip, include, exclude) = match self.check(&child_rel, is_dir)? {
                Some(v) => v,
                None => continue,
            };
            if !skip {
                if name.to_str().is_none() {
                    return Err(other(format!("{child_rel}: file name is not UTF-8")));
                }
                self.send_parents()?;
                let stat = make_stat(&child_full, &child_rel, &meta, &mut self.inodes)
                    .map_err(|e| other(format!("{child_rel}: {e}")))?;
                (self.emit)(stat, child_full.clone())?;
            }
            if is_dir {
                self.parents.push(Parent {
                    rel: child_rel.clone(),
                    full: child_full.clone(),
                    sent: !skip,
                    include,
                    exclude,
                });
                let res = self.dir(&child_full, &child_rel);
                self.parents.pop();
                res?;
            }
        }
        Ok(())
    }

    /// Applies the filters: `None` skips the entry and everything below
    /// it; otherwise whether to leave the entry itself out, and the match
    /// infos for its children.
    #[allow(clippy::type_complexity)]
    fn check(&self, rel: &str, is_dir: bool) -> io::Result<Option<(bool, MatchInfo, MatchInfo)>> {
        let mut skip = false;
        let parent = self.parents.last();
        let mut include_info = MatchInfo::default();
        let mut exclude_info = MatchInfo::default();
        if let Some(pm) = &self.filter.include {
            let known = parent.map(|p| &p.include).cloned().unwrap_or_default();
            let (m, info) = pm
                .matches_using_parent_results(rel, &known)
                .map_err(|e| other(format!("failed to match includepatterns: {e}")))?;
            include_info = info;
            if !m {
                if is_dir && self.filter.only_prefix_includes && !reaches_below(pm, rel, false) {
                    return Ok(None);
                }
                skip = true;
            }
        }
        if let Some(pm) = &self.filter.exclude {
            let known = parent.map(|p| &p.exclude).cloned().unwrap_or_default();
            let (m, info) = pm
                .matches_using_parent_results(rel, &known)
                .map_err(|e| other(format!("failed to match excludepatterns: {e}")))?;
            exclude_info = info;
            if m {
                if is_dir
                    && self.filter.only_prefix_exclude_exceptions
                    && (!pm.has_exclusions() || !reaches_below(pm, rel, true))
                {
                    return Ok(None);
                }
                skip = true;
            }
        }
        Ok(Some((skip, include_info, exclude_info)))
    }

    /// Sends the directories above the current entry that were held back
    /// because they did not pass the filters themselves.
    fn send_parents(&mut self) -> io::Result<()> {
        for i in 0..self.parents.len() {
            if self.parents[i].sent {
                continue;
            }
            let p = &self.parents[i];
            let meta = match std::fs::symlink_metadata(&p.full) {
                Ok(m) => m,
                Err(e) => return Err(other(format!("{}: {e}", p.rel))),
            };
            let stat = make_stat(&p.full, &p.rel, &meta, &mut self.inodes)
                .map_err(|e| other(format!("{}: {e}", p.rel)))?;
            let full = p.full.clone();
            self.parents[i].sent = true;
            (self.emit)(stat, full)?;
        }
        Ok(())
    }
}

fn display(rel: &str) -> &str {
    if rel.is_empty() { "." } else { rel }
}

/// fsutil's `dedupePaths`: drops paths below the previous kept one; a `.`
/// anywhere means "no filter" (`None`).
fn dedupe_paths(paths: Vec<String>) -> Option<Vec<String>> {
    let mut out: Vec<String> = Vec::new();
    let mut last = String::new();
    for p in paths {
        if p == "." {
            return None;
        }
        if p.starts_with(&format!("{last}/")) {
            continue;
        }
        last.clone_from(&p);
        out.push(p);
    }
    Some(out)
}

fn join(a: &str, b: &str) -> String {
    paths::clean(&format!("{a}/{b}"))
}

fn dir_of(p: &str) -> String {
    match p.rsplit_once('/') {
        Some((d, _)) => paths::clean(&format!("{d}/")),
        None => ".".to_owned(),
    }
}

/// Resolves follow paths to the paths to include (fsutil's `FollowLinks`).
fn follow_links(root: &Path, paths: &[String]) -> io::Result<Option<Vec<String>>> {
    let mut resolved = BTreeSet::new();
    for p in paths {
        resolve(root, p, &mut resolved, 0)?;
    }
    Ok(dedupe_paths(resolved.into_iter().collect()))
}

fn resolve(root: &Path, p: &str, resolved: &mut BTreeSet<String>, depth: usize) -> io::Result<()> {
    if depth > 255 {
        return Err(other(format!("{p}: too many levels of symbolic links")));
    }
    let mut p = join(".", p);
    let mut current = ".".to_owned();
    loop {
        let (first, rest) = match p.split_once('/') {
            Some((a, b)) => (a.to_owned(), b.to_owned()),
            None => (p.clone(), String::new()),
        };
        current = join(&current, &first);
        let targets = read_symlink(root, &current, true)?;
        p = rest;
        if (p.is_empty() || !targets.is_empty()) && resolved.contains(&current) {
            return Ok(());
        }
        if !targets.is_empty() {
            resolved.insert(current);
            for t in targets {
                resolve(root, &join(&t, &p), resolved, depth + 1)?;
            }
            return Ok(());
        }
        if p.is_empty() {
            resolved.insert(current);
            return Ok(());
        }
    }
}

fn contains_wildcards(name: &str) -> bool {
    let b = name.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'\\' => i += 1,
            b'*' | b'?' | b'[' => return true,
            _ => {}
        }
        i += 1;
    }
    false
}

/// The targets of the symlink at `p` (relative to `root`), as paths
/// rooted at `/`; empty when `p` is missing or not a symlink.
fn read_symlink(root: &Path, p: &str, allow_wildcard: bool) -> io::Result<Vec<String>> {
    let base = p.rsplit('/').next().unwrap_or(p);
    if allow_wildcard && contains_wildcards(base) {
        let dir = dir_of(p);
        let rd = match std::fs::read_dir(root.join(&dir)) {
            Ok(rd) => rd,
            Err(e) if gone(&e) => return Ok(Vec::new()),
            Err(e) => return Err(other(format!("readdir: {dir}: {e}"))),
        };
        let mut names: Vec<String> = rd
            .filter_map(|e| e.ok())
            .filter_map(|e| e.file_name().into_string().ok())
            .collect();
        names.sort();
        let mut out = Vec::new();
        for name in names {
            if glob_match(base, &name).unwrap_or(false) {
                out.extend(read_symlink(root, &join(&dir, &name), false)?);
            }
        }
        return Ok(out);
    }
    if p == "." || p == "/" {
        return Ok(Vec::new());
    }
    let full = root.join(p);
    match std::fs::symlink_metadata(&full) {
        Ok(m) if m.file_type().is_symlink() => {}
        Ok(_) => return Ok(Vec::new()),
        Err(e) if gone(&e) => return Ok(Vec::new()),
        Err(e) => return Err(other(format!("{p}: {e}"))),
    }
    let link = std::fs::read_link(&full).map_err(|e| other(format!("{p}: {e}")))?;
    let link = paths::clean(&link.to_string_lossy());
    if link.starts_with('/') {
        return Ok(vec![link]);
    }
    Ok(vec![paths::clean(&format!("/{}/{link}", dir_of(p)))])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dedupe_keeps_first_of_nested_paths() {
        let v = |s: &[&str]| s.iter().map(|s| s.to_string()).collect::<Vec<_>>();
        assert_eq!(
            dedupe_paths(v(&["a", "a/b", "ab", "c/d"])),
            Some(v(&["a", "ab", "c/d"]))
        );
        assert_eq!(dedupe_paths(v(&["a", "."])), None);
    }

    #[test]
    fn follow_links_resolves_chains_and_globs() {
        let dir = std::env::temp_dir().join(format!("slipway-follow-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("real/sub")).expect("mkdir");
        std::fs::write(dir.join("real/sub/Dockerfile"), "FROM x").expect("write");
        std::os::unix::fs::symlink("real/sub", dir.join("link")).expect("symlink");
        std::os::unix::fs::symlink("/real/sub/Dockerfile", dir.join("df")).expect("symlink");
        let got = follow_links(
            &dir,
            &["link/Dockerfile".into(), "d*".into(), "missing".into()],
        )
        .expect("resolves");
        assert_eq!(
            got,
            Some(
                // A glob that hit a symlink is kept as a pattern itself.
                ["d*", "link", "missing", "real/sub/Dockerfile"]
                    .map(String::from)
                    .to_vec()
            )
        );
        std::fs::remove_dir_all(&dir).expect("cleanup");
    }
}
