//! Resolution: what the plan needs from outside ([`Pending`]) and taking
//! the answers back ([`Answer`]), as BuildKit's `resolveReachableStages`
//! and `resolveBaseImage` do.

use crate::diagnostics::Diagnostic;
use crate::syntax::text::TextRange;

use crate::ir::codes;
use crate::ir::image::ImageConfig;
use crate::ir::options::NamedContext;
use crate::ir::platform::Platform;
use crate::ir::reference::ImageRef;

use super::{
    Answer, Base, ImageAnswer, NamedBase, Pending, PendingImage, PendingOciLayout, Plan, go_quote,
};

impl Plan {
    /// What to resolve before lowering: the base images of reachable
    /// stages that are not stages themselves, and the `.dockerignore` of
    /// `local:` named contexts. Also checks the references of every stage,
    /// reachable or not, as BuildKit does.
    pub fn pending(&mut self) -> Result<Vec<(usize, Pending)>, Diagnostic> {
        let reachable = self.reachable();
        let mut out = Vec::new();
        for i in 0..self.stages.len() {
            let st = &self.stages[i];
            if st.base_stage.is_some() || st.resolved || !matches!(st.base, Base::Pending) {
                continue;
            }
            let is_reachable = reachable.contains(&i);
            if st.is_scratch() && st.replaced_by.is_none() {
                if is_reachable {
                    let platform = self.target_platform.clone();
                    let st = &mut self.stages[i];
                    st.resolved = true;
                    st.base = Base::Scratch;
                    st.image = Some(ImageConfig::empty(&platform));
                    st.resolved_platform = Some(platform);
                }
                continue;
            }
            let platform = st
                .platform
                .clone()
                .unwrap_or_else(|| self.target_platform.clone());
            let named = match &st.replaced_by {
                Some(ctx) => Some(ctx.clone()),
                None => {
                    let reference = ImageRef::parse_normalized(&st.base_name).map_err(|e| {
                        Diagnostic::error(
                            codes::INVALID_REFERENCE,
                            st.from_range,
                            format!(
                                "failed to parse stage name {}: {e}",
                                go_quote(&st.base_name)
                            ),
                        )
                    })?;
                    if !is_reachable {
                        continue;
                    }
                    match self
                        .options
                        .named_context(&reference.to_string(), &platform)
                    {
                        Some((_, ctx)) => Some(ctx.clone()),
                        None => {
                            let reference = reference.with_default_tag().to_string();
                            out.push((
                                i,
                                Pending::Image(PendingImage {
                                    reference,
                                    platform,
                                    named: false,
                                }),
                            ));
                            self.stages[i].resolved = true;
                            continue;
                        }
                    }
                }
            };
            if !is_reachable {
                continue;
            }
            self.stages[i].resolved = true;
            match named {
                Some(NamedContext::Image(r)) if r != "scratch" => {
                    let reference = normalized(&r, self.stages[i].from_range)?;
                    out.push((
                        i,
                        Pending::Image(PendingImage {
                            reference,
                            platform,
                            named: true,
                        }),
                    ));
                }
                Some(NamedContext::Local(name)) => {
                    out.push((i, Pending::LocalDockerignore(name)));
                }
                Some(NamedContext::OciLayout(spec)) => {
                    let key = named_key(self, i, &platform);
                    let range = self.stages[i].from_range;
                    let (reference, store) = oci_layout_ref(&spec, &key, range)?;
                    out.push((
                        i,
                        Pending::OciLayout(PendingOciLayout {
                            key,
                            reference,
                            store,
                            platform,
                        }),
                    ));
                }
                _ => out.push((i, Pending::Nothing)),
            }
        }
        Ok(out)
    }
}

/// The option key (`NAME` or `NAME::os/arch`) of the named context that
/// stage `idx` uses: the stage's own name when the context replaces the
/// stage, its base name otherwise.
fn named_key(plan: &Plan, idx: usize, platform: &Platform) -> String {
    let st = &plan.stages[idx];
    let name = if st.replaced_by.is_some() {
        st.name.clone().unwrap_or_default()
    } else {
        st.base_name.clone()
    };
    plan.options
        .named_context(&name, platform)
        .map(|(k, _)| k)
        .unwrap_or(name)
}

