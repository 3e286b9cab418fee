//! The whole gateway conversation in memory: a scripted `LLBBridge` server
//! on one end of a duplex pipe, [`super::serve`] on the other, and checks on
//! what the frontend asked for and what it returned.

use std::collections::BTreeMap;
use std::sync::{Arc, Mutex};

use prost::Message as _;
use tonic::{Request, Response, Status};

use crate::proto::apicaps::ApiCap;
use crate::proto::gateway::{self as gw, llb_bridge_server::LlbBridge, result::Result as R};
use crate::proto::{LlbBridgeServer, pb};

use super::opts::Environment;
use super::{ServeError, serve, transport};

/// What the scripted daemon saw.
#[derive(Default)]
struct Log {
    solves: Vec<gw::SolveRequest>,
    resolves: Vec<String>,
    returns: Vec<gw::ReturnRequest>,
}

/// A daemon with fixed files, image configs and capabilities.
#[derive(Default)]
struct Daemon {
    files: BTreeMap<String, Vec<u8>>,
    images: BTreeMap<String, Vec<u8>>,
    caps: Vec<&'static str>,
    /// Fail solves of definitions with more than this many ops.
    fail_big_solves: Option<Status>,
    log: Arc<Mutex<Log>>,
}

fn unimplemented<T>() -> Result<Response<T>, Status> {
    Err(Status::unimplemented("not scripted"))
}

#[tonic::async_trait]
impl LlbBridge for Daemon {
    async fn ping(
        &self,
        _: Request<gw::PingRequest>,
    ) -> Result<Response<gw::PongResponse>, Status> {
        let caps = self
            .caps
            .iter()
            .map(|c| ApiCap {
                id: (*c).to_owned(),
                enabled: true,
                ..ApiCap::default()
            })
            .collect();
        Ok(Response::new(gw::PongResponse {
            frontend_api_caps: caps,
            ..gw::PongResponse::default()
        }))
    }

    async fn solve(
        &self,
        req: Request<gw::SolveRequest>,
    ) -> Result<Response<gw::SolveResponse>, Status> {
        let req = req.into_inner();
        let ops = req.definition.as_ref().map_or(0, |d| d.def.len());
        let id = {
            let mut log = self.log.lock().map_err(|_| Status::internal("poisoned"))?;
            log.solves.push(req);
            format!("ref{}", log.solves.len())
        };
        if let (Some(st), true) = (&self.fail_big_solves, ops > 2) {
            return Err(st.clone());
        }
        Ok(Response::new(gw::SolveResponse {
            result: Some(gw::Result {
                result: Some(R::Ref(gw::Ref { id, def: None })),
                ..gw::Result::default()
            }),
            ..gw::SolveResponse::default()
        }))
    }

    async fn read_file(
        &self,
        req: Request<gw::ReadFileRequest>,
    ) -> Result<Response<gw::ReadFileResponse>, Status> {
        let path = req.into_inner().file_path;
        match self.files.get(&path) {
            Some(data) => Ok(Response::new(gw::ReadFileResponse { data: data.clone() })),
            None => Err(Status::not_found(format!(
                "open {path}: no such file or directory"
            ))),
        }
    }

    async fn resolve_image_config(
        &self,
        req: Request<gw::ResolveImageConfigRequest>,
    ) -> Result<Response<gw::ResolveImageConfigResponse>, Status> {
        let reference = req.into_inner().r#ref;
        self.log
            .lock()
            .map_err(|_| Status::internal("poisoned"))?
            .resolves
            .push(format!("config {reference}"));
        let config = self
            .images
            .get(&reference)
            .cloned()
            .ok_or_else(|| Status::not_found("no such image"))?;
        Ok(Response::new(gw::ResolveImageConfigResponse {
            digest: "sha256:0123".into(),
            config,
            r#ref: reference,
        }))
    }

    async fn resolve_source_meta(
        &self,
        req: Request<gw::ResolveSourceMetaRequest>,
    ) -> Result<Response<gw::ResolveSourceMetaResponse>, Status> {
        let source = req.into_inner().source.unwrap_or_default();
        let reference = source
            .identifier
            .trim_start_matches("docker-image://")
            .to_owned();
        self.log
            .lock()
            .map_err(|_| Status::internal("poisoned"))?
            .resolves
            .push(format!("meta {reference}"));
        let config = self
            .images
            .get(&reference)
            .cloned()
            .ok_or_else(|| Status::not_found("no such image"))?;
        Ok(Response::new(gw::ResolveSourceMetaResponse {
            source: Some(source),
            image: Some(gw::ResolveSourceImageResponse {
                digest: "sha256:0123".into(),
                config,
                attestation_chain: None,
            }),
            ..gw::ResolveSourceMetaResponse::default()
        }))
    }

