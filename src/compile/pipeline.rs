//! The stages of [`compile`]: syntax, planning with concurrent
//! resolution, lowering and marshalling, for each target platform.

use std::collections::HashMap;

use futures_util::future::join_all;

use crate::diagnostics::Diagnostic;
use crate::ir::codes;
use crate::ir::lower::{self, Lowered};
use crate::ir::plan::{
    Answer, ImageAnswer, Pending, PendingImage, PendingOciLayout, Plan, go_quote, suggest,
};
use crate::ir::platform::Platform;
use crate::llb::{self, PlatformOutput, SourceFile};
use crate::syntax::instructions::{Dockerfile, parse_instructions};
use crate::syntax::text::TextRange;
use crate::syntax::tree::SyntaxTree;
use crate::syntax::{decode, parse};

use super::{CompileRequest, Compiled, PlatformResult, Resolver};

/// The parsed Dockerfile and the warnings found on the way.
pub(super) struct Parsed {
    pub tree: SyntaxTree,
    pub file: Dockerfile,
    pub warnings: Vec<Diagnostic>,
}

/// Decodes and parses; every syntax or instruction error is returned.
pub(super) fn parse_request(req: &CompileRequest) -> Result<Parsed, Vec<Diagnostic>> {
    if req.dockerfile.is_empty() {
        return Err(vec![Diagnostic::error(
            crate::syntax::codes::EMPTY_DOCKERFILE,
            TextRange::new(0, 0),
            "the Dockerfile cannot be empty",
        )]);
    }
    let source = decode(&req.dockerfile).map_err(|d| vec![d])?;
    let parsed = parse(source);
    let mut diags = parsed.diagnostics.clone();
    let (file, more) = parse_instructions(&parsed.tree);
    diags.extend(more);
    let (errors, warnings): (Vec<_>, Vec<_>) = diags.into_iter().partition(Diagnostic::is_error);
    if !errors.is_empty() {
        return Err(errors);
    }
    Ok(Parsed {
        tree: parsed.tree,
        file,
        warnings,
    })
}

/// Compiles a Dockerfile for every requested platform.
pub async fn compile<R: Resolver>(
    req: &CompileRequest,
    resolver: &R,
) -> Result<Compiled, Vec<Diagnostic>> {
    let parsed = parse_request(req)?;
    let platforms = req.options.platforms_to_build();
    let cache = ResolveCache::default();
    let builds =
        join_all(platforms.iter().map(|(p, implicit)| {
            plan_and_lower_with(&parsed, req, p, *implicit, resolver, &cache)
        }))
        .await;
    let source = SourceFile {
        filename: req.options.filename.clone(),
        data: req.dockerfile.clone(),
        definition: req.dockerfile_definition.clone(),
    };
    let mut results = Vec::with_capacity(builds.len());
    for ((platform, _), built) in platforms.iter().zip(builds) {
        let lowered = built.map_err(|d| vec![d])?;
        let build = lowered.build;
        let definition = llb::marshal(&build, &source, &req.inputs);
        results.push(PlatformResult {
            platform: platform.clone(),
            definition,
            image_config: build.image.to_json().into_bytes(),
            base_config: build.base_image.as_ref().map(|b| b.to_json().into_bytes()),
            epoch: build.epoch,
            build,
        });
    }
    let multi = req.options.multi_platform;
    let outputs: Vec<PlatformOutput> = results
        .iter()
        .map(|r| PlatformOutput {
            platform: &r.platform,
            image: &r.build.image,
            base_image: r.build.base_image.as_ref(),
            epoch: r.epoch,
        })
        .collect();
    let metadata = llb::result_metadata(&outputs, multi);
    Ok(Compiled {
        platforms: results,
        metadata,
        multi_platform: multi,
        warnings: parsed.warnings,
    })
}

/// Plans, resolves and lowers for one platform (the first requested one,
/// or the build platform). Used by the outline subrequest and tools.
pub async fn plan_and_lower<R: Resolver>(
    req: &CompileRequest,
    resolver: &R,
) -> Result<Lowered, Vec<Diagnostic>> {
    let parsed = parse_request(req)?;
    let (platform, implicit) = req
        .options
        .platforms_to_build()
        .into_iter()
        .next()
        .unwrap_or_else(|| (req.options.build_platform.clone(), true));
    plan_and_lower_with(
        &parsed,
        req,
        &platform,
        implicit,
        resolver,
        &ResolveCache::default(),
    )
    .await
    .map_err(|d| vec![d])
}

