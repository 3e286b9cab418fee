//! Slash-separated path helpers with Go's exact semantics (`path.Clean`,
//! `path.Join`, `path.Base`) and BuildKit's two path normalisers: the
//! Dockerfile frontend's (`system.NormalizePath`, which leaves absolute
//! paths uncleaned) and the LLB client's (`normalizePath`, which cleans).
//! Windows paths are treated like Linux ones.

/// Go's `path.Clean`.
pub fn clean(p: &str) -> String {
    if p.is_empty() {
        return ".".to_owned();
    }
    let rooted = p.starts_with('/');
    let mut parts: Vec<&str> = Vec::new();
    for part in p.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                if parts.last().is_some_and(|l| *l != "..") {
                    parts.pop();
                } else if !rooted {
                    parts.push("..");
                }
            }
            x => parts.push(x),
        }
    }
    let joined = parts.join("/");
    match (rooted, joined.is_empty()) {
        (true, _) => format!("/{joined}"),
        (false, true) => ".".to_owned(),
        (false, false) => joined,
    }
}

/// Go's `path.Join`: the non-empty elements joined and cleaned.
pub fn join(parts: &[&str]) -> String {
    let joined: Vec<&str> = parts.iter().copied().filter(|p| !p.is_empty()).collect();
    if joined.is_empty() {
        return String::new();
    }
    clean(&joined.join("/"))
}

/// Go's `path.Base`.
pub fn base(p: &str) -> String {
    if p.is_empty() {
        return ".".to_owned();
    }
    let trimmed = p.trim_end_matches('/');
    if trimmed.is_empty() {
        return "/".to_owned();
    }
    trimmed.rsplit('/').next().unwrap_or(trimmed).to_owned()
}

pub fn is_abs(p: &str) -> bool {
    p.starts_with('/')
}

/// BuildKit's `system.NormalizePath` on Linux: a relative `new` is joined
/// onto `parent` (and so cleaned), an absolute one is kept as written;
/// with `keep_slash`, a trailing `/` or `/.` survives.
pub fn normalize(parent: &str, new: &str, keep_slash: bool) -> String {
    let orig = new;
    let mut parent = if parent.is_empty() {
        "/".to_owned()
    } else {
        parent.to_owned()
    };
    if !is_abs(&parent) {
        parent = join(&["/", &parent]);
    }
    let mut out = if new.is_empty() {
        parent.clone()
    } else {
        new.to_owned()
    };
    if !is_abs(&out) {
        out = join(&[&parent, &out]);
    }
    if keep_slash {
        if orig.ends_with('/') && !out.ends_with('/') {
            out.push('/');
        } else if orig.ends_with("/.") {
            if out != "/" {
                out.push('/');
            }
            out.push('.');
        }
    }
    out
}

/// The LLB client's `normalizePath`: cleaned, made absolute against
/// `parent`, and with `keep_slash` the trailing `/` or `/.` restored.
pub fn llb_normalize(parent: &str, p: &str, keep_slash: bool) -> String {
    let mut out = clean(p);
    if !is_abs(&out) {
        out = join(&["/", parent, &out]);
    }
    if keep_slash {
        if p.ends_with('/') && !out.ends_with('/') {
            out.push('/');
        } else if p.ends_with("/.") {
            if out != "/" {
                out.push('/');
            }
            out.push('.');
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn go_path_semantics() {
        assert_eq!(clean("a/../b/./c/"), "b/c");
        assert_eq!(clean("/.."), "/");
        assert_eq!(clean("../a"), "../a");
        assert_eq!(join(&["/", "a", "../b"]), "/b");
        assert_eq!(base("/a/b/"), "b");
        assert_eq!(base("/"), "/");
        assert_eq!(base(""), ".");
    }

    #[test]
    fn normalisers() {
        assert_eq!(normalize("/app", "x/", true), "/app/x/");
        assert_eq!(normalize("/app", "/abs/../y", true), "/abs/../y");
        assert_eq!(normalize("/app", "./", true), "/app/");
        assert_eq!(normalize("", "a", false), "/a");
        assert_eq!(llb_normalize("/", "/abs/../y/", true), "/y/");
        assert_eq!(llb_normalize("/", "/foo/./.", true), "/foo/.");
    }
}
