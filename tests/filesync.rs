//! The file-sync session services over an in-memory connection, with the
//! test playing the daemon: a minimal fsutil receiver against
//! `FileSyncProvider`, and a sender (or a raw byte stream) against
//! `FileSendTarget`.

use std::collections::BTreeMap;
use std::os::unix::fs::{MetadataExt, PermissionsExt};
use std::path::{Path, PathBuf};
use std::time::Duration;

use futures_util::StreamExt;
use slipway::buildkit::session::filesync::metadata::{
    KEY_DIR_NAME, KEY_EXCLUDE_PATTERNS, KEY_EXPORTER_ID, KEY_FOLLOW_PATHS, KEY_INCLUDE_PATTERNS,
    encode_values,
};
use slipway::buildkit::session::filesync::{FileSendTarget, FileSyncProvider, SyncTarget};
use slipway::proto::filesync::BytesMessage;
use slipway::proto::filesync::file_send_client::FileSendClient;
use slipway::proto::filesync::file_sync_client::FileSyncClient;
use slipway::proto::fsutil::types::packet::PacketType;
use slipway::proto::fsutil::types::{Packet, Stat};
use tokio::sync::mpsc;
use tonic::metadata::MetadataValue;
use tonic::transport::{Channel, Server};

const DIR: u32 = 1 << 31;
const SYMLINK: u32 = 1 << 27;
const TYPE_BITS: u32 =
    (1 << 31) | (1 << 27) | (1 << 26) | (1 << 25) | (1 << 24) | (1 << 21) | (1 << 19);

/// A scratch directory removed at the end of the test.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Self {
        let p =
            std::env::temp_dir().join(format!("slipway-filesync-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&p);
        std::fs::create_dir_all(&p).expect("scratch dir");
        Scratch(p)
    }

    fn file(&self, rel: &str, content: &[u8]) {
        let p = self.0.join(rel);
        std::fs::create_dir_all(p.parent().expect("parent")).expect("mkdir");
        std::fs::write(p, content).expect("write");
    }

    fn dir(&self, rel: &str) {
        std::fs::create_dir_all(self.0.join(rel)).expect("mkdir");
    }

    fn symlink(&self, rel: &str, target: &str) {
        std::os::unix::fs::symlink(target, self.0.join(rel)).expect("symlink");
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Serves the given providers on one in-memory connection.
async fn connect(sync: Option<FileSyncProvider>, send: Option<FileSendTarget>) -> Channel {
    let (client_io, server_io) = tokio::io::duplex(1 << 20);
    let router = Server::builder()
        .add_optional_service(sync.map(FileSyncProvider::into_server))
        .add_optional_service(send);
    let incoming = futures_util::stream::iter(vec![Ok::<_, std::io::Error>(server_io)])
        .chain(futures_util::stream::pending());
    tokio::spawn(router.serve_with_incoming(incoming));
    slipway::frontend::transport::connect(client_io)
        .await
        .expect("channel")
}

#[derive(Debug, Default)]
struct Synced {
    /// Stats in the order sent.
    stats: Vec<Stat>,
    /// Contents of the regular files requested.
    data: BTreeMap<String, Vec<u8>>,
}

impl Synced {
    fn paths(&self) -> Vec<&str> {
        self.stats.iter().map(|s| s.path.as_str()).collect()
    }

    fn stat(&self, path: &str) -> &Stat {
        self.stats.iter().find(|s| s.path == path).expect(path)
    }
}

fn md(req: &mut tonic::Request<impl Sized>, key: &str, values: &[&str]) {
    let values: Vec<String> = values.iter().map(|s| s.to_string()).collect();
    let (values, encoded) = encode_values(&values);
    let name = tonic::metadata::MetadataKey::from_bytes(key.as_bytes()).expect("key");
    for v in values {
        req.metadata_mut().append(
            name.clone(),
            MetadataValue::try_from(v.as_str()).expect("ascii"),
        );
    }
    if encoded {
        let flag = format!("{key}-encoded");
        req.metadata_mut().insert(
            tonic::metadata::MetadataKey::from_bytes(flag.as_bytes()).expect("key"),
            MetadataValue::from_static("1"),
        );
    }
}

/// Plays the daemon's receiver: reads the listing, requests every regular
/// file that is not a hard link, collects the data, and finishes with FIN.
/// Returns the result, or the error text (from an ERR packet or status).
async fn pull(channel: Channel, meta: &[(&str, &[&str])]) -> Result<Synced, String> {
    let (tx, rx) = mpsc::channel::<Packet>(16);
    let out =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|p| (p, rx)) });
    let mut req = tonic::Request::new(out);
    for (k, v) in meta {
        md(&mut req, k, v);
    }
    let mut client = FileSyncClient::new(channel);
    let mut resp = client
        .diff_copy(req)
        .await
        .map_err(|s| s.message().to_owned())?
        .into_inner();
    let mut synced = Synced::default();
    let mut wanted: BTreeMap<u32, String> = BTreeMap::new();
    let mut listing_done = false;
    let mut fin_sent = false;
    loop {
        if listing_done && wanted.is_empty() && !fin_sent {
            tx.send(Packet {
                r#type: PacketType::PacketFin as i32,
                ..Packet::default()
            })
            .await
            .map_err(|e| e.to_string())?;
            fin_sent = true;
        }
        let p = match resp.message().await {
            Ok(Some(p)) => p,
            Ok(None) => return Err("stream ended before FIN".into()),
            Err(s) => return Err(s.message().to_owned()),
        };
        match PacketType::try_from(p.r#type).map_err(|e| e.to_string())? {
            PacketType::PacketStat => match p.stat {
                None => listing_done = true,
                Some(stat) => {
                    let id = synced.stats.len() as u32;
                    if stat.mode & TYPE_BITS == 0 && stat.linkname.is_empty() {
                        wanted.insert(id, stat.path.clone());
                        synced.data.insert(stat.path.clone(), Vec::new());
                        tx.send(Packet {
                            r#type: PacketType::PacketReq as i32,
                            id,
                            ..Packet::default()
                        })
                        .await
                        .map_err(|e| e.to_string())?;
                    }
                    synced.stats.push(stat);
                }
            },
            PacketType::PacketData => {
                let path = wanted.get(&p.id).cloned().ok_or("data for unknown id")?;
                if p.data.is_empty() {
                    wanted.remove(&p.id);
                } else {
                    synced.data.get_mut(&path).expect("entry").extend(p.data);
                }
            }
            PacketType::PacketFin => {
                drop(tx);
                // The sender ends its side cleanly after FIN.
                return match resp.message().await {
                    Ok(None) => Ok(synced),
                    other => Err(format!("after FIN: {other:?}")),
                };
            }
            PacketType::PacketErr => return Err(String::from_utf8_lossy(&p.data).into_owned()),
            PacketType::PacketReq => return Err("REQ from the sender".into()),
        }
    }
}