    async fn r#return(
        &self,
        req: Request<gw::ReturnRequest>,
    ) -> Result<Response<gw::ReturnResponse>, Status> {
        self.log
            .lock()
            .map_err(|_| Status::internal("poisoned"))?
            .returns
            .push(req.into_inner());
        Ok(Response::new(gw::ReturnResponse {}))
    }

    async fn evaluate(
        &self,
        _: Request<gw::EvaluateRequest>,
    ) -> Result<Response<gw::EvaluateResponse>, Status> {
        unimplemented()
    }
    async fn read_dir(
        &self,
        _: Request<gw::ReadDirRequest>,
    ) -> Result<Response<gw::ReadDirResponse>, Status> {
        unimplemented()
    }
    async fn stat_file(
        &self,
        _: Request<gw::StatFileRequest>,
    ) -> Result<Response<gw::StatFileResponse>, Status> {
        unimplemented()
    }
    async fn inputs(
        &self,
        _: Request<gw::InputsRequest>,
    ) -> Result<Response<gw::InputsResponse>, Status> {
        unimplemented()
    }
    async fn warn(
        &self,
        _: Request<gw::WarnRequest>,
    ) -> Result<Response<gw::WarnResponse>, Status> {
        unimplemented()
    }
    async fn new_container(
        &self,
        _: Request<gw::NewContainerRequest>,
    ) -> Result<Response<gw::NewContainerResponse>, Status> {
        unimplemented()
    }
    async fn release_container(
        &self,
        _: Request<gw::ReleaseContainerRequest>,
    ) -> Result<Response<gw::ReleaseContainerResponse>, Status> {
        unimplemented()
    }
    type ExecProcessStream = futures_util::stream::Empty<Result<gw::ExecMessage, Status>>;
    async fn exec_process(
        &self,
        _: Request<tonic::Streaming<gw::ExecMessage>>,
    ) -> Result<Response<Self::ExecProcessStream>, Status> {
        unimplemented()
    }
    async fn read_file_container(
        &self,
        _: Request<gw::ReadFileRequest>,
    ) -> Result<Response<gw::ReadFileResponse>, Status> {
        unimplemented()
    }
    async fn read_dir_container(
        &self,
        _: Request<gw::ReadDirRequest>,
    ) -> Result<Response<gw::ReadDirResponse>, Status> {
        unimplemented()
    }
    async fn stat_file_container(
        &self,
        _: Request<gw::StatFileRequest>,
    ) -> Result<Response<gw::StatFileResponse>, Status> {
        unimplemented()
    }
}

const MODERN: &[&str] = &[
    "return",
    "proto.refarray",
    "source.metaresolver",
    "readfile",
    "solve.base",
];

fn daemon(dockerfile: &str) -> Daemon {
    Daemon {
        files: BTreeMap::from([("Dockerfile".to_owned(), dockerfile.as_bytes().to_vec())]),
        caps: MODERN.to_vec(),
        ..Daemon::default()
    }
}

/// Runs one conversation with frontend options `opts`.
async fn converse(daemon: Daemon, opts: &[&str]) -> (Result<(), ServeError>, Arc<Mutex<Log>>) {
    let log = daemon.log.clone();
    let (ours, theirs) = tokio::io::duplex(1 << 20);
    let incoming = futures_util::stream::once(async move { Ok::<_, std::io::Error>(theirs) });
    let server = tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(LlbBridgeServer::new(daemon))
            .serve_with_incoming(incoming),
    );
    let mut vars = vec![("BUILDKIT_SESSION_ID".to_owned(), "sess".to_owned())];
    for (i, o) in opts.iter().enumerate() {
        vars.push((format!("BUILDKIT_FRONTEND_OPT_{i}"), (*o).to_owned()));
    }
    let env = Environment::from_vars(vars);
    let result = match transport::connect(ours).await {
        Ok(channel) => serve(channel, &env).await,
        Err(e) => Err(ServeError(e.to_string())),
    };
    server.abort();
    (result, log)
}

/// The single `Return` of a conversation that went through.
fn returned(outcome: (Result<(), ServeError>, Arc<Mutex<Log>>)) -> (gw::ReturnRequest, Log) {
    let (result, log) = outcome;
    assert!(result.is_ok(), "{result:?}");
    let log = std::mem::take(&mut *log.lock().unwrap());
    assert_eq!(log.returns.len(), 1);
    (log.returns[0].clone(), log)
}

