//! Compiler golden tests: every `tests/fixtures/compile/<case>/Dockerfile`
//! is compiled (options from an optional `case.json`, base images from
//! the fixed resolver below) and the `slipway compile --format json` view
//! is snapshotted under `snapshots/compile__<case>.snap`. Plus
//! determinism, outline/targets shapes, and exact error diagnostics.

use std::collections::BTreeMap;
use std::path::Path;

use prost::Message;
use serde_json::{Value, json};

use slipway::compile::{self, CompileRequest, ResolvedImage, StaticResolver};
use slipway::diagnostics::Diagnostic;
use slipway::ir::options::BuildOptions;

const PATH_ENV: &str = "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/// The images fixtures may use, with fixed digests and configs.
fn resolver() -> StaticResolver {
    let image = |digest_byte: char, config: Value| ResolvedImage {
        reference: None,
        digest: Some(format!("sha256:{}", digest_byte.to_string().repeat(64))),
        config: Some(config),
    };
    let layers = json!({"type": "layers", "diff_ids": ["sha256:1111111111111111111111111111111111111111111111111111111111111111"]});
    let mut images = BTreeMap::new();
    images.insert(
        "docker.io/library/busybox:local".to_owned(),
        image('a', json!({
            "architecture": "amd64", "os": "linux", "created": "2024-01-01T00:00:00Z",
            "config": {"Env": [PATH_ENV], "Cmd": ["sh"]},
            "rootfs": layers,
            "history": [{"created": "2024-01-01T00:00:00Z", "created_by": "BusyBox 1.36 (glibc)"}]
        })),
    );
    images.insert(
        "docker.io/library/alpine:3".to_owned(),
        image(
            'b',
            json!({
                "architecture": "amd64", "os": "linux",
                "config": {"Env": [PATH_ENV, "ALPINE=3"], "Cmd": ["/bin/sh"]},
                "rootfs": layers
            }),
        ),
    );
    images.insert(
        "docker.io/library/node:20".to_owned(),
        image(
            'c',
            json!({
                "architecture": "amd64", "os": "linux",
                "config": {
                    "Env": ["NODE_VERSION=20", PATH_ENV, "YARN_VERSION=1.22"],
                    "WorkingDir": "/usr/src/app", "User": "node",
                    "Entrypoint": ["docker-entrypoint.sh"], "Cmd": ["node"]
                },
                "rootfs": layers
            }),
        ),
    );
    images.insert(
        "docker.io/library/onbuild:1".to_owned(),
        image('d', json!({
            "architecture": "amd64", "os": "linux",
            "config": {"Env": [PATH_ENV], "OnBuild": ["ARG FROM_TRIGGER=1", "RUN echo image trigger $FROM_TRIGGER", "COPY --from=busybox:local /bin/true /true"]},
            "rootfs": layers
        })),
    );
    StaticResolver { images }
}

fn request(dir: &Path) -> CompileRequest {
    let dockerfile = std::fs::read(dir.join("Dockerfile")).expect("fixture Dockerfile");
    let case: Value = std::fs::read(dir.join("case.json"))
        .map(|b| serde_json::from_slice(&b).expect("valid case.json"))
        .unwrap_or_else(|_| json!({}));
    let opts: BTreeMap<String, String> = case["opts"]
        .as_object()
        .map(|m| {
            m.iter()
                .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                .collect()
        })
        .unwrap_or_default();
    let mut options = BuildOptions::from_frontend_opts(&opts).expect("valid options");
    options.context_excludes = case["excludes"]
        .as_array()
        .map(|a| {
            a.iter()
                .filter_map(|v| v.as_str().map(str::to_owned))
                .collect()
        })
        .unwrap_or_default();
    options.session_id = Some("fixture-session".to_owned());
    CompileRequest {
        dockerfile,
        options,
        dockerfile_definition: None,
        inputs: Default::default(),
    }
}

fn block_on<F: std::future::Future>(f: F) -> F::Output {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("runtime")
        .block_on(f)
}

fn compile_json(req: &CompileRequest) -> Value {
    match block_on(compile::compile(req, &resolver())) {
        Ok(c) => {
            let mut v = c.to_json();
            let md: BTreeMap<&String, String> = c
                .metadata
                .iter()
                .filter(|(k, _)| k.starts_with("refs.") || k.starts_with("source."))
                .map(|(k, v)| (k, String::from_utf8_lossy(v).into_owned()))
                .collect();
            v["metadata"] = json!(md);
            v
        }
        Err(diags) => json!({ "errors": render(req, &diags) }),
    }
}

