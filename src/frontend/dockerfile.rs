//! Loading the build definition: where the main context comes from, the
//! Dockerfile and its `.dockerignore`, read through the daemon.
//!
//! As BuildKit's Dockerfile frontend does it:
//!
//! 0. Find the main context (`initContext`): a Git URL or an HTTP(S) URL
//!    in the context option makes a remote context, and the Dockerfile is
//!    read from it (an HTTP download is probed: a tar archive, possibly
//!    compressed, is unpacked; anything else is the Dockerfile itself,
//!    named `context`). Otherwise the caller's frontend inputs named
//!    `dockerfile` and `context` stand in for the local directories.
//!    `dockerfilekey` forces the local Dockerfile in every case.
//! 1. Solve `local://<dockerfile local>` limited (`local.followpaths`) to the
//!    Dockerfile, `<Dockerfile>.dockerignore` and, for a file named
//!    `Dockerfile`, its lowercase twin; no file diffing (`local.differ=none`).
//! 2. Read the Dockerfile from the result, falling back to `dockerfile`.
//! 3. Read `<Dockerfile>.dockerignore` from the same result; when it exists
//!    it wins over the context's own `.dockerignore`.
//! 4. Otherwise ([`load_context_dockerignore`]) solve
//!    `local://<context local>` limited to `.dockerignore` and read it;
//!    a missing file means no patterns. Unlike BuildKit, a build reads it
//!    at the same time as the Dockerfile, not after. A remote or input
//!    context has no patterns.

use std::collections::BTreeMap;

use prost::Message as _;

use crate::proto::pb;

use crate::ir::options::MainContext;
use crate::ir::remote::parse_git_ref;
use crate::llb::caps::SOURCE_GIT_MTIME;
use crate::llb::{Inputs, digest};

use super::bridge::{Bridge, CAP_FRONTEND_INPUTS};
use super::opts::{DEFAULT_CONTEXT_LOCAL, DEFAULT_DOCKERFILE_LOCAL, GatewayOptions};
use super::result::FrontendError;

/// The file BuildKit reads next to the context root.
pub const DOCKERIGNORE: &str = ".dockerignore";

/// The loaded Dockerfile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dockerfile {
    /// Path inside the dockerfile local (or the remote context), as
    /// requested; `context` for a downloaded Dockerfile.
    pub filename: String,
    pub data: Vec<u8>,
    /// The definition that loaded it (BuildKit puts it in source infos).
    pub definition: pb::Definition,
    /// Digest of the vertex that loaded it (the target of `Warn`).
    pub vertex: String,
    /// `<Dockerfile>.dockerignore`, when present next to the Dockerfile.
    pub dockerignore: Option<Vec<u8>>,
    /// Where the main context comes from, now that remote downloads and
    /// frontend inputs have been looked at.
    pub context: MainContext,
    /// The frontend inputs the caller sent, when the build may use them.
    pub inputs: Inputs,
}

/// Finds the main context as BuildKit's `initContext` does, then reads
/// the Dockerfile (and its own `.dockerignore`): from the remote context
/// or the `dockerfile` input when there is one (unless `dockerfilekey`
/// forces the local), else from the dockerfile local.
///
/// With `context_ignore`, a local main context's `.dockerignore` is read
/// at the same time as a local Dockerfile and returned too (a build needs
/// it unless the Dockerfile has its own).
pub async fn load_dockerfile(
    bridge: &Bridge,
    opts: &GatewayOptions,
    context_ignore: bool,
) -> Result<(Dockerfile, Option<Result<Vec<u8>, FrontendError>>), FrontendError> {
    let mut found = find_context(bridge, opts).await?;
    if opts.force_local_dockerfile {
        found.source = None;
    }
    let Some(source) = found.source else {
        let (df, ignore) = if context_ignore && found.context.is_local() {
            let (df, ignore) = tokio::join!(
                load_local_dockerfile(bridge, opts),
                load_context_dockerignore(bridge, opts, &opts.context_local)
            );
            (df?, Some(ignore))
        } else {
            (load_local_dockerfile(bridge, opts).await?, None)
        };
        let df = Dockerfile {
            context: found.context,
            inputs: found.inputs,
            ..df
        };
        return Ok((df, ignore));
    };
    let reference = match source.solved {
        Some(r) => r,
        None => bridge
            .solve(source.definition.clone(), &[])
            .await
            .map_err(|e| FrontendError::from_status(&e).context("failed to resolve dockerfile"))?,
    };
    let (filename, data) = read_with_twin(bridge, &reference, &found.filename).await?;
    let dockerignore = bridge
        .read_file(&reference, &format!("{filename}{DOCKERIGNORE}"))
        .await
        .ok();
    let df = Dockerfile {
        filename,
        data,
        vertex: head_digest(&source.definition),
        definition: source.definition,
        dockerignore,
        context: found.context,
        inputs: found.inputs,
    };
    Ok((df, None))
}

