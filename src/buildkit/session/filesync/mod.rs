//! File transfer between slipway and the daemon over the session.
//!
//! Two session services of BuildKit's `session/filesync` package move
//! files:
//!
//! - **`FileSync.DiffCopy`** ([`FileSyncProvider`]): the daemon pulls a
//!   local directory (the build context, the Dockerfile's folder). It calls
//!   the client and names what it wants in the request *metadata*:
//!   `dir-name`, `include-patterns`, `exclude-patterns` and `followpaths`
//!   (several values each); when a value holds non-ASCII text, every value
//!   of that key is URL-query encoded and `<key>-encoded: 1` is added.
//! - **`FileSend.DiffCopy`** ([`FileSendTarget`]): the daemon pushes an
//!   exporter's result. `buildkit-attachable-exporter-id` says which of the
//!   solve request's exporters (by index, 0 when absent) is sending. The
//!   `local` exporter streams an `fsutil` transfer to be written into a
//!   directory; `tar`, `oci` and `docker` stream raw bytes, one
//!   `BytesMessage` chunk after another, for a single file. Which of the
//!   two arrives is known only from what the client registered for the
//!   id, and the two streams use different message types on the same
//!   method, so this service picks its decoder per call.
//!
//! The `fsutil` transfer, seen from the side that has the files: send one
//! `STAT` packet per entry, in the order of a depth-first walk with each
//! directory's entries sorted by name, then an empty `STAT` to end the
//! listing. Each stat's position in that sequence is its id. The other
//! side asks for the contents of regular files with `REQ` packets naming
//! ids; every request is answered with `DATA` packets carrying chunks of
//! that file and an empty `DATA` to end it. When the receiver has what it
//! needs it sends `FIN`, the sender answers `FIN`, and the call ends.
//! Either side may send `ERR` with a message instead, which fails the
//! transfer. Paths are relative and `/`-separated, modes use Go's
//! `os.FileMode` bit layout, and hard links are regular files whose
//! `linkname` names the first path with the same inode.
//!
//! Not supported: `FileSync.TarStream` (BuildKit itself only calls
//! `DiffCopy`), the `local` exporter's `mode=delete`, and recreating
//! device nodes, FIFOs and extended attributes on export (they are sent,
//! with their extended attributes, when syncing a context).
//!
//! - [`crate::ir::patterns`]: `.dockerignore`-style pattern matching
//!   (shared with the linter).
//! - [`metadata`]: the request metadata keys and their encoding.
//! - `stat`, `walk`, `send`: the sending side.
//! - `receive`, `output`: the receiving side for exporter outputs.

pub mod metadata;
mod output;
mod receive;
mod send;
mod stat;
mod walk;

pub use crate::ir::patterns::{MatchInfo, Pattern, PatternError, PatternMatcher};
pub use output::{FileSendTarget, SyncTarget};
pub use send::{FileSyncProvider, PacketStream};
