//! A content store on a local directory, laid out as containerd's local
//! store and the OCI image layout lay it out: committed blobs at
//! `blobs/sha256/<hex>`, unfinished writes at `ingest/<sha256 of the ref>/`
//! (`ref`, `data`, `startedat`, `total`).
//!
//! Everything the daemon sends is untrusted. Digests must be
//! `sha256:<64 lowercase hex>` before they name a file; a write's ref only
//! ever names its ingest folder through its hash; every path is the store
//! root plus fixed or validated components, and files that turn out to be
//! symlinks are refused rather than followed. A commit checks the size and
//! digest of what was written before the blob appears under its name.

use std::collections::BTreeSet;
use std::fs::{self, File, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};
use std::time::{Duration, SystemTime};

use sha2::{Digest as _, Sha256};

/// Longest write ref accepted (containerd's refs are a few hundred bytes).
const MAX_REF: usize = 4096;

/// Why a store operation failed. Each kind is answered with the gRPC code
/// containerd uses, because the daemon acts on the code (it treats
/// `AlreadyExists` as success and retries `Unavailable`).
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum StoreError {
    /// No such blob or write.
    #[error("{0}")]
    NotFound(String),
    /// The blob is already stored.
    #[error("{0}")]
    AlreadyExists(String),
    /// A malformed digest, ref or request.
    #[error("{0}")]
    InvalidArgument(String),
    /// The content does not match what was expected, or the operation is
    /// not supported by this store.
    #[error("{0}")]
    FailedPrecondition(String),
    /// Another stream is writing the same ref.
    #[error("{0}")]
    Unavailable(String),
    /// A write at an offset other than the current one.
    #[error("{0}")]
    OutOfRange(String),
    /// The file system failed.
    #[error("{0}")]
    Io(String),
}

impl StoreError {
    fn io(what: &str, path: &Path, e: &io::Error) -> StoreError {
        StoreError::Io(format!("{what} {}: {e}", path.display()))
    }
}

/// A validated `sha256:` digest.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Digest {
    hex: String,
}

impl Digest {
    /// Parses `sha256:<64 lowercase hex digits>`; nothing else is accepted.
    pub fn parse(s: &str) -> Result<Digest, StoreError> {
        let hex = s.strip_prefix("sha256:").filter(|h| is_hex64(h));
        match hex {
            Some(hex) => Ok(Digest {
                hex: hex.to_owned(),
            }),
            None => Err(StoreError::InvalidArgument(format!(
                "{}: not a sha256 digest (sha256:<64 hex digits>)",
                shown(s)
            ))),
        }
    }

    /// The digest of `bytes`.
    pub fn of(bytes: &[u8]) -> Digest {
        Digest {
            hex: hex(&Sha256::digest(bytes)),
        }
    }

    /// The 64 hex digits.
    pub fn hex(&self) -> &str {
        &self.hex
    }
}

impl std::fmt::Display for Digest {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "sha256:{}", self.hex)
    }
}

/// A committed blob.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BlobInfo {
    /// Its digest.
    pub digest: Digest,
    /// Its size in bytes.
    pub size: u64,
    /// When it was committed (the file's modification time).
    pub created: SystemTime,
    /// When it was last used (the file's access time).
    pub updated: SystemTime,
}

/// An unfinished write.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct IngestStatus {
    /// The write's name, as the daemon chose it.
    pub reference: String,
    /// Bytes written so far.
    pub offset: u64,
    /// The expected total size, zero when unknown.
    pub total: i64,
    /// When the write began.
    pub started: SystemTime,
    /// When data was last written.
    pub updated: SystemTime,
}

/// One store: a directory, and the refs being written right now.
#[derive(Debug)]
pub struct LocalStore {
    root: PathBuf,
    active: Mutex<BTreeSet<String>>,
}

impl LocalStore {
    /// The store at `root`, created if missing.
    pub fn open(root: &Path) -> Result<LocalStore, StoreError> {
        fs::create_dir_all(root).map_err(|e| StoreError::io("creating", root, &e))?;
        Ok(LocalStore {
            root: root.to_owned(),
            active: Mutex::new(BTreeSet::new()),
        })
    }

    /// The store's directory.
    pub fn root(&self) -> &Path {
        &self.root
    }

    fn blobs_dir(&self) -> PathBuf {
        self.root.join("blobs").join("sha256")
    }

    fn blob_path(&self, digest: &Digest) -> PathBuf {
        self.blobs_dir().join(digest.hex())
    }

    fn ingest_dir(&self, reference: &str) -> PathBuf {
        let name = hex(&Sha256::digest(reference.as_bytes()));
        self.root.join("ingest").join(name)
    }

