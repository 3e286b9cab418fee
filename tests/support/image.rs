//! A built image, normalized for comparison: the image config fields that a
//! Dockerfile frontend decides, the history, and the flattened filesystem
//! obtained by applying the layers in order (whiteouts and opaque
//! directories included).
//!
//! The input is an image tarball as `docker save` writes it (a Docker
//! `manifest.json` beside an OCI layout) or a plain OCI layout tarball.
//! Layers may be uncompressed or gzip-compressed. Every path is sanitized:
//! `.` and `..` components never leave the root.

use std::collections::{BTreeMap, HashMap};
use std::io::Read;

use serde::Serialize;
use serde_json::Value;
use sha2::{Digest, Sha256};

use super::config::{HistoryEntry, NormalizedConfig, history, normalize_config, strings};

/// What a filesystem entry is.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Kind {
    File,
    Dir,
    Symlink,
    Hardlink,
    /// Devices and FIFOs; `Entry::link` then describes it (`char 1:3`, `fifo`).
    Other,
}

impl Kind {
    /// The kind named as in `expect` files (`file`, `dir`, `symlink`, ...).
    pub fn parse(s: &str) -> Option<Kind> {
        Some(match s {
            "file" => Kind::File,
            "dir" => Kind::Dir,
            "symlink" => Kind::Symlink,
            "hardlink" => Kind::Hardlink,
            "other" => Kind::Other,
            _ => return None,
        })
    }
}

/// One path of the flattened filesystem.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Entry {
    pub kind: Kind,
    /// Permission bits including setuid/setgid/sticky (`mode & 0o7777`).
    pub mode: u32,
    pub uid: u64,
    pub gid: u64,
    /// Content size; a hard link reports its target's.
    pub size: u64,
    /// Hex SHA-256 of the content (files, and hard links via their target).
    pub sha256: Option<String>,
    /// Symlink target as written, hard-link target as a sanitized absolute
    /// path, or a device description for `Kind::Other`.
    pub link: Option<String>,
    /// Modification time in seconds. Not compared by default: it only means
    /// something for files whose time the build pins (SOURCE_DATE_EPOCH).
    pub mtime: u64,
}

/// A normalized image.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Image {
    pub config: NormalizedConfig,
    /// Kept apart from `config`: compared only on request.
    pub history: Vec<HistoryEntry>,
    /// Top-level `created` (meaningful only with SOURCE_DATE_EPOCH).
    pub created: Option<String>,
    pub layers: usize,
    /// Absolute sanitized path (`/etc/passwd`) to entry; the root is left out.
    pub files: BTreeMap<String, Entry>,
}

impl Image {
    /// Reads a `docker save` tarball or an OCI layout tarball (its first
    /// image).
    pub fn from_tarball(bytes: &[u8]) -> Result<Image, String> {
        Image::from_tarball_for(bytes, None)
    }

    /// Reads the image for `platform` (`os/arch`) of an OCI layout tarball
    /// whose index lists several.
    pub fn from_tarball_platform(bytes: &[u8], platform: &str) -> Result<Image, String> {
        Image::from_tarball_for(bytes, Some(platform))
    }

    fn from_tarball_for(bytes: &[u8], platform: Option<&str>) -> Result<Image, String> {
        let blobs = read_tar_files(bytes)?;
        let get = |name: &str| -> Result<&Vec<u8>, String> {
            blobs
                .get(name)
                .ok_or_else(|| format!("image tarball has no {name}"))
        };
        let (config_path, layer_paths) = if let Ok(manifest) = get("manifest.json") {
            let m: Value = json(manifest, "manifest.json")?;
            let first = &m[0];
            let config = first["Config"].as_str().ok_or("manifest.json: no Config")?;
            let layers = strings(&first["Layers"]).unwrap_or_default();
            (config.to_string(), layers)
        } else {
            oci_manifest(&blobs, platform)?
        };
        let config: Value = json(get(&config_path)?, &config_path)?;
        let mut files = BTreeMap::new();
        for layer in &layer_paths {
            apply_layer(&mut files, get(layer)?).map_err(|e| format!("layer {layer}: {e}"))?;
        }
        Ok(Image {
            config: normalize_config(&config),
            history: history(&config),
            created: config["created"].as_str().map(str::to_string),
            layers: layer_paths.len(),
            files,
        })
    }
}

