//! The stable codes of the IR layer's diagnostics (planning and lowering),
//! in one catalogue. Shell expansion errors keep the shell module's own
//! codes (`slipway::shell::*`).

/// A feature BuildKit supports that slipway does not lower yet.
pub const UNSUPPORTED: &str = "slipway::compile::unsupported";
/// The Dockerfile has no FROM.
pub const NO_STAGES: &str = "slipway::compile::no-stages";
/// A FROM whose image expands to nothing.
pub const BLANK_BASE: &str = "slipway::compile::blank-base-name";
/// `FROM --platform` that expands to nothing or is not a platform.
pub const INVALID_PLATFORM: &str = "slipway::compile::invalid-platform";
/// An image reference the reference parser rejects.
pub const INVALID_REFERENCE: &str = "slipway::compile::invalid-reference";
/// The requested target is not a stage.
pub const UNKNOWN_TARGET: &str = "slipway::compile::unknown-target";
/// `COPY --from=N` with no stage N.
pub const INVALID_STAGE_INDEX: &str = "slipway::compile::invalid-stage-index";
/// `COPY --from=$VAR`.
pub const FROM_EXPANSION: &str = "slipway::compile::from-expansion";
/// Stages that depend on each other.
pub const CIRCULAR_DEPENDENCY: &str = "slipway::compile::circular-dependency";
/// `COPY --from` / `--mount from=` a stage that comes later.
pub const STAGE_ORDER: &str = "slipway::compile::stage-order";
/// A base image the resolver could not resolve.
pub const RESOLVE_FAILED: &str = "slipway::compile::resolve-failed";
/// A flag value BuildKit rejects at conversion time (`--chmod`,
/// `--mount` fields, `--checksum`, …).
pub const INVALID_FLAG_VALUE: &str = "slipway::compile::invalid-flag-value";
/// A bad argument value (STOPSIGNAL, EXPOSE, VOLUME, mount targets, …).
pub const INVALID_VALUE: &str = "slipway::compile::invalid-value";
/// An ONBUILD trigger that does not parse.
pub const INVALID_TRIGGER: &str = "slipway::compile::invalid-onbuild-trigger";
/// A bad frontend option.
pub const INVALID_OPTION: &str = "slipway::compile::invalid-option";
