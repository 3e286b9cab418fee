//! Building through the daemon: turn the frontend options into a compile
//! request, compile the Dockerfile for each target platform with base
//! images resolved by BuildKit, solve every platform's LLB concurrently,
//! and assemble the result. Also the data behind the outline and targets
//! subrequests, which need the same request.
//!
//! Compile errors become one-line statuses worded like BuildKit's
//! (`dockerfile parse error on line N: …` for instruction errors) carrying
//! the Dockerfile and the failing lines; solve errors (a failing `RUN`)
//! are passed on exactly as the daemon reported them, source map included.

use futures_util::future::join_all;

use crate::compile::{self, CompileRequest, ResolvedImage, Resolver};
use crate::diagnostics::Diagnostic;
use crate::ir::options::{BuildOptions, ResolveMode};
use crate::ir::platform::Platform;
use crate::llb::result::platform_id;
use crate::proto::{gateway, pb};
use crate::text::LineIndex;

use super::bridge::{Bridge, CAP_PROTO_REF_ARRAY};
use super::dockerfile::{self, Dockerfile};
use super::opts::{Environment, GatewayOptions};
use super::result::{self, FrontendError, SourceDetail};

/// Builds every requested platform and assembles the result.
pub async fn build(
    bridge: &Bridge,
    env: &Environment,
    opts: &GatewayOptions,
    df: &Dockerfile,
) -> Result<gateway::Result, FrontendError> {
    let mut req = request(bridge, env, df)?;
    let ignore = match &df.dockerignore {
        Some(bytes) => bytes.clone(),
        None => dockerfile::load_context_dockerignore(bridge, opts, &opts.context_local)
            .await
            .map_err(|e| e.context("failed to read dockerignore patterns"))?,
    };
    req.options.context_excludes = crate::ir::dockerignore::parse(&ignore);
    let resolver = GatewayResolver::new(bridge, opts, &req.options);
    let compiled = compile::compile(&req, &resolver)
        .await
        .map_err(|d| compile_error(&d, df, true))?;
    // Solve every platform at once, as BuildKit does.
    let solves = compiled
        .platforms
        .iter()
        .map(|p| bridge.solve(p.definition.clone(), &opts.cache_imports));
    let mut refs = Vec::with_capacity(compiled.platforms.len());
    for (p, solved) in compiled.platforms.iter().zip(join_all(solves).await) {
        let id = solved.map_err(|e| FrontendError::from_status(&e))?;
        refs.push((platform_id(&p.platform), id));
    }
    let ref_array = bridge.has_cap(CAP_PROTO_REF_ARRAY);
    Ok(result::build_result(
        compiled.metadata,
        refs,
        compiled.multi_platform,
        ref_array,
    ))
}

/// The outline JSON of the build target.
pub async fn outline(
    bridge: &Bridge,
    env: &Environment,
    opts: &GatewayOptions,
    df: &Dockerfile,
) -> Result<serde_json::Value, FrontendError> {
    let req = request(bridge, env, df)?;
    let resolver = GatewayResolver::new(bridge, opts, &req.options);
    compile::outline(&req, &resolver)
        .await
        .map_err(|d| compile_error(&d, df, false))
}

/// The targets JSON of the Dockerfile.
pub fn targets(
    bridge: &Bridge,
    env: &Environment,
    df: &Dockerfile,
) -> Result<serde_json::Value, FrontendError> {
    let req = request(bridge, env, df)?;
    compile::targets(&req).map_err(|d| compile_error(&d, df, false))
}

/// The compile request for the loaded Dockerfile and the build options.
fn request(
    bridge: &Bridge,
    env: &Environment,
    df: &Dockerfile,
) -> Result<CompileRequest, FrontendError> {
    let mut options = BuildOptions::from_frontend_opts(&env.opts).map_err(FrontendError::new)?;
    options.filename = df.filename.clone();
    options.session_id = Some(env.session_id.clone()).filter(|s| !s.is_empty());
    // Emit only what this daemon can solve (e.g. no MergeOp for `COPY
    // --link` on an engine without it), as BuildKit's frontend decides.
    options.llb_caps = Some(bridge.llb_caps().clone()).filter(|c| !c.is_empty());
    // The default worker's first platform, from the environment or Ping.
    let workers = if env.worker_platforms.is_empty() {
        bridge.worker_platforms()
    } else {
        env.worker_platforms.clone()
    };
    if let Some(p) = workers.first() {
        options.build_platform = from_pb(p);
    }
    Ok(CompileRequest {
        dockerfile: df.data.clone(),
        options,
        dockerfile_definition: Some(df.definition.clone()),
    })
}

