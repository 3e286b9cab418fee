//! Rules about the images stages are built from.

pub mod latest_base_image;
pub mod untagged_base_image;
pub mod untrusted_base_image_registry;

use crate::lint::checker::Checker;
use crate::syntax::text::TextRange;

/// The base image of each stage built from an image (not `scratch`, not
/// an earlier stage), expanded with the global ARG defaults, with the
/// range of the name. Names that do not expand fully are left out.
pub(crate) fn base_images(checker: &Checker) -> Vec<(TextRange, String)> {
    let env = checker.meta_env();
    let parents = checker.parents();
    let mut out = Vec::new();
    for (i, stage) in checker.file.stages.iter().enumerate() {
        if parents.get(i).copied().flatten().is_some() {
            continue;
        }
        let Ok(e) = checker.lexer.process_word(&stage.from.image.value, &env) else {
            continue;
        };
        if !e.used.unmatched.is_empty()
            || e.value.is_empty()
            || e.value.eq_ignore_ascii_case("scratch")
        {
            continue;
        }
        out.push((stage.from.image.range, e.value));
    }
    out
}

/// The tag and digest of an image reference as written:
/// `alpine:3@sha256:…` is `(Some("3"), Some("sha256:…"))`.
pub(crate) fn tag_and_digest(image: &str) -> (Option<&str>, Option<&str>) {
    let (rest, digest) = match image.split_once('@') {
        Some((r, d)) => (r, Some(d)),
        None => (image, None),
    };
    let name_start = rest.rfind('/').map_or(0, |i| i + 1);
    let last = rest.get(name_start..).unwrap_or("");
    let tag = last.rfind(':').and_then(|i| last.get(i + 1..));
    (tag, digest)
}

#[cfg(test)]
mod tests {
    use super::tag_and_digest;

    #[test]
    fn tags_and_digests() {
        assert_eq!(tag_and_digest("alpine"), (None, None));
        assert_eq!(tag_and_digest("alpine:3.20"), (Some("3.20"), None));
        assert_eq!(tag_and_digest("localhost:5000/app"), (None, None));
        assert_eq!(
            tag_and_digest("r:5000/app:1@sha256:ab"),
            (Some("1"), Some("sha256:ab"))
        );
    }
}
