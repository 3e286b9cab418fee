//! Context sync parity: a generated context (10,000 files, nested
//! `.dockerignore` patterns with `**`, `!` exceptions, leading and trailing
//! `/`, symlinks, hard links, empty directories, unicode names, odd modes)
//! copied with `COPY . /ctx` gives the same tree through `slipway build`
//! (slipway's own file sync) as through `docker buildx build` with the
//! built-in frontend: paths, types, modes, owners, sizes, contents and link
//! targets. A second context checks `Dockerfile.dockerignore` beside a
//! Dockerfile named with `-f`.

#[allow(unused_imports)] // `support::build` re-exports what other suites use
mod support;

use std::os::unix::fs::{PermissionsExt, symlink};
use std::path::Path;

use support::build::{self, BuildRequest, Frontend, Outcome};
use support::diff::diff;
use support::image::{Image, Kind};
use support::slipway_build::{TempDir, build_oci};

/// Files in the generated bulk of the context.
const BULK_FILES: usize = 10_000;

const ROOT_IGNORE: &str = "\
# a comment, then patterns of every shape
**/*.log
!logs/keep.log
/top.tmp
build/
docs/**
!docs/keep
!docs/keep/**
*.bak
**/secret-*
bulk/d99
sub/**/ignored-*.txt
";

fn mode(path: &Path, m: u32) {
    std::fs::set_permissions(path, std::fs::Permissions::from_mode(m)).expect("chmod");
}

/// The big context: every file kind and pattern shape, plus the bulk.
fn generate(ctx: &TempDir) {
    ctx.write("Dockerfile", "FROM scratch\nCOPY . /ctx\n");
    ctx.write(".dockerignore", ROOT_IGNORE);
    for d in 0..100 {
        for f in 0..BULK_FILES / 100 {
            ctx.write(
                &format!("bulk/d{d:02}/f{f:03}.txt"),
                format!("file {d}/{f}\n").repeat(f % 7),
            );
        }
    }
    mode(&ctx.join("bulk/d00/f001.txt"), 0o755);
    mode(&ctx.join("bulk/d00/f002.txt"), 0o600);
    mode(&ctx.join("bulk/d01"), 0o750);
    for p in ["logs/a.log", "logs/keep.log", "deep/x/y/z.log", "keep.log"] {
        ctx.write(p, p);
    }
    ctx.write("top.tmp", "root tmp: ignored");
    ctx.write("sub/top.tmp", "nested tmp: kept (the pattern is anchored)");
    ctx.write("build/out.bin", "ignored dir");
    ctx.write(
        "sub/build/out.bin",
        "kept: `build/` names the root one only",
    );
    ctx.write("docs/readme.md", "ignored");
    ctx.write("docs/keep/kept.md", "re-included");
    ctx.write("docs/keep/deeper/also.md", "re-included too");
    ctx.write("notes.bak", "ignored");
    ctx.write("sub/notes.bak", "kept: `*.bak` is root-only");
    ctx.write("secret-root.txt", "ignored");
    ctx.write("sub/deep/secret-nested.txt", "ignored");
    ctx.write("sub/a/b/ignored-1.txt", "ignored");
    ctx.write("sub/a/b/kept-1.txt", "kept");
    ctx.write("sub/.dockerignore", "*\n# only the root one counts\n");
    ctx.write("ünïcødé/файл.txt", "unicode");
    ctx.write("日本語 with spaces.txt", "unicode and spaces");
    ctx.write("emoji-🚀/🚀.txt", "emoji");
    std::fs::create_dir_all(ctx.join("empty/nested")).expect("empty dirs");
    std::fs::create_dir_all(ctx.join("empty-mode")).expect("empty dir");
    mode(&ctx.join("empty-mode"), 0o711);
    symlink("bulk/d00/f003.txt", ctx.join("link-file")).expect("symlink");
    symlink("bulk/d01", ctx.join("link-dir")).expect("symlink");
    symlink("../nowhere", ctx.join("sub/dangling")).expect("symlink");
    symlink("/etc/passwd", ctx.join("link-absolute")).expect("symlink");
    symlink("logs/a.log", ctx.join("link-to-ignored")).expect("symlink");
    ctx.write("hard-a.txt", "two names, one file\n");
    std::fs::hard_link(ctx.join("hard-a.txt"), ctx.join("hard-b.txt")).expect("hard link");
}

/// The image buildx builds (built-in frontend, classic engine).
fn buildx(ctx: &Path, dockerfile: Option<&str>) -> Image {
    let mut req = BuildRequest::new(ctx, Frontend::Builtin);
    req.dockerfile = dockerfile.map(str::to_string);
    match build::build(&req).unwrap_or_else(|e| panic!("harness: {e}")) {
        Outcome::Built(img) => *img,
        Outcome::Failed(f) => panic!("docker buildx build failed:\n{}", f.stderr),
    }
}

