//! The local cache's `index.json`, read before a build and updated after
//! it, as BuildKit's client does (`parseCacheOptions`, the end of `solve`,
//! `client/ociindex`).
//!
//! An import names its manifest by `digest=`, or by `tag=` (default
//! `latest`) looked up in `SRC/index.json`; a store, tag or blob that is
//! missing skips the import with a warning instead of failing the build.
//! After an export the daemon answers with the cache manifest's descriptor
//! under `cache.manifest`; it goes into `DEST/index.json` under the tag,
//! replacing the entry that had the same tag and keeping all others. With
//! `reset=true` the blobs no entry of `index.json` reaches are then
//! deleted.

use std::collections::{BTreeMap, BTreeSet};
use std::path::{Path, PathBuf};

use serde::{Deserialize, Serialize};

use super::ContentStores;
use super::store::{Digest, LocalStore, hex};
use crate::proto::control::CacheOptionsEntry;

/// The exporter-response key holding the exported cache's descriptor.
pub const RESPONSE_CACHE_MANIFEST: &str = "cache.manifest";
/// The OCI annotation naming a manifest's tag.
const ANNOTATION_REF_NAME: &str = "org.opencontainers.image.ref.name";
/// containerd's annotation naming a manifest's full image name.
const ANNOTATION_IMAGE_NAME: &str = "io.containerd.image.name";
const MEDIA_TYPE_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const OCI_LAYOUT: &str = "{\"imageLayoutVersion\":\"1.0.0\"}";
/// Media types whose children are a config and layers.
const MANIFEST_TYPES: &[&str] = &[
    "application/vnd.oci.image.manifest.v1+json",
    "application/vnd.docker.distribution.manifest.v2+json",
];
/// Media types whose children are manifests.
const INDEX_TYPES: &[&str] = &[
    MEDIA_TYPE_INDEX,
    "application/vnd.docker.distribution.manifest.list.v2+json",
];
/// Largest manifest or index read while resetting a store.
const MAX_MANIFEST: u64 = 16 << 20;

/// What became of a cache import.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Import {
    /// Ready to send (for `local`, its `digest` is set and present).
    Ready,
    /// Left out of the build; the reason is a warning for the user.
    Skipped(String),
}

/// Checks a `--cache-from` entry and, for `type=local`, resolves its
/// manifest digest from the store's `index.json`. Errors are the user's to
/// fix (no `src`, an empty `tag`); an absent store, tag or blob skips the
/// import.
pub fn resolve_import(entry: &mut CacheOptionsEntry) -> Result<Import, String> {
    if entry.r#type != "local" {
        return Ok(Import::Ready);
    }
    let src = entry.attrs.get("src").cloned().unwrap_or_default();
    if src.is_empty() {
        return Err("local cache importer requires src".into());
    }
    let dir = Path::new(&src);
    if !dir.is_dir() {
        return Ok(Import::Skipped(format!(
            "local cache import at {src} not found"
        )));
    }
    if entry.attrs.get("digest").is_none_or(String::is_empty) {
        let tag = entry
            .attrs
            .get("tag")
            .map_or("latest", String::as_str)
            .to_owned();
        if tag.is_empty() {
            return Err(
                "local cache importer requires either explicit digest, \"latest\" \
                        tag or custom tag on index.json"
                    .into(),
            );
        }
        let index = match read_index(dir) {
            Ok(Some(index)) => index,
            Ok(None) => {
                return Ok(Import::Skipped(format!(
                    "local cache import at {src} skipped: no index.json"
                )));
            }
            Err(e) => {
                return Ok(Import::Skipped(format!(
                    "local cache import at {src} skipped due to err: {e}"
                )));
            }
        };
        let Some(desc) = find_tag(&index, &tag) else {
            return Ok(Import::Skipped(format!(
                "local cache import at {src} skipped: no digest found for tag {tag}"
            )));
        };
        entry.attrs.insert("digest".into(), desc.digest.clone());
    }
    let named = entry.attrs.get("digest").cloned().unwrap_or_default();
    let present = Digest::parse(&named).and_then(|d| {
        let store = LocalStore::open(dir)?;
        store.info(&d).map(drop)
    });
    if let Err(e) = present {
        return Ok(Import::Skipped(format!(
            "local cache import at {src} skipped: digest {named} unavailable: {e}"
        )));
    }
    Ok(Import::Ready)
}

