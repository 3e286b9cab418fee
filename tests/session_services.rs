//! The session services the daemon calls back into, driven as the daemon
//! drives them: over an in-memory gRPC connection. Secrets from real files
//! and variables, SSH forwarding to a real `ssh-agent` holding a key made
//! by `ssh-keygen`, and registry credentials from temporary docker config
//! folders and a fake credential helper.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use base64::Engine;
use tonic::transport::Channel;

use slipway::buildkit::session::auth::{AuthProvider, Credentials};
use slipway::buildkit::session::secrets::{SecretStore, parse_secret};
use slipway::buildkit::session::ssh::{ID_METADATA_KEY, SshForwarder, parse_ssh};
use slipway::proto::filesync::auth_client::AuthClient;
use slipway::proto::filesync::{CredentialsRequest, GetTokenAuthorityRequest};
use slipway::proto::secrets::GetSecretRequest;
use slipway::proto::secrets::secrets_client::SecretsClient;
use slipway::proto::sshforward::ssh_client::SshClient;
use slipway::proto::sshforward::{BytesMessage, CheckAgentRequest};

/// A fresh scratch folder for one test.
fn scratch(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("slipway-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch dir");
    dir
}

/// Serves `router` on one in-memory connection and returns the client end.
async fn connect(router: tonic::transport::server::Router) -> Channel {
    let (ours, theirs) = tokio::io::duplex(1 << 16);
    let incoming = futures_util::stream::once(async move { Ok::<_, std::io::Error>(theirs) });
    tokio::spawn(router.serve_with_incoming(incoming));
    slipway::frontend::transport::connect(ours)
        .await
        .expect("in-memory channel")
}

// ---------------------------------------------------------------------------
// Secrets
// ---------------------------------------------------------------------------

#[tokio::test]
async fn secrets_come_from_files_and_variables_and_unknown_ids_are_not_found() {
    let dir = scratch("secrets");
    let file = dir.join("npmrc");
    std::fs::write(&file, "//registry.npmjs.org/:_authToken=abc\n").unwrap();
    let specs = [
        parse_secret(&format!("id=npmrc,src={}", file.display())).unwrap(),
        parse_secret("id=token,env=SLIPWAY_TEST_TOKEN").unwrap(),
    ];
    let env = |name: &str| (name == "SLIPWAY_TEST_TOKEN").then(|| OsString::from("t0k3n"));
    let store = SecretStore::with_env(&specs, env).unwrap();
    let channel =
        connect(tonic::transport::Server::builder().add_service(store.into_server())).await;
    let mut client = SecretsClient::new(channel);
    let get = |id: &str| GetSecretRequest {
        id: id.to_owned(),
        annotations: BTreeMap::new(),
    };

    let npmrc = client.get_secret(get("npmrc")).await.unwrap().into_inner();
    assert_eq!(npmrc.data, b"//registry.npmjs.org/:_authToken=abc\n");
    let token = client.get_secret(get("token")).await.unwrap().into_inner();
    assert_eq!(token.data, b"t0k3n");

    let missing = client.get_secret(get("aws")).await.unwrap_err();
    assert_eq!(missing.code(), tonic::Code::NotFound);
    assert_eq!(missing.message(), "secret aws not found");

    // A file that disappears after the store was built is an error, not an
    // empty secret.
    std::fs::remove_file(&file).unwrap();
    let gone = client.get_secret(get("npmrc")).await.unwrap_err();
    assert_eq!(gone.code(), tonic::Code::Internal);
    assert!(
        gone.message().starts_with("secret `npmrc`: cannot read"),
        "{}",
        gone.message()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------
// SSH
// ---------------------------------------------------------------------------

/// A private `ssh-agent` holding one fresh ed25519 key.
struct Agent {
    child: Child,
    dir: PathBuf,
    socket: PathBuf,
    /// The key's public blob, as the agent lists it.
    blob: Vec<u8>,
}

impl Agent {
    fn start(name: &str) -> Agent {
        let dir = scratch(name);
        let socket = dir.join("agent.sock");
        let child = Command::new("ssh-agent")
            .arg("-D")
            .arg("-a")
            .arg(&socket)
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn()
            .expect("ssh-agent (Debian package openssh-client, see scripts/install-deps)");
        for _ in 0..100 {
            if socket.exists() {
                break;
            }
            std::thread::sleep(Duration::from_millis(50));
        }
        let key = dir.join("id_ed25519");
        let status = Command::new("ssh-keygen")
            .args([
                "-q",
                "-t",
                "ed25519",
                "-N",
                "",
                "-C",
                "slipway-test-key",
                "-f",
            ])
            .arg(&key)
            .status()
            .expect("ssh-keygen");
        assert!(status.success());
        let status = Command::new("ssh-add")
            .arg(&key)
            .env("SSH_AUTH_SOCK", &socket)
            .stderr(Stdio::null())
            .status()
            .expect("ssh-add");
        assert!(status.success(), "ssh-add failed");
        let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
        let blob = base64::engine::general_purpose::STANDARD
            .decode(public.split_whitespace().nth(1).unwrap())
            .unwrap();
        Agent {
            child,
            dir,
            socket,
            blob,
        }
    }
}

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// An agent protocol message: length prefix, type, body.
fn frame(kind: u8, body: &[u8]) -> Vec<u8> {
    let mut out = ((body.len() + 1) as u32).to_be_bytes().to_vec();
    out.push(kind);
    out.extend_from_slice(body);
    out
}

fn ssh_string(data: &[u8]) -> Vec<u8> {
    let mut out = (data.len() as u32).to_be_bytes().to_vec();
    out.extend_from_slice(data);
    out
}

/// Reads one length-prefixed string at `*at`.
fn read_string<'a>(data: &'a [u8], at: &mut usize) -> &'a [u8] {
    let len = u32::from_be_bytes(data[*at..*at + 4].try_into().unwrap()) as usize;
    let s = &data[*at + 4..*at + 4 + len];
    *at += 4 + len;
    s
}

