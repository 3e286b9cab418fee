//! Planning: everything that can be decided before any base image is
//! resolved, with no I/O.
//!
//! [`Plan::new`] evaluates the global ARGs, expands each FROM with them,
//! builds the stage list (including the implicit stages that `COPY
//! --from=<image>` and `RUN --mount from=` create), picks the target,
//! records which stage depends on which and rejects cycles. The compile
//! pipeline then asks [`Plan::pending`] which base images the reachable
//! stages need, resolves them, hands them back with [`Plan::resolve`],
//! and calls [`Plan::expand_onbuild`] until ONBUILD triggers add no new
//! dependencies. Only then is the plan lowered.
//!
//! The stage list mirrors BuildKit's `dispatchState` list: file order,
//! then implicit stages in the order they were found. Its order matters
//! for `COPY --from=<index>`, for progress names and for which stage is
//! dispatched first.

mod args;
mod graph;
mod messages;
mod onbuild;
mod resolve;

use std::collections::{BTreeMap, BTreeSet, HashMap};

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::{Dockerfile, Instruction};
use crate::syntax::shell::Lexer;
use crate::syntax::text::{LineIndex, TextRange};
use crate::syntax::tree::SyntaxTree;

use super::codes;
use super::env::EnvList;
use super::image::ImageConfig;
use super::options::{BuildOptions, NamedContext};
use super::platform::Platform;

pub use args::ArgInfo;
pub use messages::{expand_error, go_quote, process_error, suggest};

/// One instruction of a stage, with what BuildKit attaches to it.
#[derive(Clone, Debug)]
pub struct Command {
    pub instruction: Instruction,
    /// Stages this command reads from: the `--from` of COPY, or one entry
    /// per `--mount` of RUN (mounts without `from` get an implicit
    /// scratch stage).
    pub sources: Vec<usize>,
    /// Came from an ONBUILD trigger.
    pub onbuild: bool,
    /// The instruction as written, trimmed (BuildKit's `String()`).
    pub text: String,
    /// Where diagnostics point.
    pub range: TextRange,
    /// 1-based lines of the source map location.
    pub lines: (u32, u32),
}

/// How a stage's base was resolved.
#[derive(Clone, Debug)]
pub enum Base {
    /// Not decided yet.
    Pending,
    /// `FROM scratch`, or an image without layers.
    Scratch,
    /// A registry image.
    Image {
        /// The reference with digest, as pinned in the LLB.
        reference: String,
    },
    /// A named context.
    Named(Box<NamedBase>),
}

/// A named context that replaces a stage or a base image.
#[derive(Clone, Debug)]
pub struct NamedBase {
    /// The option key after `context:` (`NAME` or `NAME::os/arch`).
    pub key: String,
    pub context: NamedContext,
    /// For `docker-image://`: the resolved reference (not digest-pinned,
    /// as in BuildKit). For `oci-layout://`: the context's name pinned to
    /// the layout's digest (`docker.io/library/base@sha256:…`).
    pub reference: Option<String>,
    /// For `oci-layout://`: the content store the client registered in
    /// its session.
    pub store: Option<String>,
    /// For `local:`: the exclude patterns of its `.dockerignore`.
    pub excludes: Vec<String>,
    /// The platform the source op gets, if any.
    pub platform: Option<Platform>,
}

/// A stage of the build, as planned.
#[derive(Clone, Debug)]
pub struct PlannedStage {
    /// `AS name`, lower-cased.
    pub name: Option<String>,
    /// The name in progress output: the name, `stage-N`, or empty when the
    /// build has a single stage.
    pub display_name: String,
    /// The FROM image after expansion (BuildKit's `BaseName`).
    pub base_name: String,
    /// `FROM --platform`, expanded and parsed.
    pub platform: Option<Platform>,
    /// The FROM instruction (the COPY for implicit image stages).
    pub from_range: TextRange,
    /// The FROM line as written (empty for implicit stages).
    pub from_text: String,
    /// Source map lines of the FROM; `None` for implicit mount stages.
    pub from_lines: Option<(u32, u32)>,
    pub doc_comment: Option<String>,
    /// The stage this one starts from (`FROM <stage>`).
    pub base_stage: Option<usize>,
    /// Set when a named context replaces this whole stage.
    pub replaced_by: Option<NamedContext>,
    pub commands: Vec<Command>,
    /// Stages read by commands, in the order found.
    pub deps: Vec<usize>,
    /// Created by `COPY --from=<image>` or `RUN --mount`.
    pub implicit: bool,
    /// Steps counted in progress names (`[stage 2/5]`).
    pub cmd_total: usize,
    pub ignore_cache: bool,
    /// Global args the FROM line used (for the outline).
    pub used_args: BTreeSet<String>,
    pub base: Base,
    /// The image config the stage starts from (`Base::Image`/named).
    pub image: Option<ImageConfig>,
    /// The unmodified base image config, for `containerimage.base.config`.
    pub base_image: Option<ImageConfig>,
    /// The platform the base resolved to.
    pub resolved_platform: Option<Platform>,
    pub(crate) resolved: bool,
    pub(crate) onbuild_init: bool,
    /// The base image name before resolution, for messages.
    pub orig_name: String,
}