/// A definition the Dockerfile is read from, and its solved result when
/// already at hand.
struct Source {
    definition: pb::Definition,
    solved: Option<String>,
}

/// What `initContext` learns: the main context, the Dockerfile's name and
/// where to read it, and the frontend inputs.
struct FoundContext {
    context: MainContext,
    filename: String,
    source: Option<Source>,
    inputs: Inputs,
}

async fn find_context(
    bridge: &Bridge,
    opts: &GatewayOptions,
) -> Result<FoundContext, FrontendError> {
    let mut found = FoundContext {
        context: opts.main_context.clone(),
        filename: opts.filename.clone(),
        source: None,
        inputs: Inputs::new(),
    };
    let uses_inputs = bridge.has_cap(CAP_FRONTEND_INPUTS);
    // Commit times under SOURCE_DATE_EPOCH only where the daemon has them
    // (older ones refuse the whole definition); an `mtime=` query asks
    // for them explicitly and is kept.
    if let MainContext::Git { url, source } = &mut found.context {
        let caps = bridge.llb_caps();
        let asked = parse_git_ref(url).is_ok_and(|g| !g.mtime.is_empty());
        if !asked && !caps.is_empty() && !caps.contains(SOURCE_GIT_MTIME) {
            source.mtime = None;
        }
    }
    match &found.context {
        MainContext::Git { .. } => {
            found.source = Some(Source {
                definition: remote_definition(&found.context),
                solved: None,
            });
        }
        MainContext::Http { url, .. } => {
            let definition = remote_definition(&found.context);
            let reference = bridge.solve(definition.clone(), &[]).await.map_err(|e| {
                FrontendError::from_status(&e).context("failed to resolve httpcontext")
            })?;
            let head = bridge
                .read_file_range(&reference, HTTP_CONTEXT_FILE, 0, 1024)
                .await
                .map_err(|e| {
                    FrontendError::from_status(&e).context("failed to read downloaded context")
                })?;
            found.source = Some(if is_archive(&head) {
                found.context = MainContext::Http {
                    url: url.clone(),
                    archive: true,
                };
                Source {
                    definition: remote_definition(&found.context),
                    solved: None,
                }
            } else {
                // The download is the Dockerfile.
                found.filename = HTTP_CONTEXT_FILE.to_owned();
                Source {
                    definition,
                    solved: Some(reference),
                }
            });
        }
        MainContext::Local | MainContext::Input(_) if uses_inputs => {
            found.inputs = bridge.inputs().await.map_err(|e| {
                FrontendError::from_status(&e).context("failed to get frontend inputs")
            })?;
            if let Some(def) = found.inputs.get(DEFAULT_DOCKERFILE_LOCAL) {
                found.source = Some(Source {
                    definition: def.clone(),
                    solved: None,
                });
            }
            if found.inputs.contains_key(DEFAULT_CONTEXT_LOCAL) {
                found.context = MainContext::Input(DEFAULT_CONTEXT_LOCAL.to_owned());
            }
        }
        MainContext::Local | MainContext::Input(_) => {}
    }
    if found.inputs.is_empty() && opts.input_contexts && uses_inputs {
        found.inputs = bridge
            .inputs()
            .await
            .map_err(|e| FrontendError::from_status(&e).context("failed to get frontend inputs"))?;
    }
    Ok(found)
}

/// The file an HTTP context is downloaded to.
const HTTP_CONTEXT_FILE: &str = "context";

/// The definition of a remote main context's root.
fn remote_definition(context: &MainContext) -> pb::Definition {
    match crate::ir::lower::remote_context_build(context) {
        Some(build) => crate::llb::marshal(&build, &Default::default(), &Inputs::new()),
        None => pb::Definition::default(),
    }
}

/// The digest of the vertex a definition's final op points at.
fn head_digest(def: &pb::Definition) -> String {
    def.def
        .last()
        .and_then(|b| pb::Op::decode(b.as_slice()).ok())
        .and_then(|op| op.inputs.into_iter().next())
        .map(|i| i.digest)
        .unwrap_or_default()
}

/// dockerui's `isArchive`: a bzip2, gzip or xz stream, or a tar header.
fn is_archive(header: &[u8]) -> bool {
    const MAGIC: [&[u8]; 3] = [
        &[0x42, 0x5A, 0x68],
        &[0x1F, 0x8B, 0x08],
        &[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00],
    ];
    MAGIC.iter().any(|m| header.starts_with(m)) || is_tar_header(header)
}

