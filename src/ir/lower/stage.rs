//! Starting a stage: inheriting from a base stage or creating the base
//! image step, then applying the base config to the state (PATH default,
//! environment, working directory, user), as BuildKit's `dispatchStages`
//! does before the first instruction. Also the filesystems of stages used
//! as sources (`COPY --from`, `RUN --mount from=`).

use crate::diagnostics::Diagnostic;

use crate::ir::build::{Fs, LocalDir, ResolveModeValue, Step, StepInfo, StepKind};
use crate::ir::codes;
use crate::ir::env::{EnvList, split_key_value};
use crate::ir::image::{DEFAULT_PATH_ENV, ImageConfig};
use crate::ir::options::NamedContext;
use crate::ir::paths;
use crate::ir::plan::{Base, NamedBase};

use super::{Lower, OutlineCapture, Stage, State};

pub(super) fn init<'l, 'p>(lw: &'l mut Lower<'p>, idx: usize) -> Result<Stage<'l, 'p>, Diagnostic> {
    let plan = lw.plan;
    let ps = &plan.stages[idx];
    let mut stage = Stage {
        idx,
        state: State {
            fs: Fs::Scratch,
            env: EnvList::new(),
            dir: "/".to_owned(),
            user: String::new(),
            hostname: String::new(),
            platform: plan.target_platform.clone(),
            image: ImageConfig::default(),
            base_image: None,
            build_args: Vec::new(),
            workdir_set: false,
        },
        cmd_index: 0,
        cmd_total: ps.cmd_total,
        display_name: ps.display_name.clone(),
        ignore_cache: ps.ignore_cache,
        cmd_set: false,
        onbuild: false,
        outline: OutlineCapture {
            all_args: plan.meta_args.clone(),
            used_args: ps.used_args.clone(),
            ..OutlineCapture::default()
        },
        lw,
    };
    if let Some(b) = ps.base_stage {
        let mut base = stage_state(stage.lw, b)?;
        base.image.config.on_build.clear();
        stage.state = base;
    } else {
        let platform = ps
            .resolved_platform
            .clone()
            .unwrap_or_else(|| plan.target_platform.clone());
        stage.state.platform = platform.clone();
        stage.state.image = ps
            .image
            .clone()
            .unwrap_or_else(|| ImageConfig::empty(&platform));
        stage.state.base_image = ps.base_image.clone();
        match &ps.base {
            Base::Image { reference } => {
                let name = stage.prefix(&format!("FROM {reference}"), Some(&platform), None);
                stage.state.fs = stage.push(image_step(
                    reference,
                    name,
                    ps.from_text.clone(),
                    ps.from_lines.map(|l| vec![l]),
                    &platform,
                    plan.options.resolve_mode.into(),
                ));
            }
            Base::Named(nb) => {
                stage.state.fs = named_step(stage.lw, nb);
            }
            Base::Scratch | Base::Pending => {}
        }
    }
    apply_base_config(&mut stage);
    Ok(stage)
}

/// The config-derived part of a stage's start.
fn apply_base_config(stage: &mut Stage) {
    let st = &mut stage.state;
    let has_path = st
        .image
        .config
        .env
        .iter()
        .any(|e| split_key_value(e).0 == "PATH");
    if !has_path && st.platform.os != "windows" {
        st.image.config.env.push(format!("PATH={DEFAULT_PATH_ENV}"));
    }
    for e in &st.image.config.env {
        let (k, v) = split_key_value(e);
        st.env.set(k, v);
    }
    st.hostname.clone_from(&stage.lw.plan.options.hostname);
    if !st.image.config.working_dir.is_empty() {
        let wd = paths::normalize(
            &st.image.config.working_dir,
            &st.image.config.working_dir,
            false,
        );
        st.image.config.working_dir.clone_from(&wd);
        st.dir = wd;
    }
    if !st.image.config.user.is_empty() {
        st.user.clone_from(&st.image.config.user);
    }
}

/// The state of stage `idx` for use as a base or source: its final state,
/// or for a stage replaced by a named context, the context's.
pub(super) fn stage_state(lw: &mut Lower, idx: usize) -> Result<State, Diagnostic> {
    if let Some(s) = &lw.results[idx] {
        return Ok(s.clone());
    }
    let plan = lw.plan;
    let ps = &plan.stages[idx];
    let platform = ps
        .resolved_platform
        .clone()
        .or_else(|| ps.platform.clone())
        .unwrap_or_else(|| plan.target_platform.clone());
    let range = ps.from_range;
    let fs = source_fs(lw, idx).ok_or_else(|| not_dispatched(lw, idx, None, None, range))?;
    let mut env = EnvList::new();
    let mut dir = "/".to_owned();
    if let Some(img) = &ps.image {
        for e in &img.config.env {
            let (k, v) = split_key_value(e);
            if !k.is_empty() {
                env.set(k, v);
            }
        }
        dir = paths::join(&["/", &img.config.working_dir]);
    }
    Ok(State {
        fs,
        env,
        dir,
        user: String::new(),
        hostname: String::new(),
        platform,
        image: ps.image.clone().unwrap_or_default(),
        base_image: ps.base_image.clone(),
        build_args: Vec::new(),
        workdir_set: false,
    })
}

