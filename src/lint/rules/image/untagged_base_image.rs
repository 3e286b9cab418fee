//! `untagged-base-image`: `FROM` names a tag or a digest.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Checks for `FROM` images given without a tag or digest. `scratch`,
    /// earlier stages and names that depend on build arguments without a
    /// default are not reported.
    ///
    /// ## Why is this bad?
    /// Without a tag the builder pulls `latest`, which moves: the same
    /// Dockerfile builds on a different base from one week to the next,
    /// and a new major version can break the build or the image.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM debian:12
    /// ```
    pub struct UntaggedBaseImage {
        pub image: String,
    }
}

impl Violation for UntaggedBaseImage {
    const RULE: Rule = Rule::UntaggedBaseImage;
    fn message(&self) -> String {
        format!(
            "base image `{}` has no tag, so builds get whatever `latest` is at the time",
            self.image
        )
    }
}

/// SW023.
pub(crate) fn untagged_base_image(checker: &mut Checker) {
    if !checker.any_enabled(Rule::UntaggedBaseImage) {
        return;
    }
    for (range, image) in super::base_images(checker) {
        if super::tag_and_digest(&image) == (None, None) {
            checker.report(UntaggedBaseImage { image }, range);
        }
    }
}