fn source_op(def: &pb::Definition) -> pb::SourceOp {
    match pb::Op::decode(def.def[0].as_slice()).unwrap().op {
        Some(pb::op::Op::Source(s)) => s,
        other => panic!("not a source op: {other:?}"),
    }
}

#[tokio::test]
async fn targets_answer_from_the_dockerfile_alone() {
    let (ret, log) = returned(
        converse(
            daemon("FROM scratch AS a\nFROM a\n"),
            &["requestid=frontend.targets"],
        )
        .await,
    );
    let result = ret.result.unwrap();
    assert_eq!(result.result, Some(R::Ref(gw::Ref::default())));
    let json: serde_json::Value = serde_json::from_slice(&result.metadata["result.json"]).unwrap();
    assert_eq!(json["targets"][0]["name"], "a");
    assert_eq!(json["targets"][1]["default"], true);
    assert_eq!(result.metadata["version"], b"1.0.0");
    // Only the Dockerfile was loaded, limited to the files BuildKit reads.
    assert_eq!(log.solves.len(), 1);
    let src = source_op(log.solves[0].definition.as_ref().unwrap());
    assert_eq!(src.identifier, "local://dockerfile");
    assert_eq!(
        src.attrs["local.followpaths"],
        r#"["Dockerfile","Dockerfile.dockerignore","dockerfile"]"#
    );
    assert_eq!(src.attrs["local.session"], "sess");
    assert_eq!(src.attrs["local.sharedkeyhint"], "dockerfile");
}

#[tokio::test]
async fn legacy_daemons_get_bare_ref_ids() {
    let mut d = daemon("FROM scratch\n");
    d.caps.clear();
    let (ret, _) = returned(converse(d, &["requestid=frontend.subrequests.describe"]).await);
    assert_eq!(
        ret.result.unwrap().result,
        Some(R::RefDeprecated(String::new()))
    );
}

