//! LLB: a lowered [`Build`](crate::ir::build::Build) to BuildKit's
//! `pb.Definition`, exactly as BuildKit's Dockerfile frontend and its LLB
//! client would produce it.
//!
//! * [`marshal`]: the definition — ops in the client's post-order,
//!   deterministic protobuf encoding, `sha256:` digests, deduplication
//!   with merged metadata (`llb.customname`,
//!   `com.docker.dockerfile.v1.command`, caps, `ignore_cache`, progress
//!   groups), the final return op and its caps, and the source map.
//! * [`result::result_metadata`]: the result metadata keys.
//! * [`to_json`] and [`to_dot`]: readable renderings for the CLI.
//!
//! The emitter assumes a current daemon: every capability the frontend
//! checks for (`mergeop`, `exec.mount.bind.readwrite-nooutput`,
//! `exec.meta.setsdefaultpath`, …) is taken as supported.
//!
//! Architecture invariant: this module knows LLB, not Dockerfiles. It only
//! reads IR types.

pub mod caps;
mod dump;
mod exec;
mod marshal;
mod ops;
pub mod result;

pub use dump::{to_dot, to_json};
pub use marshal::{Inputs, SourceFile, digest, encode_op, marshal};
pub use result::{PlatformOutput, result_metadata};
