//! Client-side content stores, served to the daemon as containerd's
//! `Content` service: how `--cache-to type=local` and `--cache-from
//! type=local` reach a directory on the client.
//!
//! BuildKit's client keys each store `local:<dir>` (the `dest` or `src`
//! attribute exactly as given) and the daemon, resolving the same
//! attribute, names the store it means in the `buildkit-attachable-store-id`
//! header of every call. [`ContentStores`] holds the stores and serves them
//! ([`store::LocalStore`] is one directory); [`cache`] reads and updates the
//! stores' `index.json` before and after the solve, as BuildKit's client
//! does.
//!
//! The calls follow containerd's content server: `Write` answers each
//! message in turn and ends with a verified commit, `Read` streams the
//! requested range in 1 MiB pieces, and a store without a label database
//! (BuildKit's client uses none) refuses `Update`.

pub mod cache;
pub mod store;

#[cfg(test)]
mod tests;

use std::collections::BTreeMap;
use std::io::{Read as _, Seek as _, SeekFrom};
use std::sync::Arc;

use tokio::sync::mpsc;
use tokio_stream::wrappers::ReceiverStream;
use tonic::metadata::MetadataMap;
use tonic::{Request, Response, Status, Streaming};

use self::store::{BlobInfo, Digest, IngestStatus, LocalStore, StoreError, Writer, shown};
use crate::buildkit::transport::MAX_MESSAGE;
use crate::proto::content::content_server::{Content, ContentServer};
use crate::proto::content::{
    AbortRequest, DeleteContentRequest, Info, InfoRequest, InfoResponse, ListContentRequest,
    ListContentResponse, ListStatusesRequest, ListStatusesResponse, ReadContentRequest,
    ReadContentResponse, StatusRequest, StatusResponse, UpdateRequest, UpdateResponse, WriteAction,
    WriteContentRequest, WriteContentResponse,
};

/// The request header naming the store a call is for.
pub const STORE_ID_HEADER: &str = "buildkit-attachable-store-id";

/// Largest piece of a blob sent in one `Read` message.
const READ_CHUNK: usize = 1 << 20;

/// Infos per `List` message, as containerd batches them.
const LIST_BATCH: usize = 100;

/// The stores of one session, by ID.
#[derive(Clone, Debug, Default)]
pub struct ContentStores {
    stores: BTreeMap<String, Arc<LocalStore>>,
}

impl ContentStores {
    /// The RPC names to announce for the session.
    pub const METHODS: &[&str] = &[
        "Info",
        "Update",
        "List",
        "Delete",
        "Read",
        "Status",
        "ListStatuses",
        "Write",
        "Abort",
    ];

    /// No stores yet.
    pub fn new() -> ContentStores {
        ContentStores::default()
    }

    /// Adds the store at `dir` (created if missing) and returns its ID,
    /// `local:<dir>`. `dir` must be the cache entry's attribute verbatim:
    /// the daemon derives the same ID from it.
    pub fn add_local(&mut self, dir: &str) -> Result<String, String> {
        let id = format!("local:{dir}");
        if !self.stores.contains_key(&id) {
            let store = LocalStore::open(std::path::Path::new(dir)).map_err(|e| e.to_string())?;
            self.stores.insert(id.clone(), Arc::new(store));
        }
        Ok(id)
    }

    /// Adds an OCI layout at `dir` as the store `oci:<name>` (how the
    /// daemon reaches an `oci-layout://` named context). The layout must
    /// exist.
    pub fn add_layout(&mut self, name: &str, dir: &std::path::Path) -> Result<String, String> {
        if !dir.join("index.json").is_file() {
            return Err(format!(
                "{}: not an OCI layout (no index.json)",
                dir.display()
            ));
        }
        let id = format!("oci:{name}");
        let store = LocalStore::open(dir).map_err(|e| e.to_string())?;
        self.stores.insert(id.clone(), Arc::new(store));
        Ok(id)
    }

    /// Whether there is nothing to serve.
    pub fn is_empty(&self) -> bool {
        self.stores.is_empty()
    }

    /// The stores as a tonic service for the session server.
    pub fn into_server(self) -> ContentServer<ContentService> {
        ContentServer::new(ContentService {
            stores: Arc::new(self.stores),
        })
        .max_decoding_message_size(MAX_MESSAGE)
        .max_encoding_message_size(MAX_MESSAGE)
    }
}

