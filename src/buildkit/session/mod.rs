//! The session: a gRPC server hosted by the client and reached by the
//! daemon through a tunnel (`Control.Session`, or the engine's `/session`
//! upgrade; see [`super::transport::session_tunnel`]).
//!
//! A build names its session by ID in the solve request; whenever the
//! daemon needs something only the client has, it calls the session:
//! local directories ([`filesync`]), secrets ([`secrets`]), an SSH agent
//! ([`ssh`]), registry credentials ([`auth`]), or a place for exporter
//! output ([`filesync`] again, the `FileSend` direction). The daemon learns
//! which methods exist from the headers that open the tunnel, and checks
//! the session's health every few seconds through `grpc.health.v1`.

pub mod auth;
pub mod content;
pub mod filesync;
pub mod secrets;
pub mod ssh;

use std::convert::Infallible;
use std::pin::Pin;
use std::task::{Context, Poll};

use futures_util::StreamExt as _;
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tonic::body::Body;
use tonic::server::NamedService;
use tonic::service::Routes;
use tonic::transport::server::Connected;

use super::transport::BoxIo;
use crate::proto::health::health_server::{Health, HealthServer};
use crate::proto::health::{
    HealthCheckRequest, HealthCheckResponse, HealthListRequest, HealthListResponse,
    health_check_response::ServingStatus,
};

/// Header announcing the session's ID.
const HEADER_ID: &str = "X-Docker-Expose-Session-Uuid";
/// Header with a human-readable session name.
const HEADER_NAME: &str = "X-Docker-Expose-Session-Name";
/// Header with the key that lets builds share a session's caches.
const HEADER_SHARED_KEY: &str = "X-Docker-Expose-Session-Sharedkey";
/// Header naming one method the session serves; repeated.
const HEADER_METHOD: &str = "X-Docker-Expose-Session-Grpc-Method";

/// A random identifier in BuildKit's style: 25 lowercase base-32 digits.
pub fn new_id() -> String {
    let mut bytes = [0u8; 16];
    let filled = std::fs::File::open("/dev/urandom")
        .and_then(|mut f| std::io::Read::read_exact(&mut f, &mut bytes));
    if filled.is_err() {
        // No urandom (very unusual): time and pid still make IDs unique per
        // process and call.
        let t = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos());
        bytes = (t ^ (u128::from(std::process::id()) << 64)).to_le_bytes();
    }
    let mut n = u128::from_le_bytes(bytes);
    const DIGITS: &[u8] = b"abcdefghijklmnopqrstuvwxyz234567";
    (0..25)
        .map(|_| {
            let d = DIGITS[(n % 32) as usize] as char;
            n /= 32;
            d
        })
        .collect()
}

/// The services a session offers, collected before it is opened.
pub struct Session {
    /// The session's ID, named in the solve request.
    pub id: String,
    /// A key shared by sessions of the same client and context, so the
    /// daemon can reuse what it synced before.
    pub shared_key: String,
    /// The session's name as the daemon shows it.
    pub name: String,
    routes: Routes,
    methods: Vec<String>,
}

impl Session {
    /// A session with only the health service.
    pub fn new(name: &str, shared_key: &str) -> Session {
        let mut s = Session {
            id: new_id(),
            shared_key: shared_key.to_owned(),
            name: name.to_owned(),
            routes: Routes::default(),
            methods: Vec::new(),
        };
        s.add(HealthServer::new(Healthy), &["Check", "List", "Watch"]);
        s
    }

    /// Offers a service; `methods` are its RPC names as the `.proto` spells
    /// them (the daemon only calls what is announced).
    pub fn add<S>(&mut self, service: S, methods: &[&str])
    where
        S: tower::Service<http::Request<Body>, Response = http::Response<Body>, Error = Infallible>
            + NamedService
            + Clone
            + Send
            + Sync
            + 'static,
        S::Future: Send + 'static,
    {
        for m in methods {
            self.methods.push(format!("/{}/{m}", S::NAME));
        }
        let routes = std::mem::take(&mut self.routes);
        self.routes = routes.add_service(service);
    }

    /// The headers that open the tunnel, in order.
    pub fn headers(&self) -> Vec<(String, String)> {
        let mut h = vec![
            (HEADER_ID.to_owned(), self.id.clone()),
            (HEADER_NAME.to_owned(), self.name.clone()),
            (HEADER_SHARED_KEY.to_owned(), self.shared_key.clone()),
        ];
        h.extend(
            self.methods
                .iter()
                .map(|m| (HEADER_METHOD.to_owned(), m.clone())),
        );
        h
    }

    /// Serves the session on an open tunnel until `stop` resolves or the
    /// daemon goes away.
    pub async fn serve(
        self,
        tunnel: BoxIo,
        stop: impl std::future::Future<Output = ()> + Send,
    ) -> Result<(), String> {
        let once = futures_util::stream::iter([Ok::<_, std::io::Error>(Tunnel(tunnel))]);
        // The incoming stream must not end: the server would stop serving.
        let incoming = once.chain(futures_util::stream::pending());
        tonic::transport::Server::builder()
            .add_routes(self.routes)
            .serve_with_incoming_shutdown(incoming, stop)
            .await
            .map_err(|e| format!("session: {e}"))
    }
}

/// The tunnel as a server connection.
struct Tunnel(BoxIo);

impl Connected for Tunnel {
    type ConnectInfo = ();
    fn connect_info(&self) {}
}

impl AsyncRead for Tunnel {
    fn poll_read(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &mut ReadBuf<'_>,
    ) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_read(cx, buf)
    }
}

impl AsyncWrite for Tunnel {
    fn poll_write(
        mut self: Pin<&mut Self>,
        cx: &mut Context<'_>,
        buf: &[u8],
    ) -> Poll<std::io::Result<usize>> {
        Pin::new(&mut self.0).poll_write(cx, buf)
    }
    fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_flush(cx)
    }
    fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
        Pin::new(&mut self.0).poll_shutdown(cx)
    }
}

/// The health service: the session is healthy while it is served.
#[derive(Clone, Copy)]
struct Healthy;

#[tonic::async_trait]
impl Health for Healthy {
    async fn check(
        &self,
        _: tonic::Request<HealthCheckRequest>,
    ) -> Result<tonic::Response<HealthCheckResponse>, tonic::Status> {
        Ok(tonic::Response::new(HealthCheckResponse {
            status: ServingStatus::Serving as i32,
        }))
    }

    async fn list(
        &self,
        _: tonic::Request<HealthListRequest>,
    ) -> Result<tonic::Response<HealthListResponse>, tonic::Status> {
        Ok(tonic::Response::new(HealthListResponse::default()))
    }

    type WatchStream = futures_util::stream::Empty<Result<HealthCheckResponse, tonic::Status>>;

    async fn watch(
        &self,
        _: tonic::Request<HealthCheckRequest>,
    ) -> Result<tonic::Response<Self::WatchStream>, tonic::Status> {
        Err(tonic::Status::unimplemented("watch is not served"))
    }
}
