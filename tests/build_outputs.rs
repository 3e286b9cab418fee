//! `slipway build` exporters and transports against the containerd-store
//! engine: the OCI archive passes `skopeo inspect` and `umoci` and runs
//! after `docker load`, a Docker archive loads too, a two-platform build
//! gives an OCI index with both manifests, and the plain buildkitd
//! transport (`unix://`, through a loopback proxy that performs the
//! engine's `/grpc` upgrade) builds the same image as `docker+unix://`.

#[allow(unused_imports)] // `support::build` re-exports what other suites use
mod support;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};
use std::process::Command;

use serde_json::Value;
use support::diff::{DiffOptions, diff_with};
use support::image::Image;
use support::slipway_build::{
    OciArchive, TempDir, build_oci, docker, docker_ok, engine_socket, run_slipway,
};
use support::upgrade_proxy::UpgradeProxy;

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/build")
        .join(name)
}

/// Runs a tool, panicking with its output unless it succeeds.
fn tool(program: &str, args: &[&str]) -> String {
    let out = Command::new(program)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("cannot run {program} (scripts/install-deps installs it): {e}"));
    assert!(
        out.status.success(),
        "{program} {}: {}{}",
        args.join(" "),
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn json(text: &str) -> Value {
    serde_json::from_str(text).unwrap_or_else(|e| panic!("not JSON ({e}): {text}"))
}

/// A tag unique to this test process.
fn tag(name: &str) -> String {
    format!("slipway-build-test/{name}:p{}", std::process::id())
}

/// Loads an archive into the containerd engine, runs `tag` and removes it.
fn load_and_run(archive: &Path, tag: &str) -> String {
    let loaded = docker_ok(&["load", "-i", &archive.display().to_string()]);
    assert!(
        loaded.contains(tag),
        "docker load did not name {tag}: {loaded}"
    );
    let out = docker()
        .args(["run", "--rm", tag])
        .output()
        .expect("docker run");
    let _ = docker().args(["rmi", "-f", tag]).output();
    assert!(
        out.status.success(),
        "docker run {tag}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

#[test]
fn oci_archive_passes_skopeo_and_umoci_and_runs_after_docker_load() {
    let tmp = TempDir::new("oci");
    let archive = tmp.join("image.tar");
    let name = tag("oci");
    let run = build_oci(&fixture("image"), &archive, &["-t", &name]);
    assert!(run.ok(), "slipway build failed:\n{}", run.show());

    // skopeo reads the archive's manifest and config.
    let src = format!("oci-archive:{}", archive.display());
    let inspect = json(&tool("skopeo", &["inspect", &src]));
    assert_eq!(inspect["Labels"]["org.example.test"], "yes", "{inspect}");
    assert_eq!(inspect["Architecture"], "amd64", "{inspect}");
    assert_eq!(inspect["Os"], "linux", "{inspect}");
    assert_eq!(
        inspect["Layers"].as_array().map(Vec::len),
        Some(3),
        "{inspect}"
    );
    let env: Vec<&str> = inspect["Env"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    assert!(env.contains(&"GREETING=hi"), "{inspect}");
    let config = json(&tool("skopeo", &["inspect", "--config", &src]));
    assert_eq!(
        config["config"]["Cmd"],
        serde_json::json!(["sh", "-c", "cat /app/hello.txt; echo $GREETING"]),
        "{config}"
    );
    let created_by: Vec<&str> = config["history"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(|h| h["created_by"].as_str())
        .collect();
    assert!(
        created_by
            .iter()
            .any(|c| c.starts_with("COPY hello.txt /app/hello.txt")),
        "history lacks the COPY: {created_by:?}"
    );

    // umoci: the layout lists the tag and unpacks into a runtime bundle.
    let layout = tmp.join("layout");
    std::fs::create_dir_all(&layout).expect("layout dir");
    tool(
        "tar",
        &[
            "-xf",
            &archive.display().to_string(),
            "-C",
            &layout.display().to_string(),
        ],
    );
    let short_tag = name.rsplit(':').next().expect("tag has a colon");
    let tags = tool("umoci", &["ls", "--layout", &layout.display().to_string()]);
    assert_eq!(tags.trim(), short_tag, "umoci ls");
    let bundle = tmp.join("bundle");
    tool(
        "umoci",
        &[
            "unpack",
            "--rootless",
            "--image",
            &format!("{}:{short_tag}", layout.display()),
            &bundle.display().to_string(),
        ],
    );
    let rootfs = bundle.join("rootfs");
    assert_eq!(
        std::fs::read_to_string(rootfs.join("app/hello.txt")).expect("hello.txt unpacked"),
        "hello-world\n"
    );
    assert_eq!(
        std::fs::read_to_string(rootfs.join("app/built.txt")).expect("built.txt unpacked"),
        "built\n"
    );
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(rootfs.join("app/built.txt"))
        .expect("stat built.txt")
        .permissions()
        .mode();
    assert_eq!(mode & 0o7777, 0o750, "mode of /app/built.txt");
    assert!(rootfs.join("bin/busybox").is_file(), "base layer unpacked");
    let runtime =
        json(&std::fs::read_to_string(bundle.join("config.json")).expect("bundle config.json"));
    assert_eq!(
        runtime["process"]["args"],
        serde_json::json!(["sh", "-c", "cat /app/hello.txt; echo $GREETING"]),
        "runtime config from the image config"
    );

    // docker load + run on the containerd engine.
    assert_eq!(load_and_run(&archive, &name), "hello-world\nhi\n");
}

#[test]
fn docker_archive_loads_and_runs() {
    let tmp = TempDir::new("docker-archive");
    let archive = tmp.join("image.tar");
    let name = tag("docker");
    let mut args: Vec<String> = vec![
        "build".into(),
        "--addr".into(),
        support::slipway_build::docker_addr(),
        "--progress".into(),
        "plain".into(),
        "-t".into(),
        name.clone(),
        "-o".into(),
        format!("type=docker,dest={}", archive.display()),
    ];
    args.push(fixture("image").display().to_string());
    let run = run_slipway(&args, &[]);
    assert!(run.ok(), "slipway build failed:\n{}", run.show());
    let ar = OciArchive::read(&archive).expect("read archive");
    let manifest = ar
        .json("manifest.json")
        .expect("a Docker archive has manifest.json");
    assert_eq!(
        manifest[0]["RepoTags"],
        serde_json::json!([name]),
        "{manifest}"
    );
    assert_eq!(load_and_run(&archive, &name), "hello-world\nhi\n");
}

#[test]
fn two_platforms_give_an_oci_index_with_both_manifests() {
    let tmp = TempDir::new("multiplatform");
    let archive = tmp.join("index.tar");
    let run = build_oci(
        &fixture("multiplatform"),
        &archive,
        &["--platform", "linux/amd64,linux/arm64"],
    );
    assert!(run.ok(), "slipway build failed:\n{}", run.show());
    let ar = OciArchive::read(&archive).expect("read archive");
    let top = ar.json("index.json").expect("index.json");
    let mut descriptors: Vec<Value> = top["manifests"].as_array().cloned().unwrap_or_default();
    // BuildKit nests the platform index inside index.json.
    if descriptors.len() == 1
        && descriptors[0]["mediaType"] == "application/vnd.oci.image.index.v1+json"
    {
        let nested = ar.blob_json(&descriptors[0]).expect("nested index");
        descriptors = nested["manifests"].as_array().cloned().unwrap_or_default();
    }
    let images: Vec<&Value> = descriptors
        .iter()
        .filter(|d| d["mediaType"] == "application/vnd.oci.image.manifest.v1+json")
        .collect();
    let platforms: BTreeSet<String> = images
        .iter()
        .map(|d| {
            format!("{}/{}", d["platform"]["os"], d["platform"]["architecture"]).replace('"', "")
        })
        .collect();
    assert_eq!(
        platforms,
        BTreeSet::from(["linux/amd64".to_string(), "linux/arm64".to_string()]),
        "index: {top}"
    );
    assert_eq!(
        images.len(),
        2,
        "exactly two image manifests: {descriptors:?}"
    );
    for d in images {
        let manifest = ar.blob_json(d).expect("manifest blob");
        let config = ar.blob_json(&manifest["config"]).expect("config blob");
        assert_eq!(config["architecture"], d["platform"]["architecture"]);
        assert_eq!(manifest["layers"].as_array().map(Vec::len), Some(1));
        for layer in manifest["layers"].as_array().into_iter().flatten() {
            let path = support::slipway_build::blob_path(layer).expect("layer digest");
            assert!(ar.files.contains_key(&path), "missing layer blob {path}");
        }
    }
    let src = format!("oci-archive:{}", archive.display());
    let arm = json(&tool(
        "skopeo",
        &["--override-arch", "arm64", "inspect", "--config", &src],
    ));
    assert_eq!(arm["architecture"], "arm64");
}

#[test]
fn unix_transport_through_an_upgrade_proxy_builds_the_same_image() {
    let tmp = TempDir::new("proxy");
    let socket = tmp.join("buildkitd.sock");
    let proxy = UpgradeProxy::unix(&socket, engine_socket());
    let via_docker = tmp.join("docker.tar");
    let run = build_oci(&fixture("image"), &via_docker, &[]);
    assert!(
        run.ok(),
        "slipway build (docker+unix) failed:\n{}",
        run.show()
    );

    let via_proxy = tmp.join("proxy.tar");
    let args: Vec<String> = vec![
        "build".into(),
        "--addr".into(),
        format!("unix://{}", socket.display()),
        "--progress".into(),
        "plain".into(),
        "-o".into(),
        format!("type=oci,dest={}", via_proxy.display()),
        fixture("image").display().to_string(),
    ];
    let run = run_slipway(&args, &[]);
    assert!(
        run.ok(),
        "slipway build (unix:// via proxy) failed:\n{}",
        run.show()
    );
    assert!(
        proxy.connections() >= 1,
        "the build did not go through the proxy"
    );
    let read = |p: &Path| {
        Image::from_tarball(&std::fs::read(p).expect("read archive")).expect("parse archive")
    };
    let (a, b) = (read(&via_docker), read(&via_proxy));
    let opts = DiffOptions {
        history: true,
        epoch: None,
    };
    let d = diff_with(&a, &b, &opts);
    assert!(
        d.is_empty(),
        "docker+unix vs unix:// proxy:\n{}",
        d.join("\n")
    );
    assert!(a.files.contains_key("/app/built.txt"));
}
