//! After every stage is dispatched: the final image config (frontend
//! labels, platform fields), the local main context's follow paths, and
//! the data the outline subrequest reads.

use std::collections::{BTreeMap, BTreeSet};

use crate::diagnostics::Diagnostic;

use crate::ir::build::{Build, Fs, StageSummary, StepKind};
use crate::ir::plan::Plan;

use super::{Lower, Lowered, OutlineCapture};

/// What the outline needs: per-stage captures and the graph to walk.
#[derive(Clone, Debug, Default)]
pub struct OutlineSource {
    pub captures: Vec<Option<OutlineCapture>>,
    pub target: usize,
    /// Base stage and dependencies of each stage.
    pub edges: Vec<(Option<usize>, Vec<usize>)>,
    pub names: Vec<Option<String>>,
    pub doc_comments: Vec<Option<String>>,
}

pub(super) fn finish(mut lw: Lower) -> Result<Lowered, Diagnostic> {
    let plan = lw.plan;
    if let Some(id) = lw.context
        && let StepKind::Local(dir) = &mut lw.steps[id].kind
    {
        dir.follow_paths = follow_paths(&lw.context_paths);
    }
    named_follow_paths(&mut lw);
    let target = plan.target;
    let Some(state) = lw.results[target].take() else {
        return Err(Diagnostic::error(
            crate::ir::codes::UNSUPPORTED,
            plan.stages[target].from_range,
            "the target stage is replaced by a named context; slipway cannot build it yet",
        ));
    };
    let mut image = state.image.clone();
    for (k, v) in &plan.options.labels {
        image.config.labels.insert(k.clone(), v.clone());
    }
    if !plan.implicit_platform {
        let t = &plan.target_platform;
        let same = t.os == image.platform.os && t.architecture == image.platform.architecture;
        image.platform.os.clone_from(&t.os);
        image.platform.architecture.clone_from(&t.architecture);
        if !t.variant.is_empty() || !same {
            image.platform.variant.clone_from(&t.variant);
        }
        if !t.os_version.is_empty() || !same {
            image.platform.os_version.clone_from(&t.os_version);
        }
        if !t.os_features.is_empty() {
            image.platform.os_features.clone_from(&t.os_features);
        }
    }
    let normalized = image.platform.normalize();
    image.platform.os = normalized.os;
    image.platform.architecture = normalized.architecture;
    image.platform.variant = normalized.variant;
    let result = state.fs;
    lw.results[target] = Some(state.clone());
    let stages = stage_summaries(plan, &lw);
    let outline = outline_source(plan, &mut lw);
    Ok(Lowered {
        build: Build {
            steps: lw.steps,
            result,
            platform: plan.target_platform.clone(),
            image,
            base_image: state.base_image,
            epoch: plan.epoch,
            stages,
            llb_caps: plan.options.llb_caps.clone(),
        },
        outline,
    })
}

/// Follow paths of `local:` named contexts that replace a stage: what
/// other stages copy or mount from them, or everything when a stage is
/// built on top of one.
fn named_follow_paths(lw: &mut Lower) {
    let plan = lw.plan;
    for (&idx, fs) in &lw.bases {
        let Fs::Step(step) = *fs else {
            continue;
        };
        let StepKind::Local(_) = lw.steps[step].kind else {
            continue;
        };
        let mut paths = lw.source_paths.get(&idx).cloned().unwrap_or_default();
        if plan.stages.iter().any(|s| s.base_stage == Some(idx)) || idx == plan.target {
            paths.insert("/".to_owned());
        }
        let follow = follow_paths(&paths);
        if let StepKind::Local(dir) = &mut lw.steps[step].kind {
            dir.follow_paths = follow;
        }
    }
}

/// Sorted relative paths, or nothing when the whole context is needed.
fn follow_paths(paths: &BTreeSet<String>) -> Vec<String> {
    if paths.is_empty() || paths.contains("/") {
        return Vec::new();
    }
    let mut out: Vec<String> = paths
        .iter()
        .map(|p| crate::ir::paths::join(&[".", p]))
        .collect();
    out.sort();
    out
}

fn stage_summaries(plan: &Plan, lw: &Lower) -> Vec<StageSummary> {
    plan.stages
        .iter()
        .enumerate()
        .filter_map(|(i, s)| {
            let st = lw.results[i].as_ref()?;
            Some(StageSummary {
                index: i,
                name: s.name.clone(),
                base: s.base_name.clone(),
                platform: st.platform.clone(),
                result: st.fs,
            })
        })
        .collect()
}

fn outline_source(plan: &Plan, lw: &mut Lower) -> OutlineSource {
    let n = plan.stages.len();
    let mut captures = std::mem::take(&mut lw.outlines);
    // Stages that were not dispatched still carry the args of their FROM.
    for (i, s) in plan.stages.iter().enumerate() {
        if captures[i].is_none() {
            captures[i] = Some(OutlineCapture {
                all_args: plan.meta_args.clone(),
                used_args: s.used_args.clone(),
                secrets: BTreeMap::new(),
                ssh: BTreeMap::new(),
            });
        }
    }
    OutlineSource {
        captures,
        target: plan.target,
        edges: (0..n)
            .map(|i| (plan.stages[i].base_stage, plan.stages[i].deps.clone()))
            .collect(),
        names: plan.stages.iter().map(|s| s.name.clone()).collect(),
        doc_comments: plan.stages.iter().map(|s| s.doc_comment.clone()).collect(),
    }
}
