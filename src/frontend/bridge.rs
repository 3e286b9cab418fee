//! Calls into BuildKit's `LLBBridge` service, one method per RPC the
//! Dockerfile frontend uses: ping (capabilities), solve, read a file from a
//! solved result, resolve an image's config, warn, and return.
//!
//! Capabilities decide between equivalent RPCs: image configs (from a
//! registry or from a client's OCI layout) come from `ResolveSourceMeta`
//! when the daemon lists `source.metaresolver` and from
//! `ResolveImageConfig` otherwise; results use the `ref`/`refs` wire form
//! only with `proto.refarray`. A daemon that sends no capability lists is
//! assumed to have the frozen legacy set, as BuildKit's own client does.

use std::collections::BTreeSet;

use tonic::transport::Channel;

use crate::proto::LlbBridgeClient;
use crate::proto::gateway::{
    self, CacheOptionsEntry, PingRequest, ReadFileRequest, ResolveImageConfigRequest,
    ResolveSourceImageRequest, ResolveSourceMetaRequest, ReturnRequest, SolveRequest, WarnRequest,
};
use crate::proto::pb;

/// Gateway capability: the daemon resolves sources through `ResolveSourceMeta`.
pub const CAP_SOURCE_META_RESOLVER: &str = "source.metaresolver";
/// Gateway capability: results carry `Ref` messages instead of bare IDs.
pub const CAP_PROTO_REF_ARRAY: &str = "proto.refarray";
/// Gateway capability: the `Return` RPC exists.
pub const CAP_RETURN: &str = "return";
/// Gateway capability: lint warnings through the `Warn` RPC.
pub const CAP_WARNINGS: &str = "gateway.warnings";
/// The daemon hands frontends the caller's inputs (`Inputs`).
pub const CAP_FRONTEND_INPUTS: &str = "frontend.inputs";

/// Gateway capabilities every daemon had before capability lists existed.
const LEGACY_CAPS: &[&str] = &[
    "solve.base",
    "solve.inlinereturn",
    "resolveimage",
    "readfile",
];

/// How long to wait for the daemon's first answer (BuildKit's own client
/// waits as long).
const PING_TIMEOUT: std::time::Duration = std::time::Duration::from_secs(15);

/// Largest message accepted from or sent to the daemon (BuildKit's client
/// allows 16 MiB; a Dockerfile or image config never comes close).
const MAX_MESSAGE: usize = 64 << 20;

/// `ResolveImageConfigRequest.ResolverType` for an OCI layout in a session.
const RESOLVER_TYPE_OCI_LAYOUT: i32 = 1;

/// Source attributes naming the session and content store of an OCI layout.
const ATTR_OCI_SESSION: &str = "oci.session";
const ATTR_OCI_STORE: &str = "oci.store";

/// Gateway metadata key naming the build a client-side frontend serves.
const BUILD_ID_KEY: &str = "buildkit-controlapi-buildid";

/// Tags every call with the build it belongs to when the frontend runs
/// client-side on the control connection (no tag over stdio, where the
/// connection itself belongs to one build).
#[derive(Clone, Debug)]
pub struct BuildTag(Option<tonic::metadata::AsciiMetadataValue>);

impl tonic::service::Interceptor for BuildTag {
    fn call(&mut self, mut req: tonic::Request<()>) -> Result<tonic::Request<()>, tonic::Status> {
        if let Some(id) = &self.0 {
            req.metadata_mut().insert(BUILD_ID_KEY, id.clone());
        }
        Ok(req)
    }
}

type Client = LlbBridgeClient<tonic::service::interceptor::InterceptedService<Channel, BuildTag>>;

/// A connected bridge and what the daemon on the other end supports.
#[derive(Clone, Debug)]
pub struct Bridge {
    client: Client,
    caps: BTreeSet<String>,
    llb_caps: BTreeSet<String>,
    workers: Vec<crate::proto::worker::WorkerRecord>,
}

/// An image config as resolved by the daemon.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ResolvedImage {
    /// The reference after source policies (usually the one asked for).
    pub reference: String,
    /// Manifest digest.
    pub digest: String,
    /// The config JSON bytes.
    pub config: Vec<u8>,
}

impl Bridge {
    /// Pings the daemon and records its capabilities. The first call on a
    /// channel, as the protocol requires.
    pub async fn connect(channel: Channel) -> Result<Bridge, tonic::Status> {
        Bridge::connect_tagged(channel, BuildTag(None)).await
    }

    /// Like [`Bridge::connect`], for a frontend running in the client: the
    /// bridge is the daemon's control connection, and every call names the
    /// build (`Control.Solve`'s `ref`) it belongs to.
    pub async fn connect_for_build(channel: Channel, build: &str) -> Result<Bridge, tonic::Status> {
        let id = build
            .parse()
            .map_err(|_| tonic::Status::invalid_argument(format!("bad build id {build:?}")))?;
        Bridge::connect_tagged(channel, BuildTag(Some(id))).await
    }

