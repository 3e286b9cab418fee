//! Wire-format checks for the generated BuildKit protobuf types.
//!
//! Expected bytes below are worked out by hand from the field numbers:
//! a tag byte is `(field_number << 3) | wire_type`, with wire type 0 for
//! varints and 2 for length-delimited fields (strings, bytes, messages).

use std::collections::{BTreeMap, BTreeSet};

use prost::Message;
use prost_types::field_descriptor_proto::{Label, Type};
use prost_types::{DescriptorProto, FileDescriptorSet};
use slipway::proto::{self, FILE_DESCRIPTOR_SET, control, filesync, fsutil, gateway, pb, secrets};

// ---------------------------------------------------------------------------
// Descriptor helpers
// ---------------------------------------------------------------------------

fn descriptor_set() -> FileDescriptorSet {
    FileDescriptorSet::decode(FILE_DESCRIPTOR_SET).expect("embedded descriptor set decodes")
}

/// Finds a top-level message by its full name, e.g. `pb.Op`.
fn message<'a>(fds: &'a FileDescriptorSet, full_name: &str) -> &'a DescriptorProto {
    fds.file
        .iter()
        .flat_map(|f| {
            f.message_type
                .iter()
                .map(move |m| (format!("{}.{}", f.package(), m.name()), m))
        })
        .find(|(name, _)| name == full_name)
        .map(|(_, m)| m)
        .unwrap_or_else(|| panic!("message {full_name} not in descriptor set"))
}

/// Field number of `field` in the message `full_name`.
fn field_number(fds: &FileDescriptorSet, full_name: &str, field: &str) -> i32 {
    message(fds, full_name)
        .field
        .iter()
        .find(|f| f.name() == field)
        .unwrap_or_else(|| panic!("{full_name} has no field {field}"))
        .number()
}

/// `(name, number)` of every value of a top-level enum.
fn enum_values(fds: &FileDescriptorSet, full_name: &str) -> Vec<(String, i32)> {
    fds.file
        .iter()
        .flat_map(|f| {
            f.enum_type
                .iter()
                .map(move |e| (format!("{}.{}", f.package(), e.name()), e))
        })
        .find(|(name, _)| name == full_name)
        .map(|(_, e)| {
            e.value
                .iter()
                .map(|v| (v.name().to_owned(), v.number()))
                .collect()
        })
        .unwrap_or_else(|| panic!("enum {full_name} not in descriptor set"))
}

/// Every method as `package.Service/Method`, with its streaming flags.
fn methods(fds: &FileDescriptorSet) -> BTreeMap<String, (bool, bool)> {
    let mut out = BTreeMap::new();
    for file in &fds.file {
        for service in &file.service {
            for method in &service.method {
                out.insert(
                    format!("{}.{}/{}", file.package(), service.name(), method.name()),
                    (method.client_streaming(), method.server_streaming()),
                );
            }
        }
    }
    out
}

// ---------------------------------------------------------------------------
// (1) Services and methods in the embedded descriptor set
// ---------------------------------------------------------------------------

