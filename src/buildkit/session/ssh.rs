//! SSH agent forwarding: the `--ssh` flag and the session's `SSH` service.
//!
//! A spec is `ID[=PATH[,PATH…]]`, as in `docker buildx build`: `default`
//! (or an empty id) is what `RUN --mount=type=ssh` without `id=` asks for;
//! without paths, or with an empty one, the agent is `$SSH_AUTH_SOCK`. The
//! paths are either one agent's unix socket or private key files. buildx
//! loads key files into an agent inside its own process; slipway starts a
//! private OpenSSH `ssh-agent` on a socket in a fresh temporary folder,
//! loads the keys with `ssh-add` (never prompting: a key with a passphrase
//! is refused with a hint to load it into the user's agent), and stops
//! that agent when the forwarder is dropped.
//!
//! [`SshForwarder`] serves `CheckAgent` (does the id exist) and
//! `ForwardAgent`: the daemon opens one stream per connection to the socket
//! it mounted into the container, names the agent in the
//! `buildkit.ssh.id` request metadata, and the service pipes the agent
//! protocol between that stream and a fresh connection to the agent's
//! socket. Like BuildKit's own provider it offers the agent *read-only*:
//! only "list identities" and "sign" requests reach the agent; adding,
//! removing and locking keys and extensions are answered with the agent
//! protocol's failure message, so a build cannot change the user's agent.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::os::unix::fs::FileTypeExt;
use std::path::{Path, PathBuf};
use std::pin::Pin;
use std::sync::Arc;

use futures_util::Stream;
use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::UnixStream;

use crate::proto::sshforward::ssh_server::{Ssh, SshServer};
use crate::proto::sshforward::{BytesMessage, CheckAgentRequest, CheckAgentResponse};

/// The id of the agent used when a mount names none.
pub const DEFAULT_ID: &str = "default";

/// The request metadata key naming the agent of a `ForwardAgent` stream.
pub const ID_METADATA_KEY: &str = "buildkit.ssh.id";

/// The largest agent message relayed in either direction (the limit Go's
/// agent client uses for replies).
const MAX_MESSAGE: usize = 16 << 20;

/// The largest key file read (BuildKit reads at most 100 KiB).
const MAX_KEY_FILE: usize = 100 * 1024;

/// Agent protocol message numbers (draft-miller-ssh-agent).
const AGENT_FAILURE: u8 = 5;
const REQUEST_IDENTITIES: u8 = 11;
const SIGN_REQUEST: u8 = 13;

/// One parsed `--ssh` flag.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SshSpec {
    /// The id `RUN --mount=type=ssh,id=…` refers to.
    pub id: String,
    /// One agent socket or key files; empty means `$SSH_AUTH_SOCK`.
    pub paths: Vec<PathBuf>,
}

/// An `--ssh` flag that cannot be served.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum SshError {
    /// Two specs with the same id.
    #[error("duplicate SSH agent id `{id}`")]
    #[diagnostic(code(slipway::buildkit::ssh_spec))]
    Duplicate {
        /// The repeated id.
        id: String,
    },
    /// No path and no `SSH_AUTH_SOCK`.
    #[error("SSH agent `{id}` has no socket: SSH_AUTH_SOCK is not set")]
    #[diagnostic(
        code(slipway::buildkit::ssh_spec),
        help("start an agent (eval $(ssh-agent); ssh-add) or pass --ssh {id}=/path/to/agent.sock")
    )]
    NoSocket {
        /// The agent's id.
        id: String,
    },
    /// More than one path.
    #[error("SSH agent `{id}` names {count} paths; slipway forwards exactly one agent socket")]
    #[diagnostic(code(slipway::buildkit::ssh_spec))]
    SeveralPaths {
        /// The agent's id.
        id: String,
        /// How many paths were given.
        count: usize,
    },
    /// The path does not exist or cannot be inspected.
    #[error("SSH agent `{id}`: cannot use {path}: {reason}")]
    #[diagnostic(code(slipway::buildkit::ssh_spec))]
    Path {
        /// The agent's id.
        id: String,
        /// The path.
        path: String,
        /// The I/O error.
        reason: String,
    },
    /// Sockets and key files in one spec.
    #[error("SSH agent `{id}` mixes an agent socket and key files")]
    #[diagnostic(
        code(slipway::buildkit::ssh_spec),
        help("give either one agent socket or key files for one id")
    )]
    Mixed {
        /// The agent's id.
        id: String,
    },
    /// Key files that cannot be loaded into a private agent.
    #[error("SSH agent `{id}`: cannot load {paths}: {reason}")]
    #[diagnostic(
        code(slipway::buildkit::ssh_key_file),
        help(
            "a key with a passphrase must be added to your own agent (ssh-add KEY), then forwarded with --ssh {id}"
        )
    )]
    KeyFiles {
        /// The agent's id.
        id: String,
        /// The key files, comma-separated.
        paths: String,
        /// What `ssh-agent` or `ssh-add` said.
        reason: String,
    },
}