fn json(bytes: &[u8], what: &str) -> Result<Value, String> {
    serde_json::from_slice(bytes).map_err(|e| format!("{what}: {e}"))
}

/// Index → manifest (the first, or the one for `platform`) → (config,
/// layers), as blob paths.
fn oci_manifest(
    blobs: &HashMap<String, Vec<u8>>,
    platform: Option<&str>,
) -> Result<(String, Vec<String>), String> {
    let blob = |digest: &Value| -> Result<(String, Value), String> {
        let d = digest.as_str().ok_or("descriptor without digest")?;
        let path = format!("blobs/{}", d.replacen(':', "/", 1));
        let bytes = blobs
            .get(&path)
            .ok_or_else(|| format!("missing blob {path}"))?;
        Ok((path.clone(), json(bytes, &path)?))
    };
    let index: Value = json(
        blobs
            .get("index.json")
            .ok_or("no manifest.json nor index.json")?,
        "index.json",
    )?;
    let pick = |list: &Value| -> Result<Value, String> {
        let entries = list.as_array().ok_or("an index without manifests")?;
        let found = match platform {
            None => entries.first(),
            Some(want) => entries.iter().find(|d| {
                let p = &d["platform"];
                format!(
                    "{}/{}",
                    p["os"].as_str().unwrap_or(""),
                    p["architecture"].as_str().unwrap_or("")
                ) == want
            }),
        };
        found
            .map(|d| d["digest"].clone())
            .ok_or_else(|| format!("no manifest for {platform:?}"))
    };
    let (_, mut manifest) = blob(&index["manifests"][0]["digest"])?;
    if manifest.get("manifests").is_some() {
        manifest = blob(&pick(&manifest["manifests"])?)?.1;
    } else if platform.is_some() && index["manifests"].as_array().is_some_and(|m| m.len() > 1) {
        manifest = blob(&pick(&index["manifests"])?)?.1;
    }
    let (config, _) = blob(&manifest["config"]["digest"])?;
    let mut layers = Vec::new();
    for l in manifest["layers"].as_array().into_iter().flatten() {
        let d = l["digest"].as_str().ok_or("layer without digest")?;
        layers.push(format!("blobs/{}", d.replacen(':', "/", 1)));
    }
    Ok((config, layers))
}

/// All regular files of a tarball, by their (relative, cleaned) name.
fn read_tar_files(bytes: &[u8]) -> Result<HashMap<String, Vec<u8>>, String> {
    let mut out = HashMap::new();
    let mut ar = tar::Archive::new(bytes);
    for entry in ar.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        if !entry.header().entry_type().is_file() {
            continue;
        }
        let name = sanitize(&entry.path_bytes());
        let mut data = Vec::new();
        entry.read_to_end(&mut data).map_err(|e| e.to_string())?;
        out.insert(name.trim_start_matches('/').to_string(), data);
    }
    Ok(out)
}

/// A tar member name as an absolute path that cannot escape the root:
/// empty and `.` components are dropped and `..` stops at `/`.
pub fn sanitize(raw: &[u8]) -> String {
    let text = String::from_utf8_lossy(raw);
    let mut parts: Vec<&str> = Vec::new();
    for part in text.split('/') {
        match part {
            "" | "." => {}
            ".." => {
                parts.pop();
            }
            p => parts.push(p),
        }
    }
    format!("/{}", parts.join("/"))
}

fn parent_and_name(path: &str) -> (&str, &str) {
    let i = path.rfind('/').unwrap_or(0);
    (if i == 0 { "/" } else { &path[..i] }, &path[i + 1..])
}

fn child(dir: &str, name: &str) -> String {
    if dir == "/" {
        format!("/{name}")
    } else {
        format!("{dir}/{name}")
    }
}

/// Removes everything strictly below `dir`.
fn remove_below(files: &mut BTreeMap<String, Entry>, dir: &str) {
    let prefix = if dir == "/" {
        "/".to_string()
    } else {
        format!("{dir}/")
    };
    let doomed: Vec<String> = files
        .range(prefix.clone()..)
        .take_while(|(k, _)| k.starts_with(&prefix))
        .map(|(k, _)| k.clone())
        .collect();
    for k in doomed {
        files.remove(&k);
    }
}