/// The filesystem of a stage used as a source, if it has one by now.
pub(super) fn source_fs(lw: &mut Lower, idx: usize) -> Option<Fs> {
    if let Some(s) = &lw.results[idx] {
        return Some(s.fs);
    }
    if let Some(fs) = lw.bases.get(&idx) {
        return Some(*fs);
    }
    let plan = lw.plan;
    let ps = &plan.stages[idx];
    if !ps.implicit && ps.replaced_by.is_none() {
        return None;
    }
    let platform = ps
        .resolved_platform
        .clone()
        .unwrap_or_else(|| plan.target_platform.clone());
    let fs = match &ps.base {
        Base::Image { reference } => {
            let lines = Some(ps.from_lines.map(|l| vec![l]).unwrap_or_default());
            lw.steps.push(image_step(
                reference,
                format!("FROM {reference}"),
                ps.from_text.clone(),
                lines,
                &platform,
                plan.options.resolve_mode.into(),
            ));
            Fs::Step(lw.steps.len() - 1)
        }
        Base::Named(nb) => named_step(lw, nb),
        Base::Scratch | Base::Pending => Fs::Scratch,
    };
    lw.bases.insert(idx, fs);
    Some(fs)
}

/// "cannot copy from stage …" for a source stage that comes later.
pub(super) fn not_dispatched(
    lw: &Lower,
    idx: usize,
    current: Option<usize>,
    mount: Option<&str>,
    range: crate::syntax::text::TextRange,
) -> Diagnostic {
    let plan = lw.plan;
    let src = &plan.stages[idx];
    let name = src.name.clone().unwrap_or_else(|| src.base_name.clone());
    let quote = super::super::plan::go_quote;
    let msg = match (mount, current) {
        (Some(target), _) => format!(
            "cannot mount from stage {} to {}, stage needs to be defined before current command",
            quote(&name),
            quote(target)
        ),
        (None, Some(c)) => format!(
            "cannot copy from stage {}, it needs to be defined before current stage {}",
            quote(&name),
            quote(&plan.stages[c].display_name)
        ),
        (None, None) => format!("stage {} is not built yet", quote(&name)),
    };
    crate::diagnostics::Diagnostic::error(codes::STAGE_ORDER, range, msg)
        .with_help("move the stage above the one that uses it")
}

fn image_step(
    reference: &str,
    name: String,
    command: String,
    lines: Option<Vec<(u32, u32)>>,
    platform: &crate::ir::platform::Platform,
    mode: ResolveModeValue,
) -> Step {
    Step {
        kind: StepKind::Image {
            reference: reference.to_owned(),
            resolve_mode: mode,
        },
        info: StepInfo {
            name: Some(name),
            command: Some(command),
            lines,
            platform: Some(platform.normalize()),
            ..StepInfo::default()
        },
    }
}

/// The step of a named context.
fn named_step(lw: &mut Lower, nb: &NamedBase) -> Fs {
    let opts = &lw.plan.options;
    let key = &nb.key;
    let step = match &nb.context {
        NamedContext::Image(written) => Step {
            kind: StepKind::Image {
                reference: nb.reference.clone().unwrap_or_else(|| written.clone()),
                resolve_mode: ResolveModeValue::Default,
            },
            info: StepInfo {
                name: Some(format!("[context {key}] {written}")),
                platform: nb.platform.as_ref().map(|p| p.normalize()),
                ..StepInfo::default()
            },
        },
        NamedContext::Local(name) => {
            let session = opts
                .local_session_ids
                .get(name)
                .cloned()
                .or_else(|| opts.session_id.clone());
            let shared = opts.local_shared_keys.get(key).cloned().unwrap_or_default();
            Step {
                kind: StepKind::Local(LocalDir {
                    name: name.clone(),
                    unique_id: session.is_none().then(|| opts.local_unique_id.clone()),
                    session,
                    shared_key_hint: format!("context:{key}-{shared}"),
                    exclude_patterns: nb.excludes.clone(),
                    follow_paths: Vec::new(),
                }),
                info: StepInfo {
                    name: Some(format!("[context {key}] load from client")),
                    ..StepInfo::default()
                },
            }
        }
        NamedContext::Http(url) => Step {
            kind: StepKind::Http {
                url: url.clone(),
                filename: "context".to_owned(),
                checksum: None,
            },
            info: StepInfo {
                name: Some(format!("[context {key}] {url}")),
                ..StepInfo::default()
            },
        },
        NamedContext::OciLayout(_) => Step {
            kind: StepKind::OciLayout {
                reference: nb.reference.clone().unwrap_or_default(),
                session: opts.session_id.clone().unwrap_or_default(),
                store: nb.store.clone().unwrap_or_default(),
            },
            info: StepInfo {
                name: Some(format!("[context {key}] OCI load from client")),
                platform: nb.platform.as_ref().map(|p| p.normalize()),
                ..StepInfo::default()
            },
        },
        NamedContext::Git(url) => match crate::ir::remote::parse_git_ref(url) {
            Ok(git) => Step {
                kind: StepKind::Git(Box::new(git.context_source(None, None))),
                info: StepInfo {
                    name: Some(format!("[internal] load git source {url}")),
                    ..StepInfo::default()
                },
            },
            // Reported while planning.
            Err(_) => return Fs::Scratch,
        },
        NamedContext::Input(name) => Step {
            kind: StepKind::Input { name: name.clone() },
            info: StepInfo::default(),
        },
    };
    lw.steps.push(step);
    Fs::Step(lw.steps.len() - 1)
}
