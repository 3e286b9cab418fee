//! Compiles the BuildKit wire schemas under `proto/` into Rust.
//!
//! Pure Rust, no `protoc`: `protox` parses the `.proto` files into a
//! `FileDescriptorSet`, `prost-build` turns messages into Rust types and
//! `tonic-prost-build` adds gRPC clients and servers. Everything lands in
//! `OUT_DIR` and is included by `src/proto/mod.rs`. The encoded descriptor
//! set is written next to it as `slipway_descriptor.bin`.

use std::{env, fs, path::PathBuf};

/// Root of the schema tree; import paths are relative to it.
const PROTO_ROOT: &str = "proto";

/// Every schema we compile, relative to [`PROTO_ROOT`]. Imports are pulled in
/// automatically, but listing each file keeps the set explicit.
const PROTO_FILES: &[&str] = &[
    // LLB
    "pb/ops.proto",
    // Shared types
    "moby/buildkit/v1/types/worker.proto",
    "moby/buildkit/v1/apicaps/caps.proto",
    "moby/buildkit/v1/sourcepolicy/policy.proto",
    "fsutil/types/stat.proto",
    "fsutil/types/wire.proto",
    "google/rpc/status.proto",
    // Daemon and frontend APIs
    "moby/buildkit/v1/control.proto",
    "moby/buildkit/v1/frontend/gateway.proto",
    // Error details
    "errdefs/errdefs.proto",
    "stack/stack.proto",
    // Session services (hosted by the client)
    "moby/filesync/v1/filesync.proto",
    "moby/filesync/v1/auth.proto",
    "moby/buildkit/secrets/v1/secrets.proto",
    "moby/sshforward/v1/ssh.proto",
    "moby/upload/v1/upload.proto",
    "moby/exporter/v1/exporter.proto",
    "moby/buildkit/v1/sourcepolicy/policysession/policysession.proto",
    "grpc/health/v1/health.proto",
    "containerd/services/content/v1/content.proto",
];

/// File name of the encoded `FileDescriptorSet` in `OUT_DIR`.
const DESCRIPTOR_FILE: &str = "slipway_descriptor.bin";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    println!("cargo:rerun-if-changed={PROTO_ROOT}");
    println!("cargo:rerun-if-changed=build.rs");

    let out_dir = PathBuf::from(env::var("OUT_DIR")?);
    let root = PathBuf::from(env::var("CARGO_MANIFEST_DIR")?).join(PROTO_ROOT);

    // protox resolves google/protobuf/*.proto (Any, Timestamp) itself.
    let mut compiler = protox::Compiler::new([&root])?;
    compiler.include_imports(true);
    // Source info carries the .proto comments into the generated docs.
    compiler.include_source_info(true);
    compiler.open_files(PROTO_FILES)?;
    let fds = compiler.file_descriptor_set();

    // The embedded copy skips source info: it is only used for lookups.
    compiler.include_source_info(false);
    fs::write(
        out_dir.join(DESCRIPTOR_FILE),
        compiler.encode_file_descriptor_set(),
    )?;

    let mut config = prost_build::Config::new();
    // Maps become BTreeMaps so they encode in sorted key order, as Go's
    // deterministic marshalling does; op digests depend on it.
    config.btree_map(["."]);
    // `prost::Name` impls give each message its full protobuf name.
    config.enable_type_names();

    tonic_prost_build::configure()
        .build_client(true)
        .build_server(true)
        .build_transport(true)
        .out_dir(&out_dir)
        .compile_fds_with_config(fds, config)?;

    Ok(())
}