/// One `ForwardAgent` conversation: sends `chunks` as separate messages,
/// then reads `replies` whole agent messages back.
async fn converse(
    channel: Channel,
    id: Option<&str>,
    chunks: Vec<Vec<u8>>,
    replies: usize,
) -> Result<Vec<Vec<u8>>, tonic::Status> {
    let mut client = SshClient::new(channel);
    let outgoing = futures_util::stream::iter(
        chunks
            .into_iter()
            .map(|data| BytesMessage { data })
            .collect::<Vec<_>>(),
    );
    // Keep the request stream open until the replies are in, as the
    // daemon's side does while the container holds the socket.
    let (done_tx, done_rx) = tokio::sync::oneshot::channel::<()>();
    let outgoing = futures_util::StreamExt::chain(
        outgoing,
        futures_util::stream::once(async move {
            let _ = done_rx.await;
            BytesMessage { data: Vec::new() }
        }),
    );
    let mut request = tonic::Request::new(outgoing);
    if let Some(id) = id {
        request
            .metadata_mut()
            .insert(ID_METADATA_KEY, id.parse().unwrap());
    }
    let mut stream = client.forward_agent(request).await?.into_inner();
    let mut buf = Vec::new();
    let mut out = Vec::new();
    while out.len() < replies {
        let msg = stream.message().await?.expect("agent reply");
        buf.extend_from_slice(&msg.data);
        while buf.len() >= 4 {
            let len = u32::from_be_bytes(buf[..4].try_into().unwrap()) as usize;
            if buf.len() < 4 + len {
                break;
            }
            out.push(buf.drain(..4 + len).collect());
        }
    }
    let _ = done_tx.send(());
    Ok(out)
}

const REQUEST_IDENTITIES: u8 = 11;
const IDENTITIES_ANSWER: u8 = 12;
const SIGN_REQUEST: u8 = 13;
const SIGN_RESPONSE: u8 = 14;
const REMOVE_ALL_IDENTITIES: u8 = 19;
const FAILURE: u8 = 5;

/// The (blob, comment) pairs of an identities answer.
fn identities(reply: &[u8]) -> Vec<(Vec<u8>, String)> {
    assert_eq!(reply[4], IDENTITIES_ANSWER, "{reply:?}");
    let count = u32::from_be_bytes(reply[5..9].try_into().unwrap());
    let mut at = 9;
    (0..count)
        .map(|_| {
            let blob = read_string(reply, &mut at).to_vec();
            let comment = String::from_utf8(read_string(reply, &mut at).to_vec()).unwrap();
            (blob, comment)
        })
        .collect()
}

