//! Lowering: a resolved [`Plan`] to a [`Build`] — steps, the image config
//! and its history — following BuildKit's dispatch rules.
//!
//! Stages are dispatched in plan order. Each starts from its base
//! (`stage::init`) and runs its commands; one file per instruction does
//! the work, sharing the small [`Stage`] context: the stage's current
//! state ([`State`]: filesystem, build environment, working directory,
//! user, image config), its progress-name counter and the outline
//! bookkeeping. Steps are appended to [`Lower::steps`] as they are made,
//! so every step refers only to earlier ones.

mod arg;
mod chmod;
mod cmd;
mod context;
mod copy;
mod env;
mod expose;
mod finish;
mod healthcheck;
mod history;
mod label;
mod maintainer;
mod mount;
mod names;
mod onbuild;
mod owner;
mod run;
mod stage;
mod stopsignal;
mod user;
mod volume;
mod workdir;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::Instruction;
use crate::syntax::shell::{Env, ShellError};
use crate::syntax::tree::Spanned;

use super::build::{Build, Fs, Step, StepId};
use super::env::EnvList;
use super::image::ImageConfig;
use super::plan::{ArgInfo, Command, Plan, expand_error, process_error};
use super::platform::Platform;

pub use context::remote_context_build;
pub use finish::OutlineSource;

/// The state of a stage between instructions (BuildKit's `llb.State` plus
/// the image config being built).
#[derive(Clone, Debug)]
pub struct State {
    pub fs: Fs,
    /// Build environment: image env, ENV and ARG values.
    pub env: EnvList,
    /// Working directory of RUN steps, as written (not cleaned).
    pub dir: String,
    pub user: String,
    pub hostname: String,
    pub platform: Platform,
    pub image: ImageConfig,
    pub base_image: Option<ImageConfig>,
    /// ARGs declared so far, with their values (for RUN history).
    pub build_args: Vec<(String, Option<String>)>,
    /// A WORKDIR has run in this stage chain.
    pub workdir_set: bool,
}

/// Per-stage outline bookkeeping (BuildKit's `outlineCapture`).
#[derive(Clone, Debug, Default)]
pub struct OutlineCapture {
    pub all_args: BTreeMap<String, ArgInfo>,
    pub used_args: BTreeSet<String>,
    /// Secret and SSH IDs with `(required, lines)`.
    pub secrets: BTreeMap<String, (bool, (u32, u32))>,
    pub ssh: BTreeMap<String, (bool, (u32, u32))>,
}

/// The lowering of a whole plan.
pub struct Lower<'p> {
    pub plan: &'p Plan,
    pub steps: Vec<Step>,
    /// Final state of each stage that has one.
    pub(crate) results: Vec<Option<State>>,
    pub(crate) outlines: Vec<Option<OutlineCapture>>,
    /// Base filesystems of implicit and named-context stages, made once.
    pub(crate) bases: HashMap<usize, Fs>,
    /// The main build context, made when first used.
    pub(crate) context: Option<StepId>,
    /// Paths of the main context that steps read (`/` means all).
    pub(crate) context_paths: BTreeSet<String>,
    /// Paths read from other stages (`COPY --from`, mounts), by stage; used
    /// for the follow paths of `local:` named contexts.
    pub(crate) source_paths: HashMap<usize, BTreeSet<String>>,
}

/// What lowering produced.
pub struct Lowered {
    pub build: Build,
    /// Outline data per plan stage (dispatched stages only).
    pub outline: OutlineSource,
}

/// Lowers a fully resolved plan.
pub fn lower(plan: &Plan) -> Result<Lowered, Diagnostic> {
    let mut lw = Lower {
        plan,
        steps: Vec::new(),
        results: vec![None; plan.stages.len()],
        outlines: vec![None; plan.stages.len()],
        bases: HashMap::new(),
        context: None,
        context_paths: BTreeSet::new(),
        source_paths: HashMap::new(),
    };
    for idx in plan.to_dispatch() {
        let mut st = stage::init(&mut lw, idx)?;
        for cmd in &plan.stages[idx].commands {
            st.dispatch(cmd)?;
        }
        let Stage { state, outline, .. } = st;
        lw.results[idx] = Some(state);
        lw.outlines[idx] = Some(outline);
    }
    finish::finish(lw)
}

