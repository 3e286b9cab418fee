//! LLB parity with BuildKit's own Dockerfile frontend, on the daemon of
//! this machine (`scripts/buildkit-daemon.sh`).
//!
//! For each case under `tests/fixtures/compile/parity/`, the case is built
//! with `docker buildx build` and BuildKit's provenance (`mode=max`) gives
//! back the exact LLB its frontend produced. The same Dockerfile is
//! compiled by slipway with the daemon's base image config. Both graphs
//! are then compared op by op through *normalised digests*: each op is
//! re-encoded with its inputs replaced by their normalised digests and
//! with these differences removed:
//!
//! * `local.session` / `local.unique` on local sources: the provenance
//!   strips them, and the session ID is buildx's, not ours.
//!
//! Everything else must be byte-identical, including every op digest that
//! does not depend on the build context. The docker engine's BuildKit
//! does not support `mergeop` (its snapshotter cannot merge), so slipway
//! is told the daemon's capabilities lack it, as the gateway's Ping would.
//! The built image's config and history are compared too, on the fields
//! the frontend controls (the exporter adds `created`, `rootfs` and base
//! history times).
//!
//! Without a reachable daemon the test fails and names `scripts/test`,
//! which starts one.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::{Path, PathBuf};
use std::process::Command;

use base64::Engine;
use prost::Message;
use serde_json::{Value, json};

use slipway::compile::{self, CompileRequest, ResolvedImage, Resolver};
use slipway::ir::options::{BuildOptions, ResolveMode};
use slipway::ir::platform::Platform;
use slipway::llb::{digest, encode_op};
use slipway::proto::pb;

fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// The daemon's environment (`DOCKER_HOST`, `PATH`), or a failure that
/// says how to get one.
fn docker_env() -> Vec<(String, String)> {
    let out = Command::new(root().join("scripts/buildkit-daemon.sh"))
        .arg("env")
        .output()
        .expect("scripts/buildkit-daemon.sh runs");
    let mut env = Vec::new();
    for line in String::from_utf8_lossy(&out.stdout).lines() {
        if let Some((k, v)) = line
            .trim()
            .strip_prefix("export ")
            .and_then(|l| l.split_once('='))
        {
            env.push((k.to_owned(), v.trim_matches(['"', '\'']).to_owned()));
        }
    }
    let ok = docker(&env, &["version", "--format", "{{.Server.Version}}"], None).is_ok();
    assert!(
        ok,
        "no BuildKit daemon is reachable (env {env:?}); run the tests with scripts/test, which starts it"
    );
    env
}

