//! Building through the daemon: turn the frontend options into a compile
//! request, compile the Dockerfile for each target platform with base
//! images resolved by BuildKit, solve every platform's LLB concurrently,
//! and assemble the result. Also the data behind the outline and targets
//! subrequests, which need the same request.
//!
//! Build checks ([`super::warn`]) run beside the compiler: a build sends
//! the findings of the stages it dispatches as warnings (and fails on them
//! under `check=error=true`); [`check`] answers `frontend.lint` with them.
//!
//! Compile errors become one-line statuses worded like BuildKit's
//! (`dockerfile parse error on line N: …` for instruction errors) carrying
//! the Dockerfile and the failing lines; solve errors (a failing `RUN`)
//! are passed on exactly as the daemon reported them, source map included.

use std::collections::{BTreeMap, BTreeSet};

use futures_util::future::join_all;

use crate::compile::{self, CompileRequest, ResolvedImage, Resolver};
use crate::diagnostics::Diagnostic;
use crate::ir::options::{BuildOptions, ResolveMode};
use crate::ir::platform::Platform;
use crate::lint;
use crate::llb::result::platform_id;
use crate::proto::{gateway, pb};
use crate::text::LineIndex;

use super::bridge::{Bridge, CAP_PROTO_REF_ARRAY};
use super::dockerfile::{self, Dockerfile};
use super::opts::{Environment, GatewayOptions, KEY_DOCKERFILE_CHECK};
use super::result::{self, FrontendError, SourceDetail};
use super::subrequest::{self, LintReport};
use super::warn::{self, Checks, Until};

/// The main context's `.dockerignore` patterns: the Dockerfile's own
/// file, else the context's (`prefetched` when already read); none for a
/// remote or input context, which is used whole, as in BuildKit.
async fn context_excludes(
    bridge: &Bridge,
    opts: &GatewayOptions,
    df: &Dockerfile,
    prefetched: Option<Result<Vec<u8>, FrontendError>>,
) -> Result<Vec<String>, FrontendError> {
    if !df.context.is_local() {
        return Ok(Vec::new());
    }
    let ignore = match (&df.dockerignore, prefetched) {
        (Some(bytes), _) => Ok(bytes.clone()),
        (None, Some(read)) => read,
        (None, None) => {
            dockerfile::load_context_dockerignore(bridge, opts, &opts.context_local).await
        }
    }
    .map_err(|e| e.context("failed to read dockerignore patterns"))?;
    Ok(crate::ir::dockerignore::parse(&ignore))
}