    async fn connect_tagged(channel: Channel, tag: BuildTag) -> Result<Bridge, tonic::Status> {
        let mut client = LlbBridgeClient::with_interceptor(channel, tag)
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
        let ping = tokio::time::timeout(PING_TIMEOUT, client.ping(PingRequest {}));
        let pong = ping
            .await
            .map_err(|_| tonic::Status::deadline_exceeded("BuildKit did not answer the ping"))??
            .into_inner();
        let enabled = |caps: &[crate::proto::apicaps::ApiCap]| {
            caps.iter()
                .filter(|c| c.enabled)
                .map(|c| c.id.clone())
                .collect::<BTreeSet<_>>()
        };
        let caps = if pong.frontend_api_caps.is_empty() {
            LEGACY_CAPS.iter().map(|c| (*c).to_owned()).collect()
        } else {
            enabled(&pong.frontend_api_caps)
        };
        Ok(Bridge {
            client,
            caps,
            llb_caps: enabled(&pong.llb_caps),
            workers: pong.workers,
        })
    }

    /// Whether the daemon lists a gateway capability.
    pub fn has_cap(&self, cap: &str) -> bool {
        self.caps.contains(cap)
    }

    /// Whether the daemon lists an LLB capability (empty when unknown).
    pub fn has_llb_cap(&self, cap: &str) -> bool {
        self.llb_caps.contains(cap)
    }

    /// The LLB capabilities the daemon listed (empty for a daemon too old
    /// to list any).
    pub fn llb_caps(&self) -> &BTreeSet<String> {
        &self.llb_caps
    }

    /// The platforms of the daemon's default worker, from `Ping`.
    pub fn worker_platforms(&self) -> Vec<pb::Platform> {
        self.workers
            .first()
            .map(|w| w.platforms.clone())
            .unwrap_or_default()
    }

    /// Solves a definition and returns the single result ref ID (empty for
    /// an empty result).
    pub async fn solve(
        &self,
        definition: pb::Definition,
        cache_imports: &[CacheOptionsEntry],
    ) -> Result<String, tonic::Status> {
        let req = SolveRequest {
            definition: Some(definition),
            allow_result_return: true,
            allow_result_array_ref: true,
            cache_imports: cache_imports.to_vec(),
            ..SolveRequest::default()
        };
        let res = self.client.clone().solve(req).await?.into_inner();
        use gateway::result::Result as R;
        Ok(match res.result.and_then(|r| r.result) {
            Some(R::Ref(r)) => r.id,
            Some(R::RefDeprecated(id)) => id,
            Some(R::Refs(_) | R::RefsDeprecated(_)) => {
                return Err(tonic::Status::internal(
                    "solve returned several results where one was expected",
                ));
            }
            // An older daemon returns the ID outside the result.
            None => res.r#ref,
        })
    }

    /// Reads a whole file from a solved result.
    pub async fn read_file(&self, reference: &str, path: &str) -> Result<Vec<u8>, tonic::Status> {
        let req = ReadFileRequest {
            r#ref: reference.to_owned(),
            file_path: path.to_owned(),
            ..ReadFileRequest::default()
        };
        Ok(self.client.clone().read_file(req).await?.into_inner().data)
    }

    /// Reads `length` bytes of a file from offset `offset`.
    pub async fn read_file_range(
        &self,
        reference: &str,
        path: &str,
        offset: i64,
        length: i64,
    ) -> Result<Vec<u8>, tonic::Status> {
        let req = ReadFileRequest {
            r#ref: reference.to_owned(),
            file_path: path.to_owned(),
            range: Some(gateway::FileRange { offset, length }),
            ..ReadFileRequest::default()
        };
        Ok(self.client.clone().read_file(req).await?.into_inner().data)
    }

    /// Resolves an image reference to its config for one platform, through
    /// whichever RPC the daemon prefers.
    pub async fn resolve_image(
        &self,
        reference: &str,
        platform: Option<pb::Platform>,
        resolve_mode: &str,
        log_name: &str,
    ) -> Result<ResolvedImage, tonic::Status> {
        if self.has_cap(CAP_SOURCE_META_RESOLVER) {
            let req = ResolveSourceMetaRequest {
                source: Some(pb::SourceOp {
                    identifier: format!("docker-image://{reference}"),
                    attrs: Default::default(),
                }),
                platform,
                log_name: log_name.to_owned(),
                resolve_mode: resolve_mode.to_owned(),
                image: Some(ResolveSourceImageRequest::default()),
                ..ResolveSourceMetaRequest::default()
            };
            return self.resolve_meta(req, "docker-image://", reference).await;
        }
        let req = ResolveImageConfigRequest {
            r#ref: reference.to_owned(),
            platform,
            resolve_mode: resolve_mode.to_owned(),
            log_name: log_name.to_owned(),
            ..ResolveImageConfigRequest::default()
        };
        self.resolve_config(req, reference).await
    }

