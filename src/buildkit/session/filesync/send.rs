//! The sending side: [`FileSyncProvider`] serves named local directories
//! to the daemon through `FileSync.DiffCopy`.
//!
//! One call runs three parts at once: a blocking walk that sends the
//! listing as it goes, four blocking workers that read requested files in
//! 32 KiB chunks (as fsutil does), and the loop reading the daemon's
//! packets. Packets leave through one bounded channel, so a slow daemon
//! slows the walk instead of filling memory.

use std::collections::{BTreeMap, HashMap};
use std::io::{self, Read};
use std::path::PathBuf;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, mpsc as std_mpsc};

use futures_util::Stream;
use tokio::sync::mpsc;
use tonic::{Request, Response, Status, Streaming};

use super::metadata::KEY_INCLUDE_PATTERNS;
use super::metadata::{self, KEY_DIR_NAME, KEY_EXCLUDE_PATTERNS, KEY_FOLLOW_PATHS};
use super::stat::can_request_data;
use super::walk::{Filter, WalkRequest, walk};
use crate::proto::filesync::file_sync_server::{FileSync, FileSyncServer};
use crate::proto::fsutil::types::{Packet, packet::PacketType};

/// A stream of packets going back to the daemon.
pub type PacketStream = Pin<Box<dyn Stream<Item = Result<Packet, Status>> + Send + 'static>>;

/// Size of one `DATA` chunk.
const CHUNK: usize = 32 * 1024;
/// Files read at the same time.
const WORKERS: usize = 4;
/// Packets queued towards the daemon.
const QUEUE: usize = 128;

/// Serves local directories by name (`"context"`, `"dockerfile"`, or a
/// named build context).
#[derive(Debug, Clone)]
pub struct FileSyncProvider {
    dirs: Arc<BTreeMap<String, PathBuf>>,
}

impl FileSyncProvider {
    /// Serves each directory under its name.
    pub fn new(dirs: BTreeMap<String, PathBuf>) -> Self {
        FileSyncProvider {
            dirs: Arc::new(dirs),
        }
    }

    /// The tonic service to add to the session server.
    pub fn into_server(self) -> FileSyncServer<Self> {
        FileSyncServer::new(self)
    }
}

/// A packet of the given type.
pub(crate) fn packet(ty: PacketType) -> Packet {
    Packet {
        r#type: ty as i32,
        ..Packet::default()
    }
}

/// An `ERR` packet carrying `msg`.
pub(crate) fn err_packet(msg: &str) -> Packet {
    Packet {
        data: msg.as_bytes().to_vec(),
        ..packet(PacketType::PacketErr)
    }
}

/// The response stream reading from `rx`.
pub(crate) fn channel_stream(mut rx: mpsc::Receiver<Result<Packet, Status>>) -> PacketStream {
    Box::pin(futures_util::stream::poll_fn(move |cx| rx.poll_recv(cx)))
}

#[tonic::async_trait]
impl FileSync for FileSyncProvider {
    type DiffCopyStream = PacketStream;
    type TarStreamStream = PacketStream;

    async fn diff_copy(
        &self,
        request: Request<Streaming<Packet>>,
    ) -> Result<Response<Self::DiffCopyStream>, Status> {
        let opts = metadata::decode(request.metadata());
        let name = opts
            .get(KEY_DIR_NAME)
            .and_then(|v| v.first())
            .cloned()
            .unwrap_or_default();
        let Some(dir) = self.dirs.get(&name) else {
            return Err(Status::not_found(format!(
                "no access allowed to dir {name:?}"
            )));
        };
        let root = std::fs::canonicalize(dir)
            .map_err(|e| Status::not_found(format!("resolve {}: {e}", dir.display())))?;
        if !root.is_dir() {
            return Err(Status::failed_precondition(format!(
                "{}: not a directory",
                root.display()
            )));
        }
        let req = WalkRequest {
            include_patterns: opts.get(KEY_INCLUDE_PATTERNS).cloned(),
            exclude_patterns: opts.get(KEY_EXCLUDE_PATTERNS).cloned(),
            follow_paths: opts.get(KEY_FOLLOW_PATHS).cloned(),
        };
        let filter = tokio::task::spawn_blocking({
            let root = root.clone();
            move || Filter::new(&root, &req)
        })
        .await
        .map_err(|e| Status::internal(e.to_string()))?
        .map_err(|e| Status::invalid_argument(e.to_string()))?;
        let (tx, rx) = mpsc::channel(QUEUE);
        tokio::spawn(run(root, filter, request.into_inner(), tx));
        Ok(Response::new(channel_stream(rx)))
    }

    async fn tar_stream(
        &self,
        _request: Request<Streaming<Packet>>,
    ) -> Result<Response<Self::TarStreamStream>, Status> {
        Err(Status::unimplemented("only DiffCopy is supported"))
    }
}

type Tx = mpsc::Sender<Result<Packet, Status>>;

