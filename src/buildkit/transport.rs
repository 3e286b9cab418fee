//! Connections to the daemon: the control channel and the session tunnel.
//!
//! - **buildkitd** (`unix://`, `tcp://`): the control API is plain gRPC
//!   (TLS over TCP when configured); the session tunnel is the bidirectional
//!   `Control.Session` stream of raw bytes, opened with the session's
//!   headers as gRPC metadata.
//! - **Docker engine** (`docker+…`): every connection starts as HTTP/1.1
//!   and is upgraded to h2c: `POST /grpc` for the control API, `POST
//!   /session` (with the session's headers) for the tunnel. The upgraded
//!   stream then carries HTTP/2 like any other.
//!
//! In both cases the session tunnel is a byte stream on which the *daemon*
//! is the HTTP/2 client and slipway serves ([`super::session`]).

use std::path::PathBuf;

use bytes::Bytes;
use http_body_util::Empty;
use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpStream, UnixStream};
use tonic::transport::{
    Certificate, Channel, ClientTlsConfig, Endpoint as TonicEndpoint, Identity,
};

use super::addr::{Address, Endpoint};
use crate::proto::ControlClient;
use crate::proto::control::BytesMessage;

/// A bidirectional byte stream to the daemon.
pub trait Io: AsyncRead + AsyncWrite + Send + Unpin {}
impl<T: AsyncRead + AsyncWrite + Send + Unpin> Io for T {}

/// A boxed [`Io`].
pub type BoxIo = Box<dyn Io>;

/// TLS settings for `tcp://` buildkitd addresses.
#[derive(Clone, Debug, Default)]
pub struct TlsFiles {
    /// CA certificate that signed the daemon's certificate.
    pub ca: Option<PathBuf>,
    /// Client certificate.
    pub cert: Option<PathBuf>,
    /// Client key.
    pub key: Option<PathBuf>,
    /// The name the daemon's certificate is checked against (default: the
    /// address's host).
    pub server_name: Option<String>,
}

impl TlsFiles {
    /// Whether any TLS option was given.
    pub fn enabled(&self) -> bool {
        self.ca.is_some() || self.cert.is_some() || self.key.is_some()
    }
}

/// Why a connection could not be made.
#[derive(Debug, thiserror::Error)]
pub enum ConnectError {
    #[error("cannot connect to {addr}: {source}")]
    Io {
        addr: String,
        #[source]
        source: std::io::Error,
    },
    #[error("{addr}: {message}")]
    Protocol { addr: String, message: String },
}

/// The authority used for every request; never resolved.
const AUTHORITY: &str = "http://buildkitd";

/// Largest gRPC message either side sends (BuildKit's client allows as
/// much for definitions and status).
pub const MAX_MESSAGE: usize = 64 << 20;

/// Opens the control API channel.
pub async fn control_channel(addr: &Address, tls: &TlsFiles) -> Result<Channel, ConnectError> {
    let shown = addr.to_string();
    let err = |message: String| ConnectError::Protocol {
        addr: shown.clone(),
        message,
    };
    if addr.docker {
        if tls.enabled() {
            return Err(err(
                "TLS options apply to tcp:// buildkitd addresses only".into()
            ));
        }
        // Fail early, with the socket's own error, when nothing listens.
        let probe = open(addr).await?;
        drop(probe);
        let addr = addr.clone();
        let connector = tower::service_fn(move |_| {
            let addr = addr.clone();
            async move {
                let io = open(&addr).await.map_err(std::io::Error::other)?;
                let io = upgrade(io, "/grpc", &[])
                    .await
                    .map_err(std::io::Error::other)?;
                Ok::<_, std::io::Error>(TokioIo::new(io))
            }
        });
        return TonicEndpoint::from_static(AUTHORITY)
            .connect_with_connector(connector)
            .await
            .map_err(|e| err(transport_error(&e)));
    }
    match &addr.endpoint {
        Endpoint::Unix(path) => {
            let path = path.clone();
            let probe = UnixStream::connect(&path)
                .await
                .map_err(|source| ConnectError::Io {
                    addr: shown.clone(),
                    source,
                })?;
            drop(probe);
            if tls.enabled() {
                return Err(err("TLS options apply to tcp:// addresses only".into()));
            }
            let connector = tower::service_fn(move |_| {
                let path = path.clone();
                async move { UnixStream::connect(path).await.map(TokioIo::new) }
            });
            TonicEndpoint::from_static(AUTHORITY)
                .connect_with_connector(connector)
                .await
                .map_err(|e| err(transport_error(&e)))
        }
        Endpoint::Tcp(host) => {
            let scheme = if tls.enabled() { "https" } else { "http" };
            let mut endpoint = TonicEndpoint::from_shared(format!("{scheme}://{host}"))
                .map_err(|e| err(e.to_string()))?;
            if tls.enabled() {
                endpoint = endpoint
                    .tls_config(tls_config(tls, host).map_err(&err)?)
                    .map_err(|e| err(e.to_string()))?;
            }
            endpoint
                .connect()
                .await
                .map_err(|e| err(transport_error(&e)))
        }
    }
}

