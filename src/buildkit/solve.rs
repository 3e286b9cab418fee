//! One build against a daemon, as a client.
//!
//! Four things run at once, as in BuildKit's own client:
//!
//! 1. the **session** ([`super::session`]), which the daemon calls for the
//!    context, secrets, SSH, credentials and exporter output;
//! 2. `Control.Solve` with *no* frontend and *no* definition: the daemon
//!    then waits for a frontend to attach to the build by its `ref`;
//! 3. that frontend: slipway's own ([`crate::frontend::serve_client`]),
//!    speaking the gateway protocol on the control connection with every
//!    call tagged with the build's `ref`, so compiling, resolving base
//!    images and returning the image config work exactly as they do when
//!    BuildKit runs slipway's frontend image;
//! 4. `Control.Status`, streamed to the caller's progress display.
//!
//! The build ends when `Solve` answers. Dropping the future (Ctrl-C)
//! cancels the `Solve` call, which cancels the build in the daemon.

use std::collections::BTreeMap;

use tonic::transport::Channel;

use super::addr::Address;
use super::session::{Session, new_id};
use super::transport::{self, ConnectError, MAX_MESSAGE, TlsFiles};
use crate::frontend::opts::Environment;
use crate::proto::ControlClient;
use crate::proto::control::{
    CacheOptions, CacheOptionsEntry, Exporter, ListWorkersRequest, SolveRequest, StatusRequest,
    StatusResponse,
};
use crate::proto::worker::WorkerRecord;

/// What to build and where the result goes.
#[derive(Clone, Debug, Default)]
pub struct SolveSpec {
    /// Options of slipway's frontend, as BuildKit's Dockerfile frontend
    /// names them (`filename`, `target`, `build-arg:K`, `platform`,
    /// `context:NAME`, `no-cache`, `label:K`, …).
    pub frontend_opts: BTreeMap<String, String>,
    /// Exporters, in order (an exporter's index is its ID in the session).
    pub exporters: Vec<Exporter>,
    /// Cache imports.
    pub cache_imports: Vec<CacheOptionsEntry>,
    /// Cache exports.
    pub cache_exports: Vec<CacheOptionsEntry>,
    /// Entitlements the build may use (`network.host`, `security.insecure`).
    pub entitlements: Vec<String>,
}

/// Why a build failed.
#[derive(Debug, thiserror::Error)]
pub enum SolveError {
    /// No connection to the daemon.
    #[error(transparent)]
    Connect(#[from] ConnectError),
    /// The daemon refused or failed the build; the status carries
    /// BuildKit's error details (source locations, exit codes).
    #[error("{}", .0.message())]
    Build(tonic::Status),
    /// Anything else in the conversation.
    #[error("{0}")]
    Other(String),
}

/// A status's message with the causes tonic keeps in its source chain
/// (a bare "transport error" says nothing).
pub fn status_text(status: &tonic::Status) -> String {
    let mut text = status.message().to_owned();
    let mut cur = std::error::Error::source(status);
    while let Some(e) = cur {
        let s = e.to_string();
        if !text.contains(&s) {
            text = format!("{text}: {s}");
        }
        cur = e.source();
    }
    text
}

/// A connected daemon.
#[derive(Clone)]
pub struct Daemon {
    /// Its address.
    pub addr: Address,
    channel: Channel,
    control: ControlClient<Channel>,
}

impl Daemon {
    /// Connects to the daemon's control API.
    pub async fn connect(addr: &Address, tls: &TlsFiles) -> Result<Daemon, ConnectError> {
        let channel = transport::control_channel(addr, tls).await?;
        let control = ControlClient::new(channel.clone())
            .max_decoding_message_size(MAX_MESSAGE)
            .max_encoding_message_size(MAX_MESSAGE);
        Ok(Daemon {
            addr: addr.clone(),
            channel,
            control,
        })
    }

    /// The control API client.
    pub fn control(&self) -> ControlClient<Channel> {
        self.control.clone()
    }

