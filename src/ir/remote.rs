//! Classifying sources as BuildKit does (Git remotes, HTTP URLs, local
//! paths) for COPY/ADD and build contexts, and the small parsers around
//! them: Git references with their query, download file names and
//! wildcard detection for `--parents`.

use crate::ir::build::GitSource;
use crate::ir::options::go_bool;
use crate::ir::paths;
use crate::ir::plan::go_quote;

pub fn is_http(s: &str) -> bool {
    (s.starts_with("http://") || s.starts_with("https://")) && !is_git(s)
}

/// A Git remote as BuildKit's `ParseGitRef` sees one.
pub fn is_git(s: &str) -> bool {
    if s.starts_with("./") || s.starts_with("../") || s.starts_with("github.com/") {
        return false;
    }
    if let Some((proto, rest)) = s.split_once("://")
        && !proto.is_empty()
        && proto.bytes().all(|b| b.is_ascii_alphanumeric())
    {
        return match proto.to_lowercase().as_str() {
            "ssh" | "git" => true,
            "http" | "https" => {
                let path = rest.split(['?', '#']).next().unwrap_or("");
                path.find('/').is_some_and(|i| path[i..].ends_with(".git"))
            }
            _ => false,
        };
    }
    // scp-like `user@host:path`.
    let Some((user, rest)) = s.split_once('@') else {
        return false;
    };
    let Some((host, _)) = rest.split_once(':') else {
        return false;
    };
    !user.is_empty()
        && user
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'_'))
        && !host.is_empty()
        && host
            .bytes()
            .all(|b| b.is_ascii_alphanumeric() || matches!(b, b'-' | b'.'))
}

/// A Git source as BuildKit's `dfgitutil.ParseGitRef` reads one, with what
/// `llb.Git` derives from its remote (the `git://` identifier's host and
/// path, and whether it is reached over SSH).
#[derive(Debug, Default, PartialEq)]
pub struct GitRef {
    /// The remote without query and fragment (`git.fullurl`).
    pub remote: String,
    pub host: String,
    pub path: String,
    pub ssh: bool,
    pub reference: String,
    pub subdir: String,
    pub checksum: String,
    pub keep_git_dir: Option<bool>,
    pub submodules: Option<bool>,
    pub fetch_by_commit: bool,
    /// `mtime=` from the query: `checkout` or `commit`.
    pub mtime: String,
}

impl GitRef {
    /// `llb.Git`'s identifier: `git://<host>/<path>[#<ref>[:<subdir>]]`.
    pub fn identifier(&self) -> String {
        let mut id = format!("git://{}{}", self.host, paths::join(&["/", &self.path]));
        if !self.reference.is_empty() || !self.subdir.is_empty() {
            id.push('#');
            id.push_str(&self.reference);
            if !self.subdir.is_empty() {
                id.push(':');
                id.push_str(&self.subdir);
            }
        }
        id
    }
}

impl GitRef {
    /// The source of a Git build context, as dockerui's
    /// `DetectGitContext` makes it: `keep_git_dir` from the query or the
    /// caller, `mtime` from the caller (`commit` under SOURCE_DATE_EPOCH)
    /// unless the query sets one.
    pub fn context_source(&self, keep_git_dir: Option<bool>, mtime: Option<&str>) -> GitSource {
        let mtime = if self.mtime.is_empty() {
            mtime.map(str::to_owned)
        } else {
            Some(self.mtime.clone())
        };
        GitSource {
            identifier: self.identifier(),
            remote: self.remote.clone(),
            ssh: self.ssh,
            keep_git_dir: self.keep_git_dir == Some(true) || keep_git_dir == Some(true),
            checksum: (!self.checksum.is_empty()).then(|| self.checksum.clone()),
            skip_submodules: self.submodules == Some(false),
            fetch_by_commit: self.fetch_by_commit,
            mtime,
        }
    }
}

