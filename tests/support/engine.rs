//! The Docker engine the integration tests build with, found once per run,
//! and an ssh-agent for builds that forward one.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::sync::OnceLock;
use std::time::Duration;

/// The Docker engine to talk to: `DOCKER_HOST` (and a `PATH` holding the
/// docker CLI) from the environment, or else from `scripts/buildkit-daemon.sh env`.
#[derive(Debug)]
pub struct Engine {
    env: Vec<(String, String)>,
}

impl Engine {
    /// A `docker` command bound to this engine.
    pub fn docker(&self) -> Command {
        let mut c = Command::new("docker");
        c.envs(self.env.iter().map(|(k, v)| (k, v)))
            .env("DOCKER_CLI_HINTS", "false");
        c
    }

    /// A command for another program (such as slipway) bound to this engine.
    pub fn command(&self, program: &str) -> Command {
        let mut c = Command::new(program);
        c.envs(self.env.iter().map(|(k, v)| (k, v)));
        c
    }

    /// Whether the engine's store holds `image`.
    pub fn has_image(&self, image: &str) -> bool {
        let out = self.docker().args(["image", "inspect", image]).output();
        out.is_ok_and(|o| o.status.success())
    }
}

/// The reachable engine, found once per run; `Err` says how to start one.
pub fn engine() -> Result<&'static Engine, String> {
    static ENGINE: OnceLock<Result<Engine, String>> = OnceLock::new();
    ENGINE
        .get_or_init(find_engine)
        .as_ref()
        .map_err(Clone::clone)
}

fn find_engine() -> Result<Engine, String> {
    let mut env = Vec::new();
    if std::env::var_os("DOCKER_HOST").is_none() {
        let script = Path::new(env!("CARGO_MANIFEST_DIR")).join("scripts/buildkit-daemon.sh");
        if let Ok(out) = Command::new(&script).arg("env").output() {
            for line in String::from_utf8_lossy(&out.stdout).lines() {
                if let Some((k, v)) = line
                    .trim()
                    .strip_prefix("export ")
                    .and_then(|l| l.split_once('='))
                {
                    let path = std::env::var("PATH").unwrap_or_default();
                    env.push((k.to_string(), v.replace("$PATH", &path)));
                }
            }
        }
    }
    let e = Engine { env };
    let fix = "run scripts/test, which starts one (or scripts/buildkit-daemon.sh start, then \
               export what `scripts/buildkit-daemon.sh env` prints)";
    for probe in [
        &["version", "--format", "{{.Server.Version}}"][..],
        &["buildx", "version"],
    ] {
        match e.docker().args(probe).output() {
            Ok(o) if o.status.success() => {}
            Ok(o) => {
                let why = String::from_utf8_lossy(&o.stderr).trim().to_string();
                return Err(format!(
                    "no Docker engine with buildx is reachable ({why}): {fix}"
                ));
            }
            Err(err) => return Err(format!("cannot run the docker CLI ({err}): {fix}")),
        }
    }
    Ok(e)
}

/// An ssh-agent for `--ssh default`: the caller's `SSH_AUTH_SOCK`, or a
/// private agent started here and stopped (by its pid) on drop.
pub struct SshAgent {
    pub socket: String,
    child: Option<Child>,
    dir: Option<PathBuf>,
}

impl SshAgent {
    /// `None` when there is no agent and `ssh-agent` cannot be started.
    pub fn start() -> Option<SshAgent> {
        if let Some(s) = std::env::var_os("SSH_AUTH_SOCK").filter(|s| Path::new(s).exists()) {
            return Some(SshAgent {
                socket: s.to_string_lossy().into_owned(),
                child: None,
                dir: None,
            });
        }
        let dir = std::env::temp_dir().join(format!("slipway-diff-ssh-{}", std::process::id()));
        std::fs::create_dir_all(&dir).ok()?;
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .ok()?;
        let agent = SshAgent {
            socket: socket.display().to_string(),
            child: Some(child),
            dir: Some(dir),
        };
        for _ in 0..50 {
            if socket.exists() {
                return Some(agent);
            }
            std::thread::sleep(Duration::from_millis(100));
        }
        None
    }
}

impl Drop for SshAgent {
    fn drop(&mut self) {
        if let Some(c) = &mut self.child {
            let _ = c.kill();
            let _ = c.wait();
        }
        if let Some(d) = &self.dir {
            let _ = std::fs::remove_dir_all(d);
        }
    }
}