/// The image `slipway build` exports (containerd engine).
fn slipway(ctx: &Path, dockerfile: Option<&str>) -> Image {
    let out = TempDir::new("context-out");
    let dest = out.join("image.tar");
    let f = dockerfile.map(|d| ctx.join(d).display().to_string());
    let extra: Vec<&str> = match &f {
        Some(f) => vec!["-f", f],
        None => vec![],
    };
    let run = build_oci(ctx, &dest, &extra);
    assert!(run.ok(), "slipway build failed:\n{}", run.show());
    Image::from_tarball(&std::fs::read(&dest).expect("read archive")).expect("parse archive")
}

fn assert_same(a: &Image, b: &Image) {
    let d = diff(a, b);
    assert!(
        d.is_empty(),
        "buildx (-) vs slipway build (+): {} differences:\n{}",
        d.len(),
        d.iter().take(60).cloned().collect::<Vec<_>>().join("\n")
    );
}

#[test]
fn copy_dot_copies_the_same_tree_as_buildx() {
    build::engine().unwrap_or_else(|m| panic!("{m}"));
    let ctx = TempDir::new("context");
    generate(&ctx);
    let (theirs, ours) = std::thread::scope(|s| {
        let a = s.spawn(|| buildx(&ctx.path, None));
        let b = s.spawn(|| slipway(&ctx.path, None));
        (
            a.join().expect("buildx thread"),
            b.join().expect("slipway thread"),
        )
    });
    assert_same(&theirs, &ours);

    // The comparison is not vacuous: the patterns did what they say.
    let f = &ours.files;
    let bulk = f
        .keys()
        .filter(|p| p.starts_with("/ctx/bulk/") && p.ends_with(".txt"))
        .count();
    assert_eq!(bulk, BULK_FILES - 100, "bulk files (bulk/d99 is ignored)");
    for kept in [
        "/ctx/logs/keep.log",
        "/ctx/sub/top.tmp",
        "/ctx/sub/build/out.bin",
        "/ctx/docs/keep/kept.md",
        "/ctx/docs/keep/deeper/also.md",
        "/ctx/sub/notes.bak",
        "/ctx/sub/a/b/kept-1.txt",
        "/ctx/sub/.dockerignore",
        "/ctx/ünïcødé/файл.txt",
        "/ctx/日本語 with spaces.txt",
        "/ctx/emoji-🚀/🚀.txt",
        "/ctx/empty/nested",
        "/ctx/link-to-ignored",
        "/ctx/hard-b.txt",
    ] {
        assert!(f.contains_key(kept), "{kept} missing");
    }
    for gone in [
        "/ctx/logs/a.log",
        "/ctx/keep.log",
        "/ctx/deep/x/y/z.log",
        "/ctx/top.tmp",
        "/ctx/build",
        "/ctx/docs/readme.md",
        "/ctx/notes.bak",
        "/ctx/secret-root.txt",
        "/ctx/sub/deep/secret-nested.txt",
        "/ctx/sub/a/b/ignored-1.txt",
        "/ctx/bulk/d99",
    ] {
        assert!(!f.contains_key(gone), "{gone} should be ignored");
    }
    assert_eq!(f["/ctx/bulk/d00/f001.txt"].mode, 0o755);
    assert_eq!(f["/ctx/bulk/d00/f002.txt"].mode, 0o600);
    assert_eq!(f["/ctx/bulk/d01"].mode, 0o750);
    assert_eq!(f["/ctx/empty-mode"].mode, 0o711);
    assert_eq!(f["/ctx/link-dir"].kind, Kind::Symlink);
    assert_eq!(f["/ctx/sub/dangling"].link.as_deref(), Some("../nowhere"));
    assert_eq!(f["/ctx/link-absolute"].link.as_deref(), Some("/etc/passwd"));
}

#[test]
fn dockerfile_specific_dockerignore_applies_with_dash_f() {
    build::engine().unwrap_or_else(|m| panic!("{m}"));
    let ctx = TempDir::new("context-f");
    ctx.write(".dockerignore", "*\n");
    ctx.write("app/app.Dockerfile", "FROM scratch\nCOPY . /ctx\n");
    ctx.write(
        "app/app.Dockerfile.dockerignore",
        "**/*.tmp\n!keep.tmp\n/app\n",
    );
    ctx.write("a.txt", "kept: the root .dockerignore does not apply");
    ctx.write("x.tmp", "ignored");
    ctx.write("keep.tmp", "re-included");
    ctx.write("nested/y.tmp", "ignored");
    ctx.write("nested/z.txt", "kept");
    let dockerfile = Some("app/app.Dockerfile");
    let (theirs, ours) = std::thread::scope(|s| {
        let a = s.spawn(|| buildx(&ctx.path, dockerfile));
        let b = s.spawn(|| slipway(&ctx.path, dockerfile));
        (
            a.join().expect("buildx thread"),
            b.join().expect("slipway thread"),
        )
    });
    assert_same(&theirs, &ours);
    let names: Vec<&str> = ours
        .files
        .keys()
        .map(String::as_str)
        .filter(|p| p.starts_with("/ctx/"))
        .collect();
    assert_eq!(
        names,
        [
            "/ctx/.dockerignore",
            "/ctx/a.txt",
            "/ctx/keep.tmp",
            "/ctx/nested",
            "/ctx/nested/z.txt"
        ]
    );
}