#[test]
fn descriptor_set_lists_expected_services_and_methods() {
    let fds = descriptor_set();
    let methods = methods(&fds);

    let expected = [
        // Gateway: everything a frontend calls.
        "moby.buildkit.v1.frontend.LLBBridge/Ping",
        "moby.buildkit.v1.frontend.LLBBridge/Solve",
        "moby.buildkit.v1.frontend.LLBBridge/ReadFile",
        "moby.buildkit.v1.frontend.LLBBridge/ReadDir",
        "moby.buildkit.v1.frontend.LLBBridge/StatFile",
        "moby.buildkit.v1.frontend.LLBBridge/ResolveImageConfig",
        "moby.buildkit.v1.frontend.LLBBridge/ResolveSourceMeta",
        "moby.buildkit.v1.frontend.LLBBridge/Inputs",
        "moby.buildkit.v1.frontend.LLBBridge/Warn",
        "moby.buildkit.v1.frontend.LLBBridge/Return",
        "moby.buildkit.v1.frontend.LLBBridge/Evaluate",
        "moby.buildkit.v1.frontend.LLBBridge/NewContainer",
        "moby.buildkit.v1.frontend.LLBBridge/ReleaseContainer",
        "moby.buildkit.v1.frontend.LLBBridge/ExecProcess",
        "moby.buildkit.v1.frontend.LLBBridge/ReadFileContainer",
        "moby.buildkit.v1.frontend.LLBBridge/ReadDirContainer",
        "moby.buildkit.v1.frontend.LLBBridge/StatFileContainer",
        // Control.
        "moby.buildkit.v1.Control/Solve",
        "moby.buildkit.v1.Control/Status",
        "moby.buildkit.v1.Control/Session",
        "moby.buildkit.v1.Control/ListWorkers",
        "moby.buildkit.v1.Control/Info",
        "moby.buildkit.v1.Control/DiskUsage",
        "moby.buildkit.v1.Control/Prune",
        "moby.buildkit.v1.Control/ListenBuildHistory",
        "moby.buildkit.v1.Control/UpdateBuildHistory",
        // Session services.
        "moby.filesync.v1.FileSync/DiffCopy",
        "moby.filesync.v1.FileSync/TarStream",
        "moby.filesync.v1.FileSend/DiffCopy",
        "moby.filesync.v1.Auth/Credentials",
        "moby.filesync.v1.Auth/FetchToken",
        "moby.filesync.v1.Auth/GetTokenAuthority",
        "moby.filesync.v1.Auth/VerifyTokenAuthority",
        "moby.buildkit.secrets.v1.Secrets/GetSecret",
        "moby.sshforward.v1.SSH/CheckAgent",
        "moby.sshforward.v1.SSH/ForwardAgent",
        "moby.upload.v1.Upload/Pull",
        "moby.exporter.v1.Exporter/FindExporters",
        "moby.exporter.v1.Exporter/FinalizeExport",
        "moby.buildkit.v1.sourcepolicy.policysession.PolicyVerifier/CheckPolicy",
        "grpc.health.v1.Health/Check",
        "grpc.health.v1.Health/List",
        "grpc.health.v1.Health/Watch",
        "containerd.services.content.v1.Content/Info",
        "containerd.services.content.v1.Content/Update",
        "containerd.services.content.v1.Content/List",
        "containerd.services.content.v1.Content/Delete",
        "containerd.services.content.v1.Content/Read",
        "containerd.services.content.v1.Content/Status",
        "containerd.services.content.v1.Content/ListStatuses",
        "containerd.services.content.v1.Content/Write",
        "containerd.services.content.v1.Content/Abort",
    ];
    for name in expected {
        assert!(methods.contains_key(name), "missing method {name}");
    }
    // Nothing unexpected crept in either.
    assert_eq!(methods.len(), expected.len(), "methods: {methods:#?}");

    // Streaming shape: (client streams, server streams).
    let shape = |m: &str| methods[m];
    assert_eq!(shape("moby.buildkit.v1.Control/Solve"), (false, false));
    assert_eq!(shape("moby.buildkit.v1.Control/Status"), (false, true));
    assert_eq!(shape("moby.buildkit.v1.Control/Session"), (true, true));
    assert_eq!(shape("moby.buildkit.v1.Control/Prune"), (false, true));
    assert_eq!(shape("moby.filesync.v1.FileSync/DiffCopy"), (true, true));
    assert_eq!(shape("moby.filesync.v1.FileSend/DiffCopy"), (true, true));
    assert_eq!(shape("moby.sshforward.v1.SSH/ForwardAgent"), (true, true));
    assert_eq!(
        shape("moby.buildkit.v1.frontend.LLBBridge/ExecProcess"),
        (true, true)
    );
    assert_eq!(
        shape("moby.buildkit.v1.frontend.LLBBridge/Return"),
        (false, false)
    );
    assert_eq!(shape("grpc.health.v1.Health/Watch"), (false, true));
    let content = |m: &str| shape(&format!("containerd.services.content.v1.Content/{m}"));
    assert_eq!(content("List"), (false, true));
    assert_eq!(content("Read"), (false, true));
    assert_eq!(content("Write"), (true, true));
    assert_eq!(content("Info"), (false, false));

    // Well-known types come along as imports.
    let files: BTreeSet<&str> = fds.file.iter().map(|f| f.name()).collect();
    assert!(files.contains("google/protobuf/timestamp.proto"));
    assert!(files.contains("google/protobuf/any.proto"));
    assert!(files.contains("pb/ops.proto"));
}