/// The `Content` service over a fixed set of stores.
#[derive(Clone, Debug)]
pub struct ContentService {
    stores: Arc<BTreeMap<String, Arc<LocalStore>>>,
}

impl ContentService {
    /// The store a call names in its metadata.
    fn choose(&self, md: &MetadataMap) -> Result<Arc<LocalStore>, Status> {
        let value = md.get(STORE_ID_HEADER).ok_or_else(|| {
            Status::invalid_argument(format!("request lacks metadata {STORE_ID_HEADER:?}"))
        })?;
        let id = value
            .to_str()
            .map_err(|_| Status::invalid_argument(format!("{STORE_ID_HEADER} is not text")))?;
        self.stores
            .get(id)
            .cloned()
            .ok_or_else(|| Status::not_found(format!("unknown store {}", shown(id))))
    }
}

/// The gRPC status containerd's server answers a store error with.
pub fn to_status(e: StoreError) -> Status {
    match e {
        StoreError::NotFound(m) => Status::not_found(m),
        StoreError::AlreadyExists(m) => Status::already_exists(m),
        StoreError::InvalidArgument(m) => Status::invalid_argument(m),
        StoreError::FailedPrecondition(m) => Status::failed_precondition(m),
        StoreError::Unavailable(m) => Status::unavailable(m),
        StoreError::OutOfRange(m) => Status::out_of_range(m),
        StoreError::Io(m) => Status::unknown(m),
    }
}

/// Runs file I/O off the async threads.
async fn blocking<T: Send + 'static>(f: impl FnOnce() -> T + Send + 'static) -> Result<T, Status> {
    tokio::task::spawn_blocking(f)
        .await
        .map_err(|e| Status::internal(format!("content store task failed: {e}")))
}

fn info_message(info: &BlobInfo) -> Info {
    Info {
        digest: info.digest.to_string(),
        size: i64::try_from(info.size).unwrap_or(i64::MAX),
        created_at: Some(info.created.into()),
        updated_at: Some(info.updated.into()),
        labels: BTreeMap::new(),
    }
}

fn status_message(s: &IngestStatus) -> crate::proto::content::Status {
    crate::proto::content::Status {
        started_at: Some(s.started.into()),
        updated_at: Some(s.updated.into()),
        r#ref: s.reference.clone(),
        offset: i64::try_from(s.offset).unwrap_or(i64::MAX),
        total: s.total,
        expected: String::new(),
    }
}

/// Whether an item passes containerd-style filters: any filter may match,
/// and a filter is comma-separated `field==value` / `field!=value` clauses
/// that must all hold. Other operators are refused.
fn matches(filters: &[String], field: impl Fn(&str) -> Option<String>) -> Result<bool, Status> {
    if filters.iter().all(|f| f.trim().is_empty()) {
        return Ok(true);
    }
    for filter in filters {
        let mut all = true;
        for clause in filter.split(',') {
            let (name, want, equal) = if let Some((n, v)) = clause.split_once("==") {
                (n, v, true)
            } else if let Some((n, v)) = clause.split_once("!=") {
                (n, v, false)
            } else {
                return Err(Status::invalid_argument(format!(
                    "unsupported filter {}: use field==value or field!=value",
                    shown(filter)
                )));
            };
            let want = want.trim().trim_matches('"');
            let have = field(name.trim());
            if (have.as_deref() == Some(want)) != equal {
                all = false;
            }
        }
        if all {
            return Ok(true);
        }
    }
    Ok(false)
}

type ReadStream = ReceiverStream<Result<ReadContentResponse, Status>>;
type WriteStream = ReceiverStream<Result<WriteContentResponse, Status>>;

#[tonic::async_trait]
impl Content for ContentService {
    async fn info(&self, request: Request<InfoRequest>) -> Result<Response<InfoResponse>, Status> {
        let store = self.choose(request.metadata())?;
        let digest = Digest::parse(&request.get_ref().digest).map_err(to_status)?;
        let info = blocking(move || store.info(&digest))
            .await?
            .map_err(to_status)?;
        Ok(Response::new(InfoResponse {
            info: Some(info_message(&info)),
        }))
    }

    async fn update(
        &self,
        request: Request<UpdateRequest>,
    ) -> Result<Response<UpdateResponse>, Status> {
        self.choose(request.metadata())?;
        let digest = request
            .get_ref()
            .info
            .as_ref()
            .map_or("", |i| i.digest.as_str());
        Digest::parse(digest).map_err(to_status)?;
        Err(Status::failed_precondition(
            "update not supported on immutable content store",
        ))
    }