    /// Resolves the image at `reference` (a name pinned to a digest,
    /// `docker.io/library/base@sha256:…`) in the OCI layout the client
    /// serves as content store `store` in session `session`, for one
    /// platform. Through `ResolveSourceMeta` an `oci-layout://` source with
    /// the session and store attributes; through `ResolveImageConfig` the
    /// OCI-layout resolver type with the session and store IDs.
    pub async fn resolve_oci_layout(
        &self,
        reference: &str,
        session: &str,
        store: &str,
        platform: Option<pb::Platform>,
        log_name: &str,
    ) -> Result<ResolvedImage, tonic::Status> {
        if self.has_cap(CAP_SOURCE_META_RESOLVER) {
            let attrs = [(ATTR_OCI_SESSION, session), (ATTR_OCI_STORE, store)]
                .into_iter()
                .filter(|(_, v)| !v.is_empty())
                .map(|(k, v)| (k.to_owned(), v.to_owned()))
                .collect();
            let req = ResolveSourceMetaRequest {
                source: Some(pb::SourceOp {
                    identifier: format!("oci-layout://{reference}"),
                    attrs,
                }),
                platform,
                log_name: log_name.to_owned(),
                ..ResolveSourceMetaRequest::default()
            };
            return self.resolve_meta(req, "oci-layout://", reference).await;
        }
        let req = ResolveImageConfigRequest {
            r#ref: reference.to_owned(),
            platform,
            log_name: log_name.to_owned(),
            resolver_type: RESOLVER_TYPE_OCI_LAYOUT,
            session_id: session.to_owned(),
            store_id: store.to_owned(),
            ..ResolveImageConfigRequest::default()
        };
        self.resolve_config(req, reference).await
    }

    /// `ResolveSourceMeta` for an image source whose identifier starts
    /// with `scheme`; the failure is worded as BuildKit's own resolver
    /// words it.
    async fn resolve_meta(
        &self,
        req: ResolveSourceMetaRequest,
        scheme: &str,
        reference: &str,
    ) -> Result<ResolvedImage, tonic::Status> {
        let res = self
            .client
            .clone()
            .resolve_source_meta(req)
            .await
            .map_err(|e| {
                let message = format!(
                    "failed to resolve source metadata for {reference}: {}",
                    e.message()
                );
                tonic::Status::with_details(e.code(), message, e.details().to_vec().into())
            })?
            .into_inner();
        let updated = res.source.map(|s| s.identifier).unwrap_or_default();
        let Some(image) = res.image else {
            return Err(tonic::Status::failed_precondition(format!(
                "{reference} was resolved to a non-image source {updated}"
            )));
        };
        let reference = updated.strip_prefix(scheme).unwrap_or(reference).to_owned();
        Ok(ResolvedImage {
            reference,
            digest: image.digest,
            config: image.config,
        })
    }

    /// `ResolveImageConfig`, the older RPC.
    async fn resolve_config(
        &self,
        req: ResolveImageConfigRequest,
        reference: &str,
    ) -> Result<ResolvedImage, tonic::Status> {
        let res = self
            .client
            .clone()
            .resolve_image_config(req)
            .await?
            .into_inner();
        Ok(ResolvedImage {
            reference: if res.r#ref.is_empty() {
                reference.to_owned()
            } else {
                res.r#ref
            },
            digest: res.digest,
            config: res.config,
        })
    }

    /// The definitions the caller handed the frontend (`input:` contexts).
    pub async fn inputs(
        &self,
    ) -> Result<std::collections::BTreeMap<String, pb::Definition>, tonic::Status> {
        let res = self
            .client
            .clone()
            .inputs(gateway::InputsRequest {})
            .await?;
        Ok(res.into_inner().definitions)
    }

    /// Reports a build-check warning against the vertex that loaded the
    /// Dockerfile. Does nothing on a daemon without `gateway.warnings`.
    pub async fn warn(&self, req: WarnRequest) -> Result<(), tonic::Status> {
        if !self.has_cap(CAP_WARNINGS) {
            return Ok(());
        }
        self.client.clone().warn(req).await.map(|_| ())
    }

    /// Sends the final answer of the frontend.
    pub async fn return_result(&self, req: ReturnRequest) -> Result<(), tonic::Status> {
        self.client.clone().r#return(req).await.map(|_| ())
    }
}