#[test]
fn method_paths_match_generated_code() {
    // tonic routes by these strings; they must agree with the descriptor.
    use prost::Name;
    assert_eq!(pb::Op::full_name(), "pb.Op");
    assert_eq!(fsutil::types::Packet::full_name(), "fsutil.types.Packet");
    assert_eq!(
        gateway::SolveRequest::full_name(),
        "moby.buildkit.v1.frontend.SolveRequest"
    );
    assert_eq!(
        control::SolveRequest::full_name(),
        "moby.buildkit.v1.SolveRequest"
    );
    assert_eq!(proto::google::rpc::Status::full_name(), "google.rpc.Status");
    assert_eq!(
        gateway::llb_bridge_server::SERVICE_NAME,
        "moby.buildkit.v1.frontend.LLBBridge"
    );
    assert_eq!(
        control::control_server::SERVICE_NAME,
        "moby.buildkit.v1.Control"
    );
    assert_eq!(
        filesync::file_sync_server::SERVICE_NAME,
        "moby.filesync.v1.FileSync"
    );
    assert_eq!(
        secrets::secrets_server::SERVICE_NAME,
        "moby.buildkit.secrets.v1.Secrets"
    );
    assert_eq!(
        proto::health::health_server::SERVICE_NAME,
        "grpc.health.v1.Health"
    );
}

// ---------------------------------------------------------------------------
// (2) Field numbers and enum values through the descriptor
// ---------------------------------------------------------------------------

