//! Tests of the content stores: writes that commit only verified content,
//! reads, resumes and ref locks, digests and refs that never lead outside
//! the store, the `Content` service over a real gRPC connection, and the
//! `index.json` handling of cache imports and exports.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use super::cache::{
    Import, LocalCaches, cache_imports_json, record_export, reset_store, resolve_import,
};
use super::store::{Digest, LocalStore, StoreError};
use super::{ContentStores, STORE_ID_HEADER};
use crate::proto::content::content_client::ContentClient;
use crate::proto::content::{
    InfoRequest, ListContentRequest, ReadContentRequest, UpdateRequest, WriteAction,
    WriteContentRequest,
};
use crate::proto::control::CacheOptionsEntry;

/// A folder removed at the end of the test.
struct Scratch(PathBuf);

impl Scratch {
    fn new(name: &str) -> Scratch {
        let dir = std::env::temp_dir().join(format!(
            "slipway-content-{name}-{}-{}",
            std::process::id(),
            crate::buildkit::session::new_id()
        ));
        fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

fn names(dir: &Path) -> Vec<String> {
    let mut out: Vec<String> = fs::read_dir(dir)
        .map(|d| {
            d.map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
                .collect()
        })
        .unwrap_or_default();
    out.sort();
    out
}

fn open(dir: &Path) -> Arc<LocalStore> {
    Arc::new(LocalStore::open(dir).unwrap())
}

#[test]
fn a_commit_stores_the_blob_under_its_digest() {
    let s = Scratch::new("commit");
    let store = open(&s.0);
    let data = b"hello blob";
    let d = Digest::of(data);
    let mut w = store.writer("ref-1", 10, Some(&d)).unwrap();
    w.write(b"hello ").unwrap();
    w.write(b"blob").unwrap();
    assert_eq!(w.status().offset, 10);
    assert_eq!(w.digest(), d);
    assert_eq!(w.commit(10, Some(&d)).unwrap(), d);

    let path = s.0.join("blobs/sha256").join(d.hex());
    assert_eq!(fs::read(&path).unwrap(), data);
    let mode = std::os::unix::fs::PermissionsExt::mode(&fs::metadata(&path).unwrap().permissions());
    assert_eq!(mode & 0o777, 0o444);
    assert_eq!(store.info(&d).unwrap().size, 10);
    assert_eq!(names(&s.0.join("ingest")), Vec::<String>::new());
    let walked: Vec<Digest> = store
        .walk()
        .unwrap()
        .into_iter()
        .map(|i| i.digest)
        .collect();
    assert_eq!(walked, vec![d.clone()]);

    // The same content again: refused up front when expected, and at the
    // commit otherwise, leaving no ingest behind.
    let again = store.writer("ref-2", 0, Some(&d)).unwrap_err();
    assert!(matches!(again, StoreError::AlreadyExists(_)), "{again:?}");
    let mut w = store.writer("ref-3", 0, None).unwrap();
    w.write(data).unwrap();
    let again = w.commit(0, None).unwrap_err();
    assert!(matches!(again, StoreError::AlreadyExists(_)), "{again:?}");
    assert_eq!(store.list_statuses().unwrap(), vec![]);

    store.delete(&d).unwrap();
    assert!(matches!(store.info(&d), Err(StoreError::NotFound(_))));
    assert!(matches!(store.delete(&d), Err(StoreError::NotFound(_))));
}

#[test]
fn a_commit_verifies_size_and_digest() {
    let s = Scratch::new("verify");
    let store = open(&s.0);
    let mut w = store.writer("short", 0, None).unwrap();
    w.write(b"abc").unwrap();
    let e = w.commit(4, None).unwrap_err();
    assert_eq!(
        e,
        StoreError::FailedPrecondition("unexpected commit size 3, expected 4".into())
    );
    let mut w = store.writer("wrong", 0, None).unwrap();
    w.write(b"abc").unwrap();
    let claimed = Digest::of(b"abd");
    let e = w.commit(3, Some(&claimed)).unwrap_err();
    assert_eq!(
        e.to_string(),
        format!(
            "unexpected commit digest {}, expected {claimed}",
            Digest::of(b"abc")
        )
    );
    assert_eq!(store.walk().unwrap(), vec![]);
    assert_eq!(names(&s.0.join("blobs/sha256")), Vec::<String>::new());
}

#[test]
fn writes_resume_and_hold_their_ref() {
    let s = Scratch::new("resume");
    let store = open(&s.0);
    let mut w = store.writer("r", 6, None).unwrap();
    w.write(b"abc").unwrap();
    let busy = store.writer("r", 6, None).unwrap_err();
    assert!(matches!(busy, StoreError::Unavailable(_)), "{busy:?}");
    let st = store.status("r").unwrap();
    assert_eq!((st.reference.as_str(), st.offset, st.total), ("r", 3, 6));
    drop(w);

    let mut w = store.writer("r", 6, None).unwrap();
    assert_eq!(w.status().offset, 3);
    w.write(b"def").unwrap();
    let d = Digest::of(b"abcdef");
    assert_eq!(w.commit(6, Some(&d)).unwrap(), d);

    // Starting over at offset zero forgets what was written.
    let mut w = store.writer("t", 0, None).unwrap();
    w.write(b"junk").unwrap();
    w.truncate().unwrap();
    w.write(b"xyz").unwrap();
    assert_eq!(w.commit(3, None).unwrap(), Digest::of(b"xyz"));

    drop(store.writer("gone", 0, None).unwrap());
    store.abort("gone").unwrap();
    assert!(matches!(store.status("gone"), Err(StoreError::NotFound(_))));
    assert!(matches!(store.abort("gone"), Err(StoreError::NotFound(_))));
}

#[test]
fn only_sha256_digests_name_blobs() {
    let hex = "a".repeat(64);
    for bad in [
        String::new(),
        "sha256:".into(),
        "sha256:abc".into(),
        format!("sha256:{}", "A".repeat(64)),
        format!("sha512:{}", "a".repeat(128)),
        format!("sha256:{}/", "a".repeat(63)),
        format!("sha256:{hex}/../x"),
        "sha256:../../../../etc/passwd".into(),
        format!("SHA256:{hex}"),
        hex.clone(),
    ] {
        let e = Digest::parse(&bad).unwrap_err();
        assert!(
            matches!(e, StoreError::InvalidArgument(_)),
            "{bad:?}: {e:?}"
        );
    }
    let d = Digest::parse(&format!("sha256:{hex}")).unwrap();
    assert_eq!(d.to_string(), format!("sha256:{hex}"));
    assert_eq!(
        Digest::of(b"").to_string(),
        "sha256:e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855"
    );
}

#[test]
fn refs_and_links_never_lead_outside_the_store() {
    let outer = Scratch::new("escape");
    let root = outer.0.join("store");
    let store = open(&root);
    let refs = ["../../escape", "/etc/passwd", "a/../../b", "..", "x\0y"];
    for r in refs {
        let mut w = store.writer(r, 0, None).unwrap();
        w.write(b"x").unwrap();
    }
    assert_eq!(names(&outer.0), vec!["store"]);
    for name in names(&root.join("ingest")) {
        assert!(
            name.len() == 64 && name.bytes().all(|b| b.is_ascii_hexdigit()),
            "{name}"
        );
    }
    let mut listed: Vec<String> = store
        .list_statuses()
        .unwrap()
        .into_iter()
        .map(|s| s.reference)
        .collect();
    listed.sort();
    let mut want: Vec<String> = refs.iter().map(|r| (*r).to_owned()).collect();
    want.sort();
    assert_eq!(listed, want);

    // A blob planted as a symlink to a file outside is neither read,
    // listed nor removed through.
    let secret = outer.0.join("secret");
    fs::write(&secret, b"outside").unwrap();
    let d = Digest::of(b"outside");
    fs::create_dir_all(root.join("blobs/sha256")).unwrap();
    std::os::unix::fs::symlink(&secret, root.join("blobs/sha256").join(d.hex())).unwrap();
    assert!(matches!(store.info(&d), Err(StoreError::NotFound(_))));
    assert!(matches!(store.open_blob(&d), Err(StoreError::NotFound(_))));
    assert_eq!(store.walk().unwrap(), vec![]);
    assert!(matches!(store.delete(&d), Err(StoreError::NotFound(_))));
    assert_eq!(fs::read(&secret).unwrap(), b"outside");

    let empty = store.writer("", 0, None).unwrap_err();
    assert_eq!(
        empty,
        StoreError::InvalidArgument("ref must not be empty".into())
    );
    let long = store.writer(&"r".repeat(5000), 0, None).unwrap_err();
    assert!(matches!(long, StoreError::InvalidArgument(_)), "{long:?}");
}

/// A client of `stores`, served over an in-memory connection.
async fn serve(stores: ContentStores) -> ContentClient<tonic::transport::Channel> {
    let (ours, theirs) = tokio::io::duplex(1 << 20);
    let incoming = futures_util::stream::once(async move { Ok::<_, std::io::Error>(theirs) });
    tokio::spawn(
        tonic::transport::Server::builder()
            .add_service(stores.into_server())
            .serve_with_incoming(incoming),
    );
    let channel = crate::frontend::transport::connect(ours).await.unwrap();
    ContentClient::new(channel).max_decoding_message_size(64 << 20)
}

/// `msg` addressed to the store `id`.
fn to<T>(id: &str, msg: T) -> tonic::Request<T> {
    let mut req = tonic::Request::new(msg);
    req.metadata_mut()
        .insert(STORE_ID_HEADER, id.parse().unwrap());
    req
}

fn write_msg(action: WriteAction, offset: i64, data: &[u8]) -> WriteContentRequest {
    WriteContentRequest {
        action: action as i32,
        offset,
        data: data.to_vec(),
        ..WriteContentRequest::default()
    }
}

#[tokio::test]
async fn the_service_writes_and_reads_as_containerd_does() {
    let s = Scratch::new("grpc");
    let dir = s.0.join("cache").to_string_lossy().into_owned();
    let mut stores = ContentStores::new();
    let id = stores.add_local(&dir).unwrap();
    assert_eq!(id, format!("local:{dir}"));
    let mut client = serve(stores).await;

    // The proxy writer's conversation: STAT with ref, size and digest,
    // WRITEs, then a COMMIT carrying the expectations again.
    let blob: Vec<u8> = (0..3_000_000u32).map(|i| (i % 251) as u8).collect();
    let d = Digest::of(&blob);
    let total = blob.len() as i64;
    let stat = WriteContentRequest {
        action: WriteAction::Stat as i32,
        r#ref: "layer-1".into(),
        total,
        expected: d.to_string(),
        ..WriteContentRequest::default()
    };
    let first = write_msg(WriteAction::Write, 0, &blob[..2_000_000]);
    let mut commit = write_msg(WriteAction::Commit, 2_000_000, &blob[2_000_000..]);
    commit.total = total;
    commit.expected = d.to_string();
    let msgs = vec![stat, first, commit];
    let mut answers = client
        .write(to(&id, tokio_stream::iter(msgs)))
        .await
        .unwrap()
        .into_inner();
    let a = answers.message().await.unwrap().unwrap();
    assert_eq!(
        (a.action, a.offset, a.total),
        (WriteAction::Stat as i32, 0, total)
    );
    assert_eq!(a.digest, Digest::of(b"").to_string());
    let a = answers.message().await.unwrap().unwrap();
    assert_eq!(a.offset, 2_000_000);
    let a = answers.message().await.unwrap().unwrap();
    assert_eq!((a.action, a.offset), (WriteAction::Commit as i32, total));
    assert_eq!(a.digest, d.to_string());
    assert!(answers.message().await.unwrap().is_none());

    let info = client
        .info(to(
            &id,
            InfoRequest {
                digest: d.to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .info
        .unwrap();
    assert_eq!(info.size, total);

    // A range, then the whole blob in 1 MiB pieces.
    let read = |offset, size| {
        to(
            &id,
            ReadContentRequest {
                digest: d.to_string(),
                offset,
                size,
            },
        )
    };
    let mut stream = client.read(read(5, 7)).await.unwrap().into_inner();
    let m = stream.message().await.unwrap().unwrap();
    assert_eq!((m.offset, m.data.as_slice()), (5, &blob[5..12]));
    assert!(stream.message().await.unwrap().is_none());
    let mut stream = client.read(read(0, 0)).await.unwrap().into_inner();
    let mut offsets = Vec::new();
    let mut got = Vec::new();
    while let Some(m) = stream.message().await.unwrap() {
        offsets.push(m.offset);
        got.extend_from_slice(&m.data);
    }
    assert_eq!(offsets, vec![0, 1 << 20, 2 << 20]);
    assert!(got == blob);
    let past = client.read(read(total + 1, 0)).await.unwrap_err();
    assert_eq!(past.code(), tonic::Code::OutOfRange);

    // Writing what is already there is AlreadyExists, which the daemon
    // takes as success.
    let stat = WriteContentRequest {
        action: WriteAction::Stat as i32,
        r#ref: "layer-again".into(),
        expected: d.to_string(),
        ..WriteContentRequest::default()
    };
    let mut answers = client
        .write(to(&id, tokio_stream::iter(vec![stat])))
        .await
        .unwrap()
        .into_inner();
    let e = answers.message().await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::AlreadyExists, "{e:?}");

    let listed = client
        .list(to(&id, ListContentRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .message()
        .await
        .unwrap()
        .unwrap();
    let digests: Vec<&str> = listed.info.iter().map(|i| i.digest.as_str()).collect();
    assert_eq!(digests, vec![d.to_string()]);
}

#[tokio::test]
async fn the_service_refuses_what_containerd_refuses() {
    let s = Scratch::new("refuse");
    let mut stores = ContentStores::new();
    let a = stores.add_local(&s.0.join("a").to_string_lossy()).unwrap();
    let b = stores.add_local(&s.0.join("b").to_string_lossy()).unwrap();
    let mut client = serve(stores).await;
    let d = Digest::of(b"only in a");

    let e = client
        .info(tonic::Request::new(InfoRequest {
            digest: d.to_string(),
        }))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument);
    assert!(e.message().contains(STORE_ID_HEADER), "{e:?}");
    let e = client
        .info(to(
            "local:/elsewhere",
            InfoRequest {
                digest: d.to_string(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (tonic::Code::NotFound, "unknown store \"local:/elsewhere\"")
    );
    let e = client
        .info(to(
            &a,
            InfoRequest {
                digest: "sha256:../../x".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument);

    let mut commit = write_msg(WriteAction::Commit, 0, b"only in a");
    commit.r#ref = "one".into();
    let mut answers = client
        .write(to(&a, tokio_stream::iter(vec![commit])))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        answers.message().await.unwrap().unwrap().digest,
        d.to_string()
    );
    let found = client
        .info(to(
            &a,
            InfoRequest {
                digest: d.to_string(),
            },
        ))
        .await;
    assert!(found.is_ok());
    let e = client
        .info(to(
            &b,
            InfoRequest {
                digest: d.to_string(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::NotFound);

    // Out-of-order offsets, a stream without a ref, label updates.
    let mut skip = write_msg(WriteAction::Write, 10, b"x");
    skip.r#ref = "two".into();
    let mut answers = client
        .write(to(&a, tokio_stream::iter(vec![skip])))
        .await
        .unwrap()
        .into_inner();
    let e = answers.message().await.unwrap_err();
    assert_eq!(
        (e.code(), e.message()),
        (
            tonic::Code::OutOfRange,
            "write @10 must occur at current offset 0"
        )
    );
    let mut answers = client
        .write(to(
            &a,
            tokio_stream::iter(vec![write_msg(WriteAction::Write, 0, b"x")]),
        ))
        .await
        .unwrap()
        .into_inner();
    let e = answers.message().await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument);
    let update = UpdateRequest {
        info: Some(crate::proto::content::Info {
            digest: d.to_string(),
            ..Default::default()
        }),
        update_mask: None,
    };
    let e = client.update(to(&a, update)).await.unwrap_err();
    assert_eq!(e.code(), tonic::Code::FailedPrecondition);

    let filtered = |f: &str| ListContentRequest {
        filters: vec![f.to_owned()],
    };
    let mut hit = client
        .list(to(&a, filtered(&format!("digest=={d}"))))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(hit.message().await.unwrap().unwrap().info.len(), 1);
    let mut both = client
        .list(to(&a, filtered("digest!=sha256:x,size==9")))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(both.message().await.unwrap().unwrap().info.len(), 1);
    let mut none = client
        .list(to(&a, filtered("size==1")))
        .await
        .unwrap()
        .into_inner();
    assert!(none.message().await.unwrap().is_none());
    let e = client
        .list(to(&a, filtered("digest~=x")))
        .await
        .unwrap_err();
    assert_eq!(e.code(), tonic::Code::InvalidArgument);
}

fn response(digest: &Digest) -> BTreeMap<String, String> {
    let desc = format!(
        r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{digest}","size":9}}"#
    );
    BTreeMap::from([("cache.manifest".to_owned(), desc)])
}

fn local_import(src: &Path, extra: &[(&str, &str)]) -> CacheOptionsEntry {
    let mut attrs = BTreeMap::from([("src".to_owned(), src.to_string_lossy().into_owned())]);
    for (k, v) in extra {
        attrs.insert((*k).to_owned(), (*v).to_owned());
    }
    CacheOptionsEntry {
        r#type: "local".into(),
        attrs,
    }
}

#[test]
fn exports_replace_their_tag_and_keep_other_entries() {
    let s = Scratch::new("index");
    let old = format!("sha256:{}", "1".repeat(64));
    let named = format!("sha256:{}", "2".repeat(64));
    let other = format!("sha256:{}", "3".repeat(64));
    let existing = format!(
        r#"{{"schemaVersion":2,"manifests":[
        {{"digest":"{old}","size":1,"annotations":{{"org.opencontainers.image.ref.name":"latest"}}}},
        {{"digest":"{named}","size":2,"annotations":{{"org.opencontainers.image.ref.name":"latest","io.containerd.image.name":"docker.io/a/b:latest"}}}},
        {{"digest":"{other}","size":3,"annotations":{{"org.opencontainers.image.ref.name":"v1"}},"platform":{{"os":"linux"}}}}
        ],"annotations":{{"k":"v"}}}}"#
    );
    fs::write(s.0.join("index.json"), existing).unwrap();
    let d = Digest::of(b"manifest!");
    assert!(record_export(&s.0, "latest", &response(&d)).unwrap());
    let text = fs::read_to_string(s.0.join("index.json")).unwrap();
    assert_eq!(
        text,
        format!(
            "{{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.index.v1+json\",\
             \"manifests\":[\
             {{\"digest\":\"{named}\",\"size\":2,\"annotations\":{{\"io.containerd.image.name\":\
             \"docker.io/a/b:latest\",\"org.opencontainers.image.ref.name\":\"latest\"}}}},\
             {{\"digest\":\"{other}\",\"size\":3,\"annotations\":{{\"org.opencontainers.image.ref.name\":\
             \"v1\"}},\"platform\":{{\"os\":\"linux\"}}}},\
             {{\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"digest\":\"{d}\",\
             \"size\":9,\"annotations\":{{\"org.opencontainers.image.ref.name\":\"latest\"}}}}\
             ],\"annotations\":{{\"k\":\"v\"}}}}"
        )
    );
    assert_eq!(
        fs::read_to_string(s.0.join("oci-layout")).unwrap(),
        r#"{"imageLayoutVersion":"1.0.0"}"#
    );
    assert_eq!(names(&s.0), vec!["index.json", "oci-layout"]);

    assert!(!record_export(&s.0, "latest", &BTreeMap::new()).unwrap());
    let bad = BTreeMap::from([(
        "cache.manifest".to_owned(),
        r#"{"digest":"md5:x"}"#.to_owned(),
    )]);
    let e = record_export(&s.0, "latest", &bad).unwrap_err();
    assert!(e.contains("not a sha256 digest"), "{e}");
}

#[test]
fn imports_resolve_their_tag_or_are_skipped() {
    let s = Scratch::new("import");
    let store = open(&s.0);
    let manifest = b"manifest!";
    let d = Digest::of(manifest);
    let mut w = store.writer("m", 0, None).unwrap();
    w.write(manifest).unwrap();
    w.commit(9, Some(&d)).unwrap();
    record_export(&s.0, "latest", &response(&d)).unwrap();
    let missing = Digest::of(b"not stored");
    record_export(&s.0, "gone", &response(&missing)).unwrap();

    let mut e = local_import(&s.0, &[]);
    assert_eq!(resolve_import(&mut e).unwrap(), Import::Ready);
    assert_eq!(e.attrs["digest"], d.to_string());
    let src = s.0.display();
    let mut e = local_import(&s.0, &[("tag", "v2")]);
    assert_eq!(
        resolve_import(&mut e).unwrap(),
        Import::Skipped(format!(
            "local cache import at {src} skipped: no digest found for tag v2"
        ))
    );
    let mut e = local_import(&s.0, &[("tag", "gone")]);
    let Import::Skipped(why) = resolve_import(&mut e).unwrap() else {
        panic!("a tag whose blob is missing must be skipped");
    };
    assert!(
        why.contains(&format!("digest {missing} unavailable")),
        "{why}"
    );
    let mut e = local_import(&s.0, &[("digest", "sha256:../../etc")]);
    assert!(matches!(
        resolve_import(&mut e).unwrap(),
        Import::Skipped(_)
    ));
    let mut e = local_import(&s.0, &[("tag", "")]);
    assert!(
        resolve_import(&mut e)
            .unwrap_err()
            .contains("requires either explicit digest")
    );
    let nowhere = s.0.join("nowhere");
    let mut e = local_import(&nowhere, &[]);
    assert_eq!(
        resolve_import(&mut e).unwrap(),
        Import::Skipped(format!(
            "local cache import at {} not found",
            nowhere.display()
        ))
    );
    assert!(!nowhere.exists());

    // A build's preparation keeps what can be used and says what not.
    let mut imports = vec![
        local_import(&s.0, &[]),
        local_import(&nowhere, &[]),
        CacheOptionsEntry {
            r#type: "registry".into(),
            attrs: BTreeMap::from([("ref".to_owned(), "r/app:cache".to_owned())]),
        },
    ];
    let dest = s.0.join("out").to_string_lossy().into_owned();
    let exports = vec![CacheOptionsEntry {
        r#type: "local".into(),
        attrs: BTreeMap::from([("dest".to_owned(), dest.clone())]),
    }];
    let caches = LocalCaches::prepare(&mut imports, &exports).unwrap();
    assert_eq!(caches.warnings.len(), 1);
    assert_eq!(imports.len(), 2);
    assert!(!caches.stores.is_empty());
    assert!(Path::new(&dest).is_dir());
    assert_eq!(
        cache_imports_json(&imports).unwrap(),
        format!(
            r#"[{{"Type":"local","Attrs":{{"digest":"{d}","src":"{src}"}}}},{{"Type":"registry","Attrs":{{"ref":"r/app:cache"}}}}]"#
        )
    );
    assert_eq!(cache_imports_json(&[]), None);
    caches.record(&response(&d)).unwrap();
    let index = fs::read_to_string(Path::new(&dest).join("index.json")).unwrap();
    assert!(index.contains(&d.to_string()), "{index}");
}

/// Commits `data` to `store`.
fn put(store: &Arc<LocalStore>, data: &[u8]) -> Digest {
    let d = Digest::of(data);
    let mut w = store.writer(&format!("put-{d}"), 0, None).unwrap();
    w.write(data).unwrap();
    w.commit(0, Some(&d)).unwrap()
}

#[test]
fn a_reset_keeps_only_what_the_index_reaches() {
    let s = Scratch::new("reset");
    let store = open(&s.0);
    let config = put(&store, b"{}");
    let layer = put(&store, b"layer bytes");
    let orphan = put(&store, b"old layer");
    let manifest = format!(
        r#"{{"schemaVersion":2,"config":{{"mediaType":"application/vnd.buildkit.cacheconfig.v0","digest":"{config}","size":2}},"layers":[{{"mediaType":"application/vnd.oci.image.layer.v1.tar+gzip","digest":"{layer}","size":11}}]}}"#
    );
    let m = put(&store, manifest.as_bytes());
    let desc = format!(
        r#"{{"mediaType":"application/vnd.oci.image.manifest.v1+json","digest":"{m}","size":{}}}"#,
        manifest.len()
    );
    let response = BTreeMap::from([("cache.manifest".to_owned(), desc)]);
    let dest = s.0.to_string_lossy().into_owned();
    let exports = vec![CacheOptionsEntry {
        r#type: "local".into(),
        attrs: BTreeMap::from([
            ("dest".to_owned(), dest.clone()),
            ("reset".to_owned(), "true".to_owned()),
        ]),
    }];
    let caches = LocalCaches::prepare(&mut Vec::new(), &exports).unwrap();
    assert_eq!(caches.record(&response).unwrap(), Vec::<String>::new());
    let mut kept: Vec<Digest> = store
        .walk()
        .unwrap()
        .into_iter()
        .map(|i| i.digest)
        .collect();
    kept.sort();
    let mut want = vec![config.clone(), layer.clone(), m.clone()];
    want.sort();
    assert_eq!(kept, want);
    assert!(matches!(store.info(&orphan), Err(StoreError::NotFound(_))));

    // A manifest the index names but the store lacks stops the reset
    // before anything is deleted.
    let stray = put(&store, b"stray");
    store.delete(&m).unwrap();
    let e = reset_store(&s.0).unwrap_err();
    assert!(e.contains("not found"), "{e}");
    assert!(store.info(&stray).is_ok());

    let bad = vec![CacheOptionsEntry {
        r#type: "local".into(),
        attrs: BTreeMap::from([
            ("dest".to_owned(), dest),
            ("reset".to_owned(), "yes".to_owned()),
        ]),
    }];
    let e = LocalCaches::prepare(&mut Vec::new(), &bad).unwrap_err();
    assert_eq!(e, "failed to parse reset attribute: invalid syntax \"yes\"");
}

#[test]
fn layout_contexts_resolve_tags_and_keep_digests() {
    let s = Scratch::new("layout");
    let digest = format!("sha256:{}", "ab".repeat(32));
    let index = serde_json::json!({
        "schemaVersion": 2,
        "manifests": [{
            "mediaType": "application/vnd.oci.image.manifest.v1+json",
            "digest": digest,
            "size": 10,
            "annotations": {"org.opencontainers.image.ref.name": "v1"}
        }]
    });
    fs::write(s.0.join("index.json"), index.to_string()).unwrap();
    let dir = s.0.display().to_string();

    let by_tag = super::cache::layout_context(&format!("oci-layout://{dir}:v1"), "st").unwrap();
    assert_eq!(by_tag.value, format!("oci-layout://st:v1@{digest}"));
    assert_eq!(by_tag.dir, s.0);

    let pinned = format!("sha256:{}", "cd".repeat(32));
    let given =
        super::cache::layout_context(&format!("oci-layout://{dir}@{pinned}"), "st").unwrap();
    assert_eq!(given.value, format!("oci-layout://st@{pinned}"));

    let missing = super::cache::layout_context(&format!("oci-layout://{dir}:nope"), "st");
    assert!(missing.unwrap_err().contains("no manifest tagged \"nope\""));
    let bad = super::cache::layout_context(&format!("oci-layout://{dir}@sha256:zz"), "st");
    assert!(bad.unwrap_err().contains("not a sha256 digest"));

    let mut stores = ContentStores::new();
    assert_eq!(stores.add_layout("st", &s.0).unwrap(), "oci:st");
    assert!(stores.add_layout("x", &s.0.join("absent")).is_err());
}
