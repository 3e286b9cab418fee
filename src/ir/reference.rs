//! Image references normalised like Docker's reference parser
//! (`distribution/reference`): `busybox:local` is
//! `docker.io/library/busybox:local`, `alpine` is
//! `docker.io/library/alpine:latest`, and `ghcr.io/x/y@sha256:…` keeps its
//! digest. Errors use the parser's wording.

use std::fmt;

/// A parsed, normalised image reference.
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ImageRef {
    /// Registry host (and port), `docker.io` for Docker Hub.
    pub domain: String,
    /// Repository path, `library/alpine` for official images.
    pub path: String,
    pub tag: Option<String>,
    /// `algorithm:hex`.
    pub digest: Option<String>,
}

const DEFAULT_DOMAIN: &str = "docker.io";
const LEGACY_DEFAULT_DOMAIN: &str = "index.docker.io";
const OFFICIAL_PREFIX: &str = "library/";
const NAME_TOTAL_LENGTH_MAX: usize = 255;

impl ImageRef {
    /// `reference.ParseNormalizedNamed`.
    pub fn parse_normalized(s: &str) -> Result<ImageRef, String> {
        if s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f')) {
            return Err(format!(
                "invalid repository name ({s}), cannot specify 64-byte hexadecimal strings"
            ));
        }
        let (domain, remainder) = split_docker_domain(s);
        let remote = match remainder.find(':') {
            Some(i) => &remainder[..i],
            None => remainder.as_str(),
        };
        if remote.to_lowercase() != remote {
            return Err(format!(
                "invalid reference format: repository name ({remote}) must be lowercase"
            ));
        }
        parse_full(&format!("{domain}/{remainder}"))
    }

    /// `reference.Parse`: the reference as written, not normalised
    /// (`store:tag@sha256:…` keeps `store` as its whole name).
    pub fn parse(s: &str) -> Result<ImageRef, String> {
        parse_full(s)
    }

    /// The name without tag or digest: `docker.io/library/alpine`.
    pub fn name(&self) -> String {
        if self.domain.is_empty() {
            self.path.clone()
        } else {
            format!("{}/{}", self.domain, self.path)
        }
    }

    /// `reference.TagNameOnly`: adds `:latest` when there is neither a tag
    /// nor a digest.
    pub fn with_default_tag(mut self) -> ImageRef {
        if self.tag.is_none() && self.digest.is_none() {
            self.tag = Some("latest".to_owned());
        }
        self
    }

    /// `reference.WithDigest`: keeps the tag, replaces the digest.
    pub fn with_digest(mut self, digest: &str) -> ImageRef {
        self.digest = Some(digest.to_owned());
        self
    }

    /// `reference.FamiliarString`: `alpine:3`, `ghcr.io/x/y`.
    pub fn familiar(&self) -> String {
        let mut path = self.path.as_str();
        let mut out = String::new();
        if self.domain == DEFAULT_DOMAIN {
            if let Some(rest) = path.strip_prefix(OFFICIAL_PREFIX)
                && !rest.contains('/')
            {
                path = rest;
            }
        } else if !self.domain.is_empty() {
            out.push_str(&self.domain);
            out.push('/');
        }
        out.push_str(path);
        self.push_tag_digest(&mut out);
        out
    }

    fn push_tag_digest(&self, out: &mut String) {
        if let Some(t) = &self.tag {
            out.push(':');
            out.push_str(t);
        }
        if let Some(d) = &self.digest {
            out.push('@');
            out.push_str(d);
        }
    }
}

impl fmt::Display for ImageRef {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut out = self.name();
        self.push_tag_digest(&mut out);
        f.write_str(&out)
    }
}

fn split_docker_domain(name: &str) -> (String, String) {
    let Some((maybe_domain, rest)) = name.split_once('/') else {
        return (
            DEFAULT_DOMAIN.to_owned(),
            format!("{OFFICIAL_PREFIX}{name}"),
        );
    };
    let (domain, mut remote) = if maybe_domain == LEGACY_DEFAULT_DOMAIN {
        (DEFAULT_DOMAIN.to_owned(), rest.to_owned())
    } else if maybe_domain == "localhost"
        || maybe_domain.contains(['.', ':'])
        || maybe_domain.to_lowercase() != maybe_domain
    {
        (maybe_domain.to_owned(), rest.to_owned())
    } else {
        (DEFAULT_DOMAIN.to_owned(), name.to_owned())
    };
    if domain == DEFAULT_DOMAIN && !remote.contains('/') {
        remote = format!("{OFFICIAL_PREFIX}{remote}");
    }
    (domain, remote)
}

/// `reference.Parse` of `domain/path[:tag][@digest]`.
fn parse_full(s: &str) -> Result<ImageRef, String> {
    match parse_grammar(s) {
        Some(r) => {
            if r.path.len() > NAME_TOTAL_LENGTH_MAX {
                return Err(format!(
                    "repository name must not be more than {NAME_TOTAL_LENGTH_MAX} characters"
                ));
            }
            if let Some(d) = &r.digest {
                check_digest(d)?;
            }
            Ok(r)
        }
        None if s.is_empty() => Err("repository name must have at least one component".to_owned()),
        None if parse_grammar(&s.to_lowercase()).is_some() => {
            Err("invalid reference format: repository name must be lowercase".to_owned())
        }
        None => Err("invalid reference format".to_owned()),
    }
}