/// Parses one `--ssh` value: `ID[=PATH[,PATH…]]`, an empty id being
/// [`DEFAULT_ID`]. Every string is a valid spec; paths are checked by
/// [`SshForwarder::new`].
pub fn parse_ssh(spec: &str) -> SshSpec {
    let (id, paths) = match spec.split_once('=') {
        Some((id, paths)) => (id, paths.split(',').map(PathBuf::from).collect()),
        None => (spec, Vec::new()),
    };
    let id = if id.is_empty() { DEFAULT_ID } else { id };
    SshSpec {
        id: id.to_owned(),
        paths,
    }
}

/// The session's `SSH` service: agent ids and their sockets.
#[derive(Clone, Debug, Default)]
pub struct SshForwarder {
    agents: BTreeMap<String, PathBuf>,
    /// Agents started for key files; they stop with the last clone.
    private: Vec<Arc<PrivateAgent>>,
}

impl SshForwarder {
    /// Resolves the specs against the process environment; see
    /// [`SshForwarder::with_env`].
    pub fn new(specs: &[SshSpec]) -> Result<Self, SshError> {
        Self::with_env(specs, |name| std::env::var_os(name))
    }

    /// Resolves the specs, reading `SSH_AUTH_SOCK` through `env`: each id
    /// once, its paths one existing unix socket or key files (loaded into a
    /// private agent started here).
    pub fn with_env(
        specs: &[SshSpec],
        env: impl Fn(&str) -> Option<OsString>,
    ) -> Result<Self, SshError> {
        let mut forwarder = SshForwarder::default();
        for spec in specs {
            let id = spec.id.clone();
            if forwarder.agents.contains_key(&id) {
                return Err(SshError::Duplicate { id });
            }
            let mut paths: Vec<PathBuf> = spec
                .paths
                .iter()
                .filter(|p| !p.as_os_str().is_empty())
                .cloned()
                .collect();
            if paths.is_empty() {
                match env("SSH_AUTH_SOCK").filter(|s| !s.is_empty()) {
                    Some(sock) => paths.push(PathBuf::from(sock)),
                    None => return Err(SshError::NoSocket { id }),
                }
            }
            let mut sockets = 0;
            for path in &paths {
                let meta = std::fs::metadata(path).map_err(|e| SshError::Path {
                    id: id.clone(),
                    path: path.display().to_string(),
                    reason: e.to_string(),
                })?;
                sockets += usize::from(meta.file_type().is_socket());
            }
            let socket = match (sockets, paths.len()) {
                (0, _) => {
                    let agent = PrivateAgent::start(&id, &paths)?;
                    let socket = agent.socket.clone();
                    forwarder.private.push(Arc::new(agent));
                    socket
                }
                (1, 1) => paths.remove(0),
                (n, count) if n == count => {
                    return Err(SshError::SeveralPaths { id, count });
                }
                _ => return Err(SshError::Mixed { id }),
            };
            forwarder.agents.insert(id, socket);
        }
        Ok(forwarder)
    }

    /// The agent ids served, sorted.
    pub fn ids(&self) -> impl Iterator<Item = &str> {
        self.agents.keys().map(String::as_str)
    }

    /// The socket forwarded for `id`.
    pub fn socket(&self, id: &str) -> Option<&Path> {
        self.agents.get(id).map(PathBuf::as_path)
    }

    /// The forwarder as a tonic service, ready for the session server.
    pub fn into_server(self) -> SshServer<SshForwarder> {
        SshServer::new(self)
    }