/// Applies one layer (uncompressed or gzip) onto `files`. Whiteouts act on
/// the lower layers only, so they are applied before the layer's entries.
pub fn apply_layer(files: &mut BTreeMap<String, Entry>, raw: &[u8]) -> Result<(), String> {
    let data: Vec<u8>;
    let bytes = if raw.starts_with(&[0x1f, 0x8b]) {
        let mut d = Vec::new();
        flate2::read::GzDecoder::new(raw)
            .read_to_end(&mut d)
            .map_err(|e| format!("gunzip: {e}"))?;
        data = d;
        &data[..]
    } else if raw.starts_with(&[0x28, 0xb5, 0x2f, 0xfd]) {
        return Err("zstd layers are not supported".into());
    } else {
        raw
    };
    let mut whiteouts = Vec::new();
    let mut opaque = Vec::new();
    let mut added: Vec<(String, Entry)> = Vec::new();
    let mut ar = tar::Archive::new(bytes);
    for entry in ar.entries().map_err(|e| e.to_string())? {
        let mut entry = entry.map_err(|e| e.to_string())?;
        let path = sanitize(&entry.path_bytes());
        if path == "/" {
            continue;
        }
        let (dir, name) = parent_and_name(&path);
        if name == ".wh..wh..opq" {
            opaque.push(dir.to_string());
            continue;
        }
        if let Some(victim) = name.strip_prefix(".wh.") {
            whiteouts.push(child(dir, victim));
            continue;
        }
        let h = entry.header().clone();
        let ty = h.entry_type();
        let link = entry
            .link_name_bytes()
            .map(|l| String::from_utf8_lossy(&l).into_owned());
        let (kind, link, sha256, size) = if ty.is_file() {
            let mut content = Vec::new();
            entry
                .read_to_end(&mut content)
                .map_err(|e| format!("{path}: {e}"))?;
            (
                Kind::File,
                None,
                Some(hex(&Sha256::digest(&content))),
                content.len() as u64,
            )
        } else if ty.is_dir() {
            (Kind::Dir, None, None, 0)
        } else if ty.is_symlink() {
            let target = link.unwrap_or_default();
            let size = target.len() as u64;
            (Kind::Symlink, Some(target), None, size)
        } else if ty.is_hard_link() {
            (
                Kind::Hardlink,
                Some(sanitize(link.unwrap_or_default().as_bytes())),
                None,
                0,
            )
        } else {
            let dev = |n: std::io::Result<Option<u32>>| n.ok().flatten().unwrap_or(0);
            let what = match ty {
                tar::EntryType::Char => {
                    format!("char {}:{}", dev(h.device_major()), dev(h.device_minor()))
                }
                tar::EntryType::Block => {
                    format!("block {}:{}", dev(h.device_major()), dev(h.device_minor()))
                }
                tar::EntryType::Fifo => "fifo".to_string(),
                other => format!("{other:?}"),
            };
            (Kind::Other, Some(what), None, 0)
        };
        let e = Entry {
            kind,
            mode: h.mode().map_err(|e| e.to_string())? & 0o7777,
            uid: h.uid().map_err(|e| e.to_string())?,
            gid: h.gid().map_err(|e| e.to_string())?,
            size,
            sha256,
            link,
            mtime: h.mtime().unwrap_or(0),
        };
        added.push((path, e));
    }
    for dir in opaque {
        remove_below(files, &dir);
    }
    for victim in whiteouts {
        files.remove(&victim);
        remove_below(files, &victim);
    }
    for (path, mut e) in added {
        if e.kind == Kind::Hardlink {
            let target = e.link.clone().unwrap_or_default();
            let t = files
                .get(&target)
                .ok_or_else(|| format!("{path}: hard link to missing {target}"))?;
            e.size = t.size;
            e.sha256 = t.sha256.clone();
        }
        if e.kind != Kind::Dir {
            remove_below(files, &path);
        }
        files.insert(path, e);
    }
    Ok(())
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}
