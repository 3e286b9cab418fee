//! Remote build contexts and frontend inputs.
//!
//! - Against the daemon (the containerd-store engine, which can export OCI
//!   archives): a Git repository served here by `git daemon` on 127.0.0.1,
//!   and files served by a small HTTP server in this process, are the
//!   contexts of builds made three ways: `docker buildx build` with
//!   BuildKit's built-in frontend, the same with slipway's frontend image
//!   (`BUILDKIT_SYNTAX`), and `slipway build`. The images must be equal
//!   (files and config). Covered: a Git main context (plain, with a
//!   `#ref:subdir` fragment, under SOURCE_DATE_EPOCH, with a
//!   `?ref=&subdir=` query), an HTTP tarball
//!   context, an HTTP URL that is the Dockerfile itself, and a Git named
//!   context next to a local main context.
//! - `input:` named contexts: `docker buildx bake` builds a target whose
//!   context `base` is another target (`target:base`), which buildx hands
//!   the frontend as LLB (`context:base=input:…` with the image config in
//!   `input-metadata:…`). Built with both frontends; equal images.
//! - Offline: how the compiler lowers `contextsubdir` and splices an input
//!   definition into its own.
//!
//! Needs the engines `scripts/test` starts, with `busybox:local`, and
//! `git` (for `git daemon`).

#[allow(unused_imports)] // `support` serves other suites too
mod support;

use std::collections::BTreeMap;
use std::io::{BufRead, BufReader, Write};
use std::net::TcpListener;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use serde_json::{Value, json};

use prost::Message as _;
use slipway::compile::{self, CompileRequest, OfflineResolver, StaticResolver};
use slipway::ir::options::BuildOptions;
use slipway::proto::pb;

use support::diff::diff;
use support::image::{Image, Kind};
use support::slipway_build::{
    TempDir, build_oci, checked, host_or_panic, install_frontend, output_text, read_image,
    sha256_hex,
};

/// The tag this build of slipway's frontend is installed as.
const FRONTEND_TAG: &str = "slipway/frontend:remote-context-test";

const ROOT_DOCKERFILE: &str = "\
FROM busybox:local
COPY . /src
RUN ls -a /src > /listing
";

const SUB_DOCKERFILE: &str = "\
FROM busybox:local
WORKDIR /sub
COPY . .
";

/// A Dockerfile served over HTTP as the whole context.
const PLAIN_DOCKERFILE: &str = "\
FROM busybox:local
COPY . /ctx
RUN echo plain > /plain
";

const NAMED_GIT_DOCKERFILE: &str = "\
FROM busybox:local
COPY --from=src /sub /from-git
COPY local.txt /
";

const BASE_TARGET: &str = "\
FROM busybox:local
ENV BASE_VAR=from-target
WORKDIR /w
RUN echo base > /base.txt
";

const APP_TARGET: &str = "\
FROM base
RUN echo \"$BASE_VAR $(pwd)\" > /seen
COPY --from=base /base.txt /copied
";

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(f)
}

fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
    pairs
        .iter()
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

#[test]
fn a_git_context_limited_to_a_subdirectory_is_copied_onto_scratch() {
    let options = BuildOptions::from_frontend_opts(&opts(&[
        ("context", "https://example.com/org/repo.git#v1"),
        ("contextsubdir", "app"),
        ("build-arg:SOURCE_DATE_EPOCH", "0"),
    ]))
    .expect("valid options");
    let req = CompileRequest {
        dockerfile: b"FROM scratch\nCOPY . /\n".to_vec(),
        options,
        ..CompileRequest::default()
    };
    let compiled = block_on(compile::compile(&req, &StaticResolver::default())).expect("compiles");
    let v = compiled.to_json();
    let ops = v["platforms"][0]["llb"]["ops"].as_array().expect("ops");
    let git = ops
        .iter()
        .find(|o| o["op"]["source"]["identifier"].is_string())
        .expect("a source op");
    assert_eq!(
        git["op"]["source"]["identifier"],
        json!("git://example.com/org/repo.git#v1")
    );
    let attrs = &git["op"]["source"]["attrs"];
    assert_eq!(
        attrs["git.fullurl"],
        json!("https://example.com/org/repo.git")
    );
    assert_eq!(attrs["git.mtime"], json!("commit"), "SOURCE_DATE_EPOCH");
    assert_eq!(
        git["metadata"]["description"]["llb.customname"],
        json!("[internal] load git source https://example.com/org/repo.git#v1")
    );
    let copies: Vec<&Value> = ops
        .iter()
        .filter_map(|o| o["op"]["file"]["actions"].as_array())
        .flatten()
        .filter_map(|a| a["copy"].as_object().map(|_| &a["copy"]))
        .collect();
    let scoped = copies
        .iter()
        .find(|c| c["src"] == json!("/app"))
        .unwrap_or_else(|| panic!("no copy of /app: {copies:#?}"));
    assert_eq!(scoped["dest"], json!("/"));
    assert_eq!(scoped["dir_copy_contents"], json!(true));
}