/// Sends `ERR` and ends the response with the same message, once.
fn fail(tx: &Tx, stop: &AtomicBool, msg: String) {
    if stop.swap(true, Ordering::SeqCst) {
        return;
    }
    let tx = tx.clone();
    tokio::spawn(async move {
        if tx.send(Ok(err_packet(&msg))).await.is_ok() {
            let _ = tx.send(Err(Status::unknown(msg))).await;
        }
    });
}

/// Runs one transfer.
async fn run(root: PathBuf, filter: Filter, mut incoming: Streaming<Packet>, tx: Tx) {
    let files: Arc<Mutex<HashMap<u32, PathBuf>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let handle = tokio::runtime::Handle::current();

    // The walk.
    {
        let (files, stop, tx, handle) = (files.clone(), stop.clone(), tx.clone(), handle.clone());
        tokio::task::spawn_blocking(move || {
            let mut id: u32 = 0;
            let res = walk(&root, &filter, &mut |stat, full| {
                if stop.load(Ordering::SeqCst) {
                    return Err(io::Error::other("transfer stopped"));
                }
                if can_request_data(stat.mode) {
                    files
                        .lock()
                        .map_err(|_| io::Error::other("poisoned"))?
                        .insert(id, full);
                }
                id = id.wrapping_add(1);
                let p = Packet {
                    stat: Some(stat),
                    ..packet(PacketType::PacketStat)
                };
                tx.blocking_send(Ok(p))
                    .map_err(|_| io::Error::other("receiver gone"))
            });
            match res {
                Ok(()) => {
                    let _ = tx.blocking_send(Ok(packet(PacketType::PacketStat)));
                }
                Err(e) => {
                    let _guard = handle.enter();
                    fail(&tx, &stop, e.to_string());
                }
            }
        });
    }

    // The file readers.
    let (job_tx, job_rx) = std_mpsc::channel::<(u32, PathBuf)>();
    let job_rx = Arc::new(Mutex::new(job_rx));
    for _ in 0..WORKERS {
        let (job_rx, stop, tx, handle) = (job_rx.clone(), stop.clone(), tx.clone(), handle.clone());
        tokio::task::spawn_blocking(move || {
            loop {
                let job = match job_rx.lock() {
                    Ok(rx) => rx.recv(),
                    Err(_) => return,
                };
                let Ok((id, path)) = job else { return };
                if let Err(msg) = send_file(id, &path, &tx, &stop) {
                    let _guard = handle.enter();
                    fail(&tx, &stop, msg);
                    return;
                }
            }
        });
    }

    // The daemon's packets.
    loop {
        let p = match incoming.message().await {
            Ok(Some(p)) => p,
            Ok(None) => {
                fail(&tx, &stop, "receiver closed the stream before FIN".into());
                return;
            }
            Err(status) => {
                stop.store(true, Ordering::SeqCst);
                let _ = tx.send(Err(status)).await;
                return;
            }
        };
        match PacketType::try_from(p.r#type) {
            Ok(PacketType::PacketErr) => {
                let msg = String::from_utf8_lossy(&p.data);
                fail(&tx, &stop, format!("error from receiver: {msg}"));
                return;
            }
            Ok(PacketType::PacketReq) => {
                let path = files.lock().ok().and_then(|mut f| f.remove(&p.id));
                let Some(path) = path else {
                    fail(&tx, &stop, format!("invalid file id {}", p.id));
                    return;
                };
                if job_tx.send((p.id, path)).is_err() {
                    return;
                }
            }
            Ok(PacketType::PacketFin) => {
                stop.store(true, Ordering::SeqCst);
                let _ = tx.send(Ok(packet(PacketType::PacketFin))).await;
                return;
            }
            _ => {}
        }
    }
}

/// Streams one file as `DATA` packets ending with an empty one. A file
/// that vanished or cannot be opened as a file (a socket) is sent empty,
/// as fsutil does; other errors fail the transfer.
fn send_file(id: u32, path: &PathBuf, tx: &Tx, stop: &AtomicBool) -> Result<(), String> {
    let data = |data: Vec<u8>| Packet {
        id,
        data,
        ..packet(PacketType::PacketData)
    };
    match std::fs::File::open(path) {
        Ok(mut f) => loop {
            if stop.load(Ordering::SeqCst) {
                return Ok(());
            }
            let mut buf = vec![0u8; CHUNK];
            let n = match f.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => continue,
                Err(e) => return Err(format!("read {}: {e}", path.display())),
            };
            buf.truncate(n);
            if tx.blocking_send(Ok(data(buf))).is_err() {
                return Ok(());
            }
        },
        // ENXIO: a socket.
        Err(e) if e.kind() == io::ErrorKind::NotFound || e.raw_os_error() == Some(6) => {}
        Err(e) => return Err(format!("open {}: {e}", path.display())),
    }
    let _ = tx.blocking_send(Ok(data(Vec::new())));
    Ok(())
}
