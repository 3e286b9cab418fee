//! The BuildKit gateway frontend: slipway running *inside* BuildKit as the
//! Dockerfile frontend of a build (`# syntax=slipway/frontend:dev`, or
//! `--build-arg BUILDKIT_SYNTAX=…`).
//!
//! # Protocol
//!
//! BuildKit starts the frontend image's entrypoint with the build's options
//! in the environment ([`opts`]) and a pipe on stdin/stdout. Over that pipe
//! the frontend is a gRPC client of BuildKit's `LLBBridge` service
//! ([`transport`], [`bridge`]). One build is one conversation:
//!
//! 1. `Ping`: learn the daemon's capabilities.
//! 2. Read the options; refuse capabilities we lack.
//! 3. Find the main context (the client's directory, a Git or HTTP URL,
//!    or the caller's inputs), `Solve` where the Dockerfile lives (only
//!    the Dockerfile and its `.dockerignore`) and `ReadFile` them
//!    ([`dockerfile`]).
//! 4. With `requestid`, answer the subrequest instead ([`subrequest`]):
//!    outline (which resolves base images as a build would), targets,
//!    lint (`--call=check`), describe.
//! 5. Otherwise, per target platform: compile the Dockerfile to LLB, with
//!    base image configs resolved through the daemon, send the build
//!    checks' findings as warnings, and `Solve` it ([`build`]).
//! 6. `Return` the refs and image config metadata, or an error status
//!    carrying the Dockerfile location ([`result`]). Then exit 0.
//!
//! The frontend image itself is made by [`image`]; [`warn`] turns build
//! checks into BuildKit's warnings, sent during builds and returned for
//! `frontend.lint`.
//!
//! The same conversation also runs inside `slipway build`
//! ([`serve_client`]), on the daemon's control connection.

pub mod bridge;
pub mod build;
pub mod dockerfile;
pub mod gofmt;
pub mod image;
pub mod opts;
pub mod result;
pub mod subrequest;
pub mod transport;
pub mod warn;

use tonic::transport::Channel;

use bridge::{Bridge, CAP_PROTO_REF_ARRAY};
use opts::{Environment, GatewayOptions, OptionError};
use result::FrontendError;
use subrequest::Subrequest;

use crate::proto::gateway;

/// Why the conversation with BuildKit itself failed (as opposed to the
/// build failing, which is reported through `Return`).
#[derive(Debug)]
pub struct ServeError(pub String);

impl std::fmt::Display for ServeError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for ServeError {}

/// Runs the frontend over stdin/stdout with the process environment.
pub async fn serve_stdio() -> Result<(), ServeError> {
    let channel = transport::connect_stdio()
        .await
        .map_err(|e| ServeError(format!("connecting to BuildKit over stdio: {e}")))?;
    serve(channel, &Environment::current()).await
}

/// Runs one frontend conversation on an open channel: answers the build
/// and returns the answer to BuildKit.
pub async fn serve(channel: Channel, env: &Environment) -> Result<(), ServeError> {
    let bridge = Bridge::connect(channel)
        .await
        .map_err(|e| ServeError(format!("ping: {}", e.message())))?;
    serve_on(bridge, env).await
}

/// Runs the frontend inside the client (`slipway build`): the same
/// conversation, on the daemon's control connection, for the build that
/// `Control.Solve` started with `build` as its `ref` and no frontend.
pub async fn serve_client(
    channel: Channel,
    build: &str,
    env: &Environment,
) -> Result<(), ServeError> {
    let bridge = Bridge::connect_for_build(channel, build)
        .await
        .map_err(|e| ServeError(format!("ping: {}", e.message())))?;
    serve_on(bridge, env).await
}

async fn serve_on(bridge: Bridge, env: &Environment) -> Result<(), ServeError> {
    let outcome = answer(&bridge, env).await;
    bridge
        .return_result(result::return_request(outcome))
        .await
        .map_err(|e| ServeError(format!("return: {}", e.message())))
}

/// Everything between `Ping` and `Return`.
async fn answer(bridge: &Bridge, env: &Environment) -> Result<gateway::Result, FrontendError> {
    let opts = GatewayOptions::parse(env).map_err(|e| match e {
        OptionError::UnsupportedCap(c) => FrontendError::unsupported_cap(&c),
        OptionError::Invalid(m) => FrontendError::new(m),
    })?;
    // Builds need the context's `.dockerignore`; subrequests do not.
    let subrequest = opts.request_id.as_deref().map(Subrequest::parse);
    let (dockerfile, context_ignore) =
        dockerfile::load_dockerfile(bridge, &opts, subrequest.is_none()).await?;
    let Some(subrequest) = subrequest else {
        return build::build(bridge, env, &opts, &dockerfile, context_ignore).await;
    };
    let ref_array = bridge.has_cap(CAP_PROTO_REF_ARRAY);
    let metadata = match subrequest {
        Subrequest::Describe => subrequest::describe()?,
        Subrequest::Outline => {
            subrequest::outline(&build::outline(bridge, env, &opts, &dockerfile).await?)
        }
        Subrequest::Targets => subrequest::targets(&build::targets(bridge, env, &dockerfile)?),
        Subrequest::Lint => build::check(bridge, env, &opts, &dockerfile).await?,
        Subrequest::Other(name) => return Err(FrontendError::unsupported_subrequest(&name)),
    };
    Ok(result::metadata_result(metadata, ref_array))
}

#[cfg(test)]
mod tests;