    type ListStream = tokio_stream::Iter<std::vec::IntoIter<Result<ListContentResponse, Status>>>;

    async fn list(
        &self,
        request: Request<ListContentRequest>,
    ) -> Result<Response<Self::ListStream>, Status> {
        let store = self.choose(request.metadata())?;
        let filters = request.into_inner().filters;
        let infos = blocking(move || store.walk()).await?.map_err(to_status)?;
        let mut kept = Vec::new();
        for info in &infos {
            let pass = matches(&filters, |f| match f {
                "digest" => Some(info.digest.to_string()),
                "size" => Some(info.size.to_string()),
                _ => None,
            })?;
            if pass {
                kept.push(info_message(info));
            }
        }
        let batches: Vec<_> = kept
            .chunks(LIST_BATCH)
            .map(|c| Ok(ListContentResponse { info: c.to_vec() }))
            .collect();
        Ok(Response::new(tokio_stream::iter(batches)))
    }

    async fn delete(&self, request: Request<DeleteContentRequest>) -> Result<Response<()>, Status> {
        let store = self.choose(request.metadata())?;
        let digest = Digest::parse(&request.get_ref().digest).map_err(to_status)?;
        blocking(move || store.delete(&digest))
            .await?
            .map_err(to_status)?;
        Ok(Response::new(()))
    }

    type ReadStream = ReadStream;