/// `ParseGitRef` for a source that [`is_git`] accepts; the error is the
/// message BuildKit gives for a bad query.
pub fn parse_git_ref(s: &str) -> Result<GitRef, String> {
    let (rest, fragment) = s.split_once('#').unwrap_or((s, ""));
    let (rest, query) = rest.split_once('?').unwrap_or((rest, ""));
    let mut r = GitRef::default();
    if let Some((proto, after)) = rest.split_once("://") {
        let scheme = proto.to_lowercase();
        let authority_end = after.find('/').unwrap_or(after.len());
        let (authority, path) = after.split_at(authority_end);
        r.host = authority
            .rsplit_once('@')
            .map_or(authority, |(_, h)| h)
            .to_owned();
        r.path = percent_decode(path);
        r.remote = format!("{scheme}://{after}");
        r.ssh = scheme == "ssh";
    } else {
        // scp-like `user@host:path`.
        let (user_host, path) = rest.split_once(':').unwrap_or((rest, ""));
        r.host = user_host
            .split_once('@')
            .map_or(user_host, |(_, h)| h)
            .to_owned();
        r.path = path.to_owned();
        r.remote = rest.to_owned();
        r.ssh = true;
    }
    if !fragment.is_empty() {
        let (reference, subdir) = fragment.split_once(':').unwrap_or((fragment, ""));
        r.reference = reference.to_owned();
        r.subdir = clean_subdir(subdir);
    }
    r.load_query(query)?;
    Ok(r)
}

/// `path.Join("/", p)` without the leading slash.
fn clean_subdir(p: &str) -> String {
    let joined = paths::join(&["/", p]);
    joined.strip_prefix('/').unwrap_or(&joined).to_owned()
}

/// Go's `url.ParseQuery` as `url.Query` uses it (bad pairs are dropped).
fn parse_query(q: &str) -> Vec<(String, Vec<String>)> {
    let mut out: Vec<(String, Vec<String>)> = Vec::new();
    for pair in q.split('&') {
        if pair.is_empty() || pair.contains(';') {
            continue;
        }
        let (k, v) = pair.split_once('=').unwrap_or((pair, ""));
        let unescape = |s: &str| percent_decode(&s.replace('+', " "));
        let (k, v) = (unescape(k), unescape(v));
        match out.iter_mut().find(|(key, _)| *key == k) {
            Some((_, vals)) => vals.push(v),
            None => out.push((k, vec![v])),
        }
    }
    out
}

impl GitRef {
    /// `GitRef.loadQuery`.
    fn load_query(&mut self, query: &str) -> Result<(), String> {
        let (mut tag, mut branch) = (String::new(), String::new());
        for (k, v) in parse_query(query) {
            let value: Option<String> = match v.as_slice() {
                [] => None,
                [one] if one.is_empty() => match k.as_str() {
                    "submodules" | "keep-git-dir" | "fetch-by-commit" => None,
                    _ => return Err(format!("query {} has no value", go_quote(&k))),
                },
                [one] => Some(one.clone()),
                _ => return Err(format!("query {} has multiple values", go_quote(&k))),
            };
            let flag = |what: &str| -> Result<bool, String> {
                match &value {
                    None => Ok(true),
                    Some(v) => {
                        go_bool(v).ok_or_else(|| format!("invalid {what} value: {}", go_quote(v)))
                    }
                }
            };
            let v = value.clone().unwrap_or_default();
            match k.as_str() {
                "ref" => {
                    if !self.reference.is_empty() && self.reference != v {
                        return Err(format!(
                            "ref conflicts: {} vs {}",
                            go_quote(&self.reference),
                            go_quote(&v)
                        ));
                    }
                    self.reference = v;
                }
                "tag" => tag = v,
                "branch" => branch = v,
                "subdir" => {
                    if !self.subdir.is_empty() && self.subdir != v {
                        return Err(format!(
                            "subdir conflicts: {} vs {}",
                            go_quote(&self.subdir),
                            go_quote(&v)
                        ));
                    }
                    self.subdir = v;
                }
                "checksum" | "commit" => self.checksum = v,
                "keep-git-dir" => self.keep_git_dir = Some(flag("keep-git-dir")?),
                "submodules" => self.submodules = Some(flag("submodules")?),
                "mtime" => {
                    if v != "checkout" && v != "commit" {
                        return Err(format!(
                            "invalid mtime value: {} (must be \"checkout\" or \"commit\")",
                            go_quote(&v)
                        ));
                    }
                    self.mtime = v;
                }
                "fetch-by-commit" => self.fetch_by_commit = flag("fetch-by-commit")?,
                _ => return Err(format!("unexpected query {}", go_quote(&k))),
            }
        }
        for (value, prefix) in [(tag.clone(), "refs/tags/"), (branch, "refs/heads/")] {
            if value.is_empty() {
                continue;
            }
            if prefix == "refs/heads/" && !tag.is_empty() {
                return Err("branch conflicts with tag".to_owned());
            }
            let full = if value.starts_with(prefix) {
                value
            } else {
                format!("{prefix}{value}")
            };
            if !self.reference.is_empty() && self.reference != full {
                return Err(format!(
                    "ref conflicts: {} vs {}",
                    go_quote(&self.reference),
                    go_quote(&full)
                ));
            }
            self.reference = full;
        }
        Ok(())
    }
}

