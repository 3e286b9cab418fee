//! The receiving side of an `fsutil` transfer, for the `local` exporter:
//! the daemon sends a tree and slipway writes it into a directory,
//! merging with what is there (nothing is deleted), as BuildKit's client
//! does.
//!
//! The stream is untrusted. Every path must be relative, clean and free of
//! `..`; its parent must be the destination or a directory received
//! earlier in the same stream, which was created (or found) as a real
//! directory, so nothing is ever written through a symlink, whether the
//! stream sent it or it was already in the destination. Symlinks are
//! created as sent (their targets are data, never followed here). Hard
//! links may only point at regular files received earlier. Each file is
//! written to a temporary sibling and renamed into place when its last
//! chunk arrives, so an interrupted export leaves no half-written file;
//! files completed before the failure stay. Ownership is the current
//! user's (BuildKit's client does the same); device nodes, FIFOs and
//! extended attributes are not recreated.

use std::collections::{HashMap, HashSet};
use std::fs::{self, File};
use std::io::{self, Write};
use std::os::unix::fs::{DirBuilderExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use tokio::sync::mpsc;
use tonic::{Response, Status, Streaming};

use super::send::{PacketStream, channel_stream, err_packet, packet};
use super::stat::{can_request_data, go_mode, unix_permissions};
use crate::ir::paths;
use crate::proto::fsutil::types::{Packet, Stat, packet::PacketType};

static TMP_COUNTER: AtomicU64 = AtomicU64::new(0);

/// A fresh temporary name next to `path`.
pub(crate) fn temp_sibling(path: &Path) -> PathBuf {
    let name = path
        .file_name()
        .map(|n| n.to_string_lossy().into_owned())
        .unwrap_or_default();
    let n = TMP_COUNTER.fetch_add(1, Ordering::Relaxed);
    path.with_file_name(format!(".{name}.slipway-{}-{n}.tmp", std::process::id()))
}

/// Starts receiving into `dest`; the returned stream carries the `REQ`,
/// `FIN` and `ERR` packets back to the daemon.
pub(crate) fn receive_dir(dest: PathBuf, incoming: Streaming<Packet>) -> Response<PacketStream> {
    let (tx, rx) = mpsc::channel(64);
    let handle = tokio::runtime::Handle::current();
    tokio::task::spawn_blocking(move || {
        let mut r = Receiver::new(dest, tx.clone());
        let res = r.run(&handle, incoming);
        r.cleanup();
        if let Err(msg) = res {
            let _ = tx.blocking_send(Ok(err_packet(&msg)));
            let _ = tx.blocking_send(Err(Status::unknown(msg)));
        }
    });
    Response::new(channel_stream(rx))
}

/// A file being written.
struct Open {
    rel: String,
    tmp: PathBuf,
    file: Option<io::BufWriter<File>>,
    stat: Stat,
}

struct Receiver {
    dest: PathBuf,
    tx: mpsc::Sender<Result<Packet, Status>>,
    /// Directories received (and made real), by relative path.
    dirs: HashSet<String>,
    /// Every path received, to refuse repeats.
    seen: HashSet<String>,
    /// Regular files requested and not yet complete, by id.
    pending: HashMap<u32, Open>,
    /// Regular files written.
    written: HashSet<String>,
    /// Hard links to make at the end: (path, target).
    links: Vec<(String, String)>,
    /// Directory metadata to apply at the end, deepest last.
    dir_stats: Vec<Stat>,
}

/// Checks a path from the stream: relative, clean, no `..`.
fn check_path(p: &str) -> Result<(), String> {
    if p.is_empty()
        || p.starts_with('/')
        || p == "."
        || paths::clean(p) != p
        || p.split('/').any(|c| c == "..")
        || p.contains('\0')
    {
        return Err(format!("invalid path {p:?} in the exported tree"));
    }
    Ok(())
}

fn parent_of(p: &str) -> &str {
    p.rsplit_once('/').map_or("", |(d, _)| d)
}

fn mtime(stat: &Stat) -> SystemTime {
    let ns = stat.mod_time;
    if ns >= 0 {
        UNIX_EPOCH + Duration::from_nanos(ns as u64)
    } else {
        UNIX_EPOCH - Duration::from_nanos(ns.unsigned_abs())
    }
}

/// Removes whatever is at `path` without following a symlink there.
fn remove_existing(path: &Path) -> io::Result<()> {
    match fs::symlink_metadata(path) {
        Ok(m) if m.is_dir() => fs::remove_dir_all(path),
        Ok(_) => fs::remove_file(path),
        Err(e) if e.kind() == io::ErrorKind::NotFound => Ok(()),
        Err(e) => Err(e),
    }
}

impl Receiver {
    fn new(dest: PathBuf, tx: mpsc::Sender<Result<Packet, Status>>) -> Self {
        Receiver {
            dest,
            tx,
            dirs: HashSet::new(),
            seen: HashSet::new(),
            pending: HashMap::new(),
            written: HashSet::new(),
            links: Vec::new(),
            dir_stats: Vec::new(),
        }
    }

    fn send(&self, p: Packet) -> Result<(), String> {
        self.tx
            .blocking_send(Ok(p))
            .map_err(|_| "the daemon went away".to_owned())
    }

    fn run(
        &mut self,
        handle: &tokio::runtime::Handle,
        mut incoming: Streaming<Packet>,
    ) -> Result<(), String> {
        fs::DirBuilder::new()
            .recursive(true)
            .mode(0o700)
            .create(&self.dest)
            .map_err(|e| format!("failed to create {}: {e}", self.dest.display()))?;
        let mut id: u32 = 0;
        let mut listing_done = false;
        let mut fin_sent = false;
        loop {
            if listing_done && self.pending.is_empty() && !fin_sent {
                self.finish()?;
                self.send(packet(PacketType::PacketFin))?;
                fin_sent = true;
            }
            let p = match handle.block_on(incoming.message()) {
                Ok(Some(p)) => p,
                Ok(None) if fin_sent => return Ok(()),
                Ok(None) => return Err("the daemon ended the transfer early".into()),
                Err(status) => return Err(status.message().to_owned()),
            };
            match PacketType::try_from(p.r#type) {
                Ok(PacketType::PacketErr) => {
                    return Err(format!(
                        "error from sender: {}",
                        String::from_utf8_lossy(&p.data)
                    ));
                }
                Ok(PacketType::PacketStat) if !listing_done => match p.stat {
                    None => listing_done = true,
                    Some(stat) => {
                        self.entry(id, stat)?;
                        id = id.wrapping_add(1);
                    }
                },
                Ok(PacketType::PacketData) => self.data(p.id, p.data)?,
                Ok(PacketType::PacketFin) if fin_sent => {}
                Ok(PacketType::PacketFin) => return Err("unexpected FIN from the daemon".into()),
                _ => return Err(format!("unexpected packet type {}", p.r#type)),
            }
        }
    }

    /// One listing entry.
    fn entry(&mut self, id: u32, stat: Stat) -> Result<(), String> {
        let rel = stat.path.clone();
        check_path(&rel)?;
        let parent = parent_of(&rel);
        if !parent.is_empty() && !self.dirs.contains(parent) {
            return Err(format!(
                "{rel:?}: its parent directory was not sent before it"
            ));
        }
        if !self.seen.insert(rel.clone()) {
            return Err(format!("{rel:?} sent twice"));
        }
        let full = self.dest.join(&rel);
        let mode = stat.mode;
        if mode & go_mode::DIR != 0 {
            match fs::symlink_metadata(&full) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    fs::remove_file(&full).map_err(|e| format!("{rel}: {e}"))?;
                    fs::create_dir(&full).map_err(|e| format!("{rel}: {e}"))?;
                }
                Err(_) => fs::create_dir(&full).map_err(|e| format!("{rel}: {e}"))?,
            }
            // Writable while filling; the real mode is set at the end.
            fs::set_permissions(&full, fs::Permissions::from_mode(0o700))
                .map_err(|e| format!("{rel}: {e}"))?;
            self.dirs.insert(rel);
            self.dir_stats.push(stat);
        } else if mode & go_mode::SYMLINK != 0 {
            remove_existing(&full).map_err(|e| format!("{rel}: {e}"))?;
            std::os::unix::fs::symlink(&stat.linkname, &full).map_err(|e| format!("{rel}: {e}"))?;
        } else if can_request_data(mode) && !stat.linkname.is_empty() {
            check_path(&stat.linkname)?;
            self.links.push((rel, stat.linkname));
        } else if can_request_data(mode) {
            self.pending.insert(
                id,
                Open {
                    tmp: temp_sibling(&full),
                    rel,
                    file: None,
                    stat,
                },
            );
            self.send(Packet {
                id,
                ..packet(PacketType::PacketReq)
            })?;
        }
        // Devices and FIFOs are skipped.
        Ok(())
    }

    /// One chunk of a requested file; empty ends it.
    fn data(&mut self, id: u32, data: Vec<u8>) -> Result<(), String> {
        let Some(open) = self.pending.get_mut(&id) else {
            return Err(format!("invalid file request {id}"));
        };
        if open.file.is_none() {
            let f = File::create(&open.tmp).map_err(|e| format!("{}: {e}", open.rel))?;
            open.file = Some(io::BufWriter::with_capacity(256 * 1024, f));
        }
        let Some(w) = open.file.as_mut() else {
            return Err(format!("{}: not open", open.rel));
        };
        if !data.is_empty() {
            return w.write_all(&data).map_err(|e| format!("{}: {e}", open.rel));
        }
        let Some(open) = self.pending.remove(&id) else {
            return Err(format!("invalid file request {id}"));
        };
        let rel = open.rel.clone();
        self.complete(open).map_err(|e| format!("{rel}: {e}"))?;
        self.written.insert(rel);
        Ok(())
    }

    fn complete(&self, open: Open) -> io::Result<()> {
        let Some(w) = open.file else {
            return Err(io::Error::other("no data"));
        };
        let f = w.into_inner().map_err(|e| e.into_error())?;
        f.set_permissions(fs::Permissions::from_mode(unix_permissions(open.stat.mode)))?;
        f.set_modified(mtime(&open.stat))?;
        drop(f);
        let full = self.dest.join(&open.rel);
        if fs::symlink_metadata(&full).is_ok_and(|m| m.is_dir()) {
            fs::remove_dir_all(&full)?;
        }
        fs::rename(&open.tmp, &full)
    }

    /// Hard links, then directory modes and times, deepest first.
    fn finish(&mut self) -> Result<(), String> {
        for (rel, target) in std::mem::take(&mut self.links) {
            if !self.written.contains(&target) {
                return Err(format!("{rel:?}: hard link to unknown file {target:?}"));
            }
            let full = self.dest.join(&rel);
            remove_existing(&full).map_err(|e| format!("{rel}: {e}"))?;
            fs::hard_link(self.dest.join(&target), &full).map_err(|e| format!("{rel}: {e}"))?;
        }
        for stat in std::mem::take(&mut self.dir_stats).iter().rev() {
            let full = self.dest.join(&stat.path);
            let dir = File::open(&full).map_err(|e| format!("{}: {e}", stat.path))?;
            dir.set_modified(mtime(stat))
                .map_err(|e| format!("{}: {e}", stat.path))?;
            fs::set_permissions(
                &full,
                fs::Permissions::from_mode(unix_permissions(stat.mode)),
            )
            .map_err(|e| format!("{}: {e}", stat.path))?;
        }
        Ok(())
    }

    /// Removes the temporary files of unfinished transfers.
    fn cleanup(&mut self) {
        for (_, open) in self.pending.drain() {
            drop(open.file);
            let _ = fs::remove_file(&open.tmp);
        }
    }
}
