//! A stand-in for a buildkitd: a proxy that, for each connection it
//! accepts (on a unix socket, or a loopback TCP port with optional TLS),
//! opens the Docker engine's `/grpc` endpoint with the HTTP/1.1 upgrade to
//! h2c (what the engine does for buildx) and copies bytes both ways. A
//! client speaking plain gRPC, as to a buildkitd, reaches the engine's
//! BuildKit through it.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};

use tokio::io::{AsyncRead, AsyncReadExt, AsyncWrite, AsyncWriteExt};
use tokio::net::{TcpListener, UnixListener, UnixStream};
use tokio::runtime::Runtime;

/// A running proxy; stops when dropped.
pub struct UpgradeProxy {
    _rt: Runtime,
    connections: Arc<AtomicUsize>,
}

impl UpgradeProxy {
    /// Listens on the unix socket `socket`.
    pub fn unix(socket: &Path, engine: PathBuf) -> UpgradeProxy {
        let (rt, connections) = runtime();
        let listener = {
            let _guard = rt.enter();
            UnixListener::bind(socket).expect("bind the proxy socket")
        };
        let count = connections.clone();
        rt.spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::Relaxed);
                tokio::spawn(pipe(conn, engine.clone()));
            }
        });
        UpgradeProxy {
            _rt: rt,
            connections,
        }
    }

    /// Listens on a loopback TCP port (returned), with TLS when `tls` is
    /// given.
    pub fn tcp(tls: Option<tokio_rustls::TlsAcceptor>, engine: PathBuf) -> (UpgradeProxy, u16) {
        let (rt, connections) = runtime();
        let listener = rt
            .block_on(TcpListener::bind("127.0.0.1:0"))
            .expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let count = connections.clone();
        rt.spawn(async move {
            while let Ok((conn, _)) = listener.accept().await {
                count.fetch_add(1, Ordering::Relaxed);
                let (engine, tls) = (engine.clone(), tls.clone());
                tokio::spawn(async move {
                    match tls {
                        Some(acceptor) => {
                            if let Ok(s) = acceptor.accept(conn).await {
                                pipe(s, engine).await;
                            }
                        }
                        None => pipe(conn, engine).await,
                    }
                });
            }
        });
        let proxy = UpgradeProxy {
            _rt: rt,
            connections,
        };
        (proxy, port)
    }

    /// Connections accepted so far.
    pub fn connections(&self) -> usize {
        self.connections.load(Ordering::Relaxed)
    }
}

fn runtime() -> (Runtime, Arc<AtomicUsize>) {
    let rt = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("a runtime");
    (rt, Arc::new(AtomicUsize::new(0)))
}

/// Opens the engine's control API as an upgraded stream.
async fn upgraded(engine: &Path) -> std::io::Result<UnixStream> {
    let mut s = UnixStream::connect(engine).await?;
    s.write_all(
        b"POST /grpc HTTP/1.1\r\nHost: docker\r\nConnection: Upgrade\r\nUpgrade: h2c\r\n\r\n",
    )
    .await?;
    let mut head = Vec::new();
    let mut byte = [0u8; 1];
    while !head.ends_with(b"\r\n\r\n") {
        if s.read(&mut byte).await? == 0 {
            return Err(std::io::Error::other("engine closed during the upgrade"));
        }
        head.push(byte[0]);
    }
    if !head.starts_with(b"HTTP/1.1 101") {
        return Err(std::io::Error::other(
            String::from_utf8_lossy(&head).into_owned(),
        ));
    }
    Ok(s)
}

async fn pipe<C: AsyncRead + AsyncWrite + Unpin>(mut client: C, engine: PathBuf) {
    match upgraded(&engine).await {
        Ok(mut e) => {
            let _ = tokio::io::copy_bidirectional(&mut client, &mut e).await;
        }
        Err(e) => eprintln!("proxy: {e}"),
    }
}
