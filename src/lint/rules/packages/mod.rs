//! Rules about package managers inside `RUN`: apt, apk and pip.

pub mod apk_add_with_cache;
pub mod apt_get_install_with_recommends;
pub mod apt_get_install_without_yes;
pub mod apt_instead_of_apt_get;
pub mod apt_lists_kept;
pub mod pip_install_with_cache;

use crate::lint::checker::RunScript;
use crate::syntax::instructions::MountType;

/// Whether `run` has a cache mount (`--mount=type=cache`) whose target
/// starts with one of `targets`.
pub(crate) fn has_cache_mount(run: &RunScript, targets: &[&str]) -> bool {
    run.mounts.iter().any(|m| {
        m.kind == MountType::Cache
            && m.target.as_deref().is_some_and(|t| {
                let t = t.trim_end_matches('/');
                targets
                    .iter()
                    .any(|p| t.starts_with(p.trim_end_matches('/')))
            })
    })
}
