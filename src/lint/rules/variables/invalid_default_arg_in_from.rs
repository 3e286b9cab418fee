//! `InvalidDefaultArgInFrom`: FROM is a valid image with default ARGs.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Checks that every `FROM` image name, expanded with the default
    /// values of the global ARGs (no build arguments given), is a valid
    /// image reference: not empty, a lower-case repository, a valid tag.
    ///
    /// ## Why is this bad?
    /// The Dockerfile cannot be built without `--build-arg`, and the error
    /// only shows up when someone builds it. A sensible default documents
    /// what is expected.
    ///
    /// ## Example
    /// ```dockerfile
    /// ARG VERSION
    /// FROM alpine:$VERSION
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// ARG VERSION=latest
    /// FROM alpine:$VERSION
    /// ```
    pub struct InvalidDefaultArgInFrom {
        pub base: String,
    }
}

impl Violation for InvalidDefaultArgInFrom {
    const RULE: Rule = Rule::InvalidDefaultArgInFrom;
    fn message(&self) -> String {
        format!(
            "Default value for ARG {} results in empty or invalid base image name",
            self.base
        )
    }
}

/// SW018. Like BuildKit, gives up on the whole file when a name does not
/// expand.
pub(crate) fn invalid_default_arg_in_from(checker: &mut Checker) {
    if !checker.any_enabled(Rule::InvalidDefaultArgInFrom) {
        return;
    }
    let file = checker.file;
    let env = checker.meta_env();
    for stage in &file.stages {
        let base = &stage.from.image.value;
        let Ok(e) = checker.lexer.process_word(base, &env) else {
            return;
        };
        if !is_valid_reference(&e.value) {
            let violation = InvalidDefaultArgInFrom { base: base.clone() };
            checker.report(violation, stage.from.range);
        }
    }
}

/// Whether `s` parses as a normalised Docker image reference
/// (`[domain/]path[:tag][@digest]`, the path in lower case).
pub(crate) fn is_valid_reference(s: &str) -> bool {
    let (rest, digest) = match s.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (s, None),
    };
    if digest.is_some_and(|d| !is_digest(d)) {
        return false;
    }
    // A tag is after the last ':' that follows the last '/'.
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (name, tag) = match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..])),
        None => (rest, None),
    };
    if tag.is_some_and(|t| !is_tag(t)) || name.is_empty() || name.len() > 255 {
        return false;
    }
    let (domain, path) = match name.split_once('/') {
        Some((d, p)) if d.contains(['.', ':']) || d == "localhost" || d != d.to_lowercase() => {
            (Some(d), p)
        }
        _ => (None, name),
    };
    domain.is_none_or(is_domain) && path.split('/').all(is_path_component)
}

fn is_path_component(c: &str) -> bool {
    let b = c.as_bytes();
    let alnum = |x: u8| x.is_ascii_lowercase() || x.is_ascii_digit();
    if b.is_empty() || !alnum(b[0]) || !alnum(b[b.len() - 1]) {
        return false;
    }
    // Separators: one `.` or `_`, two `_`, or any run of `-`.
    let mut i = 0;
    while i < b.len() {
        if alnum(b[i]) {
            i += 1;
            continue;
        }
        let start = i;
        while i < b.len() && !alnum(b[i]) {
            i += 1;
        }
        let sep = &c[start..i];
        let ok = matches!(sep, "." | "_" | "__") || sep.bytes().all(|x| x == b'-');
        if !ok {
            return false;
        }
    }
    true
}

fn is_domain(d: &str) -> bool {
    let host = match d.rsplit_once(':') {
        Some((h, port)) if !h.ends_with(']') || d.starts_with('[') => {
            if port.is_empty() || !port.bytes().all(|x| x.is_ascii_digit()) {
                return false;
            }
            h
        }
        _ => d,
    };
    if host.starts_with('[') {
        return host.ends_with(']') && host.len() > 2;
    }
    !host.is_empty()
        && host.split('.').all(|part| {
            let b = part.as_bytes();
            !b.is_empty()
                && b[0].is_ascii_alphanumeric()
                && b[b.len() - 1].is_ascii_alphanumeric()
                && b.iter().all(|x| x.is_ascii_alphanumeric() || *x == b'-')
        })
}

fn is_tag(t: &str) -> bool {
    let b = t.as_bytes();
    let word = |x: u8| x.is_ascii_alphanumeric() || x == b'_';
    !b.is_empty()
        && b.len() <= 128
        && word(b[0])
        && b.iter().all(|&x| word(x) || x == b'.' || x == b'-')
}

fn is_digest(d: &str) -> bool {
    let Some((algo, hex)) = d.split_once(':') else {
        return false;
    };
    !algo.is_empty()
        && algo
            .bytes()
            .all(|x| x.is_ascii_lowercase() || x.is_ascii_digit() || b"+._-".contains(&x))
        && hex.len() >= 32
        && hex.bytes().all(|x| x.is_ascii_hexdigit())
}

#[cfg(test)]
mod tests {
    use super::is_valid_reference;

    #[test]
    fn references() {
        for ok in [
            "alpine",
            "alpine:3.20",
            "docker.io/library/alpine:latest",
            "localhost:5000/a/b",
            "Registry.Example.com/x",
            "ghcr.io/a/b-c__d.e",
            "builder",
            "scratch",
            "Foo/bar",
        ] {
            assert!(is_valid_reference(ok), "{ok}");
        }
        for no in [
            "",
            "REPLACE-ME",
            "docker:-dind",
            "a//b",
            "alpine:",
            "foo/Bar",
            "a:b:c",
        ] {
            assert!(!is_valid_reference(no), "{no}");
        }
    }
}