/// Records an exported cache in `dir/index.json` under `tag`, from the
/// daemon's exporter response. Returns whether the response had a cache
/// manifest to record.
pub fn record_export(
    dir: &Path,
    tag: &str,
    response: &BTreeMap<String, String>,
) -> Result<bool, String> {
    let Some(text) = response
        .get(RESPONSE_CACHE_MANIFEST)
        .filter(|t| !t.is_empty())
    else {
        return Ok(false);
    };
    let mut desc: Descriptor = serde_json::from_str(text)
        .map_err(|e| format!("the daemon's {RESPONSE_CACHE_MANIFEST} descriptor: {e}"))?;
    Digest::parse(&desc.digest).map_err(|e| format!("the daemon's cache manifest: {e}"))?;
    write_atomically(&dir.join("oci-layout"), OCI_LAYOUT.as_bytes())?;
    let mut index = read_index(dir)?.unwrap_or_default();
    if index.schema_version == 0 {
        index.schema_version = 2;
    }
    if index.media_type.is_empty() {
        index.media_type = MEDIA_TYPE_INDEX.into();
    }
    // ociindex's insertDesc with a tag: the entry is named by the OCI
    // ref-name annotation alone and replaces entries named the same way.
    index.manifests.retain(|m| {
        m.annotations.get(ANNOTATION_REF_NAME).map(String::as_str) != Some(tag)
            || m.annotations
                .get(ANNOTATION_IMAGE_NAME)
                .is_some_and(|n| !n.is_empty())
    });
    desc.annotations
        .insert(ANNOTATION_REF_NAME.into(), tag.to_owned());
    index.manifests.push(desc);
    let json = serde_json::to_vec(&index).map_err(|e| format!("encoding index.json: {e}"))?;
    write_atomically(&dir.join("index.json"), &json)?;
    Ok(true)
}

/// Deletes the blobs of the store at `dir` that no entry of its
/// `index.json` reaches through manifests and indexes
/// (`--cache-to type=local,reset=true`). Returns how many went. A manifest
/// that cannot be read stops the reset before anything is deleted.
pub fn reset_store(dir: &Path) -> Result<usize, String> {
    let index = read_index(dir)?.ok_or("reset: no index.json")?;
    let store = LocalStore::open(dir).map_err(|e| e.to_string())?;
    let mut referenced = BTreeSet::new();
    let mut queue = index.manifests;
    while let Some(desc) = queue.pop() {
        let digest = Digest::parse(&desc.digest).map_err(|e| format!("reset: {e}"))?;
        if !referenced.insert(digest.clone()) {
            continue;
        }
        let kind = desc.media_type.as_str();
        if MANIFEST_TYPES.contains(&kind) {
            let m: Manifest = read_json(&store, &digest)?;
            queue.extend(m.config);
            queue.extend(m.layers);
        } else if INDEX_TYPES.contains(&kind) {
            let i: Index = read_json(&store, &digest)?;
            queue.extend(i.manifests);
        }
    }
    let mut deleted = 0;
    for info in store.walk().map_err(|e| e.to_string())? {
        if !referenced.contains(&info.digest) {
            store.delete(&info.digest).map_err(|e| e.to_string())?;
            deleted += 1;
        }
    }
    Ok(deleted)
}

/// A JSON blob of the store.
fn read_json<T: serde::de::DeserializeOwned>(
    store: &LocalStore,
    digest: &Digest,
) -> Result<T, String> {
    use std::io::Read as _;
    let (file, size) = store.open_blob(digest).map_err(|e| format!("reset: {e}"))?;
    if size > MAX_MANIFEST {
        return Err(format!("reset: {digest} is too large for a manifest"));
    }
    let mut text = Vec::new();
    file.take(MAX_MANIFEST)
        .read_to_end(&mut text)
        .map_err(|e| format!("reset: reading {digest}: {e}"))?;
    serde_json::from_slice(&text).map_err(|e| format!("reset: {digest}: {e}"))
}

/// The local caches of one build: the stores to serve, where exports are
/// recorded afterwards, and warnings about skipped imports.
#[derive(Debug, Default)]
pub struct LocalCaches {
    /// The stores the session serves.
    pub stores: ContentStores,
    /// Export directories and their tags.
    exports: BTreeMap<String, String>,
    /// Export directories to reset after the build.
    resets: BTreeSet<String>,
    /// Why imports were left out, one line each.
    pub warnings: Vec<String>,
}