/// Whether the first 512 bytes are a tar header Go's `tar.Reader` takes:
/// not all zero, with a matching checksum (unsigned or signed sum).
fn is_tar_header(b: &[u8]) -> bool {
    let Some(block) = b.get(..512) else {
        return false;
    };
    if block.iter().all(|&c| c == 0) {
        return false;
    }
    let field = &block[148..156];
    let text: String = field
        .iter()
        .map(|&c| c as char)
        .filter(|c| !matches!(c, ' ' | '\0'))
        .collect();
    let Ok(want) = i64::from_str_radix(&text, 8) else {
        return false;
    };
    let (mut unsigned, mut signed) = (0i64, 0i64);
    for (i, &c) in block.iter().enumerate() {
        let c = if (148..156).contains(&i) { b' ' } else { c };
        unsigned += i64::from(c);
        signed += i64::from(c as i8);
    }
    want == unsigned || want == signed
}

/// Reads `filename` from a solved result, falling back to the lowercase
/// `dockerfile` twin; returns the name read too.
async fn read_with_twin(
    bridge: &Bridge,
    reference: &str,
    filename: &str,
) -> Result<(String, Vec<u8>), FrontendError> {
    match bridge.read_file(reference, filename).await {
        Ok(d) => Ok((filename.to_owned(), d)),
        Err(first) => {
            if let Some(l) = lowercase_twin(filename)
                && let Ok(d) = bridge.read_file(reference, &l).await
            {
                return Ok((filename.to_owned(), d));
            }
            Err(FrontendError::from_status(&first).context("failed to read dockerfile"))
        }
    }
}

/// Solves the dockerfile local and reads the Dockerfile (and its own
/// `.dockerignore`) from it.
async fn load_local_dockerfile(
    bridge: &Bridge,
    opts: &GatewayOptions,
) -> Result<Dockerfile, FrontendError> {
    let filename = opts.filename.clone();
    let lowercase = lowercase_twin(&filename);
    let ignore_name = format!("{filename}{DOCKERIGNORE}");
    let mut follow = vec![filename.clone(), ignore_name.clone()];
    follow.extend(lowercase);
    let (definition, vertex) = local_definition(
        &opts.dockerfile_local,
        opts.session(&opts.dockerfile_local),
        &follow,
        &opts.dockerfile_local,
        &format!("load build definition from {filename}"),
    );
    let reference = bridge
        .solve(definition.clone(), &[])
        .await
        .map_err(|e| FrontendError::from_status(&e).context("failed to resolve dockerfile"))?;
    let (filename, data) = read_with_twin(bridge, &reference, &filename).await?;
    let dockerignore = bridge.read_file(&reference, &ignore_name).await.ok();
    Ok(Dockerfile {
        filename,
        data,
        definition,
        vertex,
        dockerignore,
        ..Dockerfile::default()
    })
}

/// Reads `.dockerignore` from the root of the local directory `local`
/// (the main context, or a `local:` named context); empty when it does
/// not exist.
pub async fn load_context_dockerignore(
    bridge: &Bridge,
    opts: &GatewayOptions,
    local: &str,
) -> Result<Vec<u8>, FrontendError> {
    let (definition, _) = local_definition(
        local,
        opts.session(local),
        &[DOCKERIGNORE.to_owned()],
        &format!("{local}-{DOCKERIGNORE}"),
        &format!("load {DOCKERIGNORE}"),
    );
    let reference = bridge
        .solve(definition, &[])
        .await
        .map_err(|e| FrontendError::from_status(&e))?;
    Ok(bridge
        .read_file(&reference, DOCKERIGNORE)
        .await
        .unwrap_or_default())
}

/// `dir/dockerfile` for a path whose last element is `Dockerfile`.
fn lowercase_twin(filename: &str) -> Option<String> {
    let (dir, base) = match filename.rsplit_once('/') {
        Some((d, b)) => (Some(d), b),
        None => (None, filename),
    };
    (base == "Dockerfile").then(|| match dir {
        Some(d) if !d.is_empty() && d != "." => format!("{d}/dockerfile"),
        Some("") => "/dockerfile".to_owned(),
        _ => "dockerfile".to_owned(),
    })
}

