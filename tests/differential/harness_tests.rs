//! Tests of the differential harness itself, with no engine: layer
//! application (whiteouts, opaque directories, gzip, hard links, path
//! sanitizing), image diffs, error-line parsing, and the case file formats.

use std::collections::BTreeMap;
use std::io::Write;

use crate::support::build::{BuildFailure, Outcome, error_line};
use crate::support::case::parse_args;
use crate::support::config::NormalizedConfig;
use crate::support::diff::{DiffOptions, diff, diff_with};
use crate::support::expect::{check, parse_expect};
use crate::support::image::{Entry, Image, Kind, apply_layer, sanitize};

enum Item<'a> {
    File(&'a str, &'a str, u32),
    Dir(&'a str),
    Link(&'a str, &'a str),
    Hard(&'a str, &'a str),
}

fn layer(items: &[Item]) -> Vec<u8> {
    let mut b = tar::Builder::new(Vec::new());
    for item in items {
        let mut h = tar::Header::new_gnu();
        h.set_uid(0);
        h.set_gid(0);
        let (path, data): (&str, &[u8]) = match item {
            Item::File(p, c, mode) => {
                h.set_entry_type(tar::EntryType::Regular);
                h.set_mode(*mode);
                h.set_size(c.len() as u64);
                (p, c.as_bytes())
            }
            Item::Dir(p) => {
                h.set_entry_type(tar::EntryType::Directory);
                h.set_mode(0o755);
                (p, b"")
            }
            Item::Link(p, t) | Item::Hard(p, t) => {
                let ty = if matches!(item, Item::Link(..)) {
                    tar::EntryType::Symlink
                } else {
                    tar::EntryType::Link
                };
                h.set_entry_type(ty);
                h.set_mode(0o777);
                h.set_link_name(t).expect("link name");
                (p, b"")
            }
        };
        h.set_size(data.len() as u64);
        b.append_data(&mut h, path, data).expect("append");
    }
    b.into_inner().expect("tar")
}

fn image(files: BTreeMap<String, Entry>) -> Image {
    Image {
        config: NormalizedConfig::default(),
        history: Vec::new(),
        created: None,
        layers: 1,
        files,
    }
}

#[test]
fn sanitize_keeps_paths_inside_the_root() {
    assert_eq!(sanitize(b"../../etc/passwd"), "/etc/passwd");
    assert_eq!(sanitize(b"./a/./b/../c/"), "/a/c");
    assert_eq!(sanitize(b"/"), "/");
    assert_eq!(sanitize(b"a//b"), "/a/b");
}

#[test]
fn whiteouts_and_opaque_dirs_hide_lower_layers_only() {
    let mut fs = BTreeMap::new();
    let lower = layer(&[
        Item::Dir("a/"),
        Item::File("a/x", "x", 0o644),
        Item::File("a/y", "y", 0o644),
        Item::Dir("a/sub/"),
        Item::File("a/sub/deep", "d", 0o644),
        Item::Dir("b/"),
        Item::File("b/old", "o", 0o600),
    ]);
    apply_layer(&mut fs, &lower).expect("lower layer");
    let upper = layer(&[
        Item::File("a/.wh.x", "", 0o644),
        Item::File("a/.wh.sub", "", 0o644),
        Item::File("b/.wh..wh..opq", "", 0o644),
        Item::File("b/new", "n", 0o640),
    ]);
    apply_layer(&mut fs, &upper).expect("upper layer");
    let paths: Vec<&str> = fs.keys().map(String::as_str).collect();
    assert_eq!(paths, ["/a", "/a/y", "/b", "/b/new"]);
    assert_eq!(fs["/b/new"].mode, 0o640);
}

#[test]
fn gzip_layers_hard_links_and_replaced_dirs() {
    let mut fs = BTreeMap::new();
    let raw = layer(&[
        Item::Dir("d/"),
        Item::File("d/f", "hello", 0o644),
        Item::File("t", "data", 0o755),
    ]);
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::fast());
    gz.write_all(&raw).expect("gzip");
    apply_layer(&mut fs, &gz.finish().expect("gzip")).expect("gzip layer");
    apply_layer(
        &mut fs,
        &layer(&[Item::Link("d", "/t"), Item::Hard("h", "t")]),
    )
    .expect("upper");
    assert!(
        !fs.contains_key("/d/f"),
        "a symlink replacing a directory drops its children"
    );
    assert_eq!(fs["/d"].kind, Kind::Symlink);
    assert_eq!(fs["/d"].link.as_deref(), Some("/t"));
    assert_eq!(fs["/h"].kind, Kind::Hardlink);
    assert_eq!((fs["/h"].size, &fs["/h"].sha256), (4, &fs["/t"].sha256));
}