#[tokio::test]
async fn ssh_agent_is_forwarded_read_only() {
    let agent = Agent::start("ssh-forward");
    let spec = parse_ssh(&format!("deploy={}", agent.socket.display()));
    let forwarder = SshForwarder::new(&[spec]).unwrap();
    let router = tonic::transport::Server::builder().add_service(forwarder.into_server());
    let channel = connect(router).await;

    // CheckAgent knows the id and refuses others (empty means "default").
    let mut client = SshClient::new(channel.clone());
    let check = |id: &str| CheckAgentRequest { id: id.to_owned() };
    client.check_agent(check("deploy")).await.unwrap();
    let unknown = client.check_agent(check("")).await.unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);
    assert_eq!(
        unknown.message(),
        "unset ssh forward key default: the build was not given --ssh default"
    );

    // The identities list comes back through the pipe, even when the
    // request arrives in pieces.
    let list = frame(REQUEST_IDENTITIES, &[]);
    let replies = converse(
        channel.clone(),
        Some("deploy"),
        vec![list[..3].to_vec(), list[3..].to_vec()],
        1,
    )
    .await
    .unwrap();
    assert_eq!(
        identities(&replies[0]),
        [(agent.blob.clone(), "slipway-test-key".to_owned())]
    );

    // Signing works; removing keys is refused and changes nothing.
    let mut sign = ssh_string(&agent.blob);
    sign.extend(ssh_string(b"data to sign"));
    sign.extend(0u32.to_be_bytes());
    let replies = converse(
        channel.clone(),
        Some("deploy"),
        vec![
            [
                frame(SIGN_REQUEST, &sign),
                frame(REMOVE_ALL_IDENTITIES, &[]),
            ]
            .concat(),
            frame(REQUEST_IDENTITIES, &[]),
        ],
        3,
    )
    .await
    .unwrap();
    assert_eq!(replies[0][4], SIGN_RESPONSE);
    let mut at = 5;
    let signature = read_string(&replies[0], &mut at);
    let mut sig_at = 0;
    assert_eq!(read_string(signature, &mut sig_at), b"ssh-ed25519");
    assert_eq!(replies[1], [0, 0, 0, 1, FAILURE]);
    assert_eq!(identities(&replies[2]).len(), 1);

    // A stream for an id that was not forwarded is refused.
    let err = converse(channel, Some("other"), vec![list.clone()], 1)
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::NotFound);
}

#[test]
fn ssh_default_is_ssh_auth_sock() {
    let agent = Agent::start("ssh-default");
    let env = |name: &str| (name == "SSH_AUTH_SOCK").then(|| agent.socket.clone().into_os_string());
    let forwarder = SshForwarder::with_env(&[parse_ssh("default")], env).unwrap();
    assert_eq!(forwarder.socket("default"), Some(agent.socket.as_path()));
}

/// Makes an ed25519 key `name` in `dir` with `passphrase`; returns its
/// path and public blob.
fn keygen(dir: &Path, name: &str, passphrase: &str) -> (PathBuf, Vec<u8>) {
    let key = dir.join(name);
    let status = Command::new("ssh-keygen")
        .args(["-q", "-t", "ed25519", "-N", passphrase, "-C", name, "-f"])
        .arg(&key)
        .status()
        .expect("ssh-keygen");
    assert!(status.success());
    let public = std::fs::read_to_string(key.with_extension("pub")).unwrap();
    let blob = base64::engine::general_purpose::STANDARD
        .decode(public.split_whitespace().nth(1).unwrap())
        .unwrap();
    (key, blob)
}