impl LocalCaches {
    /// Prepares the `type=local` entries among a build's cache imports and
    /// exports: creates export directories, resolves import digests and
    /// drops the imports that cannot be used.
    pub fn prepare(
        imports: &mut Vec<CacheOptionsEntry>,
        exports: &[CacheOptionsEntry],
    ) -> Result<LocalCaches, String> {
        let mut out = LocalCaches::default();
        for e in exports.iter().filter(|e| e.r#type == "local") {
            let dest = e.attrs.get("dest").cloned().unwrap_or_default();
            if dest.is_empty() {
                return Err("local cache exporter requires dest".into());
            }
            out.stores.add_local(&dest)?;
            let tag = e.attrs.get("tag").map_or("latest", String::as_str);
            out.exports.insert(dest.clone(), tag.to_owned());
            let reset = match e.attrs.get("reset") {
                Some(v) => parse_bool(v).ok_or_else(|| {
                    format!("failed to parse reset attribute: invalid syntax {v:?}")
                })?,
                None => false,
            };
            if reset {
                out.resets.insert(dest);
            }
        }
        let mut kept = Vec::new();
        for mut entry in std::mem::take(imports) {
            match resolve_import(&mut entry)? {
                Import::Ready => {
                    if entry.r#type == "local" {
                        out.stores.add_local(&entry.attrs["src"])?;
                    }
                    kept.push(entry);
                }
                Import::Skipped(why) => out.warnings.push(why),
            }
        }
        *imports = kept;
        Ok(out)
    }

    /// Updates each export's `index.json` from the solve's response, then
    /// resets the stores that asked for it. A failed reset does not fail
    /// the build; its reason comes back as a warning.
    pub fn record(&self, response: &BTreeMap<String, String>) -> Result<Vec<String>, String> {
        for (dir, tag) in &self.exports {
            record_export(Path::new(dir), tag, response)
                .map_err(|e| format!("--cache-to {dir}: {e}"))?;
        }
        let mut warnings = Vec::new();
        for dir in &self.resets {
            if let Err(e) = reset_store(Path::new(dir)) {
                warnings.push(format!("failed to reset cache store {dir}: {e}"));
            }
        }
        Ok(warnings)
    }
}

/// The `cache-imports` frontend option: the imports as BuildKit's client
/// hands them to a frontend (Go's JSON of `CacheOptionsEntry`), or `None`
/// when there are none. The frontend passes them on with each solve; the
/// daemon does not apply the `Solve` request's imports to frontend solves.
pub fn cache_imports_json(imports: &[CacheOptionsEntry]) -> Option<String> {
    #[derive(Serialize)]
    struct Entry<'a> {
        #[serde(rename = "Type", skip_serializing_if = "str::is_empty")]
        kind: &'a str,
        #[serde(rename = "Attrs", skip_serializing_if = "BTreeMap::is_empty")]
        attrs: &'a BTreeMap<String, String>,
    }
    if imports.is_empty() {
        return None;
    }
    let entries: Vec<Entry<'_>> = imports
        .iter()
        .map(|e| Entry {
            kind: &e.r#type,
            attrs: &e.attrs,
        })
        .collect();
    serde_json::to_string(&entries).ok()
}

/// An OCI descriptor; fields slipway does not use are kept as they are.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Descriptor {
    #[serde(
        rename = "mediaType",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    media_type: String,
    #[serde(default)]
    digest: String,
    #[serde(default)]
    size: i64,
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    annotations: BTreeMap<String, String>,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

/// The children of an image manifest.
#[derive(Debug, Default, Deserialize)]
struct Manifest {
    #[serde(default)]
    config: Option<Descriptor>,
    #[serde(default)]
    layers: Vec<Descriptor>,
}

/// Go's `strconv.ParseBool`.
fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

/// An OCI image index; fields slipway does not use are kept as they are.
#[derive(Clone, Debug, Default, Serialize, Deserialize)]
struct Index {
    #[serde(rename = "schemaVersion", default)]
    schema_version: i64,
    #[serde(
        rename = "mediaType",
        default,
        skip_serializing_if = "String::is_empty"
    )]
    media_type: String,
    #[serde(default)]
    manifests: Vec<Descriptor>,
    #[serde(flatten)]
    rest: serde_json::Map<String, serde_json::Value>,
}