/// Image lookups shared by the platforms of one compilation.
#[derive(Default)]
struct ResolveCache {
    images: std::sync::Mutex<HashMap<(String, Platform), Result<ImageAnswer, String>>>,
}

async fn plan_and_lower_with<R: Resolver>(
    parsed: &Parsed,
    req: &CompileRequest,
    platform: &Platform,
    implicit: bool,
    resolver: &R,
    cache: &ResolveCache,
) -> Result<Lowered, Diagnostic> {
    let mut plan = Plan::new(&parsed.tree, &parsed.file, &req.options, platform, implicit)?;
    loop {
        let pending = plan.pending()?;
        let answers = join_all(
            pending
                .iter()
                .map(|(_, p)| answer(p, &plan, resolver, cache)),
        )
        .await;
        for ((idx, p), ans) in pending.iter().zip(answers) {
            let ans = ans.map_err(|e| resolve_error(&plan, *idx, p, &e))?;
            plan.resolve(*idx, &ans)?;
        }
        if !plan.expand_onbuild()? {
            break;
        }
    }
    lower::lower(&plan)
}

async fn answer<R: Resolver>(
    p: &Pending,
    plan: &Plan,
    resolver: &R,
    cache: &ResolveCache,
) -> Result<Answer, String> {
    match p {
        Pending::Image(PendingImage {
            reference,
            platform,
            ..
        }) => {
            let key = (reference.clone(), platform.clone());
            let cached = cache.images.lock().ok().and_then(|m| m.get(&key).cloned());
            let result = match cached {
                Some(r) => r,
                None => {
                    let r = resolver
                        .resolve_image(reference, platform, plan.options.resolve_mode)
                        .await
                        .map(|img| ImageAnswer {
                            reference: img.reference,
                            digest: img.digest,
                            config: img.config,
                        });
                    if let Ok(mut m) = cache.images.lock() {
                        m.insert(key, r.clone());
                    }
                    r
                }
            };
            result.map(Answer::Image)
        }
        Pending::LocalDockerignore(name) => resolver
            .read_local_dockerignore(name)
            .await
            .map(Answer::Dockerignore),
        Pending::OciLayout(PendingOciLayout {
            key,
            reference,
            store,
            platform,
        }) => resolver
            .resolve_oci_layout(key, reference, store, platform)
            .await
            .map(|img| {
                Answer::Image(ImageAnswer {
                    reference: img.reference,
                    digest: img.digest,
                    config: img.config,
                })
            }),
        Pending::Nothing => Ok(Answer::Nothing),
    }
}

/// BuildKit's wording for a failed base image lookup: `<name>: <error>`,
/// with a suggestion among the stage names and common images.
fn resolve_error(plan: &Plan, idx: usize, p: &Pending, err: &str) -> Diagnostic {
    let st = &plan.stages[idx];
    if let Pending::OciLayout(_) = p {
        // BuildKit passes a named context's failure on as it is.
        return Diagnostic::error(codes::RESOLVE_FAILED, st.from_range, err);
    }
    let name = &st.orig_name;
    let mut msg = match p {
        Pending::Image(_) => format!("{name}: {err}"),
        _ => format!("failed to read .dockerignore of named context: {err}"),
    };
    let mut options: Vec<String> = plan
        .stages
        .iter()
        .filter(|s| !s.display_name.is_empty())
        .map(|s| s.display_name.clone())
        .collect();
    for repo in [
        "alpine", "busybox", "centos", "debian", "golang", "ubuntu", "fedora",
    ] {
        options.push(repo.to_owned());
        options.push(format!("docker.io/library{repo}"));
        options.push(format!("{repo}:latest"));
        options.push(format!("docker.io/library{repo}:latest"));
    }
    let opts: Vec<&str> = options.iter().map(String::as_str).collect();
    if let Some(s) = suggest(name, &opts, true) {
        msg.push_str(&format!(" (did you mean {s}?)"));
    }
    Diagnostic::error(codes::RESOLVE_FAILED, st.from_range, msg)
        .with_label(format!("could not resolve {}", go_quote(name)))
}
