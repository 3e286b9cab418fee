//! Secrets and SSH forwarding through `slipway build`'s session: a file
//! secret and an env secret are readable during RUN (the RUN checks their
//! hashes and fails otherwise), a real `ssh-agent` holding one key answers
//! a RUN that asks it for its identities (a static C probe, since busybox
//! has no unix-socket client), and afterwards no layer, config, manifest or
//! history of the exported OCI archive (nor the progress output) holds a
//! secret value. A missing required secret fails with an error naming it.

#[allow(unused_imports)] // `support::build` re-exports what other suites use
mod support;

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use sha2::{Digest, Sha256};
use support::image::Image;
use support::slipway_build::{
    OciArchive, TempDir, contains_bytes, dir_names, docker_addr, report_line, run_slipway,
};

/// A private ssh-agent holding one fresh key; stopped (by pid) on drop.
struct Agent {
    socket: PathBuf,
    child: Child,
}

impl Agent {
    fn start(dir: &Path) -> Agent {
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("start ssh-agent (scripts/install-deps installs openssh-client)");
        let agent = Agent { socket, child };
        for _ in 0..100 {
            if agent.socket.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let key = dir.join("id_ed25519");
        let keygen = Command::new("ssh-keygen")
            .args(["-q", "-t", "ed25519", "-N", "", "-f"])
            .arg(&key)
            .status()
            .expect("run ssh-keygen");
        assert!(keygen.success(), "ssh-keygen failed");
        let add = Command::new("ssh-add")
            .arg("-q")
            .arg(&key)
            .env("SSH_AUTH_SOCK", &agent.socket)
            .status()
            .expect("run ssh-add");
        assert!(add.success(), "ssh-add failed");
        agent
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Compiles the agent probe (statically) into `dest`.
fn compile_probe(dest: &Path) {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/build/secrets/agent-probe.c");
    let out = Command::new("gcc")
        .args(["-static", "-O2", "-o"])
        .arg(dest)
        .arg(&src)
        .output()
        .expect("run gcc (scripts/install-deps installs it)");
    assert!(
        out.status.success(),
        "gcc -static failed: {}",
        String::from_utf8_lossy(&out.stderr)
    );
}

#[test]
fn secrets_and_ssh_reach_run_and_leave_no_trace() {
    let tmp = TempDir::new("secrets");
    let ctx = TempDir::new("secrets-ctx");
    let nanos = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_nanos());
    let secret_a = format!("file-secret-{}-{nanos}", std::process::id());
    let secret_b = format!("env-secret-{}-{nanos}", std::process::id());
    let marker = format!("visible-marker-{nanos}");
    let secret_file = tmp.write("a.secret", &secret_a);
    compile_probe(&ctx.join("agent-probe"));
    // The Dockerfile holds only hashes of the values, never the values.
    ctx.write(
        "Dockerfile",
        format!(
            "FROM busybox:local\n\
             COPY agent-probe /usr/local/bin/agent-probe\n\
             RUN --mount=type=secret,id=a --mount=type=secret,id=b \\\n    \
             test \"$(cat /run/secrets/a | sha256sum | cut -d' ' -f1)\" = {} && \\\n    \
             test \"$(cat /run/secrets/b | sha256sum | cut -d' ' -f1)\" = {} && \\\n    \
             echo {marker} > /secrets-checked\n\
             RUN --mount=type=ssh agent-probe | tee /ssh-identities\n",
            hex(&Sha256::digest(secret_a.as_bytes())),
            hex(&Sha256::digest(secret_b.as_bytes())),
        ),
    );
    let agent = Agent::start(&tmp.path);
    let dest = tmp.join("image.tar");
    let args: Vec<String> = vec![
        "build".into(),
        "--addr".into(),
        docker_addr(),
        "--progress".into(),
        "plain".into(),
        "--no-cache".into(),
        "--secret".into(),
        format!("id=a,src={}", secret_file.display()),
        "--secret".into(),
        "id=b,env=SLIPWAY_TEST_SECRET_B".into(),
        "--ssh".into(),
        "default".into(),
        "-o".into(),
        format!("type=oci,dest={}", dest.display()),
        ctx.path.display().to_string(),
    ];
    let env = [
        ("SLIPWAY_TEST_SECRET_B".to_string(), secret_b.clone()),
        (
            "SSH_AUTH_SOCK".to_string(),
            agent.socket.display().to_string(),
        ),
    ];
    let run = run_slipway(&args, &env);
    assert!(run.ok(), "slipway build failed:\n{}", run.show());

    let img = Image::from_tarball(&std::fs::read(&dest).expect("read archive")).expect("parse");
    let content = |p: &str| img.files.get(p).map(|e| (e.size, e.sha256.clone()));
    let sha = |s: &str| Some(hex(&Sha256::digest(s.as_bytes())));
    assert_eq!(
        content("/ssh-identities"),
        Some((2, sha("1\n"))),
        "the agent probe should print 1 (one key):\n{}",
        run.stderr
    );
    let checked = format!("{marker}\n");
    assert_eq!(
        content("/secrets-checked"),
        Some((checked.len() as u64, sha(&checked))),
        "the secret check did not run"
    );

    // Scan every blob (layers decompressed), and the progress output.
    let ar = OciArchive::read(&dest).expect("read archive");
    let blobs = ar.blobs_decompressed();
    assert!(blobs.len() >= 5, "index, manifest, config and layers");
    let mut seen_marker = false;
    for (name, bytes) in &blobs {
        for (what, value) in [("file secret", &secret_a), ("env secret", &secret_b)] {
            assert!(
                !contains_bytes(bytes, value.as_bytes()),
                "the {what} leaked into {name}"
            );
        }
        seen_marker |= contains_bytes(bytes, marker.as_bytes());
    }
    assert!(seen_marker, "the scan must see the layer RUN wrote");
    let index = ar.json("index.json").expect("index.json");
    for v in [&secret_a, &secret_b] {
        assert!(
            !index.to_string().contains(v.as_str()),
            "secret in index.json"
        );
        assert!(
            !run.stderr.contains(v.as_str()) && !run.stdout.contains(v.as_str()),
            "secret printed by slipway"
        );
    }
    let history = serde_json::to_string(&img.history).expect("history");
    assert!(history.contains("cat /run/secrets/a"), "{history}");
    assert!(!history.contains(&secret_a) && !history.contains(&secret_b));
}

#[test]
fn missing_required_secret_fails_naming_it() {
    let ctx = TempDir::new("secret-missing");
    ctx.write(
        "Dockerfile",
        "FROM busybox:local\nRUN --mount=type=secret,id=nope,required=true cat /run/secrets/nope\n",
    );
    let out = TempDir::new("secret-missing-out");
    let args: Vec<String> = vec![
        "build".into(),
        "--addr".into(),
        docker_addr(),
        "--progress".into(),
        "quiet".into(),
        "-o".into(),
        format!("type=oci,dest={}", out.join("image.tar").display()),
        ctx.path.display().to_string(),
    ];
    let run = run_slipway(&args, &[]);
    assert_eq!(run.status, Some(1), "{}", run.show());
    assert!(
        run.stderr.contains("nope") && run.stderr.contains("secret"),
        "the error should name secret `nope`:\n{}",
        run.show()
    );
    assert!(run.stderr.lines().count() <= 24, "{}", run.show());
    assert_eq!(
        report_line(&run.stderr, "Dockerfile"),
        Some(2),
        "{}",
        run.show()
    );
    assert_eq!(dir_names(&out.path), Vec::<String>::new());
}
