//! Classifying COPY/ADD sources as BuildKit does (Git remotes, HTTP URLs,
//! local paths), and the small parsers around them: download file names,
//! `--checksum` digests and wildcard detection for `--parents`.

use crate::ir::paths;

pub(super) fn is_http(s: &str) -> bool {
    (s.starts_with("http://") || s.starts_with("https://")) && !is_git(s)
}

/// A Git remote as BuildKit's `ParseGitRef` sees one.
pub(super) fn is_git(s: &str) -> bool {
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

/// The file name of a download: the last path element, or `__unnamed__`.
pub(super) fn http_filename(url: &str) -> String {
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

/// `digest.Parse`.
pub(super) fn check_digest(d: &str) -> Result<(), String> {
    let Some((alg, hex)) = d.split_once(':') else {
        return Err("invalid checksum digest format".to_owned());
    };
    let want = match alg {
        "sha256" => 64,
        "sha384" => 96,
        "sha512" => 128,
        _ => return Err("unsupported digest algorithm".to_owned()),
    };
    if hex.len() != want || !hex.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
        return Err("invalid checksum digest format".to_owned());
    }
    Ok(())
}

/// Go's `containsWildcards` for `--parents`.
pub(super) fn has_wildcards(s: &str) -> bool {
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
}
