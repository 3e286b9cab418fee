//! Where base images and other outside facts come from.
//!
//! The compiler never does I/O itself: it asks a [`Resolver`]. The gateway
//! frontend answers through BuildKit (`ResolveImageConfig`, `ReadFile`);
//! the CLI uses [`OfflineResolver`].

use std::future::Future;

use crate::ir::options::ResolveMode;
use crate::ir::platform::Platform;

/// What resolving an image reference gave.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ResolvedImage {
    /// The reference the resolver settled on, if it differs from the
    /// request (source policies may rewrite it).
    pub reference: Option<String>,
    /// The manifest digest (`sha256:…`) to pin the image to.
    pub digest: Option<String>,
    /// The image config. `None` means unknown: the image is assumed to
    /// have layers and an empty config.
    pub config: Option<serde_json::Value>,
}

/// Answers the compiler's questions about the outside world.
pub trait Resolver: Sync {
    /// Resolves `reference` (normalised, with tag) for `platform`.
    fn resolve_image(
        &self,
        reference: &str,
        platform: &Platform,
        mode: ResolveMode,
    ) -> impl Future<Output = Result<ResolvedImage, String>> + Send;

    /// Resolves the image of an `oci-layout://` named context: the layout
    /// the client registered as content store `store` in the build's
    /// session, at the digest pinned in `reference` (the context's name,
    /// `docker.io/library/base@sha256:…`). `key` is the option key
    /// (`NAME` or `NAME::os/arch`), for progress names. By default the
    /// config is unknown, as with [`OfflineResolver`].
    fn resolve_oci_layout(
        &self,
        key: &str,
        reference: &str,
        store: &str,
        platform: &Platform,
    ) -> impl Future<Output = Result<ResolvedImage, String>> + Send {
        let _ = (key, reference, store, platform);
        async { Ok(ResolvedImage::default()) }
    }

    /// The `.dockerignore` at the root of the client directory `local`
    /// (for `local:` named contexts); `Ok(None)` when there is none.
    fn read_local_dockerignore(
        &self,
        local: &str,
    ) -> impl Future<Output = Result<Option<Vec<u8>>, String>> + Send {
        let _ = local;
        async { Ok(None) }
    }
}

/// A resolver for builds without a daemon: every image resolves to itself
/// with no digest and an unknown config, so the LLB names images by tag
/// (`docker-image://docker.io/library/alpine:3`, not digest-pinned) and
/// stages start with no environment but the default PATH, no working
/// directory, no user, no ONBUILD triggers. Named local contexts have no
/// `.dockerignore`; `oci-layout://` contexts have an unknown config.
#[derive(Clone, Copy, Debug, Default)]
pub struct OfflineResolver;

impl Resolver for OfflineResolver {
    async fn resolve_image(
        &self,
        _reference: &str,
        _platform: &Platform,
        _mode: ResolveMode,
    ) -> Result<ResolvedImage, String> {
        Ok(ResolvedImage::default())
    }
}

/// A resolver with fixed answers, for tests and tools: references map to
/// configs (and optional digests); anything else fails like a registry
/// would.
#[derive(Clone, Debug, Default)]
pub struct StaticResolver {
    pub images: std::collections::BTreeMap<String, ResolvedImage>,
}

impl Resolver for StaticResolver {
    fn resolve_image(
        &self,
        reference: &str,
        _platform: &Platform,
        _mode: ResolveMode,
    ) -> impl Future<Output = Result<ResolvedImage, String>> + Send {
        let found = self.images.get(reference).cloned();
        let reference = reference.to_owned();
        async move { found.ok_or_else(|| format!("{reference}: not found")) }
    }

    /// Layout images are looked up by their pinned reference, like
    /// registry images.
    fn resolve_oci_layout(
        &self,
        _key: &str,
        reference: &str,
        _store: &str,
        platform: &Platform,
    ) -> impl Future<Output = Result<ResolvedImage, String>> + Send {
        self.resolve_image(reference, platform, ResolveMode::Default)
    }
}
