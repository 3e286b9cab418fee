//! Exporter outputs: [`FileSendTarget`] hosts `FileSend.DiffCopy`, where
//! the daemon pushes what an exporter produced.
//!
//! Targets are keyed by the exporter's index in the solve request (the
//! `buildkit-attachable-exporter-id` metadata, 0 when absent), as
//! BuildKit's client registers them. A [`SyncTarget::Dir`] receives an
//! `fsutil` transfer (the `local` exporter, see `receive`); a file or
//! standard output receives the raw byte stream of the `tar`, `oci` and
//! `docker` exporters.
//!
//! The two kinds use different message types on the same method, which
//! the generated `FileSend` trait cannot express (it fixes
//! `BytesMessage`), so this type is the tower service itself and picks the
//! decoder per call. Add it to the session server like a generated one.
//!
//! A file is written to a temporary sibling and renamed into place when
//! its stream ends cleanly; a failed or cut stream removes the temporary
//! file. With [`FileSendTarget::deferred`] finished files stay under their
//! temporary names until [`FileSendTarget::commit`], so a build that fails
//! after the export leaves nothing at the output path:
//! [`FileSendTarget::discard`], or dropping the last handle, removes them.

use std::collections::BTreeMap;
use std::convert::Infallible;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use tokio::io::{AsyncWrite, AsyncWriteExt};
use tonic::codegen::{Body, BoxFuture, Context, Poll, Service, StdError, http};
use tonic::server::{Grpc, NamedService};
use tonic::{Request, Response, Status, Streaming};

use super::metadata::KEY_EXPORTER_ID;
use super::receive::{receive_dir, temp_sibling};
use super::send::PacketStream;
use crate::proto::filesync::BytesMessage;
use crate::proto::fsutil::types::Packet;

/// Where one exporter's output goes.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum SyncTarget {
    /// A single file (`tar`, `oci`, `docker` exporters with `dest=`).
    File(PathBuf),
    /// Standard output (`dest=-`).
    Stdout,
    /// A directory the `local` exporter's tree is merged into.
    Dir(PathBuf),
}

/// The gRPC path this service answers.
const DIFF_COPY: &str = "/moby.filesync.v1.FileSend/DiffCopy";

#[derive(Debug, Default)]
struct State {
    /// Finished files waiting for `commit`: (temporary, final).
    pending: Vec<(PathBuf, PathBuf)>,
    /// Files renamed into place.
    done: Vec<PathBuf>,
}

#[derive(Debug)]
struct Inner {
    targets: BTreeMap<usize, SyncTarget>,
    deferred: bool,
    state: Mutex<State>,
}

impl Drop for Inner {
    fn drop(&mut self) {
        if let Ok(state) = self.state.get_mut() {
            for (tmp, _) in state.pending.drain(..) {
                let _ = std::fs::remove_file(tmp);
            }
        }
    }
}

/// The `FileSend` session service. Cheap to clone; clones share state.
#[derive(Debug, Clone)]
pub struct FileSendTarget {
    inner: Arc<Inner>,
}

impl FileSendTarget {
    /// Outputs by exporter index; files are renamed into place as soon as
    /// their stream ends.
    pub fn new(targets: BTreeMap<usize, SyncTarget>) -> Self {
        Self::build(targets, false)
    }

    /// Like [`Self::new`], but finished files wait for [`Self::commit`].
    pub fn deferred(targets: BTreeMap<usize, SyncTarget>) -> Self {
        Self::build(targets, true)
    }

    fn build(targets: BTreeMap<usize, SyncTarget>, deferred: bool) -> Self {
        FileSendTarget {
            inner: Arc::new(Inner {
                targets,
                deferred,
                state: Mutex::default(),
            }),
        }
    }

    /// The tonic service to add to the session server: this type itself
    /// (named like [`super::FileSyncProvider::into_server`] for symmetry).
    /// Keep a clone to call [`Self::commit`] or [`Self::discard`] later.
    pub fn into_server(self) -> Self {
        self
    }

    /// Renames every finished file into place; returns the paths written.
    pub fn commit(&self) -> std::io::Result<Vec<PathBuf>> {
        let mut state = self.lock();
        while let Some((tmp, path)) = state.pending.pop() {
            if let Err(e) = std::fs::rename(&tmp, &path) {
                let _ = std::fs::remove_file(&tmp);
                return Err(e);
            }
            state.done.push(path);
        }
        Ok(state.done.clone())
    }

    /// Removes finished files that were not committed.
    pub fn discard(&self) {
        let mut state = self.lock();
        for (tmp, _) in state.pending.drain(..) {
            let _ = std::fs::remove_file(tmp);
        }
    }

