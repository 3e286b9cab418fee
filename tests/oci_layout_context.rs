//! `oci-layout://` named contexts (`--build-context base=oci-layout://DIR:tag`).
//!
//! - Offline: the compiler turns `context:base=oci-layout://<store>:tag@<digest>`
//!   into BuildKit's source op (`oci-layout://docker.io/library/base@<digest>`
//!   with the session and store attributes and the platform) and starts the
//!   stage from the layout image's config (ENV, WORKDIR, USER).
//! - Against the daemon: a layout made here (an image built on the classic
//!   engine from `busybox:local`, written out by `docker save`, which gives
//!   an OCI layout, and tagged in its `index.json`) is the context of one
//!   Dockerfile (`FROM base`, `COPY --from=base`) built three ways on the
//!   containerd-store engine: `docker buildx build` with BuildKit's
//!   built-in frontend, the same with slipway's frontend image
//!   (`BUILDKIT_SYNTAX`), and `slipway build -o type=oci,dest=…`. The three
//!   images must be equal (files and config). The classic engine cannot be
//!   the builder: its BuildKit has no `oci-layout` source ("unknown scheme
//!   oci-layout").
//!
//! Needs the engines `scripts/test` starts, with `busybox:local`.

#[allow(unused_imports)] // `support` serves other suites too
mod support;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use serde_json::{Value, json};

use slipway::compile::{self, CompileRequest, ResolvedImage, StaticResolver};
use slipway::ir::options::BuildOptions;

use support::diff::diff;
use support::image::{Image, Kind};
use support::slipway_build::{
    TempDir, build_oci, checked, host_or_panic, install_frontend, read_image, sha256_hex,
};

/// The tag this build of slipway's frontend is installed as on the
/// containerd-store engine.
const FRONTEND_TAG: &str = "slipway/frontend:oci-layout-test";

/// The tag the layout's manifest gets in `index.json`.
const LAYOUT_TAG: &str = "t1";

const BASE_DOCKERFILE: &str = "\
FROM busybox:local
ENV BASE_ENV=from-layout
WORKDIR /work/dir
RUN echo marker > /etc/base-marker && mkdir -m 0777 /out
USER 1000:1000
";

const DOCKERFILE: &str = "\
FROM base AS probe
RUN echo \"$BASE_ENV $(pwd) $(id -u)\" > /out/seen

FROM base
COPY --from=base /etc/base-marker /copied-marker
COPY --from=probe /out/seen /seen
";

/// The context replaces a stage of the same name: the stage's own FROM and
/// RUN are not built.
const REPLACED_STAGE_DOCKERFILE: &str = "\
FROM busybox:local AS base
RUN echo never > /never

FROM base
RUN echo \"$BASE_ENV $(pwd)\" > /out/replaced
";

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(f)
}