/// Splits an `oci-layout://` value (`<store>[:tag]@<digest>`) as dockerui
/// does: the store is the reference's name, and the source is named after
/// the context (the key without its platform) pinned to the digest:
/// `docker.io/library/base@sha256:…`.
fn oci_layout_ref(spec: &str, key: &str, range: TextRange) -> Result<(String, String), Diagnostic> {
    let error = |msg: String| Diagnostic::error(codes::INVALID_REFERENCE, range, msg);
    let parsed = ImageRef::parse(spec).map_err(|e| {
        error(format!(
            "could not parse oci-layout reference {}: {e}",
            go_quote(spec)
        ))
    })?;
    let Some(digest) = parsed.digest.clone() else {
        return Err(error(format!(
            "oci-layout reference {} has no digest",
            go_quote(&parsed.to_string())
        )));
    };
    let name = key.split("::").next().unwrap_or(key);
    let named = ImageRef::parse_normalized(name).map_err(|e| {
        error(format!(
            "could not parse oci-layout reference {}: {e}",
            go_quote(name)
        ))
    })?;
    Ok((named.with_digest(&digest).to_string(), parsed.name()))
}

fn normalized(r: &str, range: TextRange) -> Result<String, Diagnostic> {
    ImageRef::parse_normalized(r)
        .map(|r| r.with_default_tag().to_string())
        .map_err(|e| Diagnostic::error(codes::INVALID_REFERENCE, range, e))
}

/// Applies a resolver answer to stage `idx` (BuildKit's
/// `resolveBaseImage`).
pub(super) fn apply(plan: &mut Plan, idx: usize, answer: &Answer) -> Result<(), Diagnostic> {
    let st = &plan.stages[idx];
    let range = st.from_range;
    let platform = st
        .platform
        .clone()
        .unwrap_or_else(|| plan.target_platform.clone());
    if let Some(ctx) = st.replaced_by.clone() {
        let named = load_named(plan, idx, &ctx, answer, &platform)?;
        let st = &mut plan.stages[idx];
        if let Some(img) = &named.1 {
            let p = &img.platform;
            if !p.architecture.is_empty() && !p.os.is_empty() {
                st.resolved_platform = Some(Platform {
                    os: p.os.clone(),
                    architecture: p.architecture.clone(),
                    variant: p.variant.clone(),
                    os_version: p.os_version.clone(),
                    os_features: p.os_features.clone(),
                });
            }
        }
        st.image = named.1.map(|mut i| {
            i.created = None;
            i
        });
        st.base = named.0;
        return Ok(());
    }
    let reference = ImageRef::parse_normalized(&st.base_name)
        .map_err(|e| Diagnostic::error(codes::INVALID_REFERENCE, range, e))?;
    if let Some((_, ctx)) = plan
        .options
        .named_context(&reference.to_string(), &platform)
    {
        let ctx = ctx.clone();
        let (base, img) = load_named(plan, idx, &ctx, answer, &platform)?;
        let img = img.unwrap_or_else(|| ImageConfig::empty(&platform));
        let st = &mut plan.stages[idx];
        st.base_image = Some(img.clone());
        let mut img = img;
        img.created = None;
        st.image = Some(img);
        st.base = base;
        st.resolved_platform = Some(platform);
        return Ok(());
    }
    let Answer::Image(answer) = answer else {
        return Ok(());
    };
    let mut reference = reference;
    if let Some(r) = &answer.reference {
        let mutated = ImageRef::parse_normalized(r).map_err(|e| {
            Diagnostic::error(
                codes::RESOLVE_FAILED,
                range,
                format!("failed to parse ref {}: {e}", go_quote(r)),
            )
        })?;
        if mutated.to_string() != reference.to_string() {
            reference = mutated;
        }
    }
    let (img, known) = match &answer.config {
        Some(cfg) => (
            ImageConfig::from_json(cfg)
                .map_err(|e| Diagnostic::error(codes::RESOLVE_FAILED, range, e))?,
            true,
        ),
        None => (
            ImageConfig {
                platform: platform.clone(),
                rootfs_type: "layers".to_owned(),
                diff_ids: Some(Vec::new()),
                ..ImageConfig::default()
            },
            false,
        ),
    };
    let mut platform = platform;
    let st = &plan.stages[idx];
    if st.platform.is_none() && plan.implicit_platform {
        let build = &plan.options.build_platform;
        let p = &img.platform;
        if !(platform.os == p.os && platform.architecture == p.architecture)
            && build.os == p.os
            && build.architecture == p.architecture
        {
            platform = build.clone();
        }
    }
    let mut reference = reference.with_default_tag();
    if let Some(d) = &answer.digest {
        reference = reference.with_digest(d);
    }
    let empty = known
        && img.diff_ids.as_ref().is_none_or(Vec::is_empty)
        && img.history.iter().all(|h| h.empty_layer);
    let st = &mut plan.stages[idx];
    st.base_image = known.then(|| img.clone());
    let mut img = img;
    img.created = None;
    st.image = Some(img);
    st.base_name = reference.to_string();
    st.base = if empty {
        Base::Scratch
    } else {
        Base::Image {
            reference: reference.to_string(),
        }
    };
    st.resolved_platform = Some(platform);
    Ok(())
}