    async fn read(
        &self,
        request: Request<ReadContentRequest>,
    ) -> Result<Response<Self::ReadStream>, Status> {
        let store = self.choose(request.metadata())?;
        let req = request.into_inner();
        let digest = Digest::parse(&req.digest).map_err(to_status)?;
        let (mut file, size) = blocking(move || store.open_blob(&digest))
            .await?
            .map_err(to_status)?;
        let size = i64::try_from(size).unwrap_or(i64::MAX);
        let offset = req.offset.max(0);
        if offset > size {
            return Err(Status::out_of_range(format!(
                "read past object length {size} bytes"
            )));
        }
        let end = match offset.checked_add(req.size) {
            Some(end) if req.size > 0 && end <= size => end,
            _ => size,
        };
        let (tx, rx) = mpsc::channel(4);
        tokio::task::spawn_blocking(move || {
            let send = |m| tx.blocking_send(m).is_ok();
            if let Err(e) = file.seek(SeekFrom::Start(offset.unsigned_abs())) {
                send(Err(Status::unknown(format!("seeking: {e}"))));
                return;
            }
            let mut pos = offset;
            while pos < end {
                let want = usize::try_from(end - pos).map_or(READ_CHUNK, |n| n.min(READ_CHUNK));
                let mut data = vec![0u8; want];
                let n = match file.read(&mut data) {
                    Ok(0) => {
                        send(Err(Status::data_loss("blob ended before its size")));
                        return;
                    }
                    Ok(n) => n,
                    Err(e) => {
                        send(Err(Status::unknown(format!("reading: {e}"))));
                        return;
                    }
                };
                data.truncate(n);
                if !send(Ok(ReadContentResponse { offset: pos, data })) {
                    return;
                }
                pos += n as i64;
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn status(
        &self,
        request: Request<StatusRequest>,
    ) -> Result<Response<StatusResponse>, Status> {
        let store = self.choose(request.metadata())?;
        let reference = request.into_inner().r#ref;
        let status = blocking(move || store.status(&reference))
            .await?
            .map_err(to_status)?;
        Ok(Response::new(StatusResponse {
            status: Some(status_message(&status)),
        }))
    }

    async fn list_statuses(
        &self,
        request: Request<ListStatusesRequest>,
    ) -> Result<Response<ListStatusesResponse>, Status> {
        let store = self.choose(request.metadata())?;
        let filters = request.into_inner().filters;
        let all = blocking(move || store.list_statuses())
            .await?
            .map_err(to_status)?;
        let mut statuses = Vec::new();
        for s in &all {
            if matches(&filters, |f| (f == "ref").then(|| s.reference.clone()))? {
                statuses.push(status_message(s));
            }
        }
        Ok(Response::new(ListStatusesResponse { statuses }))
    }

    type WriteStream = WriteStream;

    async fn write(
        &self,
        request: Request<Streaming<WriteContentRequest>>,
    ) -> Result<Response<Self::WriteStream>, Status> {
        let store = self.choose(request.metadata())?;
        let inbound = request.into_inner();
        let (tx, rx) = mpsc::channel(4);
        tokio::spawn(async move {
            if let Err(status) = write_stream(store, inbound, &tx).await {
                let _ = tx.send(Err(status)).await;
            }
        });
        Ok(Response::new(ReceiverStream::new(rx)))
    }

    async fn abort(&self, request: Request<AbortRequest>) -> Result<Response<()>, Status> {
        let store = self.choose(request.metadata())?;
        let reference = request.into_inner().r#ref;
        blocking(move || store.abort(&reference))
            .await?
            .map_err(to_status)?;
        Ok(Response::new(()))
    }
}

/// One `Write` stream, as containerd's server runs it: every request gets
/// one answer; a commit ends the stream; the client closing its side
/// leaves the write to be resumed.
async fn write_stream(
    store: Arc<LocalStore>,
    mut inbound: Streaming<WriteContentRequest>,
    tx: &mpsc::Sender<Result<WriteContentResponse, Status>>,
) -> Result<(), Status> {
    let Some(mut req) = inbound.message().await? else {
        return Ok(());
    };
    if req.r#ref.is_empty() {
        return Err(Status::invalid_argument(
            "first message must have a reference",
        ));
    }
    let reference = req.r#ref.clone();
    let mut total = req.total;
    let mut expected = optional_digest(&req.expected)?;
    let mut writer = {
        let (store, reference, expected) =
            (Arc::clone(&store), reference.clone(), expected.clone());
        blocking(move || store.writer(&reference, total, expected.as_ref()))
            .await?
            .map_err(to_status)?
    };
    loop {
        let action = WriteAction::try_from(req.action).map_err(|_| {
            Status::invalid_argument(format!("unknown write action {}", req.action))
        })?;
        let mut resp = WriteContentResponse {
            action: req.action,
            offset: offset_of(&writer),
            ..WriteContentResponse::default()
        };
        if let Some(d) = optional_digest(&req.expected)? {
            let (s, d2) = (Arc::clone(&store), d.clone());
            if blocking(move || s.info(&d2)).await?.is_ok() {
                drop(writer);
                let (s, r) = (Arc::clone(&store), reference.clone());
                let _ = blocking(move || s.abort(&r)).await;
                return Err(Status::already_exists(format!(
                    "blob with expected digest {d} exists"
                )));
            }
            expected = Some(d);
        }
        if req.total > 0 {
            total = req.total;
        }
        match action {
            WriteAction::Stat => {
                let status = writer.status();
                resp.digest = writer.digest().to_string();
                resp.started_at = Some(status.started.into());
                resp.updated_at = Some(status.updated.into());
                resp.total = total;
            }
            WriteAction::Write | WriteAction::Commit => {
                let current = offset_of(&writer);
                if req.offset < 0 || (req.offset > 0 && req.offset != current) {
                    return Err(Status::out_of_range(format!(
                        "write @{} must occur at current offset {current}",
                        req.offset
                    )));
                }
                let data = std::mem::take(&mut req.data);
                let restart = req.offset == 0 && current > 0;
                writer = blocking(move || -> Result<Writer, StoreError> {
                    if restart {
                        writer.truncate()?;
                    }
                    if !data.is_empty() {
                        writer.write(&data)?;
                    }
                    Ok(writer)
                })
                .await?
                .map_err(to_status)?;
                resp.offset = offset_of(&writer);
                if action == WriteAction::Commit {
                    let want = expected.clone();
                    let digest = blocking(move || writer.commit(total, want.as_ref()))
                        .await?
                        .map_err(to_status)?;
                    resp.digest = digest.to_string();
                    let _ = tx.send(Ok(resp)).await;
                    return Ok(());
                }
                resp.digest = writer.digest().to_string();
            }
        }
        if tx.send(Ok(resp)).await.is_err() {
            return Ok(());
        }
        req = match inbound.message().await? {
            Some(r) => r,
            None => return Ok(()),
        };
    }
}

fn offset_of(writer: &Writer) -> i64 {
    i64::try_from(writer.status().offset).unwrap_or(i64::MAX)
}

fn optional_digest(s: &str) -> Result<Option<Digest>, Status> {
    if s.is_empty() {
        return Ok(None);
    }
    Digest::parse(s).map(Some).map_err(to_status)
}
