//! BuildKit's protobuf wire types and gRPC services, generated at build time.
//!
//! The schemas live in `proto/` (written for slipway from BuildKit's public
//! wire format) and are compiled by `build.rs` with `protox`, `prost-build`
//! and `tonic-prost-build`; no `protoc` is involved. The module tree below
//! mirrors the protobuf packages exactly, because generated code refers to
//! other packages through `super::` paths.
//!
//! | package | module | contents |
//! | --- | --- | --- |
//! | `pb` | [`pb`] | LLB: `Op`, `Definition`, `OpMetadata`, source maps |
//! | `moby.buildkit.v1` | [`control`] | `Control` service (solve, status, session, workers, cache) |
//! | `moby.buildkit.v1.frontend` | [`gateway`] | `LLBBridge` service used by frontends |
//! | `moby.buildkit.v1.types` | [`worker`] | worker records |
//! | `moby.buildkit.v1.apicaps` | [`apicaps`] | capability lists |
//! | `moby.buildkit.v1.sourcepolicy` | [`sourcepolicy`] | source policies |
//! | `moby.filesync.v1` | [`filesync`] | `FileSync`, `FileSend` and `Auth` session services |
//! | `moby.buildkit.secrets.v1` | [`secrets`] | `Secrets` session service |
//! | `moby.sshforward.v1` | [`sshforward`] | `SSH` session service |
//! | `moby.upload.v1` | [`upload`] | `Upload` session service |
//! | `moby.exporter.v1` | [`exporter`] | `Exporter` session service |
//! | `fsutil.types` | [`fsutil::types`] | file-sync `Packet` and `Stat` |
//! | `errdefs`, `stack` | [`errdefs`], [`stack`] | typed error details |
//! | `google.rpc` | [`google::rpc`] | `Status` |
//! | `grpc.health.v1` | [`health`] | `Health` service |
//! | `containerd.services.content.v1` | [`content`] | containerd's `Content` service (client-side stores) |
//!
//! Map fields are generated as `BTreeMap`, so they encode in sorted key
//! order like Go's deterministic marshalling. One difference remains:
//! prost leaves default keys and values out of map entries, while Go
//! always writes both, so a map holding an empty string encodes (and
//! hashes) differently. Code that must reproduce BuildKit op digests has
//! to keep this in mind.
//!
//! Lints are allowed only on the modules that hold generated code (today
//! `clippy::empty_line_after_outer_attr` and `clippy::large_enum_variant`
//! fire there); the generated files are included as-is.

/// Encoded `google.protobuf.FileDescriptorSet` of every compiled schema,
/// including the well-known types they import. Source info is stripped.
pub const FILE_DESCRIPTOR_SET: &[u8] =
    include_bytes!(concat!(env!("OUT_DIR"), "/slipway_descriptor.bin"));

/// LLB (`package pb`).
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, clippy::nursery, missing_docs)]
pub mod pb {
    include!(concat!(env!("OUT_DIR"), "/pb.rs"));

    /// Mount destination of an exec op's root filesystem.
    pub const ROOT_MOUNT: &str = "/";
    /// `Mount.output` / `FileAction.output` value meaning "no output".
    pub const SKIP_OUTPUT: i64 = -1;
    /// Input index meaning "no input" (an empty, scratch filesystem).
    pub const EMPTY_INPUT: i64 = -1;
}

/// `package errdefs`: typed error details.
///
/// Note that BuildKit puts these into `google.rpc.Status.details` as Go JSON,
/// not protobuf, under type URLs such as
/// `github.com/moby/buildkit/errdefs.Source+json`.
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, clippy::nursery, missing_docs)]
pub mod errdefs {
    include!(concat!(env!("OUT_DIR"), "/errdefs.rs"));
}

/// `package stack`: server stack traces attached to errors.
#[rustfmt::skip]
#[allow(clippy::all, clippy::pedantic, clippy::nursery, missing_docs)]
pub mod stack {
    include!(concat!(env!("OUT_DIR"), "/stack.rs"));
}

/// `package fsutil.types`.
pub mod fsutil {
    /// File-sync frames and file metadata.
    #[rustfmt::skip]
    #[allow(clippy::all, clippy::pedantic, clippy::nursery, missing_docs)]
    pub mod types {
        include!(concat!(env!("OUT_DIR"), "/fsutil.types.rs"));
    }
}

/// `package google.rpc`.
pub mod google {
    /// gRPC error status.
    #[rustfmt::skip]
    #[allow(clippy::all, clippy::pedantic, clippy::nursery, missing_docs)]
    pub mod rpc {
        include!(concat!(env!("OUT_DIR"), "/google.rpc.rs"));
    }
}