fn provider(name: &str, dir: &Path) -> FileSyncProvider {
    FileSyncProvider::new(BTreeMap::from([(name.to_owned(), dir.to_owned())]))
}

/// Files, modes, sizes and contents equal those on disk.
fn assert_faithful(root: &Path, synced: &Synced) {
    for stat in &synced.stats {
        let full = root.join(&stat.path);
        let meta = std::fs::symlink_metadata(&full).expect("exists");
        assert_eq!(stat.mode & 0o777, meta.mode() & 0o777, "{}", stat.path);
        assert_eq!(stat.mode & DIR != 0, meta.is_dir(), "{}", stat.path);
        assert_eq!(
            stat.mode & SYMLINK != 0,
            meta.file_type().is_symlink(),
            "{}",
            stat.path
        );
        assert_eq!(stat.uid, meta.uid());
        assert_eq!(stat.gid, meta.gid());
        assert_eq!(
            stat.mod_time,
            meta.mtime() * 1_000_000_000 + meta.mtime_nsec(),
            "{}",
            stat.path
        );
        if meta.is_file() {
            assert_eq!(stat.size, meta.len() as i64, "{}", stat.path);
            if stat.linkname.is_empty() {
                let want = std::fs::read(&full).expect("read");
                assert_eq!(synced.data[&stat.path], want, "{}", stat.path);
            }
        }
        if meta.file_type().is_symlink() {
            let target = std::fs::read_link(&full).expect("readlink");
            assert_eq!(stat.linkname, target.to_string_lossy(), "{}", stat.path);
        }
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn dockerignore_patterns_select_the_synced_tree() {
    let s = Scratch::new("ignore");
    s.file("Dockerfile", b"FROM scratch\n");
    s.file("README.md", b"# readme\n");
    s.file("a/b/c/trace.log", b"log");
    s.file("build/out.bin", &[0u8, 1, 2, 255]);
    s.file("build/sub/deep.txt", b"deep");
    s.file("docs/a.md", b"a");
    s.file("docs/img/c.png", b"png");
    s.file("docs/keep/b.md", b"keep me");
    s.dir("empty");
    s.file("exec.sh", b"#!/bin/sh\necho hi\n");
    std::fs::set_permissions(s.0.join("exec.sh"), std::fs::Permissions::from_mode(0o755))
        .expect("chmod");
    s.file("lib/node_modules/y.js", b"y");
    s.dir("logs/2024");
    s.file("node_modules/pkg/index.js", b"x");
    s.file("src/gen/keep.rs", b"// keep");
    s.file("src/gen/x.rs", b"// generated");
    s.file("src/main.rs", b"fn main() {}\n");
    s.file("tmp.log", b"tmp");
    s.file("ünïcødé/文件.txt", "数据".as_bytes());
    s.file("ünïcødé/ignored-1", b"no");
    s.symlink("link", "src/main.rs");
    s.symlink("abs-link", "/etc/passwd");
    s.symlink("dangling", "does/not/exist");

    let ignore = "# comment\n/build/\n**/*.log\ndocs\n!docs/keep\nnode_modules\n\
                  src/gen/*\n!src/gen/keep.rs\nlogs/\nünïcødé/ignored-*\n";
    let excludes = slipway::ir::dockerignore::parse(ignore.as_bytes());
    let excludes: Vec<&str> = excludes.iter().map(String::as_str).collect();
    let channel = connect(Some(provider("context", &s.0)), None).await;
    let synced = pull(
        channel,
        &[
            (KEY_DIR_NAME, &["context"]),
            (KEY_EXCLUDE_PATTERNS, &excludes),
        ],
    )
    .await
    .expect("sync");
    assert_eq!(
        synced.paths(),
        [
            "Dockerfile",
            "README.md",
            "a",
            "a/b",
            "a/b/c",
            "abs-link",
            "dangling",
            "docs",
            "docs/keep",
            "docs/keep/b.md",
            "empty",
            "exec.sh",
            "lib",
            "lib/node_modules",
            "lib/node_modules/y.js",
            "link",
            "src",
            "src/gen",
            "src/gen/keep.rs",
            "src/main.rs",
            "ünïcødé",
            "ünïcødé/文件.txt",
        ]
    );
    assert_faithful(&s.0, &synced);
    assert_eq!(synced.stat("exec.sh").mode, 0o755);
    assert_eq!(synced.stat("empty").mode & DIR, DIR);
    assert_eq!(synced.stat("link").linkname, "src/main.rs");
    assert_eq!(synced.stat("abs-link").linkname, "/etc/passwd");
    assert_eq!(synced.data["ünïcødé/文件.txt"], "数据".as_bytes());
    // Symlinks are never followed, so their targets are not requested.
    assert!(!synced.data.contains_key("link"));
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn include_patterns_and_follow_paths() {
    let s = Scratch::new("follow");
    s.file("sub/Dockerfile.real", b"FROM busybox\n");
    s.file("sub/other", b"other");
    s.file("other.txt", b"other");
    s.file("deep/a/b/wanted.txt", b"wanted");
    s.file("deep/a/unwanted.txt", b"unwanted");
    s.symlink("Dockerfile", "sub/Dockerfile.real");
    let channel = connect(Some(provider("dockerfile", &s.0)), None).await;
    let names: &[&str] = &["Dockerfile", ".dockerignore"];
    let synced = pull(
        channel.clone(),
        &[
            (KEY_DIR_NAME, &["dockerfile"]),
            (KEY_INCLUDE_PATTERNS, names),
            (KEY_FOLLOW_PATHS, names),
        ],
    )
    .await
    .expect("sync");
    assert_eq!(synced.paths(), ["Dockerfile", "sub", "sub/Dockerfile.real"]);
    assert_eq!(synced.data["sub/Dockerfile.real"], b"FROM busybox\n");
    assert_faithful(&s.0, &synced);

    // A nested include enters parents without matching them; a wildcard
    // include keeps the parents it needs.
    let synced = pull(
        channel,
        &[
            (KEY_DIR_NAME, &["dockerfile"]),
            (KEY_INCLUDE_PATTERNS, &["deep/a/b", "*.txt"]),
        ],
    )
    .await
    .expect("sync");
    assert_eq!(
        synced.paths(),
        [
            "deep",
            "deep/a",
            "deep/a/b",
            "deep/a/b/wanted.txt",
            "other.txt"
        ]
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn exception_below_a_wildcard_exclude() {
    let s = Scratch::new("wild");
    s.file("x/y/keep.md", b"k");
    s.file("x/y/drop.md", b"d");
    s.file("x/z.txt", b"z");
    s.file("top.md", b"t");
    let channel = connect(Some(provider("context", &s.0)), None).await;
    let synced = pull(
        channel,
        &[
            (KEY_DIR_NAME, &["context"]),
            (KEY_EXCLUDE_PATTERNS, &["*", "!**/keep.md"]),
        ],
    )
    .await
    .expect("sync");
    // The excluded directories are walked (the exception has a glob) and
    // sent only as parents of what is kept.
    assert_eq!(synced.paths(), ["x", "x/y", "x/y/keep.md"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn ten_thousand_files() {
    let s = Scratch::new("many");
    for d in 0..100 {
        for f in 0..100 {
            s.file(
                &format!("d{d:03}/f{f:03}.txt"),
                format!("{d}-{f}").as_bytes(),
            );
        }
    }
    s.file("big.bin", &vec![7u8; 300_000]);
    let started = std::time::Instant::now();
    let channel = connect(Some(provider("context", &s.0)), None).await;
    let synced = pull(channel, &[(KEY_DIR_NAME, &["context"])])
        .await
        .expect("sync");
    let took = started.elapsed();
    assert_eq!(synced.stats.len(), 100 * 100 + 100 + 1);
    assert_eq!(synced.data.len(), 100 * 100 + 1);
    assert_eq!(synced.data["d042/f007.txt"], b"42-7");
    assert_eq!(synced.data["big.bin"].len(), 300_000);
    assert_faithful(&s.0, &synced);
    eprintln!("synced 10,101 entries in {took:?}");
    assert!(took < Duration::from_secs(30), "took {took:?}");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn hard_links_point_at_the_first_path() {
    let s = Scratch::new("hardlink");
    s.file("a.txt", b"shared");
    std::fs::hard_link(s.0.join("a.txt"), s.0.join("b.txt")).expect("link");
    let channel = connect(Some(provider("context", &s.0)), None).await;
    let synced = pull(channel, &[(KEY_DIR_NAME, &["context"])])
        .await
        .expect("sync");
    assert_eq!(synced.paths(), ["a.txt", "b.txt"]);
    assert_eq!(synced.stat("b.txt").linkname, "a.txt");
    assert_eq!(synced.stat("b.txt").size, 6);
    assert_eq!(synced.data.keys().collect::<Vec<_>>(), ["a.txt"]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn errors_reach_the_daemon() {
    let s = Scratch::new("errors");
    s.file("x", b"x");
    let channel = connect(Some(provider("context", &s.0)), None).await;
    let err = pull(channel.clone(), &[(KEY_DIR_NAME, &["nope"])])
        .await
        .expect_err("unknown dir");
    assert_eq!(err, "no access allowed to dir \"nope\"");
    // Accepted by filepath.Match, refused as a regular expression: the
    // walk fails and the daemon gets an ERR packet.
    let err = pull(
        channel.clone(),
        &[
            (KEY_DIR_NAME, &["context"]),
            (KEY_EXCLUDE_PATTERNS, &["[Local-Only]"]),
        ],
    )
    .await
    .expect_err("bad pattern");
    assert!(err.starts_with("failed to match excludepatterns"), "{err}");
    let err = pull(
        channel,
        &[
            (KEY_DIR_NAME, &["context"]),
            (KEY_EXCLUDE_PATTERNS, &["a["]),
        ],
    )
    .await
    .expect_err("malformed pattern");
    assert!(err.contains("invalid excludepatterns"), "{err}");
}

// ---------------------------------------------------------------------------
// FileSend: exporter outputs.

type Outgoing = mpsc::Sender<Packet>;

/// Calls `FileSend.DiffCopy` for exporter `id` with fsutil packets, as
/// BuildKit's local exporter does (the generated client fixes
/// `BytesMessage`, so this goes through the raw gRPC client).
async fn push_packets(channel: Channel, id: usize) -> (Outgoing, tonic::Streaming<Packet>) {
    let (tx, rx) = mpsc::channel::<Packet>(64);
    let out =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|p| (p, rx)) });
    let mut req = tonic::Request::new(out);
    req.metadata_mut().insert(
        KEY_EXPORTER_ID,
        MetadataValue::try_from(id.to_string().as_str()).expect("ascii"),
    );
    let mut grpc = tonic::client::Grpc::new(channel);
    grpc.ready().await.expect("ready");
    let codec = tonic_prost::ProstCodec::<Packet, Packet>::default();
    let path = http::uri::PathAndQuery::from_static("/moby.filesync.v1.FileSend/DiffCopy");
    let resp = grpc.streaming(req, path, codec).await.expect("call");
    (tx, resp.into_inner())
}

fn stat_packet(path: &str, mode: u32, linkname: &str, mod_time: i64) -> Packet {
    Packet {
        r#type: PacketType::PacketStat as i32,
        stat: Some(Stat {
            path: path.into(),
            mode,
            linkname: linkname.into(),
            mod_time,
            ..Stat::default()
        }),
        ..Packet::default()
    }
}

/// Plays the daemon's sender: lists `entries`, answers requests with
/// `contents` (in two chunks), and finishes on FIN. Returns the error
/// text if the receiver refuses.
async fn send_tree(
    channel: Channel,
    id: usize,
    entries: &[(&str, u32, &str)],
    contents: &BTreeMap<&str, &[u8]>,
) -> Result<(), String> {
    let (tx, mut resp) = push_packets(channel, id).await;
    // Send errors are ignored here: a refusal arrives as an ERR packet.
    for (path, mode, link) in entries {
        let _ = tx
            .send(stat_packet(path, *mode, link, 1_600_000_000_123_456_789))
            .await;
    }
    let _ = tx
        .send(Packet {
            r#type: PacketType::PacketStat as i32,
            ..Packet::default()
        })
        .await;
    loop {
        let p = match resp.message().await {
            Ok(Some(p)) => p,
            Ok(None) => return Err("ended without FIN".into()),
            Err(s) => return Err(s.message().to_owned()),
        };
        match PacketType::try_from(p.r#type).map_err(|e| e.to_string())? {
            PacketType::PacketReq => {
                let (path, _, _) = entries[p.id as usize];
                let data = contents.get(path).copied().unwrap_or(b"pwned");
                let (a, b) = data.split_at(data.len() / 2);
                let chunks = [a, b].into_iter().filter(|c| !c.is_empty());
                for chunk in chunks.chain([&[][..]]) {
                    tx.send(Packet {
                        r#type: PacketType::PacketData as i32,
                        id: p.id,
                        data: chunk.to_vec(),
                        ..Packet::default()
                    })
                    .await
                    .map_err(|e| e.to_string())?;
                }
            }
            PacketType::PacketFin => {
                tx.send(Packet {
                    r#type: PacketType::PacketFin as i32,
                    ..Packet::default()
                })
                .await
                .map_err(|e| e.to_string())?;
                drop(tx);
                return match resp.message().await {
                    Ok(None) => Ok(()),
                    other => Err(format!("after FIN: {other:?}")),
                };
            }
            PacketType::PacketErr => return Err(String::from_utf8_lossy(&p.data).into_owned()),
            _ => return Err("unexpected packet".into()),
        }
    }
}

const FILE: u32 = 0o644;

/// A listing entry: path, Go mode, link name.
type Entry<'a> = (&'a str, u32, &'a str);

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_export_writes_the_tree() {
    let s = Scratch::new("local-out");
    let dest = s.0.join("out");
    // Existing content is merged with, not removed.
    s.file("out/existing.txt", b"old");
    let target = FileSendTarget::new(BTreeMap::from([(1, SyncTarget::Dir(dest.clone()))]));
    let channel = connect(None, Some(target)).await;
    let entries = [
        ("bin", DIR | 0o755, ""),
        ("bin/tool", 0o755, ""),
        ("bin/tool-link", 0o755, "bin/tool"),
        ("etc", DIR | 0o700, ""),
        ("etc/conf", FILE, ""),
        ("etc/empty", 0o600, ""),
        ("etc/passwd-link", SYMLINK | 0o777, "/etc/passwd"),
        ("ünï", DIR | 0o755, ""),
        ("ünï/文件", FILE, ""),
    ];
    let contents = BTreeMap::from([
        ("bin/tool", &b"#!/bin/sh\n"[..]),
        ("etc/conf", b"a=b\n"),
        ("etc/empty", b""),
        ("ünï/文件", "数据".as_bytes()),
    ]);
    send_tree(channel, 1, &entries, &contents)
        .await
        .expect("export");
    let read = |p: &str| std::fs::read(dest.join(p)).expect(p);
    assert_eq!(read("bin/tool"), b"#!/bin/sh\n");
    assert_eq!(read("etc/conf"), b"a=b\n");
    assert_eq!(read("etc/empty"), b"");
    assert_eq!(read("ünï/文件"), "数据".as_bytes());
    assert_eq!(read("existing.txt"), b"old");
    let mode = |p: &str| std::fs::symlink_metadata(dest.join(p)).expect(p).mode() & 0o7777;
    assert_eq!(mode("bin/tool"), 0o755);
    assert_eq!(mode("etc"), 0o700);
    assert_eq!(mode("etc/empty"), 0o600);
    let meta = std::fs::metadata(dest.join("etc/conf")).expect("conf");
    assert_eq!(
        (meta.mtime(), meta.mtime_nsec()),
        (1_600_000_000, 123_456_789)
    );
    assert_eq!(
        std::fs::read_link(dest.join("etc/passwd-link")).expect("link"),
        Path::new("/etc/passwd")
    );
    let ino = |p: &str| std::fs::metadata(dest.join(p)).expect(p).ino();
    assert_eq!(ino("bin/tool-link"), ino("bin/tool"));
    let leftovers: Vec<_> = walk_names(&dest)
        .into_iter()
        .filter(|n| n.contains(".tmp"))
        .collect();
    assert!(leftovers.is_empty(), "{leftovers:?}");
}

fn walk_names(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    let mut stack = vec![dir.to_owned()];
    while let Some(d) = stack.pop() {
        for e in std::fs::read_dir(&d).expect("readdir") {
            let e = e.expect("entry");
            let ft = e.file_type().expect("type");
            out.push(
                e.path()
                    .strip_prefix(dir)
                    .expect("under")
                    .to_string_lossy()
                    .into_owned(),
            );
            if ft.is_dir() {
                stack.push(e.path());
            }
        }
    }
    out.sort();
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn local_export_refuses_escaping_paths() {
    let s = Scratch::new("evil");
    let dest = s.0.join("out");
    let outside = s.0.join("outside");
    s.dir("outside");
    s.dir("out");
    // Symlinks already in the destination must not be written through.
    std::os::unix::fs::symlink(&outside, dest.join("pre")).expect("symlink");
    s.file("victim/file", b"orig");
    std::os::unix::fs::symlink(s.0.join("victim/file"), dest.join("vlink")).expect("symlink");
    let target = FileSendTarget::new(BTreeMap::from([(0, SyncTarget::Dir(dest.clone()))]));
    let channel = connect(None, Some(target)).await;
    let data = BTreeMap::from([("x", &b"pwned"[..])]);
    let cases: &[(&[Entry], &str)] = &[
        (&[("../x", FILE, "")], "invalid path"),
        (&[("/x", FILE, "")], "invalid path"),
        (&[("a/../../x", FILE, "")], "invalid path"),
        (&[("a/./b", FILE, "")], "invalid path"),
        (&[("pre/x", FILE, "")], "parent directory was not sent"),
        (
            &[("l", SYMLINK | 0o777, "../outside"), ("l/x", FILE, "")],
            "parent directory was not sent",
        ),
        (&[("h", FILE, "../outside/x")], "invalid path"),
        (&[("h", FILE, "nothing")], "hard link to unknown file"),
        (
            &[("d", DIR | 0o755, ""), ("d", DIR | 0o755, "")],
            "sent twice",
        ),
    ];
    for (entries, want) in cases {
        let err = send_tree(channel.clone(), 0, entries, &data)
            .await
            .expect_err(want);
        assert!(err.contains(want), "{entries:?}: {err}");
    }
    assert!(
        walk_names(&outside).is_empty(),
        "{:?}",
        walk_names(&outside)
    );
    // Sent as a directory, `pre` replaces the symlink instead of following
    // it; a file replaces the symlink `vlink` instead of writing its target.
    send_tree(
        channel,
        0,
        &[
            ("pre", DIR | 0o755, ""),
            ("pre/x", FILE, ""),
            ("vlink", FILE, ""),
        ],
        &data,
    )
    .await
    .expect("export");
    assert!(
        std::fs::symlink_metadata(dest.join("pre"))
            .expect("pre")
            .is_dir()
    );
    assert_eq!(std::fs::read(dest.join("pre/x")).expect("x"), b"pwned");
    assert!(
        std::fs::symlink_metadata(dest.join("vlink"))
            .expect("vlink")
            .is_file()
    );
    assert_eq!(std::fs::read(dest.join("vlink")).expect("vlink"), b"pwned");
    assert_eq!(
        std::fs::read(s.0.join("victim/file")).expect("victim"),
        b"orig"
    );
    assert!(walk_names(&outside).is_empty());
}

async fn push_bytes(
    channel: Channel,
    id: usize,
    chunks: Vec<Vec<u8>>,
) -> Result<(), tonic::Status> {
    let mut req = tonic::Request::new(futures_util::stream::iter(
        chunks.into_iter().map(|data| BytesMessage { data }),
    ));
    req.metadata_mut().insert(
        KEY_EXPORTER_ID,
        MetadataValue::try_from(id.to_string().as_str()).expect("ascii"),
    );
    let mut resp = FileSendClient::new(channel)
        .diff_copy(req)
        .await?
        .into_inner();
    while resp.message().await?.is_some() {}
    Ok(())
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn file_exports_land_atomically() {
    let s = Scratch::new("file-out");
    let tar = s.0.join("nested/out.tar");
    let oci = s.0.join("oci.tar");
    let target = FileSendTarget::new(BTreeMap::from([
        (0, SyncTarget::File(tar.clone())),
        (2, SyncTarget::File(oci.clone())),
    ]));
    let channel = connect(None, Some(target.clone())).await;
    push_bytes(
        channel.clone(),
        0,
        vec![b"hello ".to_vec(), b"world".to_vec()],
    )
    .await
    .expect("export");
    assert_eq!(std::fs::read(&tar).expect("tar"), b"hello world");
    let err = push_bytes(channel.clone(), 1, vec![b"x".to_vec()])
        .await
        .expect_err("no exporter 1");
    assert_eq!(err.code(), tonic::Code::NotFound);

    // A stream cut mid-way leaves nothing at the output path.
    let (tx, rx) = mpsc::channel::<BytesMessage>(4);
    let out =
        futures_util::stream::unfold(rx, |mut rx| async move { rx.recv().await.map(|p| (p, rx)) });
    let mut req = tonic::Request::new(out);
    req.metadata_mut()
        .insert(KEY_EXPORTER_ID, MetadataValue::from_static("2"));
    tx.send(BytesMessage {
        data: vec![1; 1000],
    })
    .await
    .expect("send");
    let call = tokio::spawn(async move { FileSendClient::new(channel).diff_copy(req).await });
    tokio::time::sleep(Duration::from_millis(200)).await;
    call.abort();
    drop(tx);
    tokio::time::sleep(Duration::from_millis(300)).await;
    assert!(!oci.exists());
    assert_eq!(walk_names(&s.0), ["nested", "nested/out.tar"]);
    assert_eq!(target.written(), [tar]);
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn deferred_file_exports_wait_for_commit() {
    let s = Scratch::new("deferred");
    let a = s.0.join("a.tar");
    let b = s.0.join("b.tar");
    let target = FileSendTarget::deferred(BTreeMap::from([(0, SyncTarget::File(a.clone()))]));
    let channel = connect(None, Some(target.clone())).await;
    push_bytes(channel.clone(), 0, vec![b"one".to_vec()])
        .await
        .expect("export");
    assert!(!a.exists());
    assert_eq!(target.commit().expect("commit"), std::slice::from_ref(&a));
    assert_eq!(std::fs::read(&a).expect("a"), b"one");

    let target = FileSendTarget::deferred(BTreeMap::from([(0, SyncTarget::File(b.clone()))]));
    let channel = connect(None, Some(target.clone())).await;
    push_bytes(channel, 0, vec![b"two".to_vec()])
        .await
        .expect("export");
    target.discard();
    assert!(!b.exists());
    assert_eq!(walk_names(&s.0), ["a.tar"]);
}
