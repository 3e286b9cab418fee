//! Rules about `COPY` and `ADD`.

pub mod add_instead_of_copy;
pub mod copy_from_own_stage;
pub mod copy_from_unknown_stage;
pub mod copy_ignored_file;
pub mod copy_multiple_sources_to_file;
pub mod copy_relative_destination_without_workdir;

use crate::lint::checker::Checker;

/// What a `--from` value refers to, seen from stage `current`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum FromTarget {
    /// An earlier stage, by name or index.
    Stage(usize),
    /// The stage the instruction is in.
    OwnStage,
    /// A stage defined further down the file.
    LaterStage(usize),
    /// Something that looks like an image reference (has a `/`, `:`, `@`
    /// or `.`), or a named build context.
    Image,
    /// A plain name that is no stage: BuildKit takes it as an image on
    /// Docker Hub.
    Unknown,
    /// Depends on a variable.
    Variable,
}

/// Resolves a `--from` value like BuildKit: a stage name (any case), a
/// stage index, or else an image.
pub(crate) fn from_target(checker: &Checker, current: usize, from: &str) -> FromTarget {
    if from.contains('$') {
        return FromTarget::Variable;
    }
    let stages = &checker.file.stages;
    let name = from.to_lowercase();
    let index = match name.parse::<usize>() {
        Ok(n) if n < stages.len() => Some(n),
        Ok(_) => None,
        Err(_) => stages
            .iter()
            .position(|s| s.name.as_ref().is_some_and(|n| n.value == name)),
    };
    match index {
        Some(i) if i < current => FromTarget::Stage(i),
        Some(i) if i == current => FromTarget::OwnStage,
        Some(i) => FromTarget::LaterStage(i),
        None if name.contains(['/', ':', '@', '.']) => FromTarget::Image,
        None => FromTarget::Unknown,
    }
}
