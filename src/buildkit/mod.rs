//! `slipway build` as a BuildKit *client*: slipway compiles the Dockerfile
//! itself and drives a daemon (a standalone buildkitd, or the BuildKit
//! inside a Docker engine) over its control API.
//!
//! - [`addr`]: which daemon, from `--addr`, `BUILDKIT_HOST`, `DOCKER_HOST`.
//! - [`transport`]: unix, tcp (TLS) and `docker://` (HTTP upgrade to h2c)
//!   connections.
//! - [`session`]: the gRPC server the daemon calls back into: context
//!   files ([`session::filesync`]), secrets, SSH agents, registry auth,
//!   exporter outputs.
//! - [`progress`]: the `Status` stream as a live view, plain lines or raw
//!   JSON, and the failure report.
//! - [`solve`]: one build: session, `Solve`, the client-side gateway that
//!   runs slipway's frontend against the daemon, status.

pub mod addr;
pub mod outputs;
pub mod progress;
pub mod session;
pub mod solve;
pub mod transport;
