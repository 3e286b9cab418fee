//! Loading the build definition: the Dockerfile and its `.dockerignore`,
//! read through the daemon from the client's local directories.
//!
//! As BuildKit's Dockerfile frontend does it:
//!
//! 1. Solve `local://<dockerfile local>` limited (`local.followpaths`) to the
//!    Dockerfile, `<Dockerfile>.dockerignore` and, for a file named
//!    `Dockerfile`, its lowercase twin; no file diffing (`local.differ=none`).
//! 2. Read the Dockerfile from the result, falling back to `dockerfile`.
//! 3. Read `<Dockerfile>.dockerignore` from the same result; when it exists
//!    it wins over the context's own `.dockerignore`.
//! 4. Otherwise ([`load_context_dockerignore`]) solve
//!    `local://<context local>` limited to `.dockerignore` and read it;
//!    a missing file means no patterns.

use std::collections::BTreeMap;

use prost::Message as _;
use sha2::{Digest as _, Sha256};

use crate::proto::pb;

use super::bridge::Bridge;
use super::opts::GatewayOptions;
use super::result::FrontendError;

/// The file BuildKit reads next to the context root.
pub const DOCKERIGNORE: &str = ".dockerignore";

/// The loaded Dockerfile.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Dockerfile {
    /// Path inside the dockerfile local, as requested.
    pub filename: String,
    pub data: Vec<u8>,
    /// The definition that loaded it (BuildKit puts it in source infos).
    pub definition: pb::Definition,
    /// Digest of the vertex that loaded it (the target of `Warn`).
    pub vertex: String,
    /// `<Dockerfile>.dockerignore`, when present next to the Dockerfile.
    pub dockerignore: Option<Vec<u8>>,
}

/// Solves the dockerfile local and reads the Dockerfile (and its own
/// `.dockerignore`) from it.
pub async fn load_dockerfile(
    bridge: &Bridge,
    opts: &GatewayOptions,
) -> Result<Dockerfile, FrontendError> {
    let filename = opts.filename.clone();
    let lowercase = lowercase_twin(&filename);
    let ignore_name = format!("{filename}{DOCKERIGNORE}");
    let mut follow = vec![filename.clone(), ignore_name.clone()];
    follow.extend(lowercase.clone());
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
    let data = match bridge.read_file(&reference, &filename).await {
        Ok(d) => d,
        Err(first) => {
            let fallback = match &lowercase {
                Some(l) => bridge.read_file(&reference, l).await.ok(),
                None => None,
            };
            fallback.ok_or_else(|| {
                FrontendError::from_status(&first).context("failed to read dockerfile")
            })?
        }
    };
    let dockerignore = bridge.read_file(&reference, &ignore_name).await.ok();
    Ok(Dockerfile {
        filename,
        data,
        definition,
        vertex,
        dockerignore,
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
    let digest = sha256_digest(&bytes);
    let terminal = pb::Op {
        inputs: vec![pb::Input {
            digest: digest.clone(),
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
            (digest.clone(), metadata),
            (sha256_digest(&terminal), terminal_metadata),
        ]),
        def: vec![bytes, terminal],
        source: Some(pb::Source {
            locations: BTreeMap::from([(digest.clone(), pb::Locations::default())]),
            infos: Vec::new(),
        }),
    };
    (definition, digest)
}

/// `sha256:<hex>` of some bytes.
pub fn sha256_digest(bytes: &[u8]) -> String {
    let sum = Sha256::digest(bytes);
    let mut out = String::with_capacity(71);
    out.push_str("sha256:");
    for b in sum.iter() {
        out.push_str(&format!("{b:02x}"));
    }
    out
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
        let (def, digest) = local_definition("dockerfile", "sess", &follow, "dockerfile", "load x");
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
        assert_eq!(head.inputs[0].digest, digest);
        assert_eq!(digest, sha256_digest(&def.def[0]));
        assert_eq!(
            def.metadata[&digest].description["llb.customname"],
            "[internal] load x"
        );
    }
}