fn tls_config(tls: &TlsFiles, host: &str) -> Result<ClientTlsConfig, String> {
    let read = |p: &PathBuf| std::fs::read(p).map_err(|e| format!("{}: {e}", p.display()));
    let mut config = ClientTlsConfig::new();
    if let Some(ca) = &tls.ca {
        config = config.ca_certificate(Certificate::from_pem(read(ca)?));
    }
    match (&tls.cert, &tls.key) {
        (Some(c), Some(k)) => config = config.identity(Identity::from_pem(read(c)?, read(k)?)),
        (None, None) => {}
        _ => return Err("--tls-cert and --tls-key go together".into()),
    }
    let name = match &tls.server_name {
        Some(n) => n.clone(),
        None => host.rsplit_once(':').map_or(host, |(h, _)| h).to_owned(),
    };
    Ok(config.domain_name(name))
}

/// tonic's transport errors hide the cause in their source chain.
fn transport_error(e: &dyn std::error::Error) -> String {
    let mut msg = e.to_string();
    let mut cur = e.source();
    while let Some(s) = cur {
        let text = s.to_string();
        if !msg.contains(&text) {
            msg = format!("{msg}: {text}");
        }
        cur = s.source();
    }
    msg
}

/// Opens a raw stream to the daemon's endpoint.
async fn open(addr: &Address) -> Result<BoxIo, ConnectError> {
    let io_err = |source| ConnectError::Io {
        addr: addr.to_string(),
        source,
    };
    Ok(match &addr.endpoint {
        Endpoint::Unix(p) => Box::new(UnixStream::connect(p).await.map_err(io_err)?),
        Endpoint::Tcp(h) => {
            let s = TcpStream::connect(h).await.map_err(io_err)?;
            s.set_nodelay(true).map_err(io_err)?;
            Box::new(s)
        }
    })
}

/// Upgrades an HTTP/1.1 connection to h2c at `path`, as the Docker
/// engine's `/grpc` and `/session` endpoints expect.
async fn upgrade(io: BoxIo, path: &str, headers: &[(String, String)]) -> Result<BoxIo, String> {
    let (mut sender, conn) = hyper::client::conn::http1::handshake(TokioIo::new(io))
        .await
        .map_err(|e| format!("HTTP handshake: {e}"))?;
    tokio::spawn(conn.with_upgrades());
    let mut req = http::Request::post(path)
        .header(http::header::HOST, "docker")
        .header(http::header::CONNECTION, "Upgrade")
        .header(http::header::UPGRADE, "h2c");
    for (k, v) in headers {
        req = req.header(k.as_str(), v.as_str());
    }
    let req = req
        .body(Empty::<Bytes>::new())
        .map_err(|e| format!("building the upgrade request: {e}"))?;
    let res = sender
        .send_request(req)
        .await
        .map_err(|e| format!("POST {path}: {e}"))?;
    if res.status() != http::StatusCode::SWITCHING_PROTOCOLS {
        return Err(format!(
            "POST {path}: the engine answered {} instead of upgrading to h2c \
             (is this a Docker engine with BuildKit enabled?)",
            res.status()
        ));
    }
    let upgraded = hyper::upgrade::on(res)
        .await
        .map_err(|e| format!("upgrading {path}: {e}"))?;
    Ok(Box::new(TokioIo::new(upgraded)))
}

/// Opens the session tunnel, announcing the session with `headers`
/// (canonical HTTP header names; several values repeat the name).
pub async fn session_tunnel(
    addr: &Address,
    control: &ControlClient<Channel>,
    headers: &[(String, String)],
) -> Result<BoxIo, ConnectError> {
    let err = |message: String| ConnectError::Protocol {
        addr: addr.to_string(),
        message,
    };
    if addr.docker {
        let io = open(addr).await?;
        return upgrade(io, "/session", headers).await.map_err(err);
    }
    let (to_daemon, rx) = tokio::sync::mpsc::channel::<BytesMessage>(16);
    let mut request = tonic::Request::new(tokio_stream::wrappers::ReceiverStream::new(rx));
    for (k, v) in headers {
        let key = tonic::metadata::MetadataKey::from_bytes(k.to_ascii_lowercase().as_bytes())
            .map_err(|e| err(e.to_string()))?;
        let value = v
            .parse()
            .map_err(|_| err(format!("bad header value {v:?}")))?;
        request.metadata_mut().append(key, value);
    }
    let mut client = control.clone();
    let inbound = client
        .session(request)
        .await
        .map_err(|s| err(format!("opening the session: {}", s.message())))?
        .into_inner();
    Ok(Box::new(pump(to_daemon, inbound)))
}

/// Carries a byte stream in the `BytesMessage`s of a gRPC stream: returns
/// the local end of a pipe whose far end two tasks pump to and from the
/// daemon.
fn pump(
    to_daemon: tokio::sync::mpsc::Sender<BytesMessage>,
    mut inbound: tonic::Streaming<BytesMessage>,
) -> tokio::io::DuplexStream {
    let (local, remote) = tokio::io::duplex(256 << 10);
    let (mut rd, mut wr) = tokio::io::split(remote);
    tokio::spawn(async move {
        let mut buf = vec![0u8; 32 << 10];
        loop {
            match rd.read(&mut buf).await {
                Ok(0) | Err(_) => break,
                Ok(n) => {
                    let msg = BytesMessage {
                        data: buf[..n].to_vec(),
                    };
                    if to_daemon.send(msg).await.is_err() {
                        break;
                    }
                }
            }
        }
    });
    tokio::spawn(async move {
        while let Ok(Some(msg)) = inbound.message().await {
            if wr.write_all(&msg.data).await.is_err() {
                break;
            }
        }
        let _ = wr.shutdown().await;
    });
    local
}