#[test]
fn diff_lists_every_difference() {
    let mut a = BTreeMap::new();
    apply_layer(
        &mut a,
        &layer(&[
            Item::File("same", "s", 0o644),
            Item::File("m", "1", 0o644),
            Item::File("gone", "", 0o644),
        ]),
    )
    .expect("a");
    let mut b = BTreeMap::new();
    apply_layer(
        &mut b,
        &layer(&[
            Item::File("same", "s", 0o644),
            Item::File("m", "2", 0o755),
            Item::File("new", "", 0o644),
        ]),
    )
    .expect("b");
    let (mut a, mut b) = (image(a), image(b));
    assert!(diff(&a, &a.clone()).is_empty());
    a.config.env = vec!["A=1".into()];
    b.config.user = "1000".into();
    let d = diff(&a, &b);
    assert_eq!(
        d,
        [
            r#"config.Env: ["A=1"] != []"#,
            r#"config.User: "" != "1000""#,
            "- /gone (file 0644 0:0 0 bytes)",
            "~ /m: mode 0644 != 0755, content differs",
            "+ /new (file 0644 0:0 0 bytes)",
        ]
    );
    b.files.get_mut("/same").expect("same").mtime = 7;
    b.created = Some("x".into());
    assert_eq!(
        diff_with(
            &a,
            &b,
            &DiffOptions {
                history: true,
                epoch: Some(7)
            }
        )
        .len(),
        7
    );
}

#[test]
fn error_line_comes_from_the_excerpt_header() {
    let stderr = "#5 [2/3] RUN echo Dockerfile:9\nDockerfile:3\n--------------------\n   2 |     RUN true\n>>> 3 | RUN exit 1\n--------------------\nERROR: failed to build";
    assert_eq!(error_line(stderr, "Dockerfile"), Some(3));
    assert_eq!(
        error_line("x.Dockerfile:6-8\n-----\n", "x.Dockerfile"),
        Some(6)
    );
    assert_eq!(
        error_line("ERROR: failed to build: no location", "Dockerfile"),
        None
    );
}

#[test]
fn case_files_parse_and_facts_can_fail() {
    let args = parse_args(
        "# c\nbuild-arg A=1\nplatform linux/arm64\ncontext x=docker-image://busybox:local\n",
    )
    .expect("args");
    assert_eq!(args.build_args, [("A".to_string(), "1".to_string())]);
    assert_eq!(args.contexts[0].1, "docker-image://busybox:local");
    assert!(parse_args("bogus 1").is_err());
    let facts = parse_expect(
        "path /f file mode=0644 owner=0:0 content=\"hi there\\n\"\nabsent /g\nconfig User \"app\"\n@linux/arm64 config architecture \"arm64\"\n",
    )
    .expect("facts");
    assert_eq!(facts[3].platform.as_deref(), Some("linux/arm64"));
    let mut fs = BTreeMap::new();
    apply_layer(
        &mut fs,
        &layer(&[
            Item::File("f", "hi there\n", 0o644),
            Item::File("g", "", 0o600),
        ]),
    )
    .expect("layer");
    let built = Outcome::Built(Box::new(image(fs)));
    let problems = check(facts[..3].iter(), &built);
    assert_eq!(problems.len(), 2, "{problems:?}");
    assert!(
        problems[0].contains("/g exists") && problems[1].contains("config User"),
        "{problems:?}"
    );
    let failure = BuildFailure {
        status: Some(1),
        stderr: "Dockerfile:2\n---\nERROR: boom".into(),
        line: Some(2),
    };
    let must_fail = parse_expect("fails\nerror-line 2\nerror boom").expect("facts");
    assert!(check(must_fail.iter(), &Outcome::Failed(failure.clone())).is_empty());
    assert_eq!(check(must_fail.iter(), &built).len(), 1);
    assert_eq!(
        check(
            parse_expect("error-line 3").expect("facts").iter(),
            &Outcome::Failed(failure)
        )
        .len(),
        1
    );
}