impl PlannedStage {
    fn new(base_name: String, range: TextRange) -> Self {
        PlannedStage {
            name: None,
            display_name: String::new(),
            orig_name: base_name.clone(),
            base_name,
            platform: None,
            from_range: range,
            from_text: String::new(),
            from_lines: None,
            doc_comment: None,
            base_stage: None,
            replaced_by: None,
            commands: Vec::new(),
            deps: Vec::new(),
            implicit: false,
            cmd_total: 0,
            ignore_cache: false,
            used_args: BTreeSet::new(),
            base: Base::Pending,
            image: None,
            base_image: None,
            resolved_platform: None,
            resolved: false,
            onbuild_init: false,
        }
    }

    /// True for `FROM scratch` (the name as expanded).
    pub fn is_scratch(&self) -> bool {
        self.base_name == "scratch"
    }
}

/// An image the plan needs resolved.
#[derive(Clone, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct PendingImage {
    /// Normalised reference with tag (`docker.io/library/alpine:3`).
    pub reference: String,
    pub platform: Platform,
    /// Named-context images log differently but resolve the same way.
    pub named: bool,
}

/// An image in a client's OCI layout (an `oci-layout://` named context).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PendingOciLayout {
    /// The option key after `context:` (`NAME` or `NAME::os/arch`).
    pub key: String,
    /// The context's name pinned to the digest the client chose
    /// (`docker.io/library/base@sha256:…`), as BuildKit names it.
    pub reference: String,
    /// The content store the client registered (`oci.store`).
    pub store: String,
    pub platform: Platform,
}

/// Something the plan needs from outside before it can be lowered.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Pending {
    /// An image config (and digest).
    Image(PendingImage),
    /// The `.dockerignore` of a `local:` named context, by local name.
    LocalDockerignore(String),
    /// The image config of an `oci-layout://` named context; answer with
    /// [`Answer::Image`].
    OciLayout(PendingOciLayout),
    /// Nothing to fetch (a named context that needs no lookup); answer
    /// with [`Answer::Nothing`].
    Nothing,
}

/// The answer to a [`Pending`] entry.
#[derive(Clone, Debug, PartialEq)]
pub enum Answer {
    Image(ImageAnswer),
    Dockerignore(Option<Vec<u8>>),
    Nothing,
}

/// What the resolver answered for one image.
#[derive(Clone, Debug, PartialEq)]
pub struct ImageAnswer {
    /// The reference the resolver settled on (after source policies);
    /// `None` keeps the requested one.
    pub reference: Option<String>,
    pub digest: Option<String>,
    /// The image config; `None` when unknown (offline).
    pub config: Option<serde_json::Value>,
}

/// The build plan for one target platform.
#[derive(Clone, Debug)]
pub struct Plan {
    pub source: String,
    pub lexer: Lexer,
    pub escape: char,
    pub index: LineIndex,
    pub options: BuildOptions,
    pub target_platform: Platform,
    /// No platform was requested: the build platform is used and base
    /// images of another platform are accepted.
    pub implicit_platform: bool,
    pub global_args: EnvList,
    pub meta_args: BTreeMap<String, ArgInfo>,
    /// SOURCE_DATE_EPOCH in seconds.
    pub epoch: Option<i64>,
    pub stages: Vec<PlannedStage>,
    pub target: usize,
    /// Top-level nodes of the syntax tree by start offset, for the
    /// instruction text.
    pub(crate) originals: HashMap<u32, String>,
}