#[test]
fn llb_field_numbers() {
    let fds = descriptor_set();

    let op = [
        ("inputs", 1),
        ("exec", 2),
        ("source", 3),
        ("file", 4),
        ("build", 5),
        ("merge", 6),
        ("diff", 7),
        ("passthrough", 8),
        ("platform", 10),
        ("constraints", 11),
    ];
    for (name, number) in op {
        assert_eq!(field_number(&fds, "pb.Op", name), number, "pb.Op.{name}");
    }

    assert_eq!(field_number(&fds, "pb.Mount", "mountType"), 6);
    assert_eq!(field_number(&fds, "pb.Mount", "TmpfsOpt"), 19);
    assert_eq!(field_number(&fds, "pb.Mount", "cacheOpt"), 20);
    assert_eq!(field_number(&fds, "pb.Mount", "secretOpt"), 21);
    assert_eq!(field_number(&fds, "pb.Mount", "SSHOpt"), 22);
    assert_eq!(field_number(&fds, "pb.Mount", "contentCache"), 24);
    assert_eq!(field_number(&fds, "pb.Meta", "ulimit"), 9);
    assert_eq!(field_number(&fds, "pb.Meta", "validExitCodes"), 12);
    assert_eq!(field_number(&fds, "pb.FileOp", "actions"), 2);
    assert_eq!(field_number(&fds, "pb.FileAction", "symlink"), 8);
    assert_eq!(field_number(&fds, "pb.OpMetadata", "export_cache"), 4);
    assert_eq!(field_number(&fds, "pb.OpMetadata", "linux_resources"), 7);
    assert_eq!(field_number(&fds, "pb.Definition", "Source"), 3);
    assert_eq!(
        field_number(&fds, "moby.buildkit.v1.SolveRequest", "ProxyNetwork"),
        17
    );
    assert_eq!(
        field_number(&fds, "moby.buildkit.v1.frontend.SolveRequest", "Evaluate"),
        14
    );
    assert_eq!(
        field_number(&fds, "moby.buildkit.v1.frontend.Result", "metadata"),
        10
    );
    assert_eq!(
        field_number(&fds, "moby.buildkit.v1.frontend.Result", "attestations"),
        12
    );
    assert_eq!(field_number(&fds, "fsutil.types.Stat", "xattrs"), 10);

    // FileActionCopy: exactly 16 fields, numbered 1..=16 in this order.
    let copy = message(&fds, "pb.FileActionCopy");
    let got: Vec<(&str, i32)> = copy.field.iter().map(|f| (f.name(), f.number())).collect();
    let want = [
        ("src", 1),
        ("dest", 2),
        ("owner", 3),
        ("mode", 4),
        ("followSymlink", 5),
        ("dirCopyContents", 6),
        ("attemptUnpackDockerCompatibility", 7),
        ("createDestPath", 8),
        ("allowWildcard", 9),
        ("allowEmptyWildcard", 10),
        ("timestamp", 11),
        ("include_patterns", 12),
        ("exclude_patterns", 13),
        ("alwaysReplaceExistingDestPaths", 14),
        ("modeStr", 15),
        ("required_paths", 16),
    ];
    assert_eq!(got, want);

    // Scalar types matter as much as numbers (int64 vs int32 changes bytes
    // for negative values).
    let ty = |msg: &str, field: &str| {
        message(&fds, msg)
            .field
            .iter()
            .find(|f| f.name() == field)
            .map(|f| (f.r#type(), f.label()))
            .unwrap()
    };
    assert_eq!(ty("pb.Input", "index"), (Type::Int64, Label::Optional));
    assert_eq!(ty("pb.Mount", "output"), (Type::Int64, Label::Optional));
    assert_eq!(
        ty("pb.FileActionCopy", "mode"),
        (Type::Int32, Label::Optional)
    );
    assert_eq!(ty("pb.SecretOpt", "mode"), (Type::Uint32, Label::Optional));
    assert_eq!(ty("pb.Definition", "def"), (Type::Bytes, Label::Repeated));
    assert_eq!(
        ty("fsutil.types.Packet", "ID"),
        (Type::Uint32, Label::Optional)
    );
}

#[test]
fn llb_enum_values() {
    let fds = descriptor_set();
    let named = |v: &[(&str, i32)]| -> Vec<(String, i32)> {
        v.iter().map(|(n, i)| ((*n).to_owned(), *i)).collect()
    };
    assert_eq!(
        enum_values(&fds, "pb.NetMode"),
        named(&[("UNSET", 0), ("HOST", 1), ("NONE", 2)])
    );
    assert_eq!(
        enum_values(&fds, "pb.SecurityMode"),
        named(&[("SANDBOX", 0), ("INSECURE", 1)])
    );
    assert_eq!(
        enum_values(&fds, "pb.MountType"),
        named(&[
            ("BIND", 0),
            ("SECRET", 1),
            ("SSH", 2),
            ("CACHE", 3),
            ("TMPFS", 4)
        ])
    );
    assert_eq!(
        enum_values(&fds, "pb.CacheSharingOpt"),
        named(&[("SHARED", 0), ("PRIVATE", 1), ("LOCKED", 2)])
    );
    assert_eq!(
        enum_values(&fds, "pb.MountContentCache"),
        named(&[("DEFAULT", 0), ("ON", 1), ("OFF", 2)])
    );

    // Generated Rust enums agree.
    assert_eq!(pb::MountType::Tmpfs as i32, 4);
    assert_eq!(pb::CacheSharingOpt::Locked as i32, 2);
    assert_eq!(pb::NetMode::None as i32, 2);
    assert_eq!(fsutil::types::packet::PacketType::PacketFin as i32, 3);
}

#[test]
fn content_service_field_numbers() {
    let fds = descriptor_set();
    let pkg = "containerd.services.content.v1";
    let fields = |msg: &str, want: &[(&str, i32)]| {
        for (name, number) in want {
            let full = format!("{pkg}.{msg}");
            assert_eq!(field_number(&fds, &full, name), *number, "{full}.{name}");
        }
    };
    fields(
        "Info",
        &[
            ("digest", 1),
            ("size", 2),
            ("created_at", 3),
            ("updated_at", 4),
            ("labels", 5),
        ],
    );
    fields("UpdateRequest", &[("info", 1), ("update_mask", 2)]);
    fields(
        "ReadContentRequest",
        &[("digest", 1), ("offset", 2), ("size", 3)],
    );
    fields("ReadContentResponse", &[("offset", 1), ("data", 2)]);
    fields(
        "Status",
        &[
            ("started_at", 1),
            ("updated_at", 2),
            ("ref", 3),
            ("offset", 4),
            ("total", 5),
            ("expected", 6),
        ],
    );
    fields(
        "WriteContentRequest",
        &[
            ("action", 1),
            ("ref", 2),
            ("total", 3),
            ("expected", 4),
            ("offset", 5),
            ("data", 6),
            ("labels", 7),
        ],
    );
    fields(
        "WriteContentResponse",
        &[
            ("action", 1),
            ("started_at", 2),
            ("updated_at", 3),
            ("offset", 4),
            ("total", 5),
            ("digest", 6),
        ],
    );
    fields("ListStatusesResponse", &[("statuses", 1)]);
    fields("AbortRequest", &[("ref", 1)]);
    let named = |v: &[(&str, i32)]| -> Vec<(String, i32)> {
        v.iter().map(|(n, i)| ((*n).to_owned(), *i)).collect()
    };
    assert_eq!(
        enum_values(&fds, &format!("{pkg}.WriteAction")),
        named(&[("STAT", 0), ("WRITE", 1), ("COMMIT", 2)])
    );
}

// ---------------------------------------------------------------------------
// (2) Exact bytes, computed by hand
// ---------------------------------------------------------------------------

/// `-1` as a 64-bit varint: ten bytes, the last being 0x01.
const MINUS_ONE: [u8; 10] = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x01];

#[test]
fn input_bytes() {
    let input = pb::Input {
        digest: "sha256:ab".into(),
        index: 1,
    };
    // field 1, LEN 9, "sha256:ab"; field 2, varint 1.
    let want = [
        0x0a, 0x09, b's', b'h', b'a', b'2', b'5', b'6', b':', b'a', b'b', //
        0x10, 0x01,
    ];
    assert_eq!(input.encode_to_vec(), want);

    // proto3 leaves zero scalars out entirely.
    let zero = pb::Input {
        digest: String::new(),
        index: 0,
    };
    assert!(zero.encode_to_vec().is_empty());
}

#[test]
fn platform_bytes() {
    let platform = pb::Platform {
        architecture: "amd64".into(),
        os: "linux".into(),
        ..Default::default()
    };
    let want = [
        0x0a, 0x05, b'a', b'm', b'd', b'6', b'4', // Architecture = 1
        0x12, 0x05, b'l', b'i', b'n', b'u', b'x', // OS = 2
    ];
    assert_eq!(platform.encode_to_vec(), want);
}

#[test]
fn source_op_bytes() {
    // An op as the Dockerfile frontend emits it for a local source: no
    // platform, but an explicitly present, empty WorkerConstraints.
    let op = pb::Op {
        inputs: vec![],
        op: Some(pb::op::Op::Source(pb::SourceOp {
            identifier: "local://context".into(),
            attrs: BTreeMap::new(),
        })),
        platform: None,
        constraints: Some(pb::WorkerConstraints::default()),
    };
    let mut want = vec![0x1a, 0x11]; // source = 3, LEN 17
    want.extend([0x0a, 0x0f]); // identifier = 1, LEN 15
    want.extend(b"local://context");
    want.extend([0x5a, 0x00]); // constraints = 11, LEN 0
    assert_eq!(op.encode_to_vec(), want);

    // Dropping the empty constraints changes the bytes, and so the digest.
    let bare = pb::Op {
        constraints: None,
        ..op
    };
    assert_eq!(bare.encode_to_vec(), want[..want.len() - 2]);
}

#[test]
fn source_op_attrs_encode_in_key_order() {
    let mut attrs = BTreeMap::new();
    attrs.insert("b".to_owned(), "2".to_owned());
    attrs.insert("a".to_owned(), "1".to_owned());
    let src = pb::SourceOp {
        identifier: String::new(),
        attrs,
    };
    // Each entry: attrs = 2, LEN 6, { key = 1 "x", value = 2 "y" }.
    let want = [
        0x12, 0x06, 0x0a, 0x01, b'a', 0x12, 0x01, b'1', //
        0x12, 0x06, 0x0a, 0x01, b'b', 0x12, 0x01, b'2',
    ];
    assert_eq!(src.encode_to_vec(), want);
}

/// Known divergence, pinned so it cannot go unnoticed: prost leaves
/// default-valued keys and values out of map entries, while Go's
/// marshaller (which BuildKit uses for op digests) always writes both.
/// An LLB encoder that must reproduce BuildKit digests has to avoid empty
/// map values or write those entries itself.
#[test]
fn map_entry_with_empty_value_differs_from_go() {
    let mut attrs = BTreeMap::new();
    attrs.insert("k".to_owned(), String::new());
    let src = pb::SourceOp {
        identifier: String::new(),
        attrs,
    };
    // prost: entry holds only the key.
    assert_eq!(src.encode_to_vec(), [0x12, 0x03, 0x0a, 0x01, b'k']);
    // Go would write: 12 05 0a 01 6b 12 00.
    let go = [0x12, 0x05, 0x0a, 0x01, b'k', 0x12, 0x00];
    // Both decode to the same message.
    assert_eq!(pb::SourceOp::decode(&go[..]).unwrap(), src);
}

#[test]
fn mount_bytes_with_negative_indexes() {
    let mount = pb::Mount {
        input: pb::EMPTY_INPUT,
        dest: "/cache".into(),
        output: pb::SKIP_OUTPUT,
        mount_type: pb::MountType::Cache as i32,
        cache_opt: Some(pb::CacheOpt {
            id: "x".into(),
            sharing: pb::CacheSharingOpt::Locked as i32,
        }),
        ..Default::default()
    };
    let mut want = vec![0x08]; // input = 1, varint
    want.extend(MINUS_ONE);
    want.extend([0x1a, 0x06]); // dest = 3, LEN 6
    want.extend(b"/cache");
    want.push(0x20); // output = 4, varint
    want.extend(MINUS_ONE);
    want.extend([0x30, 0x03]); // mountType = 6, CACHE
    // cacheOpt = 20: tag (20 << 3) | 2 = 162 = varint a2 01, LEN 5,
    // { ID = 1 "x", sharing = 2 LOCKED }.
    want.extend([0xa2, 0x01, 0x05, 0x0a, 0x01, b'x', 0x10, 0x02]);
    assert_eq!(want.len(), 40);
    assert_eq!(mount.encode_to_vec(), want);
}

fn exec_op() -> pb::Op {
    pb::Op {
        inputs: vec![pb::Input {
            digest: "sha256:ab".into(),
            index: 0,
        }],
        op: Some(pb::op::Op::Exec(pb::ExecOp {
            meta: Some(pb::Meta {
                args: vec!["sh".into(), "-c".into(), "true".into()],
                cwd: "/".into(),
                ..Default::default()
            }),
            mounts: vec![
                pb::Mount {
                    input: 0,
                    dest: pb::ROOT_MOUNT.into(),
                    output: 0,
                    ..Default::default()
                },
                pb::Mount {
                    input: pb::EMPTY_INPUT,
                    dest: "/cache".into(),
                    output: pb::SKIP_OUTPUT,
                    mount_type: pb::MountType::Cache as i32,
                    cache_opt: Some(pb::CacheOpt {
                        id: "x".into(),
                        sharing: pb::CacheSharingOpt::Locked as i32,
                    }),
                    ..Default::default()
                },
            ],
            network: pb::NetMode::None as i32,
            ..Default::default()
        })),
        platform: Some(pb::Platform {
            architecture: "amd64".into(),
            os: "linux".into(),
            ..Default::default()
        }),
        constraints: Some(pb::WorkerConstraints::default()),
    }
}

#[test]
fn exec_op_bytes() {
    // Meta, 17 bytes: args = 1 (x3), cwd = 3.
    let meta = [
        0x0a, 0x02, b's', b'h', //
        0x0a, 0x02, b'-', b'c', //
        0x0a, 0x04, b't', b'r', b'u', b'e', //
        0x1a, 0x01, b'/',
    ];
    // Root mount: input 0 and output 0 are defaults, so only dest = 3.
    let root = [0x1a, 0x01, b'/'];
    // Cache mount: same 40 bytes as in `mount_bytes_with_negative_indexes`.
    let mut cache = vec![0x08];
    cache.extend(MINUS_ONE);
    cache.extend([0x1a, 0x06]);
    cache.extend(b"/cache");
    cache.push(0x20);
    cache.extend(MINUS_ONE);
    cache.extend([0x30, 0x03, 0xa2, 0x01, 0x05, 0x0a, 0x01, b'x', 0x10, 0x02]);

    // ExecOp, 68 bytes: meta = 1, mounts = 2 (x2), network = 3 NONE.
    let mut exec = vec![0x0a, 0x11];
    exec.extend(meta);
    exec.extend([0x12, 0x03]);
    exec.extend(root);
    exec.extend([0x12, 0x28]);
    exec.extend(&cache);
    exec.extend([0x18, 0x02]);
    assert_eq!(exec.len(), 68);

    // Op: inputs = 1, exec = 2, platform = 10, constraints = 11.
    let mut want = vec![0x0a, 0x0b, 0x0a, 0x09];
    want.extend(b"sha256:ab");
    want.extend([0x12, 0x44]);
    want.extend(&exec);
    want.extend([0x52, 0x0e]); // platform = 10: (10 << 3) | 2 = 0x52
    want.extend([0x0a, 0x05]);
    want.extend(b"amd64");
    want.extend([0x12, 0x05]);
    want.extend(b"linux");
    want.extend([0x5a, 0x00]); // constraints = 11: (11 << 3) | 2 = 0x5a

    let got = exec_op().encode_to_vec();
    assert_eq!(got, want);
    assert_eq!(got.len(), 101);
    assert_eq!(pb::Op::decode(&got[..]).unwrap(), exec_op());
}

#[test]
fn file_action_user_by_id_zero_is_written() {
    // A oneof member is written even when it holds its type's default.
    let user = pb::UserOpt {
        user: Some(pb::user_opt::User::ById(0)),
    };
    assert_eq!(user.encode_to_vec(), [0x10, 0x00]);
    let copy = pb::FileActionCopy {
        mode: -1,
        ..Default::default()
    };
    // mode = 4 is int32, but negative int32 still uses ten varint bytes.
    let mut want = vec![0x20];
    want.extend(MINUS_ONE);
    assert_eq!(copy.encode_to_vec(), want);
}

// ---------------------------------------------------------------------------
// (3) Definition round trip
// ---------------------------------------------------------------------------

#[test]
fn definition_round_trip() {
    let exec = exec_op().encode_to_vec();
    let source = pb::Op {
        op: Some(pb::op::Op::Source(pb::SourceOp {
            identifier: "docker-image://docker.io/library/alpine:3".into(),
            attrs: BTreeMap::from([("image.resolvemode".into(), "default".into())]),
        })),
        platform: Some(pb::Platform {
            architecture: "arm64".into(),
            os: "linux".into(),
            variant: "v8".into(),
            ..Default::default()
        }),
        constraints: Some(pb::WorkerConstraints::default()),
        ..Default::default()
    }
    .encode_to_vec();
    let ret = pb::Op {
        inputs: vec![pb::Input {
            digest: "sha256:ff".into(),
            index: 0,
        }],
        ..Default::default()
    }
    .encode_to_vec();

    // Keys inserted out of order on purpose.
    let mut metadata = BTreeMap::new();
    metadata.insert(
        "sha256:bb".to_owned(),
        pb::OpMetadata {
            description: BTreeMap::from([("llb.customname".into(), "[2/2] RUN true".into())]),
            caps: BTreeMap::from([("exec.mount.cache".into(), true)]),
            progress_group: Some(pb::ProgressGroup {
                id: "g".into(),
                name: "group".into(),
                weak: true,
            }),
            ..Default::default()
        },
    );
    metadata.insert(
        "sha256:aa".to_owned(),
        pb::OpMetadata {
            ignore_cache: true,
            export_cache: Some(pb::ExportCache { value: true }),
            ..Default::default()
        },
    );

    let def = pb::Definition {
        def: vec![source, exec, ret],
        metadata,
        source: Some(pb::Source {
            locations: BTreeMap::from([(
                "sha256:bb".into(),
                pb::Locations {
                    locations: vec![pb::Location {
                        source_index: 0,
                        ranges: vec![pb::Range {
                            start: Some(pb::Position {
                                line: 3,
                                character: 0,
                            }),
                            end: Some(pb::Position {
                                line: 3,
                                character: 0,
                            }),
                        }],
                    }],
                },
            )]),
            infos: vec![pb::SourceInfo {
                filename: "Dockerfile".into(),
                data: b"FROM alpine:3\nRUN true\n".to_vec(),
                definition: None,
                language: "Dockerfile".into(),
            }],
        }),
    };

    let bytes = def.encode_to_vec();
    let back = pb::Definition::decode(&bytes[..]).unwrap();
    assert_eq!(back, def);
    // Deterministic: re-encoding gives identical bytes.
    assert_eq!(back.encode_to_vec(), bytes);
    // The ops inside survive untouched.
    assert_eq!(pb::Op::decode(&back.def[1][..]).unwrap(), exec_op());

    // Map entries are written in sorted key order, whatever the insertion
    // order was (BTreeMap iteration; Go's deterministic mode sorts too).
    let find = |needle: &[u8]| {
        bytes
            .windows(needle.len())
            .position(|w| w == needle)
            .unwrap()
    };
    assert!(find(b"sha256:aa") < find(b"sha256:bb"));
    // The metadata map (field 2) comes after all `def` entries (field 1).
    assert!(find(b"sha256:aa") > find(b"sha256:ff"));
}

// ---------------------------------------------------------------------------
// Generated servers and clients talk to each other
// ---------------------------------------------------------------------------

struct FixedSecrets;

#[tonic::async_trait]
impl secrets::secrets_server::Secrets for FixedSecrets {
    async fn get_secret(
        &self,
        request: tonic::Request<secrets::GetSecretRequest>,
    ) -> Result<tonic::Response<secrets::GetSecretResponse>, tonic::Status> {
        match request.into_inner().id.as_str() {
            "token" => Ok(tonic::Response::new(secrets::GetSecretResponse {
                data: b"s3cret".to_vec(),
            })),
            other => Err(tonic::Status::not_found(format!("no secret {other}"))),
        }
    }
}

#[tokio::test]
async fn secrets_service_over_loopback() {
    use secrets::secrets_client::SecretsClient;
    use secrets::secrets_server::SecretsServer;
    use tonic::transport::server::TcpIncoming;

    let incoming = TcpIncoming::bind("127.0.0.1:0".parse().unwrap()).unwrap();
    let addr = incoming.local_addr().unwrap();
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(SecretsServer::new(FixedSecrets))
            .serve_with_incoming(incoming),
    );

    let mut client = SecretsClient::connect(format!("http://{addr}"))
        .await
        .unwrap();
    let got = client
        .get_secret(secrets::GetSecretRequest {
            id: "token".into(),
            annotations: BTreeMap::new(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(got.data, b"s3cret");

    let err = client
        .get_secret(secrets::GetSecretRequest {
            id: "nope".into(),
            annotations: BTreeMap::new(),
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);

    server.abort();
}