#[test]
fn an_input_context_splices_the_callers_definition_in() {
    // The caller's definition: an image and a file copied out of it.
    let base_req = CompileRequest {
        dockerfile: b"FROM scratch\nCOPY --from=busybox:local /bin/true /true\n".to_vec(),
        options: BuildOptions::default(),
        ..CompileRequest::default()
    };
    let base = block_on(compile::compile(&base_req, &OfflineResolver)).expect("base compiles");
    let input = base.platforms[0].definition.clone();
    let (terminal, input_ops) = input.def.split_last().expect("ops");
    let config = json!({
        "architecture": "amd64", "os": "linux",
        "config": {"Env": ["PATH=/bin", "FROM_INPUT=1"], "WorkingDir": "/in"},
        "rootfs": {"type": "layers", "diff_ids": []}
    });
    let metadata = json!({
        "containerimage.config": base64_encode(config.to_string().as_bytes())
    });
    let mut options = BuildOptions::from_frontend_opts(&opts(&[
        ("context:base", "input:base"),
        ("input-metadata:base", &metadata.to_string()),
    ]))
    .expect("valid options");
    options.inputs.insert("base".to_owned());
    let req = CompileRequest {
        dockerfile: b"FROM base\nRUN echo $FROM_INPUT\n".to_vec(),
        options,
        inputs: BTreeMap::from([("base".to_owned(), input.clone())]),
        ..CompileRequest::default()
    };
    let compiled = block_on(compile::compile(&req, &StaticResolver::default())).expect("compiles");
    let def = &compiled.platforms[0].definition;
    for op in input_ops {
        assert!(def.def.contains(op), "an op of the input is missing");
    }
    assert!(
        !def.def.contains(terminal),
        "the input's final op is not an op of the build"
    );
    let v = compiled.to_json();
    let ops = v["platforms"][0]["llb"]["ops"].as_array().expect("ops");
    let exec = ops
        .iter()
        .find(|o| o["op"]["exec"].is_object())
        .expect("the RUN");
    assert_eq!(exec["op"]["exec"]["meta"]["cwd"], json!("/in"));
    assert_eq!(
        exec["op"]["exec"]["meta"]["env"],
        json!(["PATH=/bin", "FROM_INPUT=1"])
    );
    let head = pb::Op::decode(terminal.as_slice()).expect("an op").inputs[0]
        .digest
        .clone();
    assert_eq!(exec["op"]["inputs"][0], json!(format!("{head}:0")));

    // A name the caller did not send is an error at the FROM.
    let mut options =
        BuildOptions::from_frontend_opts(&opts(&[("context:base", "input:nope")])).unwrap();
    options.inputs.insert("base".to_owned());
    let req = CompileRequest {
        dockerfile: b"FROM base\n".to_vec(),
        options,
        ..CompileRequest::default()
    };
    let Err(errors) = block_on(compile::compile(&req, &StaticResolver::default())) else {
        panic!("compiled with a missing input");
    };
    assert_eq!(errors[0].message, "invalid input nope for base");
}

fn base64_encode(bytes: &[u8]) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::STANDARD.encode(bytes)
}

// ---------------------------------------------------------------------
// Against the daemon.

