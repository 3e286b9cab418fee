//! `InvalidBaseImagePlatform`: a base image resolved for another platform
//! than the stage is built for.
//!
//! Only known once base images are resolved, which linting a file does not
//! do: the caller passes what resolution found
//! ([`LintOptions::base_image_platforms`]); without it the rule reports
//! nothing.
//!
//! [`LintOptions::base_image_platforms`]: crate::lint::LintOptions::base_image_platforms

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

/// What resolving one stage's base image found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct BaseImagePlatform {
    /// The stage, by index in file order.
    pub stage: usize,
    /// The base image as named in the build (FROM expanded).
    pub image: String,
    /// The platform the stage is built for, normalized (`linux/arm64/v8`).
    pub expected: String,
    /// The platform of the image that was pulled, normalized.
    pub actual: String,
}

crate::declare_rule! {
    /// ## What it does
    /// Checks that each base image was pulled for the platform its stage
    /// is built for (operating system and architecture). Needs the base
    /// images resolved, so it runs in builds and `--call=check`, not on a
    /// file alone.
    ///
    /// ## Why is this bad?
    /// An image for another platform usually means the requested one is
    /// not published: the stage then runs under emulation or fails with
    /// "exec format error", and the result is labelled with a platform
    /// its binaries do not match.
    ///
    /// ## Example
    /// Built for `linux/amd64`, with an image published only for
    /// `linux/arm64`:
    /// ```dockerfile
    /// FROM example/arm64-only-tool
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM --platform=linux/arm64 example/arm64-only-tool
    /// ```
    ///
    /// Or use an image published for the target platform.
    pub struct InvalidBaseImagePlatform {
        pub image: String,
        pub expected: String,
        pub actual: String,
    }
}

impl Violation for InvalidBaseImagePlatform {
    const RULE: Rule = Rule::InvalidBaseImagePlatform;
    fn message(&self) -> String {
        let q = crate::syntax::dump::go_quote;
        format!(
            "Base image {} was pulled with platform {}, expected {} for current build",
            self.image,
            q(&self.actual),
            q(&self.expected)
        )
    }
}

/// SW020.
pub(crate) fn invalid_base_image_platform(checker: &mut Checker) {
    if !checker.any_enabled(Rule::InvalidBaseImagePlatform) {
        return;
    }
    let Some(resolved) = &checker.options.base_image_platforms else {
        return;
    };
    let file = checker.file;
    for r in resolved {
        let Some(stage) = file.stages.get(r.stage) else {
            continue;
        };
        if os_arch(&r.expected) != os_arch(&r.actual) {
            let violation = InvalidBaseImagePlatform {
                image: r.image.clone(),
                expected: r.expected.clone(),
                actual: r.actual.clone(),
            };
            checker.report(violation, stage.from.range);
        }
    }
}

/// The operating system and architecture of `os/arch[/variant]` (the
/// variant does not count, as in BuildKit).
fn os_arch(platform: &str) -> (&str, &str) {
    let mut parts = platform.split('/');
    (parts.next().unwrap_or(""), parts.next().unwrap_or(""))
}