    /// A committed blob's size and times.
    pub fn info(&self, digest: &Digest) -> Result<BlobInfo, StoreError> {
        let path = self.blob_path(digest);
        let meta = regular_file(&path).map_err(|e| match e {
            Some(e) => StoreError::io("reading", &path, &e),
            None => StoreError::NotFound(format!("content {digest}: not found")),
        })?;
        Ok(blob_info(digest.clone(), &meta))
    }

    /// A committed blob, opened for reading, with its size.
    pub fn open_blob(&self, digest: &Digest) -> Result<(File, u64), StoreError> {
        let info = self.info(digest)?;
        let path = self.blob_path(digest);
        let file = File::open(&path).map_err(|e| StoreError::io("opening", &path, &e))?;
        Ok((file, info.size))
    }

    /// Removes a committed blob.
    pub fn delete(&self, digest: &Digest) -> Result<(), StoreError> {
        self.info(digest)?;
        let path = self.blob_path(digest);
        fs::remove_file(&path).map_err(|e| StoreError::io("removing", &path, &e))
    }

    /// Every committed blob, by digest.
    pub fn walk(&self) -> Result<Vec<BlobInfo>, StoreError> {
        let dir = self.blobs_dir();
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::io("listing", &dir, &e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io("listing", &dir, &e))?;
            let name = entry.file_name();
            let Some(name) = name.to_str().filter(|n| is_hex64(n)) else {
                continue;
            };
            let digest = Digest {
                hex: name.to_owned(),
            };
            if let Ok(meta) = regular_file(&entry.path()) {
                out.push(blob_info(digest, &meta));
            }
        }
        out.sort_by(|a, b| a.digest.cmp(&b.digest));
        Ok(out)
    }

    /// The state of the unfinished write `reference`.
    pub fn status(&self, reference: &str) -> Result<IngestStatus, StoreError> {
        check_ref(reference)?;
        ingest_status(&self.ingest_dir(reference))?
            .filter(|s| s.reference == reference)
            .ok_or_else(|| {
                StoreError::NotFound(format!("ingest ref {}: not found", shown(reference)))
            })
    }

    /// The states of all unfinished writes.
    pub fn list_statuses(&self) -> Result<Vec<IngestStatus>, StoreError> {
        let dir = self.root.join("ingest");
        let entries = match fs::read_dir(&dir) {
            Ok(entries) => entries,
            Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(Vec::new()),
            Err(e) => return Err(StoreError::io("listing", &dir, &e)),
        };
        let mut out = Vec::new();
        for entry in entries {
            let entry = entry.map_err(|e| StoreError::io("listing", &dir, &e))?;
            if let Ok(Some(status)) = ingest_status(&entry.path()) {
                out.push(status);
            }
        }
        out.sort_by(|a, b| a.reference.cmp(&b.reference));
        Ok(out)
    }

    /// Drops the unfinished write `reference`.
    pub fn abort(&self, reference: &str) -> Result<(), StoreError> {
        check_ref(reference)?;
        let dir = self.ingest_dir(reference);
        match fs::remove_dir_all(&dir) {
            Ok(()) => Ok(()),
            Err(e) if e.kind() == io::ErrorKind::NotFound => Err(StoreError::NotFound(format!(
                "ingest ref {}: not found",
                shown(reference)
            ))),
            Err(e) => Err(StoreError::io("removing", &dir, &e)),
        }
    }

    /// Opens (or resumes) the write `reference`. Only one writer may hold a
    /// ref at a time; `expected` already stored is `AlreadyExists`.
    pub fn writer(
        self: &Arc<Self>,
        reference: &str,
        total: i64,
        expected: Option<&Digest>,
    ) -> Result<Writer, StoreError> {
        check_ref(reference)?;
        if let Some(d) = expected
            && self.info(d).is_ok()
        {
            return Err(StoreError::AlreadyExists(format!(
                "content {d}: already exists"
            )));
        }
        let fresh = self
            .active
            .lock()
            .map_err(|_| StoreError::Io("content store lock poisoned".into()))?
            .insert(reference.to_owned());
        if !fresh {
            return Err(StoreError::Unavailable(format!(
                "ref {} locked: another write is in progress",
                shown(reference)
            )));
        }
        // From here on the lock is released by the writer's drop, or below.
        let unlock = Unlock {
            store: Arc::clone(self),
            reference: reference.to_owned(),
        };
        let dir = self.ingest_dir(reference);
        let resumed = ingest_status(&dir)
            .ok()
            .flatten()
            .filter(|s| s.reference == reference)
            .filter(|s| total <= 0 || s.total <= 0 || s.total == total);
        let (file, hasher, status) = match resumed {
            Some(status) => resume(&dir, status)?,
            None => start(&dir, reference, total)?,
        };
        Ok(Writer {
            dir,
            file: Some(file),
            hasher,
            status,
            lock: unlock,
        })
    }
}