/// A child process killed on drop.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> u16 {
    TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn git(dir: &Path, args: &[&str]) {
    let out = Command::new("git")
        .arg("-C")
        .arg(dir)
        .args(args)
        .env("GIT_AUTHOR_NAME", "t")
        .env("GIT_AUTHOR_EMAIL", "t@example.com")
        .env("GIT_COMMITTER_NAME", "t")
        .env("GIT_COMMITTER_EMAIL", "t@example.com")
        .env("GIT_AUTHOR_DATE", "2024-01-01T00:00:00Z")
        .env("GIT_COMMITTER_DATE", "2024-01-01T00:00:00Z")
        .output()
        .expect("git runs");
    assert!(
        out.status.success(),
        "git {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

/// Makes the repository (`Dockerfile`, `top.txt`, `sub/Dockerfile`,
/// `sub/data.txt`) as a bare repo under `root/repo.git`, and serves `root`
/// with `git daemon`; returns the server and the repo's URL.
fn serve_git(dir: &TempDir) -> (Server, String) {
    let work = dir.join("work");
    std::fs::create_dir_all(work.join("sub")).expect("work dir");
    std::fs::write(work.join("Dockerfile"), ROOT_DOCKERFILE).expect("write");
    std::fs::write(work.join("top.txt"), "top\n").expect("write");
    std::fs::write(work.join("sub/Dockerfile"), SUB_DOCKERFILE).expect("write");
    std::fs::write(work.join("sub/data.txt"), "data\n").expect("write");
    git(&work, &["init", "-q", "-b", "main"]);
    git(&work, &["add", "-A"]);
    git(&work, &["commit", "-q", "-m", "init"]);
    let root = dir.join("git");
    std::fs::create_dir_all(&root).expect("git root");
    git(
        &work,
        &[
            "clone",
            "-q",
            "--bare",
            ".",
            root.join("repo.git").to_str().unwrap(),
        ],
    );
    let port = free_port();
    let child = Command::new("git")
        .arg("daemon")
        .arg("--reuseaddr")
        .arg("--export-all")
        .arg(format!("--base-path={}", root.display()))
        .arg("--listen=127.0.0.1")
        .arg(format!("--port={port}"))
        .arg(&root)
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("git daemon starts");
    let server = Server(child);
    let url = format!("git://127.0.0.1:{port}/repo.git");
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let ok = Command::new("git")
            .args(["ls-remote", &url])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .status()
            .is_ok_and(|s| s.success());
        if ok {
            break;
        }
        assert!(Instant::now() < deadline, "git daemon did not come up");
        std::thread::sleep(Duration::from_millis(100));
    }
    (server, url)
}

/// Serves the files of `root` over HTTP/1.1 on 127.0.0.1 (GET and HEAD,
/// one request per connection) from a thread; returns the base URL.
fn serve_http(root: PathBuf) -> String {
    let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
    let port = listener.local_addr().expect("addr").port();
    std::thread::spawn(move || {
        for stream in listener.incoming().flatten() {
            let root = root.clone();
            std::thread::spawn(move || {
                let mut reader = BufReader::new(&stream);
                let mut request = String::new();
                if reader.read_line(&mut request).is_err() {
                    return;
                }
                loop {
                    let mut line = String::new();
                    match reader.read_line(&mut line) {
                        Ok(0) | Err(_) => break,
                        Ok(_) if line == "\r\n" => break,
                        Ok(_) => {}
                    }
                }
                let mut parts = request.split_whitespace();
                let (method, path) = (parts.next().unwrap_or(""), parts.next().unwrap_or("/"));
                let name = path.trim_start_matches('/');
                let body = (!name.contains("..") && !name.is_empty())
                    .then(|| std::fs::read(root.join(name)).ok())
                    .flatten();
                let mut out = &stream;
                let _ = match body {
                    Some(b) => {
                        let head = format!(
                            "HTTP/1.1 200 OK\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
                            b.len()
                        );
                        out.write_all(head.as_bytes()).and_then(|_| {
                            if method == "HEAD" {
                                Ok(())
                            } else {
                                out.write_all(&b)
                            }
                        })
                    }
                    None => out.write_all(
                        b"HTTP/1.1 404 Not Found\r\nContent-Length: 0\r\nConnection: close\r\n\r\n",
                    ),
                };
            });
        }
    });
    format!("http://127.0.0.1:{port}")
}

fn buildx_oci(context: &str, dest: &Path, extra: &[&str]) -> Image {
    let mut c = Command::new("docker");
    c.env("DOCKER_HOST", host_or_panic())
        .env("DOCKER_CLI_HINTS", "false")
        .args(["buildx", "build", "--progress=plain"])
        .args(extra)
        .arg("-o")
        .arg(format!("type=oci,dest={}", dest.display()))
        .arg(context);
    let log = output_text(&checked(
        c,
        &format!("docker buildx build {extra:?} {context}"),
    ));
    if extra.iter().any(|a| a.starts_with("BUILDKIT_SYNTAX=")) {
        assert!(
            log.contains(FRONTEND_TAG),
            "the build did not go through slipway's frontend:\n{log}"
        );
    }
    read_image(dest)
}

fn content(image: &Image, path: &str) -> Option<String> {
    image.files.get(path).and_then(|e| e.sha256.clone())
}

/// Builds `context` three ways; the last two must equal the first, which
/// is returned.
fn build_three_ways(dir: &TempDir, name: &str, context: &str, extra: &[&str]) -> Image {
    let builtin = buildx_oci(context, &dir.join(format!("{name}-builtin.tar")), extra);
    let syntax = format!("BUILDKIT_SYNTAX={FRONTEND_TAG}");
    let mut with_syntax = extra.to_vec();
    with_syntax.extend(["--build-arg", &syntax]);
    let frontend = buildx_oci(
        context,
        &dir.join(format!("{name}-frontend.tar")),
        &with_syntax,
    );
    let dest = dir.join(format!("{name}-slipway.tar"));
    let run = build_oci(Path::new(context), &dest, extra);
    assert!(run.ok(), "{name}: slipway build failed:\n{}", run.show());
    let built = read_image(&dest);
    for (what, other) in [
        ("slipway's frontend image", &frontend),
        ("slipway build", &built),
    ] {
        let d = diff(&builtin, other);
        assert!(
            d.is_empty(),
            "{name}: {what} differs from BuildKit's:\n{}",
            d.join("\n")
        );
    }
    builtin
}

#[test]
fn git_and_http_contexts_build_like_buildkit() {
    let dir = TempDir::new("remote-context");
    install_frontend(FRONTEND_TAG);
    let (_git, repo) = serve_git(&dir);
    let files = dir.join("http");
    std::fs::create_dir_all(&files).expect("http dir");
    // The repository's tree as a tarball, and a lone Dockerfile.
    let tarball = files.join("ctx.tar.gz");
    let status = Command::new("tar")
        .arg("-C")
        .arg(dir.join("work"))
        .args(["--exclude=.git", "-czf"])
        .arg(&tarball)
        .arg(".")
        .status()
        .expect("tar runs");
    assert!(status.success());
    std::fs::write(files.join("Dockerfile.remote"), PLAIN_DOCKERFILE).expect("write");
    let http = serve_http(files);

    let whole = build_three_ways(&dir, "git", &repo, &[]);
    assert_eq!(content(&whole, "/src/top.txt"), Some(sha256_hex(b"top\n")));
    assert_eq!(
        content(&whole, "/listing"),
        Some(sha256_hex(b".\n..\nDockerfile\nsub\ntop.txt\n")),
        "the checkout has no .git"
    );

    let sub = build_three_ways(&dir, "git-fragment", &format!("{repo}#main:sub"), &[]);
    assert_eq!(content(&sub, "/sub/data.txt"), Some(sha256_hex(b"data\n")));
    assert!(!sub.files.contains_key("/sub/top.txt"));
    // SOURCE_DATE_EPOCH asks for commit times where the daemon has them.
    build_three_ways(
        &dir,
        "git-epoch",
        &format!("{repo}#main:sub"),
        &["--build-arg", "SOURCE_DATE_EPOCH=1700000000"],
    );
    let query = build_three_ways(
        &dir,
        "git-query",
        &format!("{repo}?ref=main&subdir=sub"),
        &[],
    );
    assert!(diff(&sub, &query).is_empty(), "query and fragment differ");

    let tar = build_three_ways(&dir, "http-tarball", &format!("{http}/ctx.tar.gz"), &[]);
    assert_eq!(content(&tar, "/src/top.txt"), Some(sha256_hex(b"top\n")));
    assert_eq!(
        tar.files.get("/src/sub").map(|e| e.kind),
        Some(Kind::Dir),
        "the archive is unpacked"
    );

    let plain = build_three_ways(
        &dir,
        "http-dockerfile",
        &format!("{http}/Dockerfile.remote"),
        &[],
    );
    assert_eq!(content(&plain, "/plain"), Some(sha256_hex(b"plain\n")));
    assert_eq!(
        content(&plain, "/ctx/context"),
        Some(sha256_hex(PLAIN_DOCKERFILE.as_bytes())),
        "the download is the context, under its file name"
    );

    let local = dir.join("local");
    std::fs::create_dir_all(&local).expect("local dir");
    std::fs::write(local.join("Dockerfile"), NAMED_GIT_DOCKERFILE).expect("write");
    std::fs::write(local.join("local.txt"), "local\n").expect("write");
    let named = format!("src={repo}#main");
    let mixed = build_three_ways(
        &dir,
        "named-git",
        local.to_str().expect("utf-8 path"),
        &["--build-context", &named],
    );
    assert_eq!(
        content(&mixed, "/from-git/data.txt"),
        Some(sha256_hex(b"data\n"))
    );
    assert_eq!(content(&mixed, "/local.txt"), Some(sha256_hex(b"local\n")));
}

#[test]
fn input_contexts_from_bake_targets_build_like_buildkit() {
    let dir = TempDir::new("input-context");
    install_frontend(FRONTEND_TAG);
    let project = dir.join("project");
    std::fs::create_dir_all(&project).expect("project dir");
    std::fs::write(project.join("base.Dockerfile"), BASE_TARGET).expect("write");
    std::fs::write(project.join("app.Dockerfile"), APP_TARGET).expect("write");
    let bake = "\
variable \"SYNTAX\" { default = \"\" }
variable \"DEST\" { default = \"\" }
target \"base\" {
  dockerfile = \"base.Dockerfile\"
}
target \"app\" {
  dockerfile = \"app.Dockerfile\"
  contexts = { base = \"target:base\" }
  args = SYNTAX == \"\" ? {} : { BUILDKIT_SYNTAX = SYNTAX }
  output = [\"type=oci,dest=${DEST}\"]
}
";
    std::fs::write(project.join("docker-bake.hcl"), bake).expect("write");
    let run = |syntax: &str, dest: &Path| {
        let mut c = Command::new("docker");
        c.current_dir(&project)
            .env("DOCKER_HOST", host_or_panic())
            .env("DOCKER_CLI_HINTS", "false")
            .env("SYNTAX", syntax)
            .env("DEST", dest)
            .args(["buildx", "bake", "--progress=plain", "app"]);
        let log = output_text(&checked(
            c,
            &format!("docker buildx bake (syntax {syntax:?})"),
        ));
        if !syntax.is_empty() {
            assert!(log.contains(FRONTEND_TAG), "not through slipway:\n{log}");
        }
        read_image(dest)
    };
    // Inside the bake directory: bake asks for privileges to write elsewhere.
    let builtin = run("", &project.join("builtin.tar"));
    let slipway = run(FRONTEND_TAG, &project.join("slipway.tar"));
    let d = diff(&builtin, &slipway);
    assert!(
        d.is_empty(),
        "slipway differs from BuildKit:\n{}",
        d.join("\n")
    );
    assert_eq!(
        content(&builtin, "/seen"),
        Some(sha256_hex(b"from-target /w\n")),
        "the input's image config reaches the stage"
    );
    assert_eq!(content(&builtin, "/copied"), Some(sha256_hex(b"base\n")));
    assert!(
        builtin
            .config
            .env
            .contains(&"BASE_VAR=from-target".to_owned())
    );
}
