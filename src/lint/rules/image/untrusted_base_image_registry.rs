//! `untrusted-base-image-registry`: images come from trusted registries.

use crate::ir::reference::ImageRef;
use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::lint::rules::copy::{FromTarget, from_target};
use crate::syntax::instructions::Instruction;
use crate::syntax::text::TextRange;

crate::declare_rule! {
    /// ## What it does
    /// Checks that every image the build pulls (`FROM`, `COPY --from`,
    /// `RUN --mount=from=`) comes from one of the registries listed in
    /// `trusted-registries` in `slipway.toml`. Docker Hub is `docker.io`;
    /// `*.example.com` trusts every subdomain of `example.com`. The rule
    /// does nothing while the list is empty.
    ///
    /// ## Why is this bad?
    /// An image from an unvetted registry is code you run and ship without
    /// review; organisations often mirror the images they allow.
    ///
    /// ## Example
    /// With `trusted-registries = ["registry.example.com"]`:
    /// ```dockerfile
    /// FROM docker.io/library/python:3.12
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM registry.example.com/python:3.12
    /// ```
    pub struct UntrustedBaseImageRegistry {
        pub image: String,
        pub registry: String,
    }
}

impl Violation for UntrustedBaseImageRegistry {
    const RULE: Rule = Rule::UntrustedBaseImageRegistry;
    fn message(&self) -> String {
        format!(
            "image `{}` comes from `{}`, which is not a trusted registry",
            self.image, self.registry
        )
    }
}

/// SW036.
pub(crate) fn untrusted_base_image_registry(checker: &mut Checker) {
    let trusted = &checker.options.trusted_registries;
    if trusted.is_empty() || !checker.any_enabled(Rule::UntrustedBaseImageRegistry) {
        return;
    }
    let mut images: Vec<(TextRange, String)> = super::base_images(checker);
    for (i, stage) in checker.file.stages.iter().enumerate() {
        for ins in &stage.instructions {
            match ins {
                Instruction::Copy(c) => {
                    if let Some(from) = &c.from
                        && from_target(checker, i, &from.value) == FromTarget::Image
                    {
                        images.push((from.range, from.value.clone()));
                    }
                }
                Instruction::Run(r) => {
                    for m in &r.mounts {
                        if let Some(from) = &m.from
                            && from_target(checker, i, from) == FromTarget::Image
                        {
                            images.push((m.value.range, from.clone()));
                        }
                    }
                }
                _ => {}
            }
        }
    }
    for (range, image) in images {
        let Ok(reference) = ImageRef::parse_normalized(&image) else {
            continue;
        };
        let registry = reference.domain;
        if !trusted.iter().any(|t| is_trusted(t, &registry)) {
            checker.report(UntrustedBaseImageRegistry { image, registry }, range);
        }
    }
}

/// Whether `registry` matches the trusted entry `pattern` (`*.x` matches
/// any subdomain of `x`).
fn is_trusted(pattern: &str, registry: &str) -> bool {
    let pattern = pattern.trim().trim_end_matches('/');
    let docker_hub = |s: &str| matches!(s, "docker.io" | "index.docker.io" | "hub.docker.com");
    if docker_hub(pattern) && docker_hub(registry) {
        return true;
    }
    match pattern.strip_prefix("*.") {
        Some(suffix) => registry
            .strip_suffix(suffix)
            .is_some_and(|head| head.ends_with('.')),
        None => pattern.eq_ignore_ascii_case(registry),
    }
}

#[cfg(test)]
mod tests {
    use super::is_trusted;

    #[test]
    fn registry_patterns() {
        assert!(is_trusted("docker.io", "docker.io"));
        assert!(is_trusted("hub.docker.com", "docker.io"));
        assert!(is_trusted("*.example.com", "r.example.com"));
        assert!(!is_trusted("*.example.com", "example.com"));
        assert!(!is_trusted("*.example.com", "badexample.com"));
        assert!(!is_trusted("quay.io", "ghcr.io"));
    }
}