/// Releases a ref's write lock when dropped.
#[derive(Debug)]
struct Unlock {
    store: Arc<LocalStore>,
    reference: String,
}

impl Drop for Unlock {
    fn drop(&mut self) {
        if let Ok(mut active) = self.store.active.lock() {
            active.remove(&self.reference);
        }
    }
}

/// An open write. Dropping it keeps what was written for a later resume.
#[derive(Debug)]
pub struct Writer {
    dir: PathBuf,
    file: Option<File>,
    hasher: Sha256,
    status: IngestStatus,
    /// Holds the ref, and reaches the store.
    lock: Unlock,
}

impl Writer {
    /// The write's state.
    pub fn status(&self) -> &IngestStatus {
        &self.status
    }

    /// The digest of the bytes written so far.
    pub fn digest(&self) -> Digest {
        Digest {
            hex: hex(&self.hasher.clone().finalize()),
        }
    }

    /// Appends `data`.
    pub fn write(&mut self, data: &[u8]) -> Result<(), StoreError> {
        let path = self.dir.join("data");
        let file = self.file_mut()?;
        file.write_all(data)
            .map_err(|e| StoreError::io("writing", &path, &e))?;
        self.hasher.update(data);
        self.status.offset += data.len() as u64;
        self.status.updated = SystemTime::now();
        Ok(())
    }

    /// Starts over from offset zero.
    pub fn truncate(&mut self) -> Result<(), StoreError> {
        let path = self.dir.join("data");
        let file = self.file_mut()?;
        file.set_len(0)
            .and_then(|()| file.seek(SeekFrom::Start(0)).map(drop))
            .map_err(|e| StoreError::io("truncating", &path, &e))?;
        self.hasher = Sha256::new();
        self.status.offset = 0;
        Ok(())
    }

    fn file_mut(&mut self) -> Result<&mut File, StoreError> {
        self.file
            .as_mut()
            .ok_or_else(|| StoreError::FailedPrecondition("write already committed".into()))
    }

    /// Verifies the content against `size` (when positive) and `expected`,
    /// then stores it under its digest.
    pub fn commit(mut self, size: i64, expected: Option<&Digest>) -> Result<Digest, StoreError> {
        let store = Arc::clone(&self.lock.store);
        let data = self.dir.join("data");
        let file = self
            .file
            .take()
            .ok_or_else(|| StoreError::FailedPrecondition("write already committed".into()))?;
        file.sync_all()
            .map_err(|e| StoreError::io("syncing", &data, &e))?;
        drop(file);
        let written = self.status.offset;
        if size > 0 && u64::try_from(size).ok() != Some(written) {
            return Err(StoreError::FailedPrecondition(format!(
                "unexpected commit size {written}, expected {size}"
            )));
        }
        let digest = self.digest();
        if let Some(want) = expected
            && *want != digest
        {
            return Err(StoreError::FailedPrecondition(format!(
                "unexpected commit digest {digest}, expected {want}"
            )));
        }
        let target = store.blob_path(&digest);
        let blobs = store.blobs_dir();
        fs::create_dir_all(&blobs).map_err(|e| StoreError::io("creating", &blobs, &e))?;
        if fs::symlink_metadata(&target).is_ok() {
            let _ = fs::remove_dir_all(&self.dir);
            return Err(StoreError::AlreadyExists(format!(
                "content {digest}: already exists"
            )));
        }
        fs::rename(&data, &target).map_err(|e| StoreError::io("committing", &target, &e))?;
        // Blobs are read-only once committed, as in containerd's store.
        let _ = fs::set_permissions(&target, std::os::unix::fs::PermissionsExt::from_mode(0o444));
        let _ = fs::remove_dir_all(&self.dir);
        Ok(digest)
    }
}