/// The first compile error as BuildKit words it, optionally with the
/// Dockerfile snippet attached (BuildKit attaches it to build errors, not
/// to subrequest errors).
fn compile_error(diags: &[Diagnostic], df: &Dockerfile, with_source: bool) -> FrontendError {
    let Some(d) = diags.iter().find(|d| d.is_error()).or(diags.first()) else {
        return FrontendError::new("the Dockerfile could not be compiled");
    };
    let lossy = String::from_utf8_lossy(&df.data);
    let text = crate::syntax::decode(&df.data).unwrap_or(&lossy);
    let (first, last) = LineIndex::new(text).lines(d.range);
    let instruction_error =
        d.code.starts_with("slipway::instruction::") && d.code != crate::syntax::codes::NO_STAGE;
    let mut message = d.message.clone();
    // BuildKit words a suggestion as part of the message: `unknown flag:
    // --mont (did you mean mount?)`.
    if let Some(name) = d.help.as_deref().and_then(suggested_name) {
        message.push_str(&format!(" (did you mean {name}?)"));
    }
    if instruction_error {
        message = format!("dockerfile parse error on line {first}: {message}");
    }
    let err = FrontendError::new(message);
    // Some errors carry no Dockerfile location in BuildKit either.
    if !with_source || df.data.is_empty() || !compile::buildkit_reports_location(d) {
        return err;
    }
    err.with_source(&SourceDetail {
        filename: &df.filename,
        data: &df.data,
        language: "Dockerfile",
        ranges: vec![(first, 0, last, 0)],
    })
}

/// The name in a `did you mean X?` help line, without a flag's dashes.
fn suggested_name(help: &str) -> Option<&str> {
    let name = help.strip_prefix("did you mean ")?.strip_suffix('?')?;
    (!name.is_empty() && !name.contains(' ')).then(|| name.trim_start_matches("--"))
}

/// Answers the compiler's image lookups through the daemon.
struct GatewayResolver {
    bridge: Bridge,
    opts: GatewayOptions,
    multi_platform: bool,
}

impl GatewayResolver {
    fn new(bridge: &Bridge, opts: &GatewayOptions, build: &BuildOptions) -> GatewayResolver {
        GatewayResolver {
            bridge: bridge.clone(),
            opts: opts.clone(),
            multi_platform: build.multi_platform,
        }
    }
}

impl Resolver for GatewayResolver {
    async fn resolve_image(
        &self,
        reference: &str,
        platform: &Platform,
        mode: ResolveMode,
    ) -> Result<ResolvedImage, String> {
        let prefix = if self.multi_platform {
            format!("[{} internal]", platform_id(platform))
        } else {
            "[internal]".to_owned()
        };
        let log = format!("{prefix} load metadata for {reference}");
        let img = self
            .bridge
            .resolve_image(reference, Some(to_pb(platform)), mode.as_str(), &log)
            .await
            .map_err(|e| e.message().to_owned())?;
        let config = serde_json::from_slice(&img.config)
            .map_err(|e| format!("failed to parse image config for {reference}: {e}"))?;
        Ok(ResolvedImage {
            reference: Some(img.reference).filter(|r| r != reference),
            digest: Some(img.digest).filter(|d| !d.is_empty()),
            config: Some(config),
        })
    }

    async fn read_local_dockerignore(&self, local: &str) -> Result<Option<Vec<u8>>, String> {
        let bytes = dockerfile::load_context_dockerignore(&self.bridge, &self.opts, local)
            .await
            .map_err(|e| e.message)?;
        Ok(Some(bytes).filter(|b| !b.is_empty()))
    }
}

fn to_pb(p: &Platform) -> pb::Platform {
    pb::Platform {
        architecture: p.architecture.clone(),
        os: p.os.clone(),
        variant: p.variant.clone(),
        os_version: p.os_version.clone(),
        os_features: p.os_features.clone(),
    }
}

fn from_pb(p: &pb::Platform) -> Platform {
    Platform {
        os: p.os.clone(),
        architecture: p.architecture.clone(),
        variant: p.variant.clone(),
        os_version: p.os_version.clone(),
        os_features: p.os_features.clone(),
    }
    .normalize()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::text::TextRange;

    fn df(text: &str) -> Dockerfile {
        Dockerfile {
            filename: "Dockerfile".into(),
            data: text.as_bytes().to_vec(),
            ..Dockerfile::default()
        }
    }

    #[test]
    fn instruction_errors_read_like_buildkit() {
        let d = df("FROM a\nRUN --mont=x true\n");
        let diag = Diagnostic::error(
            crate::syntax::codes::UNKNOWN_FLAG,
            TextRange::new(11, 17),
            "unknown flag: --mont",
        )
        .with_help("did you mean --mount?");
        let e = compile_error(&[diag], &d, true);
        assert_eq!(
            e.message,
            "dockerfile parse error on line 2: unknown flag: --mont (did you mean mount?)"
        );
        assert_eq!(e.details.len(), 1);
        assert_eq!(
            e.details[0].type_url,
            "github.com/moby/buildkit/errdefs.Source+json"
        );
        let v: serde_json::Value = serde_json::from_slice(&e.details[0].value).unwrap();
        assert_eq!(
            v["ranges"],
            serde_json::json!([{"start": {"line": 2}, "end": {"line": 2}}])
        );
        assert_eq!(v["info"]["filename"], "Dockerfile");
        assert_eq!(v["info"]["data"], "RlJPTSBhClJVTiAtLW1vbnQ9eCB0cnVlCg==");
    }

    #[test]
    fn other_errors_keep_their_message_and_subrequests_get_no_snippet() {
        let d = df("RUN x\n");
        let diag = Diagnostic::error(
            crate::syntax::codes::NO_STAGE,
            TextRange::new(0, 5),
            "no build stage in current context",
        );
        let e = compile_error(&[diag], &d, false);
        assert_eq!(e.message, "no build stage in current context");
        assert!(e.details.is_empty());
        assert_eq!(
            compile_error(&[], &d, true).message,
            "the Dockerfile could not be compiled"
        );
        assert_eq!(suggested_name("did you mean two words?"), None);
    }
}