/// Builds every requested platform and assembles the result.
/// `context_ignore` is the main context's `.dockerignore` when already
/// read (it is only used when the Dockerfile has no own one).
pub async fn build(
    bridge: &Bridge,
    env: &Environment,
    opts: &GatewayOptions,
    df: &Dockerfile,
    context_ignore: Option<Result<Vec<u8>, FrontendError>>,
) -> Result<gateway::Result, FrontendError> {
    let mut req = request(bridge, env, df)?;
    req.options.context_excludes = context_excludes(bridge, opts, df, context_ignore).await?;
    let checks = run_checks(env, df, Some(req.options.context_excludes.clone()))?;
    if let Some(e) = checks.errors.iter().find(|d| d.code == lint::INVALID_CHECK) {
        return Err(FrontendError::new(format!(
            "failed to parse check options: {}",
            e.message
        )));
    }
    let resolver = GatewayResolver::new(bridge, opts, &req.options);
    let compiled = match compile::compile(&req, &resolver).await {
        Ok(c) => c,
        Err(diags) => {
            // The checks BuildKit ran before conversion stopped.
            if let Some(d) = diags.iter().find(|d| d.is_error()) {
                let until = Until::Before(checks.stop_at(d));
                let _ = warn::report(bridge, df, &checks.select(None, until)).await;
            }
            return Err(compile_error(&diags, df, true));
        }
    };
    // Checks of the stages the first platform dispatched, as BuildKit
    // reports them (only for its first platform); with `error=true` they
    // fail the build before anything is solved.
    let dispatched = dispatched_stages(&compiled);
    let warnings = checks.select(dispatched.as_ref(), Until::End);
    let _ = warn::report(bridge, df, &warnings).await;
    if checks.error_on_findings
        && let Some(message) = warn::violation_error(&warnings)
    {
        return Err(FrontendError::new(message));
    }
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

/// The `frontend.lint` answer (`--call=check`): BuildKit's build checks
/// over the Dockerfile, as far as conversion gets. Without a target every
/// stage counts, as in BuildKit; with one, the stages it needs.
pub async fn check(
    bridge: &Bridge,
    env: &Environment,
    opts: &GatewayOptions,
    df: &Dockerfile,
) -> Result<BTreeMap<String, Vec<u8>>, FrontendError> {
    // BuildKit's check does not read `.dockerignore`: CopyIgnoredFile
    // comes with builds only.
    let checks = run_checks(env, df, None)?;
    let (warnings, error) =
        if let Some(e) = checks.errors.iter().find(|d| d.code == lint::INVALID_CHECK) {
            let message = format!("failed to parse check options: {}", e.message);
            (Vec::new(), Some((message, None)))
        } else if let Some(first) = checks.errors.iter().find(|d| d.is_error()) {
            let until = Until::Before(checks.stop_at(first));
            (
                checks.select(None, until),
                Some(error_parts(&checks.errors, df)),
            )
        } else {
            let req = request(bridge, env, df)?;
            let resolver = GatewayResolver::new(bridge, opts, &req.options);
            match compile::compile(&req, &resolver).await {
                Ok(compiled) => {
                    let dispatched = req
                        .options
                        .target
                        .as_ref()
                        .and_then(|_| dispatched_stages(&compiled));
                    let warnings = checks.select(dispatched.as_ref(), Until::End);
                    let error = warn::violation_error(&warnings)
                        .filter(|_| checks.error_on_findings)
                        .map(|m| (m, None));
                    (warnings, error)
                }
                Err(diags) => {
                    let until = diags
                        .iter()
                        .find(|d| d.is_error())
                        .map_or(Until::End, |d| Until::Before(checks.stop_at(d)));
                    (checks.select(None, until), Some(error_parts(&diags, df)))
                }
            }
        };
    Ok(subrequest::lint(&LintReport {
        warnings,
        filename: &df.filename,
        data: &df.data,
        definition: &df.definition,
        error,
    }))
}

/// Runs the build checks, with the `BUILDKIT_DOCKERFILE_CHECK` build
/// argument in place of the `# check=` directive when given. A bad value
/// of that argument fails the whole request, as in BuildKit. `dockerignore`:
/// the context's patterns, when loaded (for `CopyIgnoredFile`).
fn run_checks(
    env: &Environment,
    df: &Dockerfile,
    dockerignore: Option<Vec<String>>,
) -> Result<Checks, FrontendError> {
    let check = env.opts.get(KEY_DOCKERFILE_CHECK);
    if let Some(v) = check {
        lint::CheckConfig::parse(v).map_err(|e| {
            FrontendError::new(format!("failed to parse {KEY_DOCKERFILE_CHECK}: {e}"))
        })?;
    }
    let lossy = String::from_utf8_lossy(&df.data);
    let text = crate::syntax::decode(&df.data).unwrap_or(&lossy);
    Ok(Checks::run_with_dockerignore(
        text,
        check.map(String::as_str),
        dockerignore,
    ))
}

/// The stages (file order) the first platform's build dispatched.
fn dispatched_stages(compiled: &compile::Compiled) -> Option<BTreeSet<usize>> {
    let first = compiled.platforms.first()?;
    Some(first.build.stages.iter().map(|s| s.index).collect())
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
    options.main_context = df.context.clone();
    options.inputs = df.inputs.keys().cloned().collect();
    Ok(CompileRequest {
        dockerfile: df.data.clone(),
        options,
        dockerfile_definition: Some(df.definition.clone()),
        inputs: df.inputs.clone(),
    })
}

/// The first compile error as BuildKit words it, optionally with the
/// Dockerfile snippet attached (BuildKit attaches it to build errors, not
/// to subrequest errors).
fn compile_error(diags: &[Diagnostic], df: &Dockerfile, with_source: bool) -> FrontendError {
    let (message, lines) = error_parts(diags, df);
    let err = FrontendError::new(message);
    let Some((first, last)) = lines.filter(|_| with_source) else {
        return err;
    };
    err.with_source(&SourceDetail {
        filename: &df.filename,
        data: &df.data,
        language: "Dockerfile",
        ranges: vec![(first, 0, last, 0)],
    })
}

/// The first error's one-line message as BuildKit words it, and the lines
/// it points at when BuildKit gives it a location.
fn error_parts(diags: &[Diagnostic], df: &Dockerfile) -> (String, Option<(u32, u32)>) {
    let Some(d) = diags.iter().find(|d| d.is_error()).or(diags.first()) else {
        return ("the Dockerfile could not be compiled".to_owned(), None);
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
    // Some errors carry no Dockerfile location in BuildKit either.
    let located = !df.data.is_empty() && compile::buildkit_reports_location(d);
    (message, located.then_some((first, last)))
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

    async fn resolve_oci_layout(
        &self,
        key: &str,
        reference: &str,
        store: &str,
        platform: &Platform,
    ) -> Result<ResolvedImage, String> {
        let log = format!("[context {key}] load metadata for {reference}");
        let img = self
            .bridge
            .resolve_oci_layout(
                reference,
                &self.opts.session_id,
                store,
                Some(to_pb(platform)),
                &log,
            )
            .await
            .map_err(|e| e.message().to_owned())?;
        let config = serde_json::from_slice(&img.config)
            .map_err(|e| format!("could not parse oci-layout image config: {e}"))?;
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

    // Through a real daemon BuildKit's own frontend rejects a bad value
    // before it hands the build to slipway, so this is checked here.
    #[test]
    fn a_bad_check_build_argument_reads_like_buildkit() {
        let d = df("FROM a AS B\nCMD x\n");
        let mut env = Environment::default();
        env.opts.insert(
            KEY_DOCKERFILE_CHECK.to_owned(),
            "skip=all;bogus=1".to_owned(),
        );
        assert_eq!(
            run_checks(&env, &d, None).unwrap_err().message,
            "failed to parse build-arg:BUILDKIT_DOCKERFILE_CHECK: invalid check option \"bogus\""
        );
        env.opts.insert(
            KEY_DOCKERFILE_CHECK.to_owned(),
            "skip=StageNameCasing".to_owned(),
        );
        let checks = run_checks(&env, &d, None).unwrap();
        let rules: Vec<&str> = checks.warnings.iter().map(|w| w.rule.as_str()).collect();
        assert_eq!(rules, ["JSONArgsRecommended"]);
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