/// A fresh ingest folder for `reference`.
fn start(
    dir: &Path,
    reference: &str,
    total: i64,
) -> Result<(File, Sha256, IngestStatus), StoreError> {
    let _ = fs::remove_dir_all(dir);
    fs::create_dir_all(dir).map_err(|e| StoreError::io("creating", dir, &e))?;
    let now = SystemTime::now();
    let nanos = now
        .duration_since(SystemTime::UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let put = |name: &str, text: &str| {
        let path = dir.join(name);
        fs::write(&path, text).map_err(|e| StoreError::io("writing", &path, &e))
    };
    put("ref", reference)?;
    put("startedat", &nanos.to_string())?;
    if total > 0 {
        put("total", &total.to_string())?;
    }
    let path = dir.join("data");
    let file = OpenOptions::new()
        .write(true)
        .create_new(true)
        .open(&path)
        .map_err(|e| StoreError::io("creating", &path, &e))?;
    let status = IngestStatus {
        reference: reference.to_owned(),
        offset: 0,
        total,
        started: now,
        updated: now,
    };
    Ok((file, Sha256::new(), status))
}

/// Reopens an earlier write, hashing what it holds.
fn resume(dir: &Path, status: IngestStatus) -> Result<(File, Sha256, IngestStatus), StoreError> {
    let path = dir.join("data");
    let mut file = OpenOptions::new()
        .read(true)
        .write(true)
        .open(&path)
        .map_err(|e| StoreError::io("opening", &path, &e))?;
    let mut hasher = Sha256::new();
    let mut buf = vec![0u8; 1 << 16];
    let mut offset = 0u64;
    loop {
        let n = file
            .read(&mut buf)
            .map_err(|e| StoreError::io("reading", &path, &e))?;
        if n == 0 {
            break;
        }
        hasher.update(&buf[..n]);
        offset += n as u64;
    }
    file.seek(SeekFrom::Start(offset))
        .map_err(|e| StoreError::io("seeking", &path, &e))?;
    Ok((file, hasher, IngestStatus { offset, ..status }))
}

/// The state recorded in an ingest folder; `None` when it is incomplete.
fn ingest_status(dir: &Path) -> Result<Option<IngestStatus>, StoreError> {
    let data = match regular_file(&dir.join("data")) {
        Ok(meta) => meta,
        Err(None) => return Ok(None),
        Err(Some(e)) => return Err(StoreError::io("reading", dir, &e)),
    };
    let read = |name: &str| -> Option<String> {
        let path = dir.join(name);
        regular_file(&path).ok()?;
        fs::read_to_string(path).ok()
    };
    let Some(reference) = read("ref") else {
        return Ok(None);
    };
    let started = read("startedat")
        .and_then(|s| s.trim().parse::<u64>().ok())
        .map_or(SystemTime::UNIX_EPOCH, |n| {
            SystemTime::UNIX_EPOCH + Duration::from_nanos(n)
        });
    let total = read("total")
        .and_then(|s| s.trim().parse::<i64>().ok())
        .unwrap_or(0);
    Ok(Some(IngestStatus {
        reference,
        offset: data.len(),
        total,
        started,
        updated: data.modified().unwrap_or(started),
    }))
}

/// The metadata of a regular file at `path`; `Err(None)` when there is no
/// such file (absent, a directory, or a symlink, which is never followed).
fn regular_file(path: &Path) -> Result<fs::Metadata, Option<io::Error>> {
    match fs::symlink_metadata(path) {
        Ok(meta) if meta.file_type().is_file() => Ok(meta),
        Ok(_) => Err(None),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Err(None),
        Err(e) => Err(Some(e)),
    }
}

fn blob_info(digest: Digest, meta: &fs::Metadata) -> BlobInfo {
    let created = meta.modified().unwrap_or(SystemTime::UNIX_EPOCH);
    BlobInfo {
        digest,
        size: meta.len(),
        created,
        updated: meta.accessed().unwrap_or(created),
    }
}

fn check_ref(reference: &str) -> Result<(), StoreError> {
    if reference.is_empty() {
        return Err(StoreError::InvalidArgument("ref must not be empty".into()));
    }
    if reference.len() > MAX_REF {
        return Err(StoreError::InvalidArgument(format!(
            "ref {} is longer than {MAX_REF} bytes",
            shown(reference)
        )));
    }
    Ok(())
}

fn is_hex64(s: &str) -> bool {
    s.len() == 64 && s.bytes().all(|b| matches!(b, b'0'..=b'9' | b'a'..=b'f'))
}

/// Untrusted text for an error message: quoted, and cut to a sane length.
pub(crate) fn shown(s: &str) -> String {
    const MAX: usize = 100;
    if s.len() <= MAX {
        return format!("{s:?}");
    }
    let mut end = MAX;
    while !s.is_char_boundary(end) {
        end -= 1;
    }
    format!("{:?}…", &s[..end])
}

pub(crate) fn hex(bytes: &[u8]) -> String {
    use std::fmt::Write as _;
    bytes.iter().fold(String::new(), |mut s, b| {
        let _ = write!(s, "{b:02x}");
        s
    })
}