#[test]
fn fixtures() {
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::glob!("fixtures/compile/*/Dockerfile", |path| {
            let dir = path.parent().expect("case folder");
            let case = dir.file_name().expect("name").to_string_lossy().into_owned();
            let v = compile_json(&request(dir));
            insta::assert_json_snapshot!(format!("compile__{case}"), v);
        });
    });
}

#[test]
fn compiling_twice_gives_identical_bytes() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compile");
    for case in ["copy-flags", "run-mounts", "multi-platform", "onbuild"] {
        let req = request(&root.join(case));
        let a = block_on(compile::compile(&req, &resolver())).expect("compiles");
        let b = block_on(compile::compile(&req, &resolver())).expect("compiles");
        assert_eq!(a.platforms.len(), b.platforms.len());
        for (x, y) in a.platforms.iter().zip(&b.platforms) {
            assert_eq!(
                x.definition.encode_to_vec(),
                y.definition.encode_to_vec(),
                "{case}"
            );
            assert_eq!(x.image_config, y.image_config, "{case}");
        }
        assert_eq!(a.metadata, b.metadata, "{case}");
    }
}

/// `code: message` and the source text under the span, for each error.
fn render(req: &CompileRequest, diags: &[Diagnostic]) -> Vec<String> {
    let src = String::from_utf8_lossy(&req.dockerfile);
    diags
        .iter()
        .map(|d| {
            let text = src.get(d.range.as_range()).unwrap_or("<bad range>");
            format!("{}: {} @ {:?}", d.code, d.message, text)
        })
        .collect()
}

fn errors_of(dockerfile: &str, opts: &[(&str, &str)]) -> Vec<String> {
    let opts: BTreeMap<String, String> = opts
        .iter()
        .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
        .collect();
    let req = CompileRequest {
        dockerfile: dockerfile.as_bytes().to_vec(),
        options: BuildOptions::from_frontend_opts(&opts).expect("valid options"),
        dockerfile_definition: None,
        inputs: Default::default(),
    };
    match block_on(compile::compile(&req, &resolver())) {
        Ok(_) => vec!["<compiled>".to_owned()],
        Err(d) => render(&req, &d),
    }
}

#[test]
fn error_unknown_stage_in_copy_from() {
    assert_eq!(
        errors_of("FROM busybox:local\nCOPY --from=nosuch /a /b\n", &[]),
        [
            "slipway::compile::resolve-failed: nosuch: docker.io/library/nosuch:latest: not found @ \"COPY --from=nosuch /a /b\\n\""
        ]
    );
}

#[test]
fn error_copy_from_later_stage() {
    assert_eq!(
        errors_of(
            "FROM busybox:local AS a\nCOPY --from=b /x /y\nFROM busybox:local AS b\n",
            &[("target", "a")]
        ),
        [
            "slipway::compile::stage-order: cannot copy from stage \"b\", it needs to be defined before current stage \"a\" @ \"COPY --from=b /x /y\\n\""
        ]
    );
}

#[test]
fn error_cycle() {
    assert_eq!(
        errors_of(
            "FROM busybox:local AS a\nCOPY --from=b /x /y\nFROM busybox:local AS b\nCOPY --from=a /x /y\n",
            &[]
        ),
        [
            "slipway::compile::circular-dependency: circular dependency detected on stage: a @ \"COPY --from=a /x /y\\n\""
        ]
    );
}

#[test]
fn error_undefined_required_variable() {
    assert_eq!(
        errors_of(
            "FROM busybox:local\nENV A=\"${MISSING:?must be set}\"\n",
            &[]
        ),
        [
            "slipway::shell::unset-variable: failed to process \"\\\"${MISSING:?must be set}\\\"\": MISSING: must be set @ \"${MISSING:?must be set}\""
        ]
    );
    assert_eq!(
        errors_of("ARG V=${NOPE:?}\nFROM busybox:local\n", &[]),
        [
            "slipway::shell::unset-variable: failed to process \"${NOPE:?}\": NOPE: is not allowed to be unset @ \"${NOPE:?}\""
        ]
    );
}