/// A one-op definition reading part of a local directory, and the digest
/// of that op. Attributes and capabilities are the ones BuildKit's LLB
/// client writes for the same options.
pub fn local_definition(
    name: &str,
    session: &str,
    follow_paths: &[String],
    shared_key: &str,
    description: &str,
) -> (pb::Definition, String) {
    let mut attrs = BTreeMap::new();
    let mut caps = BTreeMap::from([("source.local".to_owned(), true)]);
    if session.is_empty() {
        // Without a session BuildKit needs a unique ID; a fixed one keeps
        // this definition deterministic.
        attrs.insert("local.unique".to_owned(), "slipway".to_owned());
        caps.insert("source.local.unique".to_owned(), true);
    } else {
        attrs.insert("local.session".to_owned(), session.to_owned());
        caps.insert("source.local.sessionid".to_owned(), true);
    }
    let follow = serde_json::to_string(follow_paths).unwrap_or_else(|_| "[]".to_owned());
    attrs.insert("local.followpaths".to_owned(), follow);
    caps.insert("source.local.followpaths".to_owned(), true);
    attrs.insert("local.sharedkeyhint".to_owned(), shared_key.to_owned());
    caps.insert("source.local.sharedkeyhint".to_owned(), true);
    attrs.insert("local.differ".to_owned(), "none".to_owned());
    let source = pb::Op {
        op: Some(pb::op::Op::Source(pb::SourceOp {
            identifier: format!("local://{name}"),
            attrs,
        })),
        constraints: Some(pb::WorkerConstraints::default()),
        ..pb::Op::default()
    };
    // BuildKit's field order (the `op` oneof last), so the digest is its.
    let bytes = crate::llb::encode_op(&source);
    let head = digest(&bytes);
    let terminal = pb::Op {
        inputs: vec![pb::Input {
            digest: head.clone(),
            index: 0,
        }],
        ..pb::Op::default()
    };
    let metadata = pb::OpMetadata {
        description: BTreeMap::from([(
            "llb.customname".to_owned(),
            format!("[internal] {description}"),
        )]),
        caps,
        ..pb::OpMetadata::default()
    };
    // BuildKit's marshaller gives the terminal op the constraint caps (and
    // `meta.description`, as an op has a description), and records every
    // op in the source map, with no locations for this one.
    let terminal = terminal.encode_to_vec();
    let terminal_metadata = pb::OpMetadata {
        caps: ["constraints", "platform", "meta.description"]
            .into_iter()
            .map(|c| (c.to_owned(), true))
            .collect(),
        ..pb::OpMetadata::default()
    };
    let definition = pb::Definition {
        metadata: BTreeMap::from([
            (head.clone(), metadata),
            (digest(&terminal), terminal_metadata),
        ]),
        def: vec![bytes, terminal],
        source: Some(pb::Source {
            locations: BTreeMap::from([(head.clone(), pb::Locations::default())]),
            infos: Vec::new(),
        }),
    };
    (definition, head)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lowercase_twin_only_for_dockerfile() {
        assert_eq!(lowercase_twin("Dockerfile").as_deref(), Some("dockerfile"));
        assert_eq!(
            lowercase_twin("a/b/Dockerfile").as_deref(),
            Some("a/b/dockerfile")
        );
        assert_eq!(lowercase_twin("Containerfile"), None);
        assert_eq!(lowercase_twin("x/Dockerfile.dev"), None);
    }

    #[test]
    fn local_definition_reads_like_buildkit() {
        let follow = [
            "Dockerfile".to_owned(),
            "Dockerfile.dockerignore".to_owned(),
        ];
        let (def, vertex) = local_definition("dockerfile", "sess", &follow, "dockerfile", "load x");
        assert_eq!(def.def.len(), 2);
        let op = pb::Op::decode(def.def[0].as_slice()).unwrap();
        let Some(pb::op::Op::Source(src)) = op.op else {
            panic!("not a source op: {op:?}")
        };
        assert_eq!(src.identifier, "local://dockerfile");
        assert_eq!(
            src.attrs["local.followpaths"],
            r#"["Dockerfile","Dockerfile.dockerignore"]"#
        );
        assert_eq!(src.attrs["local.session"], "sess");
        assert_eq!(src.attrs["local.differ"], "none");
        let head = pb::Op::decode(def.def[1].as_slice()).unwrap();
        assert_eq!(head.inputs[0].digest, vertex);
        assert_eq!(vertex, digest(&def.def[0]));
        assert_eq!(head_digest(&def), vertex);
        assert_eq!(
            def.metadata[&vertex].description["llb.customname"],
            "[internal] load x"
        );
    }

    #[test]
    fn archives_are_recognised_by_magic_or_tar_header() {
        assert!(is_archive(&[0x1F, 0x8B, 0x08, 0, 0]));
        assert!(is_archive(b"BZh91AY"));
        assert!(is_archive(&[0xFD, 0x37, 0x7A, 0x58, 0x5A, 0x00, 1]));
        let mut header = tar::Header::new_gnu();
        header.set_path("Dockerfile").unwrap();
        header.set_size(3);
        header.set_mode(0o644);
        header.set_cksum();
        let mut block = header.as_bytes().to_vec();
        block.extend_from_slice(&[0; 512]);
        assert!(is_archive(&block));
        // A header whose checksum does not add up, a zero block, text.
        block[0] ^= 1;
        assert!(!is_archive(&block));
        assert!(!is_archive(&[0; 1024]));
        assert!(!is_archive(b"FROM busybox\nRUN true\n"));
    }
}