/// Loads a named context: its base and image config.
fn load_named(
    plan: &Plan,
    idx: usize,
    ctx: &NamedContext,
    answer: &Answer,
    platform: &Platform,
) -> Result<(Base, Option<ImageConfig>), Diagnostic> {
    let range = plan.stages[idx].from_range;
    let key = named_key(plan, idx, platform);
    let named = |reference, excludes, platform| {
        Base::Named(Box::new(NamedBase {
            key: key.clone(),
            context: ctx.clone(),
            reference,
            store: None,
            excludes,
            platform,
        }))
    };
    let config = |a: &ImageAnswer| match &a.config {
        Some(c) => ImageConfig::from_json(c)
            .map(Some)
            .map_err(|e| Diagnostic::error(codes::RESOLVE_FAILED, range, e)),
        None => Ok(None),
    };
    match ctx {
        NamedContext::Image(r) if r == "scratch" => Ok((Base::Scratch, None)),
        NamedContext::Image(r) => {
            let Answer::Image(a) = answer else {
                return Ok((
                    named(Some(r.clone()), Vec::new(), Some(platform.clone())),
                    None,
                ));
            };
            let reference = match &a.reference {
                Some(r) => r.clone(),
                None => ImageRef::parse_normalized(r)
                    .map(|r| r.with_default_tag().to_string())
                    .map_err(|e| Diagnostic::error(codes::INVALID_REFERENCE, range, e))?,
            };
            let img = config(a)?;
            Ok((
                named(Some(reference), Vec::new(), Some(platform.clone())),
                img,
            ))
        }
        NamedContext::Local(_) => {
            let excludes = match answer {
                Answer::Dockerignore(Some(bytes)) => crate::ir::dockerignore::parse(bytes),
                _ => Vec::new(),
            };
            Ok((named(None, excludes, None), None))
        }
        NamedContext::Http(_) => Ok((named(None, Vec::new(), None), None)),
        NamedContext::Git(url) => {
            crate::ir::remote::parse_git_ref(url)
                .map_err(|e| Diagnostic::error(codes::INVALID_OPTION, range, e))?;
            Ok((named(None, Vec::new(), None), None))
        }
        NamedContext::OciLayout(spec) => {
            let (reference, store) = oci_layout_ref(spec, &key, range)?;
            let img = match answer {
                Answer::Image(a) => config(a)?,
                _ => None,
            };
            let base = NamedBase {
                key: key.clone(),
                context: ctx.clone(),
                reference: Some(reference),
                store: Some(store),
                excludes: Vec::new(),
                platform: Some(platform.clone()),
            };
            Ok((Base::Named(Box::new(base)), img))
        }
        NamedContext::Input(name) => {
            if !plan.options.inputs.contains(name) {
                return Err(Diagnostic::error(
                    codes::RESOLVE_FAILED,
                    range,
                    format!("invalid input {name} for {key}"),
                ));
            }
            let img = match plan.options.input_metadata.get(name) {
                Some(md) => Some(
                    input_config(md, &key)
                        .map_err(|e| Diagnostic::error(codes::RESOLVE_FAILED, range, e))?,
                ),
                None => None,
            };
            Ok((named(None, Vec::new(), None), img.flatten()))
        }
    }
}

/// The image config in an `input-metadata:` value: a JSON object of
/// base64 strings (Go's `map[string][]byte`), read at
/// `containerimage.config`.
fn input_config(metadata: &str, key: &str) -> Result<Option<ImageConfig>, String> {
    use base64::Engine as _;
    let m: std::collections::BTreeMap<String, String> = serde_json::from_str(metadata)
        .map_err(|e| format!("failed to parse input metadata {metadata}: {e}"))?;
    let Some(encoded) = m.get("containerimage.config") else {
        return Ok(None);
    };
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(encoded)
        .map_err(|e| format!("failed to parse image config for {key}: {e}"))?;
    let value: serde_json::Value = serde_json::from_slice(&bytes)
        .map_err(|e| format!("failed to parse image config for {key}: {e}"))?;
    ImageConfig::from_json(&value)
        .map(Some)
        .map_err(|e| format!("failed to parse image config for {key}: {e}"))
}
