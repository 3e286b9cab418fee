//! The gateway transport: one plaintext HTTP/2 connection over the
//! process's standard input and output.
//!
//! BuildKit starts a frontend with a pipe on stdin and stdout and serves the
//! `LLBBridge` service on the far end; the frontend is the gRPC *client*.
//! There is exactly one connection: [`connect`] hands tonic a connector that
//! yields the given byte stream once and refuses any reconnection, because a
//! second stdio stream does not exist. Any duplex stream works, which is how
//! the tests run the whole protocol in memory.

use std::sync::{Arc, Mutex};

use hyper_util::rt::TokioIo;
use tokio::io::{AsyncRead, AsyncWrite};
use tonic::transport::{Channel, Endpoint, Uri};

/// The authority BuildKit's own client dials; it is never resolved.
const AUTHORITY: &str = "http://localhost";

/// Opens the gRPC channel over standard input and output.
pub async fn connect_stdio() -> Result<Channel, tonic::transport::Error> {
    connect(tokio::io::join(tokio::io::stdin(), tokio::io::stdout())).await
}

/// Opens a gRPC channel over an already connected byte stream.
pub async fn connect<IO>(io: IO) -> Result<Channel, tonic::transport::Error>
where
    IO: AsyncRead + AsyncWrite + Send + Unpin + 'static,
{
    let slot = Arc::new(Mutex::new(Some(io)));
    let connector = tower::service_fn(move |_uri: Uri| {
        let taken = slot.lock().ok().and_then(|mut s| s.take());
        async move {
            match taken {
                Some(io) => Ok(TokioIo::new(io)),
                None => Err(std::io::Error::new(
                    std::io::ErrorKind::NotConnected,
                    "the stdio connection to BuildKit is gone and cannot be reopened",
                )),
            }
        }
    });
    Endpoint::from_static(AUTHORITY)
        .connect_with_connector(connector)
        .await
}