/// Matches `name(:tag)?(@digest)?` where name is `(domain/)?path`.
fn parse_grammar(s: &str) -> Option<ImageRef> {
    let (rest, digest) = match s.split_once('@') {
        Some((a, d)) => (a, Some(d)),
        None => (s, None),
    };
    if let Some(d) = digest
        && !digest_shape(d)
    {
        return None;
    }
    // The tag is after the last ':' that follows the last '/'.
    let last_slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[last_slash..].rfind(':') {
        Some(i) => (&rest[..last_slash + i], Some(&rest[last_slash + i + 1..])),
        None => (rest, None),
    };
    if let Some(t) = tag
        && !tag_ok(t)
    {
        return None;
    }
    let (domain, path) = split_name(name)?;
    Some(ImageRef {
        domain: domain.to_owned(),
        path: path.to_owned(),
        tag: tag.map(str::to_owned),
        digest: digest.map(str::to_owned),
    })
}

/// Splits a name into domain and path; the first component is a domain
/// only if the whole still matches with it taken as one.
fn split_name(name: &str) -> Option<(&str, &str)> {
    if let Some((first, rest)) = name.split_once('/')
        && domain_ok(first)
        && remote_ok(rest)
    {
        return Some((first, rest));
    }
    remote_ok(name).then_some(("", name))
}

fn tag_ok(t: &str) -> bool {
    let word = |c: char| c.is_ascii_alphanumeric() || c == '_';
    let mut chars = t.chars();
    chars.next().is_some_and(word)
        && t.len() <= 128
        && chars.all(|c| word(c) || c == '.' || c == '-')
}

fn digest_shape(d: &str) -> bool {
    let Some((alg, hex)) = d.split_once(':') else {
        return false;
    };
    let alg_ok = alg.split(['-', '_', '+', '.']).all(|part| {
        let mut c = part.chars();
        c.next().is_some_and(|c| c.is_ascii_alphabetic()) && c.all(|c| c.is_ascii_alphanumeric())
    });
    alg_ok && hex.len() >= 32 && hex.chars().all(|c| c.is_ascii_hexdigit())
}

/// `digest.Parse`: a supported algorithm and its lowercase hex.
pub fn check_digest(d: &str) -> Result<(), String> {
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

fn domain_ok(d: &str) -> bool {
    let (host, port) = match d.rsplit_once(':') {
        Some((h, p)) if !h.ends_with(']') || d.starts_with('[') => (h, Some(p)),
        _ => (d, None),
    };
    if let Some(p) = port
        && (p.is_empty() || !p.bytes().all(|b| b.is_ascii_digit()))
    {
        return false;
    }
    if let Some(inner) = host.strip_prefix('[') {
        return inner.strip_suffix(']').is_some_and(|i| {
            !i.is_empty() && i.chars().all(|c| c.is_ascii_hexdigit() || c == ':')
        });
    }
    !host.is_empty()
        && host.split('.').all(|label| {
            !label.is_empty()
                && label.chars().all(|c| c.is_ascii_alphanumeric() || c == '-')
                && !label.starts_with('-')
                && !label.ends_with('-')
        })
}

fn remote_ok(r: &str) -> bool {
    !r.is_empty() && r.split('/').all(path_component_ok)
}

/// `[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*`
fn path_component_ok(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    let mut i = 0;
    let run = |i: &mut usize| {
        let start = *i;
        while *i < b.len() && alnum(b[*i]) {
            *i += 1;
        }
        *i > start
    };
    if !run(&mut i) {
        return false;
    }
    while i < b.len() {
        match b[i] {
            b'.' => i += 1,
            b'_' => {
                i += 1;
                if b.get(i) == Some(&b'_') {
                    i += 1;
                }
            }
            b'-' => {
                while i < b.len() && b[i] == b'-' {
                    i += 1;
                }
            }
            _ => return false,
        }
        if !run(&mut i) {
            return false;
        }
    }
    true
}

#[cfg(test)]
mod tests {
    use super::*;

    fn norm(s: &str) -> String {
        ImageRef::parse_normalized(s)
            .unwrap()
            .with_default_tag()
            .to_string()
    }

    #[test]
    fn normalises_like_docker() {
        assert_eq!(norm("busybox:local"), "docker.io/library/busybox:local");
        assert_eq!(norm("alpine"), "docker.io/library/alpine:latest");
        assert_eq!(norm("user/repo"), "docker.io/user/repo:latest");
        assert_eq!(norm("ghcr.io/a/b:1.0"), "ghcr.io/a/b:1.0");
        assert_eq!(norm("localhost:5000/x"), "localhost:5000/x:latest");
        assert_eq!(
            norm("index.docker.io/library/a"),
            "docker.io/library/a:latest"
        );
        let d = "sha256:0123456789012345678901234567890123456789012345678901234567890123";
        assert_eq!(
            norm(&format!("alpine@{d}")),
            format!("docker.io/library/alpine@{d}")
        );
    }

    #[test]
    fn familiar_names() {
        let r = ImageRef::parse_normalized("docker.io/library/alpine:latest").unwrap();
        assert_eq!(r.familiar(), "alpine:latest");
        let r = ImageRef::parse_normalized("ghcr.io/a/b").unwrap();
        assert_eq!(r.familiar(), "ghcr.io/a/b");
    }

    #[test]
    fn rejects_bad_references() {
        assert!(
            ImageRef::parse_normalized("Alpine")
                .unwrap_err()
                .contains("lowercase")
        );
        assert_eq!(
            ImageRef::parse_normalized("a b").unwrap_err(),
            "invalid reference format"
        );
        assert!(ImageRef::parse_normalized("alpine:").is_err());
        assert!(ImageRef::parse_normalized("").is_err());
    }
}