#[test]
fn compiles_to_an_oci_layout_source_with_the_layout_config() {
    let digest = format!("sha256:{}", "ab".repeat(32));
    let pinned = format!("docker.io/library/base@{digest}");
    let mut images = BTreeMap::new();
    images.insert(
        pinned.clone(),
        ResolvedImage {
            reference: None,
            digest: Some(digest.clone()),
            config: Some(json!({
                "architecture": "amd64", "os": "linux",
                "config": {"Env": ["PATH=/bin", "BASE_ENV=from-layout"], "WorkingDir": "/work/dir", "User": "1000"},
                "rootfs": {"type": "layers", "diff_ids": [format!("sha256:{}", "11".repeat(32))]}
            })),
        },
    );
    let opts: BTreeMap<String, String> = [
        (
            "context:base".to_owned(),
            format!("oci-layout://store1:{LAYOUT_TAG}@{digest}"),
        ),
        ("platform".to_owned(), "linux/amd64".to_owned()),
    ]
    .into_iter()
    .collect();
    let mut options = BuildOptions::from_frontend_opts(&opts).expect("valid options");
    options.session_id = Some("sess1".to_owned());
    let req = CompileRequest {
        dockerfile: b"FROM base\nRUN echo $BASE_ENV\nCOPY --from=base /etc/x /x\n".to_vec(),
        options,
        dockerfile_definition: None,
        inputs: Default::default(),
    };
    let compiled = block_on(compile::compile(&req, &StaticResolver { images })).expect("compiles");
    let v = compiled.to_json();
    let p = &v["platforms"][0];
    let ops = p["llb"]["ops"].as_array().expect("ops");
    let sources: Vec<&Value> = ops
        .iter()
        .filter(|o| o["op"]["source"].is_object())
        .collect();
    assert_eq!(
        sources.len(),
        1,
        "one source op, shared by FROM and COPY: {ops:#?}"
    );
    let src = sources[0];
    assert_eq!(
        src["op"]["source"],
        json!({
            "identifier": format!("oci-layout://{pinned}"),
            "attrs": {"oci.session": "sess1", "oci.store": "store1"}
        })
    );
    assert_eq!(
        src["op"]["platform"],
        json!({"architecture": "amd64", "os": "linux"})
    );
    assert_eq!(src["metadata"]["caps"], json!(["source.ocilayout"]));
    assert_eq!(
        src["metadata"]["description"]["llb.customname"],
        json!("[context base] OCI load from client")
    );
    let exec = ops
        .iter()
        .find_map(|o| o["op"]["exec"]["meta"].as_object())
        .expect("the RUN");
    assert_eq!(exec["cwd"], json!("/work/dir"));
    assert_eq!(exec["user"], json!("1000"));
    assert_eq!(exec["env"], json!(["PATH=/bin", "BASE_ENV=from-layout"]));
    let config = &p["image_config"]["config"];
    assert_eq!(config["Env"], json!(["PATH=/bin", "BASE_ENV=from-layout"]));
    assert_eq!(config["WorkingDir"], json!("/work/dir"));
}

#[test]
fn an_oci_layout_reference_without_digest_is_an_error() {
    let opts: BTreeMap<String, String> = [(
        "context:base".to_owned(),
        "oci-layout://store1:t1".to_owned(),
    )]
    .into_iter()
    .collect();
    let req = CompileRequest {
        dockerfile: b"FROM base\n".to_vec(),
        options: BuildOptions::from_frontend_opts(&opts).expect("valid options"),
        dockerfile_definition: None,
        inputs: Default::default(),
    };
    let Err(errors) = block_on(compile::compile(&req, &StaticResolver::default())) else {
        panic!("compiled without a digest");
    };
    let messages: Vec<&str> = errors.iter().map(|d| d.message.as_str()).collect();
    assert_eq!(
        messages,
        ["oci-layout reference \"store1:t1\" has no digest"]
    );
}

/// Builds the base image on the classic engine and writes it to `layout`
/// as an OCI layout whose manifest is tagged [`LAYOUT_TAG`].
fn make_layout(dir: &TempDir, layout: &Path) {
    let engine = support::engine::engine().unwrap_or_else(|e| panic!("{e}"));
    assert!(
        engine.has_image("busybox:local"),
        "busybox:local is not in the classic engine's store: run scripts/test"
    );
    let base = dir.join("base");
    std::fs::create_dir_all(&base).expect("base dir");
    std::fs::write(base.join("Dockerfile"), BASE_DOCKERFILE).expect("base Dockerfile");
    let tag = format!("slipway-oci-layout-base:{}", std::process::id());
    let mut build = engine.docker();
    build
        .args(["buildx", "build", "-q", "--load", "-t", &tag])
        .arg(&base);
    checked(build, "building the layout's image");
    let mut save = engine.docker();
    save.args(["save", &tag]);
    let saved = checked(save, "docker save").stdout;
    let mut rmi = engine.docker();
    rmi.args(["rmi", &tag]);
    checked(rmi, "docker rmi");
    std::fs::create_dir_all(layout).expect("layout dir");
    tar::Archive::new(&saved[..])
        .unpack(layout)
        .expect("unpack the saved image");
    let index_path = layout.join("index.json");
    let mut index: Value =
        serde_json::from_slice(&std::fs::read(&index_path).expect("docker save wrote index.json"))
            .expect("index.json is JSON");
    let manifests = index["manifests"].as_array_mut().expect("index manifests");
    assert_eq!(manifests.len(), 1, "one image saved: {manifests:?}");
    manifests[0]["annotations"]["org.opencontainers.image.ref.name"] = json!(LAYOUT_TAG);
    std::fs::write(&index_path, index.to_string()).expect("write index.json");
}