    /// The daemon's workers.
    pub async fn workers(&self) -> Result<Vec<WorkerRecord>, tonic::Status> {
        let res = self
            .control()
            .list_workers(ListWorkersRequest::default())
            .await?;
        Ok(res.into_inner().record)
    }

    /// Runs one build: serves `session`, solves `spec` with slipway's
    /// frontend in this process, and hands every status update to
    /// `on_status`. Returns the exporters' response (image digest, …).
    pub async fn solve(
        &self,
        session: Session,
        spec: SolveSpec,
        mut on_status: impl FnMut(StatusResponse) + Send,
    ) -> Result<BTreeMap<String, String>, SolveError> {
        // The first call on the connection: a failure here means the daemon
        // cannot be talked to (TLS refused, not BuildKit), not a failed build.
        let workers = self.workers().await.map_err(|s| {
            SolveError::Other(format!(
                "cannot talk to the daemon at {}: {}",
                self.addr,
                status_text(&s)
            ))
        })?;
        let build_ref = new_id();
        let env = Environment {
            opts: spec.frontend_opts.clone(),
            session_id: session.id.clone(),
            worker_platforms: workers
                .first()
                .map(|w| w.platforms.clone())
                .unwrap_or_default(),
        };

        let tunnel =
            transport::session_tunnel(&self.addr, &self.control, &session.headers()).await?;
        let (stop_session, stopped) = tokio::sync::oneshot::channel::<()>();
        let served = tokio::spawn(session.serve(tunnel, async {
            let _ = stopped.await;
        }));

        let request = SolveRequest {
            r#ref: build_ref.clone(),
            exporter_deprecated: spec
                .exporters
                .first()
                .map(|e| e.r#type.clone())
                .unwrap_or_default(),
            exporter_attrs_deprecated: spec
                .exporters
                .first()
                .map(|e| e.attrs.clone())
                .unwrap_or_default(),
            exporters: spec.exporters.clone(),
            session: env.session_id.clone(),
            frontend: String::new(),
            frontend_attrs: spec.frontend_opts.clone(),
            cache: Some(CacheOptions {
                exports: spec.cache_exports.clone(),
                imports: spec.cache_imports.clone(),
                ..CacheOptions::default()
            }),
            entitlements: spec.entitlements.clone(),
            ..SolveRequest::default()
        };
        let mut control = self.control();
        let solve = async move { control.solve(request).await };
        let frontend = crate::frontend::serve_client(self.channel.clone(), &build_ref, &env);

        let mut status_client = self.control();
        let status_ref = build_ref.clone();
        let (status_tx, mut status_rx) = tokio::sync::mpsc::unbounded_channel();
        let status = tokio::spawn(async move {
            let req = StatusRequest { r#ref: status_ref };
            let Ok(res) = status_client.status(req).await else {
                return;
            };
            let mut stream = res.into_inner();
            while let Ok(Some(msg)) = stream.message().await {
                if status_tx.send(msg).is_err() {
                    break;
                }
            }
        });

        // Solve and the frontend run together; status updates are handed
        // over as they come.
        let work = async {
            let (solved, served_frontend) = tokio::join!(solve, frontend);
            (solved, served_frontend)
        };
        tokio::pin!(work);
        let (solved, served_frontend) = loop {
            tokio::select! {
                out = &mut work => break out,
                Some(msg) = status_rx.recv() => on_status(msg),
            }
        };
        // The daemon ends the status stream once the build's progress is
        // complete; do not wait forever for a daemon that does not.
        let drain = async {
            while let Some(msg) = status_rx.recv().await {
                on_status(msg);
            }
        };
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), drain).await;
        status.abort();
        let _ = stop_session.send(());
        let _ = tokio::time::timeout(std::time::Duration::from_secs(5), served).await;

        match solved {
            Ok(res) => Ok(res.into_inner().exporter_response.into_iter().collect()),
            Err(status) => {
                // The frontend's own failure (it could not even return an
                // error) explains more than the daemon's "canceled".
                if let Err(e) = served_frontend
                    && status.code() == tonic::Code::Cancelled
                {
                    return Err(SolveError::Other(e.to_string()));
                }
                Err(SolveError::Build(status))
            }
        }
    }
}