impl Plan {
    /// Plans a build of `file` for `target_platform` (`implicit` when no
    /// platform was requested).
    pub fn new(
        tree: &SyntaxTree,
        file: &Dockerfile,
        options: &BuildOptions,
        target_platform: &Platform,
        implicit: bool,
    ) -> Result<Plan, Diagnostic> {
        let source = tree.source.clone();
        let index = LineIndex::new(&source);
        let lexer = Lexer::new(tree.escape);
        let Some(last) = file.stages.last() else {
            return Err(Diagnostic::error(
                codes::NO_STAGES,
                TextRange::new(0, source.len().min(1)),
                "dockerfile contains no stages to build",
            )
            .with_help("add a FROM instruction"));
        };
        let mut options = options.clone();
        let target_name = options.target.clone().unwrap_or_else(|| {
            last.name
                .as_ref()
                .map(|n| n.value.clone())
                .unwrap_or_default()
        });
        let mut global_args = args::builtin_args(
            &options.build_platform,
            target_platform,
            &options.build_args,
            &target_name,
        );
        let meta_args = args::apply_meta_args(
            &mut global_args,
            &lexer,
            &file.meta_args,
            &options.build_args,
            &source,
            &index,
        )?;
        let mut epoch = None;
        if let Some(v) = args::source_date_epoch(&options.build_args, &global_args) {
            // A build argument has no place in the file (BuildKit reports
            // none); a global ARG's default points at the ARG.
            let range = file
                .meta_args
                .iter()
                .find(|a| a.args.iter().any(|d| d.key.value == "SOURCE_DATE_EPOCH"))
                .filter(|_| !options.build_args.contains_key("SOURCE_DATE_EPOCH"))
                .map_or(TextRange::new(0, 0), |a| a.range);
            epoch = args::resolve_epoch(&v, range)?;
            args::set_epoch(&mut options.build_args, &mut global_args, epoch);
        }
        let originals = tree
            .nodes()
            .map(|n| (n.range.start, n.original.trim().to_owned()))
            .collect();
        let mut plan = Plan {
            source,
            lexer,
            escape: tree.escape,
            index,
            options,
            target_platform: target_platform.clone(),
            implicit_platform: implicit,
            global_args,
            meta_args,
            epoch,
            stages: Vec::new(),
            target: 0,
            originals,
        };
        plan.add_stages(file)?;
        plan.target = plan.find_target()?;
        graph::link_commands(&mut plan, file)?;
        graph::check_cycles(&plan)?;
        let registered = plan.stages.len();
        if registered == 1 {
            plan.stages[0].display_name.clear();
        }
        Ok(plan)
    }

    /// The instruction text BuildKit prints for the node starting at
    /// `range` (trimmed `Original`).
    pub fn original(&self, range: TextRange) -> String {
        self.originals
            .get(&range.start)
            .cloned()
            .unwrap_or_else(|| {
                self.source
                    .get(range.as_range())
                    .unwrap_or("")
                    .trim()
                    .to_owned()
            })
    }

    /// BuildKit's `buildDispatchStates`.
    fn add_stages(&mut self, file: &Dockerfile) -> Result<(), Diagnostic> {
        for (i, st) in file.stages.iter().enumerate() {
            let image = &st.from.image;
            let expanded = self
                .lexer
                .process_word(&image.value, &self.global_args)
                .map_err(|e| expand_error(&e, image, st.from.range, &self.source))?;
            if expanded.value.is_empty() {
                return Err(Diagnostic::error(
                    codes::BLANK_BASE,
                    image.range,
                    format!("base name ({}) should not be blank", image.value),
                )
                .with_label("expands to nothing"));
            }
            let mut used: BTreeSet<String> = expanded.used.matched.iter().cloned().collect();
            let mut stage = PlannedStage::new(expanded.value, st.from.range);
            stage.name = st.name.as_ref().map(|n| n.value.clone());
            stage.from_text = self.original(st.from.range);
            stage.from_lines = Some(self.index.lines(st.from.range));
            stage.doc_comment = st.doc_comment.clone();
            if let Some(p) = &st.from.platform {
                let out = self
                    .lexer
                    .process_word(&p.value, &self.global_args)
                    .map_err(|e| {
                        let mut d = expand_error(&e, p, st.from.range, &self.source);
                        d.message = format!(
                            "failed to process arguments for platform {}: {}",
                            p.value, d.message
                        );
                        d
                    })?;
                if out.value.is_empty() {
                    return Err(Diagnostic::error(
                        codes::INVALID_PLATFORM,
                        p.range,
                        format!("empty platform value from expression {}", p.value),
                    )
                    .with_label("expands to nothing"));
                }
                let parsed = Platform::parse(&out.value).map_err(|e| {
                    Diagnostic::error(
                        codes::INVALID_PLATFORM,
                        p.range,
                        format!("failed to parse platform {}: {e}", p.value),
                    )
                    .with_label("not a platform")
                })?;
                used.extend(out.used.matched.iter().cloned());
                stage.platform = Some(parsed.normalize());
            }
            if let Some(name) = &stage.name {
                let platform = stage
                    .platform
                    .clone()
                    .unwrap_or_else(|| self.target_platform.clone());
                if let Some((_, ctx)) = self.options.named_context(name, &platform) {
                    stage.replaced_by = Some(ctx.clone());
                    stage.display_name = name.clone();
                    let idx = self.add_state(stage);
                    self.stages[idx].base_stage = None;
                    continue;
                }
            }
            stage.display_name = stage.name.clone().unwrap_or_else(|| format!("stage-{i}"));
            let idx = self.add_state(stage);
            let stage = &mut self.stages[idx];
            stage.used_args.extend(used);
            let mut total = usize::from(!stage.is_scratch() && stage.base_stage.is_none());
            total += st
                .instructions
                .iter()
                .filter(|i| {
                    matches!(
                        i,
                        Instruction::Add(_)
                            | Instruction::Copy(_)
                            | Instruction::Run(_)
                            | Instruction::Workdir(_)
                    )
                })
                .count();
            stage.cmd_total = total;
            stage.ignore_cache = self.options.no_cache.covers(stage.name.as_deref());
        }
        Ok(())
    }