    /// Files renamed into place so far.
    pub fn written(&self) -> Vec<PathBuf> {
        self.lock().done.clone()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, State> {
        self.inner
            .state
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// Receives one raw byte stream into `path`.
    async fn receive_file(
        &self,
        path: PathBuf,
        incoming: Streaming<BytesMessage>,
    ) -> Result<(), Status> {
        // Removes the temporary file on every early exit, including the
        // server dropping this future when the daemon resets the stream.
        let tmp = TempFile(Some(temp_sibling(&path)));
        write_stream(tmp.path(), &path, incoming).await?;
        let Some(tmp) = tmp.keep() else {
            return Err(Status::internal("temporary file lost"));
        };
        if self.inner.deferred {
            self.lock().pending.push((tmp, path));
            return Ok(());
        }
        if let Err(e) = tokio::fs::rename(&tmp, &path).await {
            let _ = tokio::fs::remove_file(&tmp).await;
            return Err(Status::internal(format!("{}: {e}", path.display())));
        }
        self.lock().done.push(path);
        Ok(())
    }
}

/// A temporary file removed when dropped, unless kept.
struct TempFile(Option<PathBuf>);

impl TempFile {
    fn path(&self) -> &Path {
        self.0.as_deref().unwrap_or(Path::new(""))
    }

    fn keep(mut self) -> Option<PathBuf> {
        self.0.take()
    }
}

impl Drop for TempFile {
    fn drop(&mut self) {
        if let Some(p) = self.0.take() {
            let _ = std::fs::remove_file(p);
        }
    }
}

fn io_status(path: &Path, e: std::io::Error) -> Status {
    Status::internal(format!("{}: {e}", path.display()))
}

async fn write_stream(
    tmp: &Path,
    path: &Path,
    incoming: Streaming<BytesMessage>,
) -> Result<(), Status> {
    if let Some(dir) = path.parent().filter(|d| !d.as_os_str().is_empty()) {
        tokio::fs::create_dir_all(dir)
            .await
            .map_err(|e| io_status(dir, e))?;
    }
    let file = tokio::fs::File::create(tmp)
        .await
        .map_err(|e| io_status(path, e))?;
    let mut w = tokio::io::BufWriter::with_capacity(1 << 20, file);
    copy_stream(incoming, &mut w).await?;
    w.flush().await.map_err(|e| io_status(path, e))?;
    w.into_inner()
        .sync_all()
        .await
        .map_err(|e| io_status(path, e))
}

async fn copy_stream<W: AsyncWrite + Unpin>(
    mut incoming: Streaming<BytesMessage>,
    w: &mut W,
) -> Result<(), Status> {
    while let Some(msg) = incoming.message().await? {
        w.write_all(&msg.data)
            .await
            .map_err(|e| Status::internal(e.to_string()))?;
    }
    Ok(())
}

/// The exporter index from the request headers (0 when absent or bad).
fn exporter_id(headers: &http::HeaderMap) -> usize {
    headers
        .get(KEY_EXPORTER_ID)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse::<i64>().ok())
        .and_then(|v| usize::try_from(v).ok())
        .unwrap_or(0)
}

type Empty = std::pin::Pin<
    Box<dyn futures_util::Stream<Item = Result<BytesMessage, Status>> + Send + 'static>,
>;

fn unimplemented_response() -> http::Response<tonic::body::Body> {
    Status::unimplemented("unknown method").into_http()
}

impl<B> Service<http::Request<B>> for FileSendTarget
where
    B: Body + Send + 'static,
    B::Error: Into<StdError> + Send + 'static,
{
    type Response = http::Response<tonic::body::Body>;
    type Error = Infallible;
    type Future = BoxFuture<Self::Response, Self::Error>;

    fn poll_ready(&mut self, _cx: &mut Context<'_>) -> Poll<Result<(), Self::Error>> {
        Poll::Ready(Ok(()))
    }

    fn call(&mut self, req: http::Request<B>) -> Self::Future {
        if req.uri().path() != DIFF_COPY {
            return Box::pin(async { Ok(unimplemented_response()) });
        }
        let id = exporter_id(req.headers());
        let this = self.clone();
        match self.inner.targets.get(&id).cloned() {
            Some(SyncTarget::Dir(dir)) => Box::pin(async move {
                let codec = tonic_prost::ProstCodec::<Packet, Packet>::default();
                let svc = tower::service_fn(move |r: Request<Streaming<Packet>>| {
                    let dir = dir.clone();
                    async move { Ok::<Response<PacketStream>, Status>(receive_dir(dir, r.into_inner())) }
                });
                Ok(Grpc::new(codec).streaming(svc, req).await)
            }),
            target => Box::pin(async move {
                let codec = tonic_prost::ProstCodec::<BytesMessage, BytesMessage>::default();
                let svc = tower::service_fn(move |r: Request<Streaming<BytesMessage>>| {
                    let (this, target) = (this.clone(), target.clone());
                    async move {
                        let incoming = r.into_inner();
                        match target {
                            Some(SyncTarget::File(path)) => {
                                this.receive_file(path, incoming).await?
                            }
                            Some(SyncTarget::Stdout) => {
                                let mut out = tokio::io::stdout();
                                copy_stream(incoming, &mut out).await?;
                                out.flush()
                                    .await
                                    .map_err(|e| Status::internal(e.to_string()))?;
                            }
                            _ => return Err(Status::not_found(format!("exporter {id} not found"))),
                        }
                        let empty: Empty = Box::pin(futures_util::stream::empty());
                        Ok(Response::new(empty))
                    }
                });
                Ok(Grpc::new(codec).streaming(svc, req).await)
            }),
        }
    }
}

impl NamedService for FileSendTarget {
    const NAME: &'static str = "moby.filesync.v1.FileSend";
}