#[test]
fn error_bad_flag_values() {
    assert_eq!(
        errors_of("FROM busybox:local\nCOPY --chmod=999 a b\n", &[]),
        [
            "slipway::compile::invalid-flag-value: invalid chmod parameter: '999'. it should be octal string and between 0 and 07777 @ \"999\""
        ]
    );
    assert_eq!(
        errors_of(
            "FROM busybox:local\nRUN --mount=type=cache,target=/c,size=1m true\n",
            &[]
        ),
        [
            "slipway::compile::invalid-flag-value: unexpected key 'size' for mount type 'cache' @ \"type=cache,target=/c,size=1m\""
        ]
    );
    assert_eq!(
        errors_of("FROM busybox:local\nSTOPSIGNAL SIGNOPE\n", &[]),
        ["slipway::compile::invalid-value: invalid signal: SIGNOPE @ \"SIGNOPE\""]
    );
    assert_eq!(
        errors_of(
            "FROM busybox:local\nRUN --mount=type=bind,target=/ true\n",
            &[]
        ),
        [
            "slipway::compile::invalid-flag-value: invalid mount target \"/\" @ \"type=bind,target=/\""
        ]
    );
}

#[test]
fn error_unknown_target() {
    assert_eq!(
        errors_of(
            "FROM busybox:local AS build\nFROM busybox:local AS test\n",
            &[("target", "biuld")]
        ),
        [
            "slipway::compile::unknown-target: target stage \"biuld\" could not be found (did you mean build?) @ \"\""
        ]
    );
}

#[test]
fn error_blank_base_and_bad_platform() {
    assert_eq!(
        errors_of("ARG IMG\nFROM $IMG\n", &[]),
        ["slipway::compile::blank-base-name: base name ($IMG) should not be blank @ \"$IMG\""]
    );
    assert_eq!(
        errors_of("FROM --platform=nope/x/y/z busybox:local\n", &[]),
        [
            "slipway::compile::invalid-platform: failed to parse platform nope/x/y/z: \"nope/x/y/z\": cannot parse platform specifier: invalid argument @ \"nope/x/y/z\""
        ]
    );
}

#[test]
fn error_git_add() {
    assert_eq!(
        errors_of(
            "FROM busybox:local\nCOPY https://github.com/moby/buildkit.git /src\n",
            &[]
        ),
        [
            "slipway::compile::invalid-flag-value: source can't be a git ref for COPY @ \"https://github.com/moby/buildkit.git\""
        ]
    );
    assert_eq!(
        errors_of(
            "FROM busybox:local\nADD https://github.com/moby/buildkit.git?foo=1 /src\n",
            &[]
        ),
        [
            "slipway::compile::invalid-flag-value: unexpected query \"foo\" @ \"https://github.com/moby/buildkit.git?foo=1\""
        ]
    );
    assert_eq!(
        errors_of(
            "FROM busybox:local\nADD --keep-git-dir=false https://github.com/moby/buildkit.git?keep-git-dir /src\n",
            &[]
        ),
        [
            "slipway::compile::invalid-flag-value: inconsistent keep-git-dir configuration @ \"https://github.com/moby/buildkit.git?keep-git-dir\""
        ]
    );
}

#[test]
fn parse_errors_come_back_as_diagnostics() {
    assert_eq!(
        errors_of("FROM busybox:local\nRUN --bogus true\n", &[]),
        ["slipway::instruction::unknown-flag: unknown flag: --bogus @ \"--bogus\""]
    );
}

#[test]
fn targets_lists_stages() {
    let req =
        request(&Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compile/multistage"));
    let mut v = compile::targets(&req).expect("targets");
    v["sources"] = json!(["<dockerfile>"]);
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_json_snapshot!("compile__targets_multistage", v);
    });
}

#[test]
fn outline_lists_used_args_secrets_and_ssh() {
    let dockerfile = "# VERSION the release to build\nARG VERSION=1.0\nARG UNUSED=x\nFROM busybox:local AS build\nARG VERSION\n# MODE build mode\nARG MODE=${VERSION}-release\nRUN --mount=type=secret,id=token,required --mount=type=ssh echo $MODE\n\nFROM busybox:local\nARG FINAL\nCOPY --from=build /x /x\n";
    let req = CompileRequest {
        dockerfile: dockerfile.as_bytes().to_vec(),
        options: BuildOptions::default(),
        dockerfile_definition: None,
        inputs: Default::default(),
    };
    let mut v = block_on(compile::outline(&req, &resolver())).expect("outline");
    v["sources"] = json!(["<dockerfile>"]);
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::assert_json_snapshot!("compile__outline", v);
    });
}