/// `package grpc.health.v1`.
pub mod grpc {
    /// The health service.
    pub mod health {
        /// Version 1 of the health service.
        #[rustfmt::skip]
        #[allow(clippy::all, clippy::pedantic, clippy::nursery, missing_docs)]
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/grpc.health.v1.rs"));
        }
    }
}

/// `package containerd.*`.
pub mod containerd {
    /// `package containerd.services.*`.
    pub mod services {
        /// `package containerd.services.content`.
        pub mod content {
            /// The content store service, served for client-side stores.
            #[rustfmt::skip]
            #[allow(clippy::all, clippy::pedantic, clippy::nursery, missing_docs)]
            pub mod v1 {
                include!(concat!(env!("OUT_DIR"), "/containerd.services.content.v1.rs"));
            }
        }
    }
}

/// `package moby.*`.
pub mod moby {
    /// `package moby.buildkit.*`.
    pub mod buildkit {
        /// `package moby.buildkit.v1`: the Control service, plus nested packages.
        #[rustfmt::skip]
        #[allow(clippy::all, clippy::pedantic, clippy::nursery, missing_docs)]
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/moby.buildkit.v1.rs"));

            /// The gateway (`LLBBridge`) API for frontends.
            pub mod frontend {
                include!(concat!(env!("OUT_DIR"), "/moby.buildkit.v1.frontend.rs"));
            }

            /// Worker records.
            pub mod types {
                include!(concat!(env!("OUT_DIR"), "/moby.buildkit.v1.types.rs"));
            }

            /// API capabilities.
            pub mod apicaps {
                include!(concat!(env!("OUT_DIR"), "/moby.buildkit.v1.apicaps.rs"));
            }

            /// Source policies.
            pub mod sourcepolicy {
                include!(concat!(env!("OUT_DIR"), "/moby.buildkit.v1.sourcepolicy.rs"));

                /// Client-side policy decisions over the session.
                pub mod policysession {
                    include!(concat!(
                        env!("OUT_DIR"),
                        "/moby.buildkit.v1.sourcepolicy.policysession.rs"
                    ));
                }
            }
        }

        /// `package moby.buildkit.secrets`.
        pub mod secrets {
            /// The secrets session service.
            #[rustfmt::skip]
            #[allow(clippy::all, clippy::pedantic, clippy::nursery, missing_docs)]
            pub mod v1 {
                include!(concat!(env!("OUT_DIR"), "/moby.buildkit.secrets.v1.rs"));
            }
        }
    }

    /// `package moby.filesync`.
    pub mod filesync {
        /// File sync, file send and registry auth session services.
        #[rustfmt::skip]
        #[allow(clippy::all, clippy::pedantic, clippy::nursery, missing_docs)]
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/moby.filesync.v1.rs"));
        }
    }

    /// `package moby.sshforward`.
    pub mod sshforward {
        /// SSH agent forwarding session service.
        #[rustfmt::skip]
        #[allow(clippy::all, clippy::pedantic, clippy::nursery, missing_docs)]
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/moby.sshforward.v1.rs"));
        }
    }

    /// `package moby.upload`.
    pub mod upload {
        /// Context upload session service.
        #[rustfmt::skip]
        #[allow(clippy::all, clippy::pedantic, clippy::nursery, missing_docs)]
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/moby.upload.v1.rs"));
        }
    }

    /// `package moby.exporter`.
    pub mod exporter {
        /// Client-chosen exporters session service.
        #[rustfmt::skip]
        #[allow(clippy::all, clippy::pedantic, clippy::nursery, missing_docs)]
        pub mod v1 {
            include!(concat!(env!("OUT_DIR"), "/moby.exporter.v1.rs"));
        }
    }
}

// Short names for the packages.
pub use self::containerd::services::content::v1 as content;
pub use self::grpc::health::v1 as health;
pub use self::moby::buildkit::secrets::v1 as secrets;
pub use self::moby::buildkit::v1 as control;
pub use self::moby::buildkit::v1::apicaps;
pub use self::moby::buildkit::v1::frontend as gateway;
pub use self::moby::buildkit::v1::sourcepolicy;
pub use self::moby::buildkit::v1::types as worker;
pub use self::moby::exporter::v1 as exporter;
pub use self::moby::filesync::v1 as filesync;
pub use self::moby::sshforward::v1 as sshforward;
pub use self::moby::upload::v1 as upload;

// The types most code touches.
pub use self::control::control_client::ControlClient;
pub use self::gateway::llb_bridge_client::LlbBridgeClient;
pub use self::gateway::llb_bridge_server::{LlbBridge, LlbBridgeServer};
pub use self::pb::{Definition, Op, OpMetadata};