/// The file name of a download: the last path element, or `__unnamed__`.
pub fn http_filename(url: &str) -> String {
    let after_scheme = url.split_once("://").map_or(url, |(_, r)| r);
    let path_start = after_scheme.find('/').map_or(after_scheme.len(), |i| i);
    let path = &after_scheme[path_start..];
    let path = path.split(['?', '#']).next().unwrap_or("");
    let path = percent_decode(path);
    let base = paths::base(&path);
    if base == "." || base == "/" {
        "__unnamed__".to_owned()
    } else {
        base
    }
}

fn percent_decode(s: &str) -> String {
    let b = s.as_bytes();
    let mut out = Vec::with_capacity(b.len());
    let mut i = 0;
    while i < b.len() {
        if b[i] == b'%'
            && let Some(v) = s
                .get(i + 1..i + 3)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
        {
            out.push(v);
            i += 3;
            continue;
        }
        out.push(b[i]);
        i += 1;
    }
    String::from_utf8_lossy(&out).into_owned()
}

/// Go's `containsWildcards` for `--parents`.
pub fn has_wildcards(s: &str) -> bool {
    let b = s.as_bytes();
    let mut i = 0;
    while i < b.len() {
        match b[i] {
            b'*' | b'?' | b'[' => return true,
            b'\\' => i += 1,
            _ => {}
        }
        i += 1;
    }
    false
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sources() {
        assert!(is_git("git@github.com:a/b.git"));
        assert!(is_git("https://github.com/a/b.git#main"));
        assert!(!is_git("https://example.com/file.tar.gz"));
        assert!(!is_git("src/"));
        assert!(is_http("https://example.com/x"));
        assert_eq!(http_filename("https://example.com/a/b.tgz?x=1"), "b.tgz");
        assert_eq!(http_filename("https://example.com"), "__unnamed__");
        assert_eq!(http_filename("https://example.com/"), "__unnamed__");
    }

    #[test]
    fn git_refs() {
        let r = parse_git_ref("https://github.com/a/b.git?ref=v1&keep-git-dir=1").unwrap();
        assert_eq!(r.remote, "https://github.com/a/b.git");
        assert_eq!(r.identifier(), "git://github.com/a/b.git#v1");
        assert_eq!(r.keep_git_dir, Some(true));
        let r = parse_git_ref("git@github.com:a/b.git#main:/x/../sub").unwrap();
        assert!(r.ssh);
        assert_eq!(r.remote, "git@github.com:a/b.git");
        assert_eq!(r.identifier(), "git://github.com/a/b.git#main:sub");
        let r = parse_git_ref("https://h/a.git?branch=dev&commit=abc").unwrap();
        assert_eq!(r.reference, "refs/heads/dev");
        assert_eq!(r.checksum, "abc");
        assert_eq!(
            parse_git_ref("https://h/a.git?foo=1").unwrap_err(),
            "unexpected query \"foo\""
        );
        assert_eq!(
            parse_git_ref("https://h/a.git?ref=").unwrap_err(),
            "query \"ref\" has no value"
        );
    }
}