#[test]
fn error_mount_from_later_stage() {
    assert_eq!(
        errors_of(
            "FROM busybox:local AS a\nRUN --mount=from=b,target=/m true\nFROM busybox:local AS b\n",
            &[("target", "a")]
        ),
        [
            "slipway::compile::stage-order: cannot mount from stage \"b\" to \"/m\", stage needs to be defined before current command @ \"RUN --mount=from=b,target=/m true\\n\""
        ]
    );
}

#[test]
fn error_copy_from_variable_and_bad_index() {
    assert_eq!(
        errors_of("FROM busybox:local\nARG S=x\nCOPY --from=$S /a /b\n", &[]),
        [
            "slipway::compile::from-expansion: variable expansion is not supported for --from, define a new stage with FROM using ARG from global scope as a workaround @ \"$S\""
        ]
    );
    assert_eq!(
        errors_of("FROM busybox:local\nCOPY --from=7 /a /b\n", &[]),
        ["slipway::compile::invalid-stage-index: invalid stage index 7 @ \"7\""]
    );
}

#[test]
fn error_from_uppercase_stage_is_an_image() {
    assert_eq!(
        errors_of("FROM busybox:local AS build\nFROM Build\n", &[]),
        [
            "slipway::compile::invalid-reference: failed to parse stage name \"Build\": invalid reference format: repository name (library/Build) must be lowercase @ \"FROM Build\\n\""
        ]
    );
}

#[test]
fn unreachable_stages_are_not_resolved_but_still_checked() {
    // `missing` is never resolved: the target does not need it.
    assert_eq!(
        errors_of("FROM missing:1 AS unused\nFROM busybox:local\n", &[]),
        ["<compiled>"]
    );
    // A FROM that cannot expand is an error even in an unused stage.
    assert_eq!(
        errors_of("FROM ${NOPE:?unset} AS unused\nFROM busybox:local\n", &[]),
        [
            "slipway::shell::unset-variable: failed to process \"${NOPE:?unset}\": NOPE: unset @ \"${NOPE:?unset}\""
        ]
    );
}

mod no_panics {
    use super::*;
    use proptest::prelude::*;

    fn seeds() -> Vec<String> {
        let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/compile");
        let mut out: Vec<String> = std::fs::read_dir(&root)
            .expect("fixtures")
            .filter_map(|e| std::fs::read_to_string(e.ok()?.path().join("Dockerfile")).ok())
            .collect();
        out.sort();
        out
    }

    proptest! {
        #![proptest_config(ProptestConfig {
            cases: 256,
            failure_persistence: None,
            ..ProptestConfig::default()
        })]

        /// Mangled Dockerfiles compile or fail with diagnostics; nothing
        /// panics, and every diagnostic range lies inside the source.
        #[test]
        fn mangled_dockerfiles(seed in 0usize..64, edits in prop::collection::vec((0usize..4096, any::<u8>(), 0u8..3), 1..8)) {
            let seeds = seeds();
            let mut text = seeds[seed % seeds.len()].clone().into_bytes();
            for (pos, byte, kind) in edits {
                let at = pos % (text.len() + 1);
                const CHARS: &[u8] = b"$#{}\"'\\\n -=:/[]<>";
                let c = CHARS[byte as usize % CHARS.len()];
                match kind {
                    0 => text.insert(at, c),
                    1 if at < text.len() => { text.remove(at); }
                    _ if at < text.len() => text[at] = c,
                    _ => {}
                }
            }
            let req = CompileRequest {
                dockerfile: text.clone(),
                options: BuildOptions::default(),
                dockerfile_definition: None,
                inputs: Default::default(),
            };
            if let Err(diags) = block_on(compile::compile(&req, &resolver())) {
                for d in diags {
                    prop_assert!(d.range.end() <= text.len(), "{d:?}");
                }
            }
        }
    }
}