#[tokio::test]
async fn key_files_are_served_by_a_private_agent() {
    let dir = scratch("ssh-keys");
    let (one, one_blob) = keygen(&dir, "id_one", "");
    let (two, two_blob) = keygen(&dir, "id_two", "");
    let spec = parse_ssh(&format!("keys={},{}", one.display(), two.display()));
    let forwarder = SshForwarder::new(&[spec]).unwrap();
    let socket = forwarder.socket("keys").unwrap().to_owned();
    assert!(
        !socket.starts_with(&dir),
        "the agent runs in its own folder"
    );
    let channel =
        connect(tonic::transport::Server::builder().add_service(forwarder.into_server())).await;
    let replies = converse(
        channel,
        Some("keys"),
        vec![frame(REQUEST_IDENTITIES, &[])],
        1,
    )
    .await
    .unwrap();
    let mut listed = identities(&replies[0]);
    listed.sort_by(|a, b| a.1.cmp(&b.1));
    assert_eq!(
        listed,
        [
            (one_blob, "id_one".to_owned()),
            (two_blob, "id_two".to_owned())
        ]
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[test]
fn private_agent_stops_with_the_forwarder_and_refuses_locked_keys() {
    let dir = scratch("ssh-keys-locked");
    let (key, _) = keygen(&dir, "id_plain", "");
    let forwarder = SshForwarder::new(&[parse_ssh(&format!("k={}", key.display()))]).unwrap();
    let socket = forwarder.socket("k").unwrap().to_owned();
    assert!(socket.exists());
    drop(forwarder);
    assert!(!socket.exists(), "the private agent's folder is removed");

    let (locked, _) = keygen(&dir, "id_locked", "hunter22");
    let err = SshForwarder::new(&[parse_ssh(&format!("k={}", locked.display()))])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "SSH agent `k`: cannot load {}: ssh-add refused it (exit status: 1); \
             it probably needs a passphrase",
            locked.display()
        )
    );
    let junk = dir.join("junk");
    std::fs::write(&junk, "not a key\n").unwrap();
    let err = SshForwarder::new(&[parse_ssh(&format!("k={}", junk.display()))])
        .unwrap_err()
        .to_string();
    assert_eq!(
        err,
        format!(
            "SSH agent `k`: cannot load {}: Error loading key \"(stdin)\": error in libcrypto",
            junk.display()
        )
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

// ---------------------------------------------------------------------------
// Registry auth
// ---------------------------------------------------------------------------

fn b64(s: &str) -> String {
    base64::engine::general_purpose::STANDARD.encode(s)
}

fn creds(user: &str, secret: &str) -> Credentials {
    Credentials {
        username: user.to_owned(),
        secret: secret.to_owned(),
    }
}

/// A provider over `dir/config.json`, with helpers looked up in `bin`.
fn provider(dir: &Path, bin: Option<&Path>) -> AuthProvider {
    let dir = dir.to_owned();
    let bin = bin.map(Path::to_owned);
    AuthProvider::with_env(move |name| match name {
        "DOCKER_CONFIG" => Some(dir.clone().into_os_string()),
        "PATH" => bin.clone().map(PathBuf::into_os_string),
        _ => None,
    })
    .unwrap()
}

#[tokio::test]
async fn auths_entries_answer_with_cli_host_aliases() {
    let dir = scratch("auth-file");
    let config = serde_json::json!({
        "auths": {
            "https://index.docker.io/v1/": {"auth": b64("hubuser:hubpass")},
            "ghcr.io": {"username": "octo", "password": "ghp_123"},
            "https://registry.example.com:5000/v2/": {"auth": b64("ex:pa:ss")},
            "token.example.com": {"auth": b64("ignored:x"), "identitytoken": "refresh-me"}
        }
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    let p = provider(&dir, None);
    // BuildKit asks for Docker Hub as registry-1.docker.io.
    assert_eq!(
        p.credentials("registry-1.docker.io").await.unwrap(),
        creds("hubuser", "hubpass")
    );
    assert_eq!(
        p.credentials("docker.io").await.unwrap(),
        creds("hubuser", "hubpass")
    );
    assert_eq!(
        p.credentials("ghcr.io").await.unwrap(),
        creds("octo", "ghp_123")
    );
    // Keys written as URLs match their host and port.
    assert_eq!(
        p.credentials("registry.example.com:5000").await.unwrap(),
        creds("ex", "pa:ss")
    );
    assert_eq!(
        p.credentials("registry.example.com").await.unwrap(),
        Credentials::default()
    );
    // An identity token goes alone, as BuildKit sends it.
    assert_eq!(
        p.credentials("token.example.com").await.unwrap(),
        creds("", "refresh-me")
    );
    assert_eq!(
        p.credentials("quay.io").await.unwrap(),
        Credentials::default()
    );

    // Through gRPC, and with the token authority calls unimplemented.
    let channel = connect(tonic::transport::Server::builder().add_service(p.into_server())).await;
    let mut client = AuthClient::new(channel);
    let resp = client
        .credentials(CredentialsRequest {
            host: "ghcr.io".to_owned(),
        })
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (resp.username.as_str(), resp.secret.as_str()),
        ("octo", "ghp_123")
    );
    let err = client
        .get_token_authority(GetTokenAuthorityRequest {
            host: "ghcr.io".to_owned(),
            salt: vec![1; 32],
        })
        .await
        .unwrap_err();
    assert_eq!(err.code(), tonic::Code::Unimplemented);
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn broken_or_missing_configs() {
    let dir = scratch("auth-broken");
    // No config file at all: anonymous.
    assert_eq!(
        provider(&dir, None).credentials("ghcr.io").await.unwrap(),
        Credentials::default()
    );
    std::fs::write(
        dir.join("config.json"),
        r#"{"auths": {"ghcr.io": {"auth": "not base64!"}}}"#,
    )
    .unwrap();
    let dir2 = dir.clone();
    let err = AuthProvider::with_env(move |n| {
        (n == "DOCKER_CONFIG").then(|| dir2.clone().into_os_string())
    })
    .unwrap_err()
    .to_string();
    assert!(
        err.starts_with(&format!(
            "cannot load the docker config {}: entry `ghcr.io`: `auth` is not base64",
            dir.join("config.json").display()
        )),
        "{err}"
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

/// Writes `docker-credential-<name>`: answers from a table, logs each
/// server it is asked about to `calls`, fails loudly for `broken.io`.
fn fake_helper(bin: &Path, name: &str, calls: &Path) {
    let script = format!(
        r#"#!/bin/sh
[ "$1" = get ] || {{ echo "unexpected action $1" >&2; exit 3; }}
server=$(cat)
echo "$server" >> '{calls}'
case "$server" in
  https://index.docker.io/v1/) echo '{{"ServerURL":"https://index.docker.io/v1/","Username":"hub-helper","Secret":"hub-secret"}}' ;;
  ghcr.io) echo '{{"ServerURL":"ghcr.io","Username":"<token>","Secret":"ghcr-identity"}}' ;;
  broken.io) echo "keychain is locked"; echo "more detail" >&2; exit 1 ;;
  *) echo "credentials not found in native keychain"; exit 1 ;;
esac
"#,
        calls = calls.display()
    );
    let path = bin.join(format!("docker-credential-{name}"));
    std::fs::write(&path, script).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&path, std::fs::Permissions::from_mode(0o755)).unwrap();
}

#[tokio::test]
async fn credential_helpers_are_run_with_the_key_on_stdin() {
    let dir = scratch("auth-helper");
    let bin = dir.join("bin");
    std::fs::create_dir_all(&bin).unwrap();
    let calls = dir.join("calls");
    fake_helper(&bin, "fake", &calls);
    let config = serde_json::json!({
        "auths": {"ghcr.io": {"auth": b64("file:ignored")}, "plain.io": {"auth": b64("p:q")}},
        "credsStore": "fake",
        "credHelpers": {"plain.io": "missing-helper"}
    });
    std::fs::write(dir.join("config.json"), config.to_string()).unwrap();
    let p = provider(&dir, Some(&bin));

    assert_eq!(
        p.credentials("registry-1.docker.io").await.unwrap(),
        creds("hub-helper", "hub-secret")
    );
    // `<token>` marks an identity token; the store beats the file entry.
    assert_eq!(
        p.credentials("ghcr.io").await.unwrap(),
        creds("", "ghcr-identity")
    );
    // Not found in the store: anonymous.
    assert_eq!(
        p.credentials("quay.io").await.unwrap(),
        Credentials::default()
    );
    // Answers are cached: asking again does not run the helper.
    assert_eq!(
        p.credentials("ghcr.io").await.unwrap(),
        creds("", "ghcr-identity")
    );
    assert_eq!(
        std::fs::read_to_string(&calls).unwrap(),
        "https://index.docker.io/v1/\nghcr.io\nquay.io\n"
    );

    let err = p.credentials("broken.io").await.unwrap_err().to_string();
    assert_eq!(
        err,
        "credential helper docker-credential-fake failed for broken.io: \
         exit status: 1: keychain is locked: more detail"
    );
    // credHelpers wins over credsStore, and a helper that is not installed
    // is a clear error.
    let err = p.credentials("plain.io").await.unwrap_err().to_string();
    assert_eq!(
        err,
        "credential helper docker-credential-missing-helper failed for plain.io: \
         docker-credential-missing-helper is not on PATH"
    );

    // Over gRPC a helper failure is an error status with that message.
    let channel = connect(tonic::transport::Server::builder().add_service(p.into_server())).await;
    let status = AuthClient::new(channel)
        .credentials(CredentialsRequest {
            host: "broken.io".to_owned(),
        })
        .await
        .unwrap_err();
    assert_eq!(status.code(), tonic::Code::Unavailable);
    assert!(
        status.message().contains("keychain is locked"),
        "{}",
        status.message()
    );
    std::fs::remove_dir_all(&dir).unwrap();
}

#[tokio::test]
async fn docker_auth_config_comes_first() {
    let dir = scratch("auth-env");
    std::fs::write(
        dir.join("config.json"),
        serde_json::json!({"auths": {"ghcr.io": {"auth": b64("file:f")}}}).to_string(),
    )
    .unwrap();
    let env_json = serde_json::json!({"auths": {"ghcr.io": {"auth": b64("env:e")}}}).to_string();
    let d = dir.clone();
    let p = AuthProvider::with_env(move |name| match name {
        "DOCKER_CONFIG" => Some(d.clone().into_os_string()),
        "DOCKER_AUTH_CONFIG" => Some(OsString::from(env_json.clone())),
        _ => None,
    })
    .unwrap();
    assert_eq!(p.credentials("ghcr.io").await.unwrap(), creds("env", "e"));
    std::fs::remove_dir_all(&dir).unwrap();
}
