//! A two-platform build exported as one OCI index, three ways: `docker
//! buildx build --platform linux/amd64,linux/arm64` with BuildKit's
//! built-in frontend, the same with slipway's frontend image
//! (`BUILDKIT_SYNTAX`), and `slipway build`. The Dockerfile needs no
//! emulation (the arm64 image is files only, its tools copied from a
//! build-platform stage). Each platform's image must equal BuildKit's
//! (files and config). With SOURCE_DATE_EPOCH pinning the timestamps, the
//! frontend image's index must list the same manifests as BuildKit's, byte
//! for byte; `slipway build`'s manifests name the same configs and layers
//! and add the `org.opencontainers.image.created` annotation.
//!
//! Runs on the containerd-store engine `scripts/test` starts (the classic
//! store refuses multi-platform exports), with `busybox:local`.

#[allow(unused_imports)] // `support` serves other suites too
mod support;

use std::path::Path;
use std::process::Command;

use serde_json::Value;

use support::diff::diff;
use support::image::Image;
use support::slipway_build::{
    TempDir, build_oci, checked, host_or_panic, install_frontend, output_text, sha256_hex,
};

const FRONTEND_TAG: &str = "slipway/frontend:multi-platform-test";

const PLATFORMS: [&str; 2] = ["linux/amd64", "linux/arm64"];

const DOCKERFILE: &str = "\
FROM --platform=$BUILDPLATFORM busybox:local AS tools
RUN mkdir -p /out && echo \"built on $(uname -m)\" > /out/built-on

FROM scratch
ARG TARGETPLATFORM TARGETARCH
COPY --from=tools --chmod=0755 /bin/busybox /bin/
COPY --from=tools /out/ /etc/
COPY <<EOF /etc/platform
$TARGETPLATFORM $TARGETARCH
EOF
ENV ARCH=$TARGETARCH
LABEL arch=$TARGETARCH
WORKDIR /work
";

/// One platform's manifest in an OCI archive's (nested) index.
#[derive(Debug, PartialEq)]
struct Manifest {
    platform: String,
    digest: String,
    config: String,
    layers: Vec<String>,
    annotations: Value,
}

/// The platform manifests of an OCI archive (attestations left out), by
/// platform.
fn manifests(archive: &Path) -> Vec<Manifest> {
    let bytes = std::fs::read(archive).expect("archive");
    let mut blobs = std::collections::HashMap::new();
    let mut ar = tar::Archive::new(&bytes[..]);
    for entry in ar.entries().expect("tar") {
        let mut entry = entry.expect("entry");
        let name = entry.path().expect("path").display().to_string();
        let mut data = Vec::new();
        std::io::Read::read_to_end(&mut entry, &mut data).expect("read");
        blobs.insert(name, data);
    }
    let read = |name: &str| -> Value {
        serde_json::from_slice(blobs.get(name).unwrap_or_else(|| panic!("no {name}")))
            .expect("JSON")
    };
    let blob = |digest: &Value| {
        read(&format!(
            "blobs/{}",
            digest.as_str().expect("digest").replacen(':', "/", 1)
        ))
    };
    let mut index = read("index.json");
    let first = &index["manifests"][0];
    if first["mediaType"] == "application/vnd.oci.image.index.v1+json" {
        index = blob(&first["digest"]);
    }
    let mut out: Vec<Manifest> = index["manifests"]
        .as_array()
        .expect("manifests")
        .iter()
        .filter(|d| d["platform"]["os"] != "unknown")
        .map(|d| {
            let m = blob(&d["digest"]);
            Manifest {
                platform: format!(
                    "{}/{}",
                    d["platform"]["os"].as_str().unwrap_or(""),
                    d["platform"]["architecture"].as_str().unwrap_or("")
                ),
                digest: d["digest"].as_str().unwrap_or("").to_owned(),
                config: m["config"]["digest"].as_str().unwrap_or("").to_owned(),
                layers: m["layers"]
                    .as_array()
                    .into_iter()
                    .flatten()
                    .map(|l| l["digest"].as_str().unwrap_or("").to_owned())
                    .collect(),
                annotations: m["annotations"].clone(),
            }
        })
        .collect();
    out.sort_by(|a, b| a.platform.cmp(&b.platform));
    out
}

#[test]
fn two_platforms_export_like_buildkit() {
    let dir = TempDir::new("multi-platform");
    let ctx = dir.join("ctx");
    std::fs::create_dir_all(&ctx).expect("ctx");
    std::fs::write(ctx.join("Dockerfile"), DOCKERFILE).expect("Dockerfile");
    install_frontend(FRONTEND_TAG);

    let platforms = PLATFORMS.join(",");
    let common = [
        "--platform",
        platforms.as_str(),
        "--build-arg",
        "SOURCE_DATE_EPOCH=1700000000",
    ];
    let buildx = |name: &str, extra: &[&str]| {
        let dest = dir.join(format!("{name}.tar"));
        let mut c = Command::new("docker");
        c.env("DOCKER_HOST", host_or_panic())
            .env("DOCKER_CLI_HINTS", "false")
            .args(["buildx", "build", "--progress=plain"])
            .args(common)
            .args(extra)
            .arg("-o")
            .arg(format!("type=oci,dest={}", dest.display()))
            .arg(&ctx);
        let log = output_text(&checked(c, &format!("docker buildx build ({name})")));
        if !extra.is_empty() {
            assert!(log.contains(FRONTEND_TAG), "not through slipway:\n{log}");
        }
        dest
    };
    let builtin = buildx("builtin", &[]);
    let syntax = format!("BUILDKIT_SYNTAX={FRONTEND_TAG}");
    let frontend = buildx("frontend", &["--build-arg", &syntax]);
    let built = dir.join("slipway.tar");
    let run = build_oci(&ctx, &built, &common);
    assert!(run.ok(), "slipway build failed:\n{}", run.show());

    let expected = manifests(&builtin);
    let listed: Vec<&str> = expected.iter().map(|m| m.platform.as_str()).collect();
    assert_eq!(listed, PLATFORMS, "BuildKit's index");
    let bytes = std::fs::read(&builtin).expect("archive");
    for platform in PLATFORMS {
        let reference = Image::from_tarball_platform(&bytes, platform).expect("image");
        let arch = platform.rsplit('/').next().expect("arch");
        assert_eq!(
            reference
                .files
                .get("/etc/platform")
                .and_then(|e| e.sha256.clone()),
            Some(sha256_hex(format!("{platform} {arch}\n").as_bytes()))
        );
        assert!(reference.config.env.contains(&format!("ARCH={arch}")));
        for (what, archive) in [
            ("slipway's frontend image", &frontend),
            ("slipway build", &built),
        ] {
            let other = std::fs::read(archive).expect("archive");
            let image = Image::from_tarball_platform(&other, platform).expect("image");
            let d = diff(&reference, &image);
            assert!(
                d.is_empty(),
                "{platform}: {what} differs from BuildKit's:\n{}",
                d.join("\n")
            );
        }
    }
    assert_eq!(manifests(&frontend), expected, "frontend image's index");
    let ours = manifests(&built);
    assert_eq!(ours.len(), expected.len());
    for (m, want) in ours.iter().zip(&expected) {
        assert_eq!(
            (&m.platform, &m.config, &m.layers),
            (&want.platform, &want.config, &want.layers),
            "slipway build's manifest"
        );
        assert_eq!(
            m.annotations["org.opencontainers.image.created"], "2023-11-14T22:13:20Z",
            "slipway build annotates the creation time from SOURCE_DATE_EPOCH"
        );
    }
}
