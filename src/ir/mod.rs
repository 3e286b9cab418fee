//! The intermediate representation between Dockerfile syntax and LLB.
//!
//! The IR is the contract shared by the LLB emitter ([`crate::llb`]), a
//! native executor, the linter and devcontainer features. It speaks
//! Dockerfile and build vocabulary (stages, RUN steps, copies, the image
//! config); no LLB type appears here.
//!
//! # Pipeline
//!
//! 1. [`options::BuildOptions`]: everything about a build that is not in
//!    the Dockerfile (target, build args, platforms, named contexts, …),
//!    readable from BuildKit frontend options.
//! 2. [`plan::Plan`]: no I/O. Global ARGs, FROM expansion, the stage
//!    graph (including implicit stages), target selection, reachability,
//!    cycle detection, and the list of things to resolve
//!    ([`plan::Pending`]: base images per platform, named-context
//!    `.dockerignore` files). The caller resolves them, feeds the answers
//!    back, and expands ONBUILD triggers until no new dependency appears.
//! 3. [`lower::lower`]: per reachable stage, BuildKit's dispatch rules:
//!    ARG/ENV scoping, variable expansion, RUN/COPY/ADD/WORKDIR steps,
//!    image config mutations and history, progress names and source
//!    lines. The result is a [`build::Build`].
//!
//! # Main types
//!
//! * [`build::Build`]: steps ([`build::Step`]) forming a graph through
//!   [`build::Fs`] references, the result filesystem, the image config
//!   and its base.
//! * [`image::ImageConfig`]: the Docker image config, read leniently and
//!   written byte-compatibly with Go.
//! * [`platform::Platform`], [`reference::ImageRef`]: containerd and
//!   Docker parsing rules.
//! * [`env::EnvList`]: the ordered build environment.
//! * [`options::MainContext`]: where the main context comes from (the
//!   client's directory, a Git repository, an HTTP download, a frontend
//!   input); [`remote`] classifies Git and HTTP sources as BuildKit does.
//!   A frontend input stays a name ([`build::StepKind::Input`]); the
//!   emitter splices in its LLB.
//!
//! # Invariants
//!
//! * **Architecture invariant:** nothing here does I/O; resolution results
//!   come in through [`plan::Plan::resolve`].
//! * Every error is a [`crate::diagnostics::Diagnostic`] with a byte range
//!   into the Dockerfile; nothing panics on user input.
//! * A [`build::Build`] is fully resolved: consumers never expand
//!   variables or normalise paths again.
//! * Steps only point backwards, and one step is one downstream operation
//!   (see [`build`]).

pub mod build;
pub mod codes;
pub mod dockerignore;
pub mod env;
pub mod gojson;
pub mod image;
pub mod lower;
pub mod options;
pub mod paths;
pub mod patterns;
pub mod plan;
pub mod platform;
pub mod reference;
pub mod remote;

pub use build::{Build, Fs, Step, StepKind};
pub use image::ImageConfig;
pub use options::BuildOptions;
pub use plan::Plan;
pub use platform::Platform;
