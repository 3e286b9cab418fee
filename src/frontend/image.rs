//! The frontend image: the running slipway binary (statically linked, so it
//! needs nothing else) packed as a one-layer image that BuildKit can start
//! as a gateway frontend (`# syntax=<tag>` or `BUILDKIT_SYNTAX=<tag>`).
//!
//! The archive is byte-for-byte deterministic: fixed modes, owners and
//! times (0), entries sorted, no creation date in the config. It is an OCI
//! image layout (`oci-layout`, `index.json`, `blobs/sha256/…`) that also
//! carries Docker's `manifest.json`, so both `docker load` and OCI tools
//! accept it. [`load_into_docker`] posts it to the engine's `/images/load`.

use std::path::Path;

use bytes::Bytes;
use flate2::{Compression, write::GzEncoder};
use http_body_util::{BodyExt as _, Full};
use hyper_util::rt::TokioIo;
use serde_json::{Value, json};

use super::opts::SUPPORTED_CAPS;
use crate::llb::digest as sha256_digest;

/// Where the binary lives inside the image.
pub const BINARY_PATH: &str = "/bin/slipway";
/// The default tag of `slipway frontend install`.
pub const DEFAULT_TAG: &str = "slipway/frontend:dev";

const MEDIA_INDEX: &str = "application/vnd.oci.image.index.v1+json";
const MEDIA_MANIFEST: &str = "application/vnd.oci.image.manifest.v1+json";
const MEDIA_CONFIG: &str = "application/vnd.oci.image.config.v1+json";
const MEDIA_LAYER: &str = "application/vnd.oci.image.layer.v1.tar+gzip";

/// A packed frontend image.
#[derive(Clone, Debug)]
pub struct FrontendImage {
    /// The image archive (OCI layout plus `manifest.json`).
    pub archive: Vec<u8>,
    /// Digest of the image manifest.
    pub manifest_digest: String,
    /// Digest of the image config (Docker's image ID with its classic store).
    pub config_digest: String,
    /// The full reference the archive names, e.g. `docker.io/slipway/frontend:dev`.
    pub reference: String,
}

/// The OCI architecture name of the machine slipway was built for.
pub fn host_architecture() -> &'static str {
    match std::env::consts::ARCH {
        "x86_64" => "amd64",
        "aarch64" => "arm64",
        "x86" => "386",
        "powerpc64" => "ppc64le",
        other => other,
    }
}