/// An `oci-layout://PATH[:TAG][@DIGEST]` named context, made ready for
/// the daemon as buildx does: the layout becomes the session store
/// `oci:<store>` and the context names that store with the manifest
/// digest (looked up by tag, default `latest`, when not given).
#[derive(Clone, Debug)]
pub struct LayoutContext {
    /// The frontend option value: `oci-layout://<store>[:TAG]@<digest>`.
    pub value: String,
    /// The store's ID without its `oci:` prefix.
    pub store: String,
    /// The layout directory.
    pub dir: std::path::PathBuf,
}

/// Resolves an `oci-layout://` context against its layout on disk.
pub fn layout_context(reference: &str, store: &str) -> Result<LayoutContext, String> {
    let rest = reference
        .strip_prefix("oci-layout://")
        .ok_or_else(|| format!("{reference:?} is not an oci-layout:// reference"))?;
    let (rest, digest) = match rest.rsplit_once('@') {
        Some((r, d)) => (r, Some(d.to_owned())),
        None => (rest, None),
    };
    // A tag follows the last `:` after the last `/`.
    let slash = rest.rfind('/').map_or(0, |i| i + 1);
    let (path, tag) = match rest[slash..].rfind(':') {
        Some(i) => (&rest[..slash + i], Some(&rest[slash + i + 1..])),
        None => (rest, None),
    };
    if path.is_empty() {
        return Err(format!("{reference:?}: no layout path"));
    }
    let dir = std::path::PathBuf::from(path);
    let digest = match digest {
        Some(d) => {
            if !is_sha256(&d) {
                return Err(format!("{reference:?}: {d:?} is not a sha256 digest"));
            }
            d
        }
        None => {
            let tag = tag.unwrap_or("latest");
            let index = read_index(&dir)?
                .ok_or_else(|| format!("{reference:?}: {} has no index.json", dir.display()))?;
            find_tag(&index, tag)
                .map(|d| d.digest.clone())
                .ok_or_else(|| format!("{reference:?}: no manifest tagged {tag:?} in the layout"))?
        }
    };
    let value = match tag {
        Some(t) => format!("oci-layout://{store}:{t}@{digest}"),
        None => format!("oci-layout://{store}@{digest}"),
    };
    Ok(LayoutContext {
        value,
        store: store.to_owned(),
        dir,
    })
}

fn is_sha256(d: &str) -> bool {
    d.strip_prefix("sha256:").is_some_and(|h| {
        h.len() == 64
            && h.bytes()
                .all(|b| b.is_ascii_digit() || (b'a'..=b'f').contains(&b))
    })
}

/// `dir/index.json`, or `None` when there is none (or it is empty).
fn read_index(dir: &Path) -> Result<Option<Index>, String> {
    let path = dir.join("index.json");
    let text = match std::fs::read(&path) {
        Ok(text) => text,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(format!("could not read {}: {e}", path.display())),
    };
    if text.is_empty() {
        return Ok(None);
    }
    serde_json::from_slice(&text)
        .map(Some)
        .map_err(|e| format!("could not parse {}: {e}", path.display()))
}

/// The manifest tagged `tag`: by full image name first, then by OCI ref
/// name, as ociindex looks it up.
fn find_tag<'a>(index: &'a Index, tag: &str) -> Option<&'a Descriptor> {
    [ANNOTATION_IMAGE_NAME, ANNOTATION_REF_NAME]
        .iter()
        .find_map(|key| {
            index
                .manifests
                .iter()
                .find(|m| m.annotations.get(*key).map(String::as_str) == Some(tag))
        })
}

/// Replaces `path` with `bytes` through a temporary file in the same
/// folder, so readers see the old file or the new one, never a torn one.
fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), String> {
    use std::io::Write as _;
    let dir = path.parent().unwrap_or(Path::new("."));
    let name = path
        .file_name()
        .map_or_else(|| "file".into(), |n| n.to_string_lossy().into_owned());
    let nonce = hex(&crate::buildkit::session::new_id().into_bytes()[..6]);
    let tmp: PathBuf = dir.join(format!(".{name}.{}.{nonce}.tmp", std::process::id()));
    let written = std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&tmp)
        .and_then(|mut f| {
            f.write_all(bytes)?;
            f.sync_all()
        })
        .and_then(|()| std::fs::rename(&tmp, path));
    written.map_err(|e| {
        let _ = std::fs::remove_file(&tmp);
        format!("could not write {}: {e}", path.display())
    })
}