/// `docker buildx build` on the containerd-store engine, exported as an
/// OCI archive.
fn buildx_oci(ctx: &Path, layout: &Path, dest: &Path, extra: &[&str]) -> Image {
    let mut c = Command::new("docker");
    c.env("DOCKER_HOST", host_or_panic())
        .env("DOCKER_CLI_HINTS", "false")
        .args(["buildx", "build", "--progress=plain"])
        .args(extra)
        .arg("--build-context")
        .arg(format!(
            "base=oci-layout://{}:{LAYOUT_TAG}",
            layout.display()
        ))
        .arg("-o")
        .arg(format!("type=oci,dest={}", dest.display()))
        .arg(ctx);
    checked(c, &format!("docker buildx build {extra:?}"));
    read_image(dest)
}

/// Builds `dockerfile` with the layout as context `base` three ways: the
/// built-in frontend, slipway's frontend image and `slipway build`; the
/// last two must equal the first, which is returned.
fn build_three_ways(dir: &TempDir, layout: &Path, name: &str, dockerfile: &str) -> Image {
    let ctx = dir.join(name);
    std::fs::create_dir_all(&ctx).expect("ctx dir");
    std::fs::write(ctx.join("Dockerfile"), dockerfile).expect("Dockerfile");
    let builtin = buildx_oci(&ctx, layout, &dir.join(format!("{name}-builtin.tar")), &[]);
    let syntax = format!("BUILDKIT_SYNTAX={FRONTEND_TAG}");
    let frontend = buildx_oci(
        &ctx,
        layout,
        &dir.join(format!("{name}-frontend.tar")),
        &["--build-arg", &syntax],
    );
    let dest = dir.join(format!("{name}-slipway.tar"));
    let context = format!("base=oci-layout://{}:{LAYOUT_TAG}", layout.display());
    let run = build_oci(&ctx, &dest, &["--build-context", &context]);
    assert!(run.ok(), "{name}: slipway build failed:\n{}", run.show());
    let built = read_image(&dest);
    let through_frontend = diff(&builtin, &frontend);
    assert!(
        through_frontend.is_empty(),
        "{name}: slipway's frontend image differs from BuildKit's:\n{}",
        through_frontend.join("\n")
    );
    let through_build = diff(&builtin, &built);
    assert!(
        through_build.is_empty(),
        "{name}: slipway build differs from BuildKit's:\n{}",
        through_build.join("\n")
    );
    builtin
}

#[test]
fn builds_like_buildkit_through_buildx_and_slipway_build() {
    let dir = TempDir::new("oci-layout");
    let layout = dir.join("layout");
    make_layout(&dir, &layout);

    install_frontend(FRONTEND_TAG);

    // What BuildKit makes of the layout: its config reaches the stages.
    let builtin = build_three_ways(&dir, &layout, "from-and-copy", DOCKERFILE);
    let seen = builtin.files.get("/seen").expect("/seen");
    assert_eq!(seen.kind, Kind::File);
    assert_eq!(
        seen.sha256.as_deref(),
        Some(sha256_hex(b"from-layout /work/dir 1000\n").as_str())
    );
    let marker = builtin.files.get("/copied-marker").expect("/copied-marker");
    assert_eq!(
        marker.sha256.as_deref(),
        Some(sha256_hex(b"marker\n").as_str())
    );
    assert!(
        builtin
            .config
            .env
            .contains(&"BASE_ENV=from-layout".to_owned()),
        "{:?}",
        builtin.config.env
    );
    assert_eq!(builtin.config.working_dir, "/work/dir");
    assert_eq!(builtin.config.user, "1000:1000");

    let replaced = build_three_ways(&dir, &layout, "replaced-stage", REPLACED_STAGE_DOCKERFILE);
    assert!(!replaced.files.contains_key("/never"));
    assert_eq!(
        replaced
            .files
            .get("/out/replaced")
            .and_then(|e| e.sha256.clone()),
        Some(sha256_hex(b"from-layout /work/dir\n"))
    );
}