    /// BuildKit's `addState`: links a stage to an earlier stage named like
    /// its base (exact, case-sensitive match on the expanded name).
    pub(crate) fn add_state(&mut self, mut stage: PlannedStage) -> usize {
        if let Some(base) = self.find_named_exact(&stage.base_name) {
            stage.base_stage = Some(base);
            stage.used_args.clone_from(&self.stages[base].used_args);
        }
        self.stages.push(stage);
        self.stages.len() - 1
    }

    /// The last stage registered under `name` (stage names are stored
    /// lower-cased; this lookup does not fold case).
    fn find_named_exact(&self, name: &str) -> Option<usize> {
        self.stages
            .iter()
            .rposition(|s| s.name.as_deref() == Some(name))
    }

    /// A stage by name, ignoring case (COPY --from, mounts, target).
    pub fn find_stage(&self, name: &str) -> Option<usize> {
        self.find_named_exact(&name.to_lowercase())
    }

    fn find_target(&self) -> Result<usize, Diagnostic> {
        let Some(target) = &self.options.target else {
            return Ok(self.stages.len() - 1);
        };
        self.find_stage(target).ok_or_else(|| {
            let names: Vec<&str> = self
                .stages
                .iter()
                .filter(|s| !s.display_name.is_empty())
                .map(|s| s.display_name.as_str())
                .collect();
            let mut msg = format!("target stage {} could not be found", go_quote(target));
            if let Some(s) = suggest(target, &names, true) {
                msg.push_str(&format!(" (did you mean {s}?)"));
            }
            Diagnostic::error(codes::UNKNOWN_TARGET, TextRange::new(0, 0), msg)
                .with_help(format!("the stages are: {}", names.join(", ")))
        })
    }

    /// Stages reachable from the target through bases and dependencies.
    pub fn reachable(&self) -> BTreeSet<usize> {
        let mut seen = BTreeSet::new();
        let mut todo = vec![self.target];
        while let Some(i) = todo.pop() {
            if !seen.insert(i) {
                continue;
            }
            let s = &self.stages[i];
            todo.extend(s.base_stage);
            todo.extend(s.deps.iter().copied());
        }
        seen
    }

    /// Takes the resolver's answer for an entry of [`Plan::pending`].
    pub fn resolve(&mut self, idx: usize, answer: &Answer) -> Result<(), Diagnostic> {
        resolve::apply(self, idx, answer)
    }

    /// Adds ONBUILD triggers of reachable stages' bases; true when they
    /// brought new dependencies (so more images may need resolving).
    pub fn expand_onbuild(&mut self) -> Result<bool, Diagnostic> {
        onbuild::expand(self)
    }

    /// Stages in dispatch order that must be lowered: reachable, not
    /// replaced by a named context, not implicit.
    pub fn to_dispatch(&self) -> Vec<usize> {
        let reachable = self.reachable();
        (0..self.stages.len())
            .filter(|i| reachable.contains(i))
            .filter(|&i| self.stages[i].replaced_by.is_none() && !self.stages[i].implicit)
            .collect()
    }
}
