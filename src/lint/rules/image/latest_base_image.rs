//! `latest-base-image`: `FROM` does not use the `latest` tag.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Checks for `FROM` images with the `latest` tag and no digest.
    ///
    /// ## Why is this bad?
    /// `latest` is whatever was pushed last: rebuilding the same Dockerfile
    /// gives a different image, and a new major version of the base can
    /// break it without any change on your side.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:latest
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM node:22
    /// ```
    pub struct LatestBaseImage {
        pub image: String,
    }
}

impl Violation for LatestBaseImage {
    const RULE: Rule = Rule::LatestBaseImage;
    fn message(&self) -> String {
        format!(
            "base image `{}` uses the `latest` tag, which changes without notice",
            self.image
        )
    }
}

/// SW024.
pub(crate) fn latest_base_image(checker: &mut Checker) {
    if !checker.any_enabled(Rule::LatestBaseImage) {
        return;
    }
    for (range, image) in super::base_images(checker) {
        if super::tag_and_digest(&image) == (Some("latest"), None) {
            checker.report(LatestBaseImage { image }, range);
        }
    }
}