/// Packs `binary` as the frontend image named `tag`.
pub fn build_image(binary: &[u8], tag: &str) -> Result<FrontendImage, String> {
    let reference = normalize_reference(tag)?;
    let tar_err = |e: std::io::Error| format!("writing the image archive: {e}");

    let mut layer = tar::Builder::new(Vec::new());
    append(&mut layer, "bin/", &[], 0o755, tar::EntryType::Directory).map_err(tar_err)?;
    let name = BINARY_PATH.trim_start_matches('/');
    append(&mut layer, name, binary, 0o755, tar::EntryType::Regular).map_err(tar_err)?;
    let layer = layer.into_inner().map_err(tar_err)?;
    let diff_id = sha256_digest(&layer);
    let mut gz = GzEncoder::new(Vec::new(), Compression::fast());
    std::io::Write::write_all(&mut gz, &layer).map_err(tar_err)?;
    let layer_gz = gz.finish().map_err(tar_err)?;

    let config = json!({
        "architecture": host_architecture(),
        "os": "linux",
        "config": {
            "Env": ["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],
            "Entrypoint": [BINARY_PATH],
            "Labels": {
                "moby.buildkit.frontend.network.none": "true",
                "moby.buildkit.frontend.caps": SUPPORTED_CAPS.join(","),
            },
        },
        "rootfs": { "type": "layers", "diff_ids": [diff_id] },
        "history": [{ "created_by": "slipway frontend install", "comment": "the slipway binary" }],
    })
    .to_string()
    .into_bytes();
    let descriptor = |media: &str, blob: &[u8]| json!({ "mediaType": media, "digest": sha256_digest(blob), "size": blob.len() });
    let manifest = json!({
        "schemaVersion": 2,
        "mediaType": MEDIA_MANIFEST,
        "config": descriptor(MEDIA_CONFIG, &config),
        "layers": [descriptor(MEDIA_LAYER, &layer_gz)],
    })
    .to_string()
    .into_bytes();
    let tag_only = reference.rsplit_once(':').map_or("latest", |(_, t)| t);
    let mut manifest_desc = descriptor(MEDIA_MANIFEST, &manifest);
    manifest_desc["annotations"] = json!({
        "io.containerd.image.name": reference,
        "org.opencontainers.image.ref.name": tag_only,
    });
    let index =
        json!({ "schemaVersion": 2, "mediaType": MEDIA_INDEX, "manifests": [manifest_desc] });

    let blob_path = |blob: &[u8]| format!("blobs/sha256/{}", &sha256_digest(blob)[7..]);
    let docker_manifest = json!([{
        "Config": blob_path(&config),
        "RepoTags": [tag],
        "Layers": [blob_path(&layer_gz)],
    }]);
    let mut files: Vec<(String, Vec<u8>)> = vec![
        (blob_path(&layer_gz), layer_gz.clone()),
        (blob_path(&config), config.clone()),
        (blob_path(&manifest), manifest.clone()),
        ("index.json".to_owned(), index.to_string().into_bytes()),
        (
            "manifest.json".to_owned(),
            docker_manifest.to_string().into_bytes(),
        ),
        (
            "oci-layout".to_owned(),
            br#"{"imageLayoutVersion":"1.0.0"}"#.to_vec(),
        ),
    ];
    files.sort();
    let mut archive = tar::Builder::new(Vec::new());
    for dir in ["blobs/", "blobs/sha256/"] {
        append(&mut archive, dir, &[], 0o755, tar::EntryType::Directory).map_err(tar_err)?;
    }
    for (path, data) in &files {
        append(&mut archive, path, data, 0o644, tar::EntryType::Regular).map_err(tar_err)?;
    }
    Ok(FrontendImage {
        archive: archive.into_inner().map_err(tar_err)?,
        manifest_digest: sha256_digest(&manifest),
        config_digest: sha256_digest(&config),
        reference,
    })
}

/// Appends one entry owned by root, dated 0.
fn append(
    builder: &mut tar::Builder<Vec<u8>>,
    path: &str,
    data: &[u8],
    mode: u32,
    kind: tar::EntryType,
) -> std::io::Result<()> {
    let mut h = tar::Header::new_ustar();
    h.set_path(path)?;
    h.set_entry_type(kind);
    h.set_mode(mode);
    h.set_uid(0);
    h.set_gid(0);
    h.set_mtime(0);
    h.set_size(data.len() as u64);
    h.set_cksum();
    builder.append(&h, data)
}

/// `name[:tag]` as a full reference (`docker.io/library/…:latest` style).
/// Digests are refused: the archive needs a tag.
fn normalize_reference(tag: &str) -> Result<String, String> {
    let bad = || format!("invalid image tag {tag:?}");
    if tag.is_empty() || tag.contains('@') || tag.chars().any(char::is_whitespace) {
        return Err(bad());
    }
    let (first, _) = tag.split_once('/').unwrap_or(("", tag));
    let has_domain = first.contains(['.', ':']) || first == "localhost";
    let name = match (has_domain, tag.contains('/')) {
        (true, _) => tag.to_owned(),
        (false, true) => format!("docker.io/{tag}"),
        (false, false) => format!("docker.io/library/{tag}"),
    };
    let last = name.rsplit('/').next().unwrap_or("");
    Ok(if last.contains(':') {
        name
    } else {
        format!("{name}:latest")
    })
}

/// The engine's Unix socket from `DOCKER_HOST` (default `/var/run/docker.sock`).
pub fn docker_socket(docker_host: Option<&str>) -> Result<String, String> {
    match docker_host.filter(|h| !h.is_empty()) {
        None => Ok("/var/run/docker.sock".to_owned()),
        Some(h) => h
            .strip_prefix("unix://")
            .map(str::to_owned)
            .ok_or_else(|| format!("DOCKER_HOST={h}: only unix:// sockets are supported")),
    }
}

/// What loading the image into the engine did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Loaded {
    /// The engine's own account (`Loaded image: …`).
    pub report: String,
    /// The image ID now under the tag.
    pub id: String,
    /// The image the tag pointed at before, removed because nothing else
    /// referred to it.
    pub removed: Option<String>,
}