fn docker(env: &[(String, String)], args: &[&str], dir: Option<&Path>) -> Result<Vec<u8>, String> {
    let mut cmd = Command::new("docker");
    cmd.args(args).env("BUILDX_METADATA_PROVENANCE", "max");
    for (k, v) in env {
        cmd.env(k, v);
    }
    if let Some(d) = dir {
        cmd.current_dir(d);
    }
    let out = cmd.output().map_err(|e| format!("docker: {e}"))?;
    if !out.status.success() {
        return Err(format!(
            "docker {args:?} failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    Ok(out.stdout)
}

/// Answers with the daemon's local images, as the docker engine's
/// resolver does for images it already has (no digest pinning).
struct DaemonImages {
    configs: BTreeMap<String, Value>,
}

impl Resolver for DaemonImages {
    fn resolve_image(
        &self,
        reference: &str,
        _platform: &Platform,
        _mode: ResolveMode,
    ) -> impl std::future::Future<Output = Result<ResolvedImage, String>> + Send {
        let config = self.configs.get(reference).cloned();
        let reference = reference.to_owned();
        async move {
            let config =
                config.ok_or_else(|| format!("{reference}: not in the test's image list"))?;
            Ok(ResolvedImage {
                reference: None,
                digest: None,
                config: Some(config),
            })
        }
    }
}

/// A definition as ops keyed by normalised digest, and the head's.
struct Normalised {
    head: String,
    ops: BTreeMap<String, pb::Op>,
}

fn normalise_op(mut op: pb::Op, inputs: Vec<String>) -> (String, pb::Op) {
    for (i, d) in op.inputs.iter_mut().zip(inputs) {
        i.digest = d;
    }
    if let Some(pb::op::Op::Source(s)) = &mut op.op {
        s.attrs.remove("local.session");
        s.attrs.remove("local.unique");
    }
    (digest(&encode_op(&op)), op)
}

fn normalise_definition(def: &pb::Definition) -> Normalised {
    let mut by_digest: HashMap<String, pb::Op> = HashMap::new();
    let mut last = String::new();
    for bytes in &def.def {
        let op = pb::Op::decode(bytes.as_slice()).expect("op decodes");
        last = digest(bytes);
        by_digest.insert(last.clone(), op);
    }
    let mut memo: HashMap<String, String> = HashMap::new();
    let mut out = BTreeMap::new();
    fn walk(
        d: &str,
        by: &HashMap<String, pb::Op>,
        memo: &mut HashMap<String, String>,
        out: &mut BTreeMap<String, pb::Op>,
    ) -> String {
        if let Some(n) = memo.get(d) {
            return n.clone();
        }
        let op = by[d].clone();
        let inputs: Vec<String> = op
            .inputs
            .iter()
            .map(|i| walk(&i.digest, by, memo, out))
            .collect();
        let (n, op) = normalise_op(op, inputs);
        out.insert(n.clone(), op);
        memo.insert(d.to_owned(), n.clone());
        n
    }
    let head = walk(&last, &by_digest, &mut memo, &mut out);
    Normalised { head, ops: out }
}

/// BuildKit's provenance steps (`llbDefinition`) back into ops.
fn normalise_provenance(steps: &[Value]) -> Normalised {
    let by_id: HashMap<String, &Value> = steps
        .iter()
        .map(|s| (s["id"].as_str().unwrap_or("").to_owned(), s))
        .collect();
    let mut memo: HashMap<String, String> = HashMap::new();
    let mut out = BTreeMap::new();
    fn walk(
        id: &str,
        by: &HashMap<String, &Value>,
        memo: &mut HashMap<String, String>,
        out: &mut BTreeMap<String, pb::Op>,
    ) -> String {
        if let Some(n) = memo.get(id) {
            return n.clone();
        }
        let step = by[id];
        let mut inputs = Vec::new();
        let mut pb_inputs = Vec::new();
        for inp in step["inputs"].as_array().into_iter().flatten() {
            let s = inp.as_str().unwrap_or("");
            let (sid, idx) = s.rsplit_once(':').unwrap_or((s, "0"));
            inputs.push(walk(sid, by, memo, out));
            pb_inputs.push(pb::Input {
                digest: String::new(),
                index: idx.parse().unwrap_or(0),
            });
        }
        let mut op = op_from_json(&step["op"]);
        op.inputs = pb_inputs;
        let (n, op) = normalise_op(op, inputs);
        out.insert(n.clone(), op);
        memo.insert(id.to_owned(), n.clone());
        n
    }
    let last = steps
        .last()
        .and_then(|s| s["id"].as_str())
        .unwrap_or("")
        .to_owned();
    let head = walk(&last, &by_id, &mut memo, &mut out);
    Normalised { head, ops: out }
}

fn s(v: &Value) -> String {
    v.as_str().unwrap_or("").to_owned()
}
fn i(v: &Value) -> i64 {
    v.as_i64().unwrap_or(0)
}
fn b(v: &Value) -> bool {
    v.as_bool().unwrap_or(false)
}
fn strings(v: &Value) -> Vec<String> {
    v.as_array().into_iter().flatten().map(s).collect()
}

/// Go's JSON of a `pb.Op` (field names as in `ops.proto`, zero values
/// left out) to the message.
fn op_from_json(v: &Value) -> pb::Op {
    let mut op = pb::Op::default();
    if let Some(p) = v.get("platform") {
        op.platform = Some(pb::Platform {
            architecture: s(&p["Architecture"]),
            os: s(&p["OS"]),
            variant: s(&p["Variant"]),
            os_version: s(&p["OSVersion"]),
            os_features: strings(&p["OSFeatures"]),
        });
    }
    if let Some(c) = v.get("constraints") {
        op.constraints = Some(pb::WorkerConstraints {
            filter: strings(&c["filter"]),
        });
    }
    let inner = &v["Op"];
    if let Some(src) = inner.get("source") {
        op.op = Some(pb::op::Op::Source(pb::SourceOp {
            identifier: s(&src["identifier"]),
            attrs: src["attrs"]
                .as_object()
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.clone(), s(v)))
                .collect(),
        }));
    } else if let Some(e) = inner.get("exec") {
        let m = &e["meta"];
        let meta = pb::Meta {
            args: strings(&m["args"]),
            env: strings(&m["env"]),
            cwd: s(&m["cwd"]),
            user: s(&m["user"]),
            proxy_env: m.get("proxy_env").map(|p| pb::ProxyEnv {
                http_proxy: s(&p["http_proxy"]),
                https_proxy: s(&p["https_proxy"]),
                ftp_proxy: s(&p["ftp_proxy"]),
                no_proxy: s(&p["no_proxy"]),
                all_proxy: s(&p["all_proxy"]),
            }),
            extra_hosts: m["extraHosts"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|h| pb::HostIp {
                    host: s(&h["Host"]),
                    ip: s(&h["IP"]),
                })
                .collect(),
            hostname: s(&m["hostname"]),
            ulimit: m["ulimit"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|u| pb::Ulimit {
                    name: s(&u["Name"]),
                    soft: i(&u["Soft"]),
                    hard: i(&u["Hard"]),
                })
                .collect(),
            cgroup_parent: s(&m["cgroupParent"]),
            remove_mount_stubs_recursive: b(&m["removeMountStubsRecursive"]),
            valid_exit_codes: Vec::new(),
        };
        let mounts = e["mounts"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|m| pb::Mount {
                input: i(&m["input"]),
                selector: s(&m["selector"]),
                dest: s(&m["dest"]),
                output: i(&m["output"]),
                readonly: b(&m["readonly"]),
                mount_type: i(&m["mountType"]) as i32,
                tmpfs_opt: m.get("TmpfsOpt").map(|t| pb::TmpfsOpt {
                    size: i(&t["size"]),
                }),
                cache_opt: m.get("cacheOpt").map(|c| pb::CacheOpt {
                    id: s(&c["ID"]),
                    sharing: i(&c["sharing"]) as i32,
                }),
                secret_opt: m.get("secretOpt").map(|c| pb::SecretOpt {
                    id: s(&c["ID"]),
                    uid: i(&c["uid"]) as u32,
                    gid: i(&c["gid"]) as u32,
                    mode: i(&c["mode"]) as u32,
                    optional: b(&c["optional"]),
                }),
                ssh_opt: m.get("SSHOpt").map(|c| pb::SshOpt {
                    id: s(&c["ID"]),
                    uid: i(&c["uid"]) as u32,
                    gid: i(&c["gid"]) as u32,
                    mode: i(&c["mode"]) as u32,
                    optional: b(&c["optional"]),
                }),
                result_id: String::new(),
                content_cache: 0,
            })
            .collect();
        op.op = Some(pb::op::Op::Exec(pb::ExecOp {
            meta: Some(meta),
            mounts,
            network: i(&e["network"]) as i32,
            security: i(&e["security"]) as i32,
            secretenv: e["secretenv"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|x| pb::SecretEnv {
                    id: s(&x["ID"]),
                    name: s(&x["name"]),
                    optional: b(&x["optional"]),
                })
                .collect(),
            cdi_devices: Vec::new(),
        }));
    } else if let Some(f) = inner.get("file") {
        let owner = |o: &Value| -> Option<pb::ChownOpt> {
            o.as_object()?;
            let user = |u: &Value| -> Option<pb::UserOpt> {
                let u = u.get("User")?;
                Some(pb::UserOpt {
                    user: Some(match u.get("byName") {
                        Some(n) => pb::user_opt::User::ByName(pb::NamedUserOpt {
                            name: s(&n["name"]),
                            input: i(&n["input"]),
                        }),
                        None => pb::user_opt::User::ById(i(&u["byId"]) as u32),
                    }),
                })
            };
            Some(pb::ChownOpt {
                user: user(&o["user"]),
                group: user(&o["group"]),
            })
        };
        let actions = f["actions"]
            .as_array()
            .into_iter()
            .flatten()
            .map(|a| {
                let act = &a["Action"];
                let action = if let Some(c) = act.get("copy") {
                    pb::file_action::Action::Copy(pb::FileActionCopy {
                        src: s(&c["src"]),
                        dest: s(&c["dest"]),
                        owner: owner(&c["owner"]),
                        mode: i(&c["mode"]) as i32,
                        follow_symlink: b(&c["followSymlink"]),
                        dir_copy_contents: b(&c["dirCopyContents"]),
                        attempt_unpack_docker_compatibility: b(
                            &c["attemptUnpackDockerCompatibility"],
                        ),
                        create_dest_path: b(&c["createDestPath"]),
                        allow_wildcard: b(&c["allowWildcard"]),
                        allow_empty_wildcard: b(&c["allowEmptyWildcard"]),
                        timestamp: i(&c["timestamp"]),
                        include_patterns: strings(&c["include_patterns"]),
                        exclude_patterns: strings(&c["exclude_patterns"]),
                        always_replace_existing_dest_paths: b(&c["alwaysReplaceExistingDestPaths"]),
                        mode_str: s(&c["modeStr"]),
                        required_paths: strings(&c["required_paths"]),
                    })
                } else if let Some(m) = act.get("mkfile") {
                    pb::file_action::Action::Mkfile(pb::FileActionMkFile {
                        path: s(&m["path"]),
                        mode: i(&m["mode"]) as i32,
                        data: base64::engine::general_purpose::STANDARD
                            .decode(s(&m["data"]))
                            .unwrap_or_default(),
                        owner: owner(&m["owner"]),
                        timestamp: i(&m["timestamp"]),
                    })
                } else {
                    let m = &act["mkdir"];
                    pb::file_action::Action::Mkdir(pb::FileActionMkDir {
                        path: s(&m["path"]),
                        mode: i(&m["mode"]) as i32,
                        make_parents: b(&m["makeParents"]),
                        owner: owner(&m["owner"]),
                        timestamp: i(&m["timestamp"]),
                    })
                };
                pb::FileAction {
                    input: i(&a["input"]),
                    secondary_input: i(&a["secondaryInput"]),
                    output: i(&a["output"]),
                    action: Some(action),
                }
            })
            .collect();
        op.op = Some(pb::op::Op::File(pb::FileOp { actions }));
    } else if let Some(m) = inner.get("merge") {
        op.op = Some(pb::op::Op::Merge(pb::MergeOp {
            inputs: m["inputs"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|x| pb::MergeInput {
                    input: i(&x["input"]),
                })
                .collect(),
        }));
    }
    op
}

/// The config blob of a built image (`docker save`).
fn saved_config(env: &[(String, String)], tag: &str) -> Value {
    let tar = docker(env, &["image", "save", tag], None).expect("docker save");
    let mut archive = tar::Archive::new(tar.as_slice());
    let mut files: HashMap<String, Vec<u8>> = HashMap::new();
    for entry in archive.entries().expect("tar") {
        let mut e = entry.expect("entry");
        let path = e.path().expect("path").to_string_lossy().into_owned();
        let mut buf = Vec::new();
        std::io::Read::read_to_end(&mut e, &mut buf).expect("read");
        files.insert(path, buf);
    }
    let manifest: Value = serde_json::from_slice(&files["manifest.json"]).expect("manifest");
    let config = manifest[0]["Config"].as_str().expect("config path");
    serde_json::from_slice(&files[config]).expect("config json")
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(f)
}

#[test]
fn llb_matches_buildkit_frontend() {
    let env = docker_env();
    let base = saved_config(&env, "busybox:local");
    let resolver = DaemonImages {
        configs: BTreeMap::from([("docker.io/library/busybox:local".to_owned(), base)]),
    };
    let cases_dir = root().join("tests/fixtures/compile/parity");
    let mut failures = Vec::new();
    let mut cases: Vec<PathBuf> = std::fs::read_dir(&cases_dir)
        .expect("parity cases")
        .map(|e| e.expect("entry").path())
        .collect();
    cases.sort();
    for dir in cases {
        let case = dir
            .file_name()
            .expect("name")
            .to_string_lossy()
            .into_owned();
        let build_args: Vec<String> = std::fs::read_to_string(dir.join(".build-args"))
            .map(|s| {
                s.lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();
        let target = std::fs::read_to_string(dir.join(".target"))
            .ok()
            .map(|t| t.trim().to_owned());
        let platform = std::fs::read_to_string(dir.join(".platform"))
            .ok()
            .map(|t| t.trim().to_owned());
        let contexts: Vec<String> = std::fs::read_to_string(dir.join(".build-contexts"))
            .map(|s| {
                s.lines()
                    .filter(|l| !l.is_empty())
                    .map(str::to_owned)
                    .collect()
            })
            .unwrap_or_default();

        // BuildKit's frontend.
        let meta =
            std::env::temp_dir().join(format!("slipway-parity-{case}-{}.json", std::process::id()));
        let tag = format!("slipway-parity/{case}:latest");
        let mut args: Vec<String> = vec![
            "buildx".into(),
            "build".into(),
            "--progress=quiet".into(),
            "--metadata-file".into(),
            meta.display().to_string(),
            "--output".into(),
            format!("type=docker,name={tag}"),
        ];
        for a in &build_args {
            args.push("--build-arg".into());
            args.push(a.clone());
        }
        if let Some(t) = &target {
            args.push("--target".into());
            args.push(t.clone());
        }
        for c in &contexts {
            args.push("--build-context".into());
            args.push(c.clone());
        }
        if let Some(p) = &platform {
            args.push("--platform".into());
            args.push(p.clone());
        }
        args.push(".".into());
        let argv: Vec<&str> = args.iter().map(String::as_str).collect();
        if let Err(e) = docker(&env, &argv, Some(&dir)) {
            failures.push(format!("{case}: BuildKit build failed: {e}"));
            continue;
        }
        let md: Value = serde_json::from_slice(&std::fs::read(&meta).expect("metadata file"))
            .expect("metadata JSON");
        let _ = std::fs::remove_file(&meta);
        let steps = md["buildx.build.provenance"]["buildConfig"]["llbDefinition"]
            .as_array()
            .cloned()
            .expect("provenance with llbDefinition");
        let theirs = normalise_provenance(&steps);

        // Slipway, told what the docker engine tells a frontend.
        let mut opts = BTreeMap::from([("image-resolve-mode".to_owned(), "local".to_owned())]);
        for a in &build_args {
            let (k, v) = a.split_once('=').unwrap_or((a, ""));
            opts.insert(format!("build-arg:{k}"), v.to_owned());
        }
        if let Some(t) = &target {
            opts.insert("target".to_owned(), t.clone());
        }
        for c in &contexts {
            let (k, v) = c.split_once('=').unwrap_or((c, ""));
            opts.insert(format!("context:{k}"), v.to_owned());
        }
        if let Some(p) = &platform {
            opts.insert("platform".to_owned(), p.clone());
        }
        let mut options = BuildOptions::from_frontend_opts(&opts).expect("options");
        let mut caps: BTreeSet<String> = ALL_CAPS.iter().map(|c| (*c).to_owned()).collect();
        caps.remove("mergeop");
        options.llb_caps = Some(caps);
        options.session_id = Some("ignored".to_owned());
        let req = CompileRequest {
            dockerfile: std::fs::read(dir.join("Dockerfile")).expect("Dockerfile"),
            options,
            dockerfile_definition: None,
            inputs: Default::default(),
        };
        let compiled = match block_on(compile::compile(&req, &resolver)) {
            Ok(c) => c,
            Err(d) => {
                failures.push(format!("{case}: slipway failed: {d:?}"));
                continue;
            }
        };
        let ours = normalise_definition(&compiled.platforms[0].definition);
        if ours.head != theirs.head {
            let only_ours: Vec<&pb::Op> = ours
                .ops
                .iter()
                .filter(|(d, _)| !theirs.ops.contains_key(*d))
                .map(|(_, o)| o)
                .collect();
            let only_theirs: Vec<&pb::Op> = theirs
                .ops
                .iter()
                .filter(|(d, _)| !ours.ops.contains_key(*d))
                .map(|(_, o)| o)
                .collect();
            failures.push(format!(
                "{case}: LLB differs.\n--- only in slipway:\n{only_ours:#?}\n--- only in BuildKit:\n{only_theirs:#?}"
            ));
        }

        // The image config, on the fields the frontend writes.
        let built = saved_config(&env, &tag);
        let ours_cfg: Value =
            serde_json::from_slice(&compiled.platforms[0].image_config).expect("our config");
        let strip_history = |v: &Value| -> Vec<Value> {
            v["history"]
                .as_array()
                .into_iter()
                .flatten()
                .map(|h| json!({ "created_by": h["created_by"], "empty_layer": h["empty_layer"], "comment": h["comment"] }))
                .collect()
        };
        let (a, b) = (&ours_cfg["config"], &built["config"]);
        if a != b {
            failures.push(format!(
                "{case}: image config differs:\n slipway: {a}\nbuildkit: {b}"
            ));
        }
        let (ha, hb) = (strip_history(&ours_cfg), strip_history(&built));
        if ha != hb {
            failures.push(format!(
                "{case}: image history differs:\n slipway: {ha:#?}\nbuildkit: {hb:#?}"
            ));
        }
        for k in ["architecture", "os", "variant", "author"] {
            if ours_cfg[k] != built[k] {
                failures.push(format!(
                    "{case}: image {k} differs: {} vs {}",
                    ours_cfg[k], built[k]
                ));
            }
        }
        let _ = docker(&env, &["image", "rm", "-f", &tag], None);
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Every LLB capability slipway's emitter consults.
const ALL_CAPS: &[&str] = &[
    "mergeop",
    "exec.mount.bind.readwrite-nooutput",
    "exec.meta.setsdefaultpath",
    "exec.meta.ulimit",
    "exec.mount.tmpfs.size",
    "exec.meta.cgroup.parent",
];

/// `--call=outline` and `--call=targets` answers equal BuildKit's (as JSON
/// values; key order is not part of the contract).
#[test]
fn outline_and_targets_match_buildkit_frontend() {
    let env = docker_env();
    let dir = root().join("tests/fixtures/compile/outline");
    let base = saved_config(&env, "busybox:local");
    let resolver = DaemonImages {
        configs: BTreeMap::from([("docker.io/library/busybox:local".to_owned(), base)]),
    };
    let req = CompileRequest {
        dockerfile: std::fs::read(dir.join("Dockerfile")).expect("Dockerfile"),
        options: BuildOptions::default(),
        dockerfile_definition: None,
        inputs: Default::default(),
    };
    for call in ["outline", "targets"] {
        let out = docker(
            &env,
            &[
                "buildx",
                "build",
                "--progress=quiet",
                &format!("--call={call},format=json"),
                ".",
            ],
            Some(&dir),
        )
        .expect("buildx --call");
        let theirs: Value = serde_json::from_slice(&out).expect("JSON answer");
        let ours = match call {
            "outline" => block_on(compile::outline(&req, &resolver)).expect("outline"),
            _ => compile::targets(&req).expect("targets"),
        };
        assert_eq!(ours, theirs, "{call} differs");
    }
}
