//! The compile pipeline: Dockerfile bytes and build options in, one LLB
//! definition per target platform out.
//!
//! [`compile`] parses ([`crate::syntax`]), plans ([`crate::ir::plan`]),
//! resolves base images concurrently through a [`Resolver`], lowers
//! ([`crate::ir::lower`]) and marshals ([`crate::llb`]) each platform.
//! [`outline`] and [`targets`] answer BuildKit's `frontend.outline` and
//! `frontend.targets` subrequests with the same JSON shapes.
//!
//! Errors are [`Diagnostic`]s with byte ranges into the Dockerfile;
//! warnings (syntax warnings, ONBUILD trigger problems) come back with the
//! result.

mod pipeline;
mod resolver;
mod subrequests;

use std::collections::BTreeMap;

use crate::diagnostics::Diagnostic;
use crate::ir::build::Build;
use crate::ir::options::BuildOptions;
use crate::ir::platform::Platform;
use crate::proto::pb;

pub use pipeline::{compile, plan_and_lower};
pub use resolver::{OfflineResolver, ResolvedImage, Resolver, StaticResolver};
pub use subrequests::{outline, targets};

/// Diagnostic code for features slipway does not lower yet.
pub const UNSUPPORTED: &str = crate::ir::codes::UNSUPPORTED;

/// Whether BuildKit's frontend attaches a source location to this error.
/// Slipway's diagnostics always point somewhere useful, but a frontend that
/// must report errors exactly like BuildKit should drop the location when
/// this is false: the unknown-target, `--from` expansion, bad stage index
/// and no-stages errors carry none upstream, nor do failures to resolve an
/// image named only in a `RUN --mount from=` (empty range here).
pub fn buildkit_reports_location(d: &Diagnostic) -> bool {
    use crate::ir::codes;
    !d.range.is_empty()
        && ![
            codes::UNKNOWN_TARGET,
            codes::FROM_EXPANSION,
            codes::INVALID_STAGE_INDEX,
            codes::NO_STAGES,
        ]
        .contains(&d.code)
}

/// What to compile.
#[derive(Clone, Debug, Default)]
pub struct CompileRequest {
    /// The Dockerfile as read (UTF-8, possibly with a BOM).
    pub dockerfile: Vec<u8>,
    pub options: BuildOptions,
    /// The LLB that loaded the Dockerfile, recorded in the source map
    /// (`Definition.Source.infos[0].definition`); the frontend has it.
    pub dockerfile_definition: Option<pb::Definition>,
    /// Frontend inputs the build may use (`input:` contexts, an input
    /// main context), by name.
    pub inputs: crate::llb::Inputs,
}

/// One target platform's output.
#[derive(Clone, Debug)]
pub struct PlatformResult {
    pub platform: Platform,
    pub definition: pb::Definition,
    /// `containerimage.config`: the image config as JSON.
    pub image_config: Vec<u8>,
    /// `containerimage.base.config`, when the target starts from an image.
    pub base_config: Option<Vec<u8>>,
    /// SOURCE_DATE_EPOCH in seconds, when set.
    pub epoch: Option<i64>,
    /// The lowered build, for tools.
    pub build: Build,
}

/// A successful compilation.
#[derive(Clone, Debug)]
pub struct Compiled {
    /// In request order (one entry for a single-platform build).
    pub platforms: Vec<PlatformResult>,
    /// Result metadata as BuildKit's frontend returns it (image configs,
    /// `refs.platforms`, epochs), keyed per platform when multi-platform.
    pub metadata: BTreeMap<String, Vec<u8>>,
    /// True when the result is keyed by platform.
    pub multi_platform: bool,
    pub warnings: Vec<Diagnostic>,
}

impl Compiled {
    /// A readable dump: per platform, the LLB ops (see
    /// [`crate::llb::to_json`]), the image config and its base.
    pub fn to_json(&self) -> serde_json::Value {
        let parse = |b: &[u8]| serde_json::from_slice::<serde_json::Value>(b).unwrap_or_default();
        let platforms: Vec<serde_json::Value> = self
            .platforms
            .iter()
            .map(|p| {
                serde_json::json!({
                    "platform": p.platform.format_all(),
                    "llb": crate::llb::to_json(&p.definition),
                    "image_config": parse(&p.image_config),
                    "base_config": p.base_config.as_deref().map(parse),
                })
            })
            .collect();
        serde_json::json!({ "multi_platform": self.multi_platform, "platforms": platforms })
    }
}