    fn lookup(&self, id: &str) -> Result<&Path, tonic::Status> {
        self.socket(id).ok_or_else(|| {
            tonic::Status::not_found(format!(
                "unset ssh forward key {id}: the build was not given --ssh {id}"
            ))
        })
    }
}

/// An `ssh-agent` started for key files, on a socket in its own folder.
struct PrivateAgent {
    child: std::sync::Mutex<std::process::Child>,
    dir: PathBuf,
    socket: PathBuf,
}

impl std::fmt::Debug for PrivateAgent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PrivateAgent")
            .field("socket", &self.socket)
            .finish()
    }
}

impl PrivateAgent {
    fn start(id: &str, keys: &[PathBuf]) -> Result<PrivateAgent, SshError> {
        use std::os::unix::fs::PermissionsExt;
        use std::process::{Command, Stdio};
        use std::sync::atomic::{AtomicUsize, Ordering};

        static NEXT: AtomicUsize = AtomicUsize::new(0);
        let fail = |reason: String| SshError::KeyFiles {
            id: id.to_owned(),
            paths: keys
                .iter()
                .map(|k| k.display().to_string())
                .collect::<Vec<_>>()
                .join(", "),
            reason,
        };
        let dir = std::env::temp_dir().join(format!(
            "slipway-ssh-{}-{}",
            std::process::id(),
            NEXT.fetch_add(1, Ordering::Relaxed)
        ));
        std::fs::create_dir_all(&dir)
            .and_then(|()| std::fs::set_permissions(&dir, std::fs::Permissions::from_mode(0o700)))
            .map_err(|e| fail(format!("cannot create {}: {e}", dir.display())))?;
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .map_err(|e| {
                let _ = std::fs::remove_dir_all(&dir);
                fail(format!("cannot start ssh-agent (OpenSSH): {e}"))
            })?;
        let agent = PrivateAgent {
            child: std::sync::Mutex::new(child),
            dir,
            socket,
        };
        // The socket appears once the agent listens.
        let mut waited = 0;
        while !agent.socket.exists() {
            if waited >= 5000 {
                return Err(fail("ssh-agent did not create its socket".to_owned()));
            }
            std::thread::sleep(std::time::Duration::from_millis(10));
            waited += 10;
        }
        // Each key goes in through standard input, so ssh-add does not
        // insist on the file's permissions (buildx does not either).
        for key in keys {
            let fail_key = |reason: String| SshError::KeyFiles {
                id: id.to_owned(),
                paths: key.display().to_string(),
                reason,
            };
            let data = std::fs::read(key).map_err(|e| fail_key(e.to_string()))?;
            if data.len() > MAX_KEY_FILE {
                return Err(fail_key("too big for a key file".to_owned()));
            }
            add_key(&agent.socket, &data).map_err(fail_key)?;
        }
        Ok(agent)
    }
}

/// Runs `ssh-add -` with the key on standard input.
fn add_key(socket: &Path, key: &[u8]) -> Result<(), String> {
    use std::io::Write;
    use std::process::{Command, Stdio};
    let mut child = Command::new("ssh-add")
        .args(["-q", "-"])
        .env("SSH_AUTH_SOCK", socket)
        // Never prompt: the progress display owns the terminal.
        .env("SSH_ASKPASS", "/bin/false")
        .env("SSH_ASKPASS_REQUIRE", "force")
        .env_remove("DISPLAY")
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .map_err(|e| format!("cannot run ssh-add (OpenSSH): {e}"))?;
    if let Some(mut stdin) = child.stdin.take() {
        // ssh-add may stop reading early; its exit status tells why.
        let _ = stdin.write_all(key);
    }
    let out = child
        .wait_with_output()
        .map_err(|e| format!("ssh-add failed: {e}"))?;
    if out.status.success() {
        return Ok(());
    }
    let said = String::from_utf8_lossy(&out.stderr);
    let said = said.trim();
    Err(if said.is_empty() {
        // ssh-add says nothing when the passphrase prompt fails.
        format!(
            "ssh-add refused it ({}); it probably needs a passphrase",
            out.status
        )
    } else {
        said.replace('\n', "; ")
    })
}