#[tokio::test]
async fn a_build_solves_and_returns_the_image_config() {
    let mut d = daemon("FROM busybox\nCOPY a /a\n");
    d.images.insert(
        "docker.io/library/busybox:latest".into(),
        br#"{"architecture":"amd64","os":"linux","config":{"Env":["PATH=/bin"]},"rootfs":{"type":"layers","diff_ids":[]}}"#.to_vec(),
    );
    let cache = r#"cache-imports=[{"Type":"local","Attrs":{"src":"/c"}}]"#;
    let (ret, log) = returned(converse(d, &[cache]).await);
    let result = ret.result.unwrap();
    assert_eq!(log.resolves, ["meta docker.io/library/busybox:latest"]);
    // Dockerfile, context .dockerignore, then the build itself.
    assert_eq!(log.solves.len(), 3);
    let ignore = source_op(log.solves[1].definition.as_ref().unwrap());
    assert_eq!(ignore.identifier, "local://context");
    assert_eq!(ignore.attrs["local.followpaths"], r#"[".dockerignore"]"#);
    assert_eq!(log.solves[2].cache_imports[0].attrs["src"], "/c");
    assert_eq!(
        result.result,
        Some(R::Ref(gw::Ref {
            id: "ref3".into(),
            def: None
        }))
    );
    let config: serde_json::Value =
        serde_json::from_slice(&result.metadata["containerimage.config"]).unwrap();
    assert_eq!(config["config"]["Env"], serde_json::json!(["PATH=/bin"]));
    assert!(result.metadata.contains_key("containerimage.base.config"));
    assert_eq!(
        result.metadata["refs.platforms"],
        br#"{"Platforms":[{"ID":"linux/amd64","Platform":{"architecture":"amd64","os":"linux"}}]}"#
    );
}

#[tokio::test]
async fn without_the_meta_resolver_images_resolve_through_image_config() {
    let mut d = daemon("FROM busybox\nCOPY . /\n");
    d.caps = vec!["return", "proto.refarray"];
    d.images
        .insert("docker.io/library/busybox:latest".into(), b"{}".to_vec());
    d.files
        .insert("Dockerfile.dockerignore".into(), b"*.tmp\n".to_vec());
    d.files
        .insert(".dockerignore".into(), b"*.other\n".to_vec());
    let (_, log) = returned(converse(d, &[]).await);
    assert_eq!(log.resolves, ["config docker.io/library/busybox:latest"]);
    // The context's .dockerignore is read beside the Dockerfile, but the
    // Dockerfile's own one wins.
    assert_eq!(log.solves.len(), 3);
    let build = log.solves[2].definition.as_ref().expect("a definition");
    let excludes: Vec<String> = build
        .def
        .iter()
        .filter_map(|b| pb::Op::decode(b.as_slice()).ok())
        .filter_map(|op| match op.op {
            Some(pb::op::Op::Source(s)) if s.identifier == "local://context" => {
                s.attrs.get("local.excludepatterns").cloned()
            }
            _ => None,
        })
        .collect();
    assert_eq!(excludes, [r#"["*.tmp"]"#]);
}

#[tokio::test]
async fn several_platforms_return_a_refs_map() {
    let d = daemon("FROM scratch\nCOPY a /a\n");
    let (ret, _) = returned(converse(d, &["platform=linux/amd64,linux/arm64"]).await);
    let result = ret.result.unwrap();
    let Some(R::Refs(refs)) = result.result else {
        panic!("not a refs map: {:?}", result.result)
    };
    assert_eq!(
        refs.refs.keys().collect::<Vec<_>>(),
        ["linux/amd64", "linux/arm64"]
    );
    assert!(
        result
            .metadata
            .contains_key("containerimage.config/linux/arm64")
    );
    assert!(!result.metadata.contains_key("containerimage.config"));
}

#[tokio::test]
async fn parse_errors_come_back_with_the_dockerfile_snippet() {
    let (ret, _) = returned(converse(daemon("FROM scratch\nFOO bar\n"), &[]).await);
    let err = ret.error.unwrap();
    assert_eq!(
        err.message,
        "dockerfile parse error on line 2: unknown instruction: FOO"
    );
    assert_eq!(
        err.details[0].type_url,
        "github.com/moby/buildkit/errdefs.Source+json"
    );
    let src: serde_json::Value = serde_json::from_slice(&err.details[0].value).unwrap();
    assert_eq!(src["ranges"][0]["start"]["line"], 2);
    assert!(ret.result.is_none());
}

#[tokio::test]
async fn solve_failures_are_passed_on_with_their_details() {
    let detail = prost_types::Any {
        type_url: "github.com/moby/buildkit/errdefs.Source+json".into(),
        value: br#"{"ranges":[{"start":{"line":2},"end":{"line":2}}]}"#.to_vec(),
    };
    let status = crate::proto::google::rpc::Status {
        code: 2,
        message: "process did not complete successfully: exit code: 3".into(),
        details: vec![detail.clone()],
    };
    let mut d = daemon("FROM scratch\nCOPY a /a\nCOPY b /b\n");
    d.fail_big_solves = Some(Status::with_details(
        tonic::Code::Unknown,
        status.message.clone(),
        status.encode_to_vec().into(),
    ));
    let (ret, _) = returned(converse(d, &[]).await);
    let err = ret.error.unwrap();
    assert_eq!(err.message, status.message);
    assert_eq!(err.details, vec![detail]);
}

#[tokio::test]
async fn refused_requests_and_options() {
    let cases: &[(&[&str], &str, i32)] = &[
        (
            &["requestid=frontend.nope"],
            "unsupported request frontend.nope",
            2,
        ),
        (
            &["frontend.caps=moby.buildkit.frontend.sourcepolicy"],
            "unsupported frontend capability moby.buildkit.frontend.sourcepolicy",
            12,
        ),
        (&["cache-imports={"], "failed to unmarshal cache-imports", 2),
        (&["platform=!!"], "", 2),
        (
            &["filename=Other"],
            "failed to read dockerfile: open Other: no such file or directory",
            5,
        ),
    ];
    for (opts, message, code) in cases {
        let (ret, _) = returned(converse(daemon("FROM scratch\n"), opts).await);
        let err = ret.error.unwrap_or_else(|| panic!("{opts:?} did not fail"));
        assert!(
            err.message.starts_with(message),
            "{opts:?}: {}",
            err.message
        );
        assert_eq!(err.code, *code, "{opts:?}: {}", err.message);
    }
}

#[tokio::test]
async fn the_lowercase_dockerfile_is_found_too() {
    let mut d = daemon("");
    d.files = BTreeMap::from([("dockerfile".to_owned(), b"FROM scratch AS only\n".to_vec())]);
    let (ret, _) = returned(converse(d, &["requestid=frontend.targets"]).await);
    let json: serde_json::Value =
        serde_json::from_slice(&ret.result.unwrap().metadata["result.json"]).unwrap();
    assert_eq!(json["targets"][0]["name"], "only");
}