/// Loads the archive into the engine under `tag`. The image the tag used
/// to name is removed when nothing else uses it (the engine refuses
/// otherwise), so repeated installs do not pile up untagged images.
pub async fn load_into_docker(
    socket: &Path,
    image: &FrontendImage,
    tag: &str,
) -> Result<Loaded, String> {
    let previous = image_id(socket, tag).await?;
    let (status, body) = request(
        socket,
        "POST",
        "/images/load?quiet=1",
        image.archive.clone(),
    )
    .await?;
    let text = String::from_utf8_lossy(&body).into_owned();
    if status != 200 {
        return Err(format!("docker load failed ({status}): {}", text.trim()));
    }
    let mut report = Vec::new();
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: Value = serde_json::from_str(line).unwrap_or(Value::Null);
        if let Some(e) = v.get("error").and_then(Value::as_str) {
            return Err(format!("docker load failed: {e}"));
        }
        if let Some(s) = v.get("stream").and_then(Value::as_str) {
            report.push(s.trim().to_owned());
        }
    }
    let id = image_id(socket, tag)
        .await?
        .ok_or_else(|| format!("the engine does not list {tag} after loading it"))?;
    let mut removed = None;
    if let Some(old) = previous.filter(|old| *old != id) {
        let (status, _) = request(socket, "DELETE", &format!("/images/{old}"), Vec::new()).await?;
        removed = (status == 200).then_some(old);
    }
    Ok(Loaded {
        report: report.join("; "),
        id,
        removed,
    })
}

/// The ID of the image `name` refers to, if any.
async fn image_id(socket: &Path, name: &str) -> Result<Option<String>, String> {
    let (status, body) =
        request(socket, "GET", &format!("/images/{name}/json"), Vec::new()).await?;
    if status == 404 {
        return Ok(None);
    }
    if status != 200 {
        let text = String::from_utf8_lossy(&body);
        return Err(format!(
            "inspecting {name} failed ({status}): {}",
            text.trim()
        ));
    }
    let v: Value = serde_json::from_slice(&body).unwrap_or(Value::Null);
    Ok(v.get("Id").and_then(Value::as_str).map(str::to_owned))
}

/// One HTTP/1.1 request to the engine.
async fn request(
    socket: &Path,
    method: &str,
    path: &str,
    body: Vec<u8>,
) -> Result<(u16, Vec<u8>), String> {
    let fail = |e: &dyn std::fmt::Display| format!("{method} {path} on {}: {e}", socket.display());
    let stream = tokio::net::UnixStream::connect(socket)
        .await
        .map_err(|e| fail(&e))?;
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(stream))
        .await
        .map_err(|e| fail(&e))?;
    let driver = tokio::spawn(conn);
    let req = http::Request::builder()
        .method(method)
        .uri(path)
        .header("Host", "docker")
        .header("Content-Type", "application/x-tar")
        .body(Full::new(Bytes::from(body)))
        .map_err(|e| fail(&e))?;
    let resp = sender.send_request(req).await.map_err(|e| fail(&e))?;
    let status = resp.status().as_u16();
    let bytes = resp
        .into_body()
        .collect()
        .await
        .map_err(|e| fail(&e))?
        .to_bytes();
    driver.abort();
    Ok((status, bytes.to_vec()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn references_are_normalized() {
        assert_eq!(
            normalize_reference("slipway/frontend:dev").unwrap(),
            "docker.io/slipway/frontend:dev"
        );
        assert_eq!(
            normalize_reference("x").unwrap(),
            "docker.io/library/x:latest"
        );
        assert_eq!(
            normalize_reference("localhost:5000/a/b").unwrap(),
            "localhost:5000/a/b:latest"
        );
        assert!(normalize_reference("a@sha256:00").is_err());
        assert!(normalize_reference("").is_err());
    }

    #[test]
    fn archives_are_deterministic_and_complete() {
        let a = build_image(b"\x7fELF fake", DEFAULT_TAG).unwrap();
        let b = build_image(b"\x7fELF fake", DEFAULT_TAG).unwrap();
        assert_eq!(a.archive, b.archive);
        let mut names = Vec::new();
        let mut ar = tar::Archive::new(a.archive.as_slice());
        for e in ar.entries().unwrap() {
            let e = e.unwrap();
            assert_eq!(e.header().mtime().unwrap(), 0);
            names.push(e.path().unwrap().display().to_string());
        }
        assert_eq!(names.len(), 8, "{names:?}");
        assert_eq!(&names[..2], ["blobs/", "blobs/sha256/"]);
        assert_eq!(&names[5..], ["index.json", "manifest.json", "oci-layout"]);
        let config = names
            .iter()
            .find(|n| n.ends_with(&a.config_digest[7..]))
            .unwrap();
        assert!(config.starts_with("blobs/sha256/"));
    }

    #[test]
    fn docker_host_must_be_a_unix_socket() {
        assert_eq!(docker_socket(None).unwrap(), "/var/run/docker.sock");
        assert_eq!(
            docker_socket(Some("unix:///tmp/x.sock")).unwrap(),
            "/tmp/x.sock"
        );
        assert!(docker_socket(Some("tcp://1.2.3.4:2375")).is_err());
    }
}