impl Drop for PrivateAgent {
    fn drop(&mut self) {
        if let Ok(child) = self.child.get_mut() {
            let _ = child.kill();
            let _ = child.wait();
        }
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// The stream of agent replies sent back to the daemon.
pub type ReplyStream = Pin<Box<dyn Stream<Item = Result<BytesMessage, tonic::Status>> + Send>>;

#[tonic::async_trait]
impl Ssh for SshForwarder {
    async fn check_agent(
        &self,
        request: tonic::Request<CheckAgentRequest>,
    ) -> Result<tonic::Response<CheckAgentResponse>, tonic::Status> {
        let id = request.into_inner().id;
        let id = if id.is_empty() { DEFAULT_ID } else { &id };
        self.lookup(id)?;
        Ok(tonic::Response::new(CheckAgentResponse {}))
    }

    type ForwardAgentStream = ReplyStream;

    async fn forward_agent(
        &self,
        request: tonic::Request<tonic::Streaming<BytesMessage>>,
    ) -> Result<tonic::Response<ReplyStream>, tonic::Status> {
        let id = request
            .metadata()
            .get(ID_METADATA_KEY)
            .and_then(|v| v.to_str().ok())
            .filter(|v| !v.is_empty())
            .unwrap_or(DEFAULT_ID)
            .to_owned();
        let path = self.lookup(&id)?;
        let agent = UnixStream::connect(path).await.map_err(|e| {
            tonic::Status::unavailable(format!(
                "failed to dial agent {id} at {}: {e}",
                path.display()
            ))
        })?;
        let (tx, rx) = tokio::sync::mpsc::channel(4);
        tokio::spawn(relay(request.into_inner(), agent, tx));
        let replies = futures_util::stream::unfold(rx, |mut rx| async move {
            rx.recv().await.map(|item| (item, rx))
        });
        Ok(tonic::Response::new(Box::pin(replies)))
    }
}

type ReplySender = tokio::sync::mpsc::Sender<Result<BytesMessage, tonic::Status>>;

/// Relays agent requests from the daemon to the agent, one at a time, and
/// the agent's replies back; refused requests are answered locally.
async fn relay(
    mut requests: tonic::Streaming<BytesMessage>,
    mut agent: UnixStream,
    tx: ReplySender,
) {
    let mut pending = Vec::new();
    loop {
        // Answer every complete request already buffered.
        loop {
            match take_frame(&mut pending) {
                Ok(Some(frame)) => {
                    let reply = match answer(&mut agent, &frame).await {
                        Ok(reply) => Ok(BytesMessage { data: reply }),
                        Err(e) => Err(tonic::Status::unavailable(format!(
                            "SSH agent connection failed: {e}"
                        ))),
                    };
                    let failed = reply.is_err();
                    if tx.send(reply).await.is_err() || failed {
                        return;
                    }
                }
                Ok(None) => break,
                Err(e) => {
                    let _ = tx.send(Err(tonic::Status::invalid_argument(e))).await;
                    return;
                }
            }
        }
        match requests.message().await {
            Ok(Some(msg)) => pending.extend_from_slice(&msg.data),
            // The daemon closed its side: the conversation is over.
            Ok(None) | Err(_) => {
                let _ = agent.shutdown().await;
                return;
            }
        }
    }
}

/// Removes one length-prefixed agent message (prefix included) from the
/// front of `buf`, when a whole one is there.
fn take_frame(buf: &mut Vec<u8>) -> Result<Option<Vec<u8>>, String> {
    let Some(prefix) = buf.get(..4) else {
        return Ok(None);
    };
    let len = u32::from_be_bytes([prefix[0], prefix[1], prefix[2], prefix[3]]) as usize;
    if len > MAX_MESSAGE {
        return Err(format!("SSH agent message of {len} bytes is too long"));
    }
    if buf.len() < 4 + len {
        return Ok(None);
    }
    Ok(Some(buf.drain(..4 + len).collect()))
}

/// The reply to one request: the agent's, or a local failure message for
/// requests a read-only agent refuses.
async fn answer(agent: &mut UnixStream, frame: &[u8]) -> std::io::Result<Vec<u8>> {
    let kind = frame.get(4).copied();
    if !matches!(kind, Some(REQUEST_IDENTITIES | SIGN_REQUEST)) {
        return Ok(vec![0, 0, 0, 1, AGENT_FAILURE]);
    }
    agent.write_all(frame).await?;
    let mut prefix = [0u8; 4];
    agent.read_exact(&mut prefix).await?;
    let len = u32::from_be_bytes(prefix) as usize;
    if len > MAX_MESSAGE {
        return Err(std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("agent reply of {len} bytes is too long"),
        ));
    }
    let mut reply = vec![0u8; 4 + len];
    reply[..4].copy_from_slice(&prefix);
    agent.read_exact(&mut reply[4..]).await?;
    Ok(reply)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_buildx_specs() {
        let spec = |id: &str, paths: &[&str]| SshSpec {
            id: id.to_owned(),
            paths: paths.iter().map(PathBuf::from).collect(),
        };
        assert_eq!(parse_ssh("default"), spec("default", &[]));
        assert_eq!(parse_ssh(""), spec("default", &[]));
        assert_eq!(parse_ssh("default="), spec("default", &[""]));
        assert_eq!(parse_ssh("=/run/a.sock"), spec("default", &["/run/a.sock"]));
        assert_eq!(parse_ssh("gh=/run/a.sock"), spec("gh", &["/run/a.sock"]));
        assert_eq!(parse_ssh("gh=/k1,/k2"), spec("gh", &["/k1", "/k2"]));
    }

    #[test]
    fn frames_split_on_length_prefixes() {
        let mut buf = vec![0, 0, 0, 1, 11, 0, 0, 0, 2, 13];
        assert_eq!(take_frame(&mut buf), Ok(Some(vec![0, 0, 0, 1, 11])));
        assert_eq!(take_frame(&mut buf), Ok(None));
        buf.push(7);
        assert_eq!(take_frame(&mut buf), Ok(Some(vec![0, 0, 0, 2, 13, 7])));
        assert!(buf.is_empty());
        let mut huge = vec![0x7f, 0, 0, 0];
        assert_eq!(
            take_frame(&mut huge),
            Err("SSH agent message of 2130706432 bytes is too long".to_owned())
        );
    }

    #[test]
    fn specs_need_one_existing_socket() {
        let no_env = |_: &str| None;
        let err = |specs: &[SshSpec]| {
            SshForwarder::with_env(specs, no_env)
                .unwrap_err()
                .to_string()
        };
        assert_eq!(
            err(&[parse_ssh("default")]),
            "SSH agent `default` has no socket: SSH_AUTH_SOCK is not set"
        );
        assert_eq!(
            err(&[parse_ssh("x=/nonexistent.sock")]),
            "SSH agent `x`: cannot use /nonexistent.sock: No such file or directory (os error 2)"
        );
        assert_eq!(
            err(&[parse_ssh("x=/nonexistent/a,/b")]),
            "SSH agent `x`: cannot use /nonexistent/a: No such file or directory (os error 2)"
        );
        let dir = std::env::temp_dir().join(format!("slipway-ssh-sock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let sock = dir.join("agent.sock");
        let _listener = std::os::unix::net::UnixListener::bind(&sock).unwrap();
        let env = |name: &str| (name == "SSH_AUTH_SOCK").then(|| sock.clone().into_os_string());
        let fwd = SshForwarder::with_env(&[parse_ssh("default"), parse_ssh("b=")], env).unwrap();
        assert_eq!(fwd.ids().collect::<Vec<_>>(), ["b", "default"]);
        assert_eq!(fwd.socket("default"), Some(sock.as_path()));
        let dup = SshForwarder::with_env(&[parse_ssh("default"), parse_ssh("")], env);
        assert_eq!(
            dup.unwrap_err().to_string(),
            "duplicate SSH agent id `default`"
        );

        let sock2 = dir.join("other.sock");
        let _listener2 = std::os::unix::net::UnixListener::bind(&sock2).unwrap();
        let two = parse_ssh(&format!("x={},{}", sock.display(), sock2.display()));
        assert_eq!(
            err(&[two]),
            "SSH agent `x` names 2 paths; slipway forwards exactly one agent socket"
        );
        let key = dir.join("id_fake");
        std::fs::write(&key, "not a key\n").unwrap();
        let mixed = parse_ssh(&format!("x={},{}", sock.display(), key.display()));
        assert_eq!(
            err(&[mixed]),
            "SSH agent `x` mixes an agent socket and key files"
        );
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