/// Where a diagnostic about `range` (inside `cmd`) should point: ONBUILD
/// triggers point at the FROM that runs them.
fn span(cmd: &Command, range: crate::syntax::text::TextRange) -> crate::syntax::text::TextRange {
    if cmd.onbuild || range.is_empty() {
        cmd.range
    } else {
        range
    }
}

/// The dispatch context of one stage.
pub struct Stage<'l, 'p> {
    pub lw: &'l mut Lower<'p>,
    pub idx: usize,
    pub state: State,
    /// Progress counter (BuildKit's `cmdIndex`).
    pub cmd_index: usize,
    pub cmd_total: usize,
    pub display_name: String,
    pub ignore_cache: bool,
    /// A CMD ran in this stage (ENTRYPOINT then keeps it).
    pub cmd_set: bool,
    /// The command being dispatched came from ONBUILD.
    pub onbuild: bool,
    pub outline: OutlineCapture,
}

impl<'p> Stage<'_, 'p> {
    fn plan(&self) -> &'p Plan {
        self.lw.plan
    }

    fn dispatch(&mut self, cmd: &Command) -> Result<(), Diagnostic> {
        self.onbuild = cmd.onbuild;
        match &cmd.instruction {
            Instruction::Run(r) => run::lower(self, cmd, r),
            Instruction::Copy(c) => copy::lower_copy(self, cmd, c),
            Instruction::Add(a) => copy::lower_add(self, cmd, a),
            Instruction::Workdir(w) => workdir::lower(self, cmd, w),
            Instruction::Env(e) => env::lower(self, cmd, e),
            Instruction::Arg(a) => arg::lower(self, cmd, a),
            Instruction::Label(l) => label::lower(self, cmd, l),
            Instruction::User(u) => user::lower(self, cmd, u),
            Instruction::Cmd(c) => cmd::lower_cmd(self, c),
            Instruction::Entrypoint(e) => cmd::lower_entrypoint(self, e),
            Instruction::Shell(s) => cmd::lower_shell(self, s),
            Instruction::Healthcheck(h) => healthcheck::lower(self, h),
            Instruction::Expose(e) => expose::lower(self, cmd, e),
            Instruction::Volume(v) => volume::lower(self, cmd, v),
            Instruction::Stopsignal(s) => stopsignal::lower(self, cmd, s),
            Instruction::Maintainer(m) => maintainer::lower(self, m),
            Instruction::Onbuild(o) => onbuild::lower(self, o),
        }
    }

    /// Expands `word` against the stage's build environment.
    fn expand(&self, word: &Spanned, cmd: &Command) -> Result<String, Diagnostic> {
        self.expand_in(word, cmd, &self.state.env)
    }

    fn expand_in(
        &self,
        word: &Spanned,
        cmd: &Command,
        env: &dyn Env,
    ) -> Result<String, Diagnostic> {
        self.plan()
            .lexer
            .process_word(&word.value, env)
            .map(|e| e.value)
            .map_err(|e| self.shell_error(&e, word, cmd))
    }

    /// A shell error as a diagnostic. ONBUILD triggers point at the FROM.
    fn shell_error(&self, e: &ShellError, word: &Spanned, cmd: &Command) -> Diagnostic {
        if cmd.onbuild {
            Diagnostic::error(e.code(), cmd.range, process_error(&word.value, e))
        } else {
            expand_error(e, word, cmd.range, &self.plan().source)
        }
    }

    /// Appends a step and returns its filesystem.
    fn push(&mut self, step: Step) -> Fs {
        self.lw.steps.push(step);
        Fs::Step(self.lw.steps.len() - 1)
    }
}
