//! Registry credentials: the session's `Auth` service over the Docker CLI
//! configuration.
//!
//! The daemon asks `Credentials(host)` whenever a registry challenges it
//! (pulling a base image, pushing, a registry cache). [`AuthProvider`]
//! answers from `$DOCKER_CONFIG/config.json` (default `~/.docker/config.json`)
//! the way the docker CLI reads it:
//!
//! - the host is turned into the config key first: Docker Hub's hosts
//!   (`registry-1.docker.io`, which BuildKit asks for, `docker.io`,
//!   `index.docker.io`) become `https://index.docker.io/v1/`;
//! - a credential helper for that key (`credHelpers`, else `credsStore`)
//!   is run as `docker-credential-<name> get` with the key on standard
//!   input; its "credentials not found" answer means anonymous access, any
//!   other failure is an error;
//! - without a helper, `auths[key]` is used, or else the first entry whose
//!   key written as a URL (`https://host:port/v2/`) has that host; an entry
//!   holds a base64 `auth` of `user:password`, or `username`/`password`, or
//!   an `identitytoken`;
//! - `DOCKER_AUTH_CONFIG` (a JSON `{"auths": …}` with `auth` fields), when
//!   set, is consulted before the file, as the docker CLI does.
//!
//! An identity token is sent as the secret with an empty user name, which
//! tells BuildKit to use it as an OAuth refresh token; a helper reports one
//! with the user name `<token>`. Answers are cached per host for the
//! provider's life, like BuildKit's provider (for under five minutes).
//!
//! `FetchToken`, `GetTokenAuthority` and `VerifyTokenAuthority` are left
//! unimplemented. BuildKit (session/auth and util/resolver/authorizer.go)
//! treats `UNIMPLEMENTED` from `GetTokenAuthority` as "this client has no
//! token authority": it then calls `Credentials` and fetches registry
//! tokens itself, and it only calls `FetchToken` for clients that announced
//! an authority. `VerifyTokenAuthority` answering `UNIMPLEMENTED` likewise
//! counts as "not verified", never as an error.

use std::collections::{BTreeMap, HashMap};
use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::Stdio;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use base64::Engine;
use serde::Deserialize;
use tokio::io::AsyncWriteExt;

use crate::proto::filesync::auth_server::{Auth, AuthServer};
use crate::proto::filesync::{
    CredentialsRequest, CredentialsResponse, FetchTokenRequest, FetchTokenResponse,
    GetTokenAuthorityRequest, GetTokenAuthorityResponse, VerifyTokenAuthorityRequest,
    VerifyTokenAuthorityResponse,
};

/// The config key the docker CLI stores Docker Hub credentials under.
pub const DOCKER_HUB_KEY: &str = "https://index.docker.io/v1/";

/// The user name a credential helper gives for an identity token.
const TOKEN_USERNAME: &str = "<token>";

/// What helpers print when they hold nothing for a server.
const NOT_FOUND_MESSAGE: &str = "credentials not found in native keychain";

/// How long an answer is reused (BuildKit's provider uses 4m50s).
const CACHE_FOR: Duration = Duration::from_secs(290);

/// Credentials for one registry host; both empty means anonymous.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Credentials {
    /// The user name; empty with an identity token.
    pub username: String,
    /// The password, or the identity token.
    pub secret: String,
}

/// A docker config or credential helper that cannot be used.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
pub enum AuthError {
    /// `config.json` cannot be read or parsed.
    #[error("cannot load the docker config {path}: {reason}")]
    #[diagnostic(code(slipway::buildkit::docker_config))]
    Config {
        /// The file.
        path: String,
        /// What is wrong.
        reason: String,
    },
    /// `DOCKER_AUTH_CONFIG` cannot be parsed.
    #[error("cannot use DOCKER_AUTH_CONFIG: {reason}")]
    #[diagnostic(code(slipway::buildkit::docker_config))]
    EnvConfig {
        /// What is wrong.
        reason: String,
    },
    /// A credential helper failed.
    #[error("credential helper docker-credential-{helper} failed for {server}: {reason}")]
    #[diagnostic(code(slipway::buildkit::credential_helper))]
    Helper {
        /// The helper's name, after `docker-credential-`.
        helper: String,
        /// The server asked about.
        server: String,
        /// What went wrong.
        reason: String,
    },
}

/// One `auths` entry as the docker CLI writes it.
#[derive(Clone, Debug, Default, Deserialize)]
struct AuthEntry {
    #[serde(default)]
    auth: Option<String>,
    #[serde(default)]
    username: Option<String>,
    #[serde(default)]
    password: Option<String>,
    #[serde(default)]
    identitytoken: Option<String>,
}

/// The parts of `config.json` that concern credentials.
#[derive(Clone, Debug, Default, Deserialize)]
struct ConfigFile {
    #[serde(default)]
    auths: Option<BTreeMap<String, AuthEntry>>,
    #[serde(default, rename = "credsStore")]
    creds_store: Option<String>,
    #[serde(default, rename = "credHelpers")]
    cred_helpers: Option<BTreeMap<String, String>>,
}

/// What a credential helper prints for `get`.
#[derive(Deserialize)]
struct HelperAnswer {
    #[serde(default, rename = "Username")]
    username: String,
    #[serde(default, rename = "Secret")]
    secret: String,
}

/// The session's `Auth` service.
#[derive(Debug, Default)]
pub struct AuthProvider {
    /// Decoded `auths`, by config key.
    auths: BTreeMap<String, Credentials>,
    /// Decoded `DOCKER_AUTH_CONFIG` entries, by config key.
    env_auths: BTreeMap<String, Credentials>,
    creds_store: Option<String>,
    cred_helpers: BTreeMap<String, String>,
    /// `PATH`, to find helpers.
    search_path: Option<OsString>,
    cache: Mutex<HashMap<String, (Instant, Credentials)>>,
}

impl AuthProvider {
    /// Loads the docker config named by the process environment.
    pub fn from_env() -> Result<Self, AuthError> {
        Self::with_env(|name| std::env::var_os(name))
    }

    /// Loads the docker config, reading `DOCKER_CONFIG`, `HOME`,
    /// `DOCKER_AUTH_CONFIG` and (for helpers) `PATH` through `env`. A missing
    /// config file means no credentials.
    pub fn with_env(env: impl Fn(&str) -> Option<OsString>) -> Result<Self, AuthError> {
        let dir = match env("DOCKER_CONFIG").filter(|d| !d.is_empty()) {
            Some(dir) => Some(PathBuf::from(dir)),
            None => env("HOME").map(|home| PathBuf::from(home).join(".docker")),
        };
        let mut provider = match dir {
            Some(dir) => Self::from_file(&dir.join("config.json"))?,
            None => AuthProvider::default(),
        };
        if let Some(json) = env("DOCKER_AUTH_CONFIG").filter(|v| !v.is_empty()) {
            provider.env_auths = parse_env_config(&json.to_string_lossy())?;
        }
        provider.search_path = env("PATH");
        Ok(provider)
    }

    /// Loads one `config.json`; a missing file means no credentials.
    pub fn from_file(path: &Path) -> Result<Self, AuthError> {
        let config_error = |reason: String| AuthError::Config {
            path: path.display().to_string(),
            reason,
        };
        let text = match std::fs::read_to_string(path) {
            Ok(text) => text,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(Self::default()),
            Err(e) => return Err(config_error(e.to_string())),
        };
        let file: ConfigFile = if text.trim().is_empty() {
            ConfigFile::default()
        } else {
            serde_json::from_str(&text).map_err(|e| config_error(e.to_string()))?
        };
        let mut auths = BTreeMap::new();
        for (key, entry) in file.auths.unwrap_or_default() {
            let creds = decode_entry(&entry)
                .map_err(|reason| config_error(format!("entry `{key}`: {reason}")))?;
            auths.insert(key, creds);
        }
        Ok(AuthProvider {
            auths,
            creds_store: file.creds_store.filter(|s| !s.is_empty()),
            cred_helpers: file.cred_helpers.unwrap_or_default(),
            ..AuthProvider::default()
        })
    }

    /// The credentials for registry `host` (as BuildKit names it, e.g.
    /// `registry-1.docker.io` or `ghcr.io`).
    pub async fn credentials(&self, host: &str) -> Result<Credentials, AuthError> {
        if let Ok(cache) = self.cache.lock()
            && let Some((at, creds)) = cache.get(host)
            && at.elapsed() < CACHE_FOR
        {
            return Ok(creds.clone());
        }
        let creds = self.lookup(host).await?;
        if let Ok(mut cache) = self.cache.lock() {
            cache.insert(host.to_owned(), (Instant::now(), creds.clone()));
        }
        Ok(creds)
    }

    async fn lookup(&self, host: &str) -> Result<Credentials, AuthError> {
        let key = config_key(host);
        if let Some(creds) = self.env_auths.get(key) {
            return Ok(creds.clone());
        }
        let helper = self.cred_helpers.get(key).or(self.creds_store.as_ref());
        match helper {
            Some(helper) => self.run_helper(helper, key).await,
            None => Ok(file_lookup(&self.auths, key).cloned().unwrap_or_default()),
        }
    }

    /// Runs `docker-credential-<helper> get` for `server`.
    async fn run_helper(&self, helper: &str, server: &str) -> Result<Credentials, AuthError> {
        let fail = |reason: String| AuthError::Helper {
            helper: helper.to_owned(),
            server: server.to_owned(),
            reason,
        };
        let name = format!("docker-credential-{helper}");
        let program = find_program(&name, self.search_path.as_deref())
            .ok_or_else(|| fail(format!("{name} is not on PATH")))?;
        let mut child = tokio::process::Command::new(&program)
            .arg("get")
            .stdin(Stdio::piped())
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .map_err(|e| fail(e.to_string()))?;
        if let Some(mut stdin) = child.stdin.take() {
            // A helper may exit without reading; its answer says why.
            let _ = stdin.write_all(server.as_bytes()).await;
        }
        let out = child
            .wait_with_output()
            .await
            .map_err(|e| fail(e.to_string()))?;
        let stdout = String::from_utf8_lossy(&out.stdout);
        if !out.status.success() {
            if stdout.trim() == NOT_FOUND_MESSAGE {
                return Ok(Credentials::default());
            }
            let mut reason = format!("{}", out.status);
            for text in [stdout.trim(), String::from_utf8_lossy(&out.stderr).trim()] {
                if !text.is_empty() {
                    reason.push_str(": ");
                    reason.push_str(text);
                }
            }
            return Err(fail(reason));
        }
        let answer: HelperAnswer =
            serde_json::from_str(&stdout).map_err(|e| fail(format!("unreadable answer: {e}")))?;
        Ok(if answer.username == TOKEN_USERNAME {
            Credentials {
                username: String::new(),
                secret: answer.secret,
            }
        } else {
            Credentials {
                username: answer.username,
                secret: answer.secret,
            }
        })
    }

    /// The provider as a tonic service, ready for the session server.
    pub fn into_server(self) -> AuthServer<AuthProvider> {
        AuthServer::new(self)
    }
}

/// The config key for a registry host (the docker CLI's
/// `getAuthConfigKey`, plus BuildKit's mapping of its Hub host).
pub fn config_key(host: &str) -> &str {
    match host {
        "docker.io" | "index.docker.io" | "registry-1.docker.io" => DOCKER_HUB_KEY,
        _ => host,
    }
}

/// The file store's lookup: the exact key, else the first entry (in key
/// order) whose key reduces to that host.
fn file_lookup<'a>(auths: &'a BTreeMap<String, Credentials>, key: &str) -> Option<&'a Credentials> {
    auths.get(key).or_else(|| {
        auths
            .iter()
            .find(|(k, _)| hostname_of(k) == key)
            .map(|(_, c)| c)
    })
}

/// `host[:port]` of a config key written as a URL or as `host/path` (the
/// docker CLI's `ConvertToHostname`).
pub fn hostname_of(key: &str) -> &str {
    let rest = match key.split_once("://") {
        Some((_, rest)) => rest,
        None => key,
    };
    let host = rest.split(['/', '?', '#']).next().unwrap_or(rest);
    // Drop user info, as a URL parser would.
    host.rsplit_once('@').map_or(host, |(_, h)| h)
}

/// Decodes an `auths` entry.
fn decode_entry(entry: &AuthEntry) -> Result<Credentials, String> {
    // The CLI refuses a config with a broken `auth` even when a token is
    // there too.
    let from_auth = match entry.auth.as_deref().filter(|a| !a.is_empty()) {
        Some(auth) => Some(decode_auth(auth)?),
        None => None,
    };
    if let Some(token) = entry.identitytoken.as_deref().filter(|t| !t.is_empty()) {
        // BuildKit sends only the token when there is one.
        return Ok(Credentials {
            username: String::new(),
            secret: token.to_owned(),
        });
    }
    Ok(match from_auth {
        Some((username, secret)) => Credentials { username, secret },
        None => Credentials {
            username: entry.username.clone().unwrap_or_default(),
            secret: entry.password.clone().unwrap_or_default(),
        },
    })
}

/// Decodes a base64 `user:password` (the password may contain `:`).
fn decode_auth(auth: &str) -> Result<(String, String), String> {
    let bytes = base64::engine::general_purpose::STANDARD
        .decode(auth)
        .map_err(|e| format!("`auth` is not base64: {e}"))?;
    let text = String::from_utf8_lossy(&bytes);
    match text.split_once(':') {
        Some((user, password)) if !user.is_empty() => {
            Ok((user.to_owned(), password.trim_matches('\0').to_owned()))
        }
        _ => Err("`auth` is not user:password".to_owned()),
    }
}

/// Parses `DOCKER_AUTH_CONFIG`: `{"auths": {KEY: {"auth": BASE64}}}`.
fn parse_env_config(json: &str) -> Result<BTreeMap<String, Credentials>, AuthError> {
    let fail = |reason: String| AuthError::EnvConfig { reason };
    let file: ConfigFile = serde_json::from_str(json).map_err(|e| fail(e.to_string()))?;
    let mut out = BTreeMap::new();
    for (key, entry) in file.auths.unwrap_or_default() {
        let Some(auth) = entry.auth.as_deref().filter(|a| !a.is_empty()) else {
            return Err(fail(format!("entry `{key}` has no `auth`")));
        };
        let (username, secret) =
            decode_auth(auth).map_err(|r| fail(format!("entry `{key}`: {r}")))?;
        out.insert(key, Credentials { username, secret });
    }
    Ok(out)
}

/// The first executable file called `name` in the `PATH`-style list.
fn find_program(name: &str, search_path: Option<&std::ffi::OsStr>) -> Option<PathBuf> {
    use std::os::unix::fs::PermissionsExt;
    let search_path = search_path?;
    std::env::split_paths(search_path)
        .map(|dir| dir.join(name))
        .find(|p| {
            std::fs::metadata(p)
                .map(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
                .unwrap_or(false)
        })
}

#[tonic::async_trait]
impl Auth for AuthProvider {
    async fn credentials(
        &self,
        request: tonic::Request<CredentialsRequest>,
    ) -> Result<tonic::Response<CredentialsResponse>, tonic::Status> {
        let host = request.into_inner().host;
        match AuthProvider::credentials(self, &host).await {
            Ok(c) => Ok(tonic::Response::new(CredentialsResponse {
                username: c.username,
                secret: c.secret,
            })),
            Err(e) => Err(tonic::Status::unavailable(e.to_string())),
        }
    }

    async fn fetch_token(
        &self,
        _request: tonic::Request<FetchTokenRequest>,
    ) -> Result<tonic::Response<FetchTokenResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented(
            "slipway has no token authority; use Credentials",
        ))
    }

    async fn get_token_authority(
        &self,
        _request: tonic::Request<GetTokenAuthorityRequest>,
    ) -> Result<tonic::Response<GetTokenAuthorityResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented(
            "slipway has no token authority; use Credentials",
        ))
    }

    async fn verify_token_authority(
        &self,
        _request: tonic::Request<VerifyTokenAuthorityRequest>,
    ) -> Result<tonic::Response<VerifyTokenAuthorityResponse>, tonic::Status> {
        Err(tonic::Status::unimplemented(
            "slipway has no token authority; use Credentials",
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hub_hosts_share_one_key() {
        assert_eq!(config_key("registry-1.docker.io"), DOCKER_HUB_KEY);
        assert_eq!(config_key("docker.io"), DOCKER_HUB_KEY);
        assert_eq!(config_key("index.docker.io"), DOCKER_HUB_KEY);
        assert_eq!(config_key("ghcr.io"), "ghcr.io");
        assert_eq!(config_key("localhost:5000"), "localhost:5000");
    }

    #[test]
    fn config_keys_reduce_to_hosts() {
        assert_eq!(
            hostname_of("https://index.docker.io/v1/"),
            "index.docker.io"
        );
        assert_eq!(hostname_of("http://localhost:5000/v2/"), "localhost:5000");
        assert_eq!(
            hostname_of("registry.example.com/v1/"),
            "registry.example.com"
        );
        assert_eq!(hostname_of("ghcr.io"), "ghcr.io");
        assert_eq!(hostname_of("https://user@quay.io"), "quay.io");
    }

    #[test]
    fn auth_fields_decode_like_the_cli() {
        let b64 = |s: &str| base64::engine::general_purpose::STANDARD.encode(s);
        assert_eq!(
            decode_auth(&b64("bob:pa:ss\0")),
            Ok(("bob".to_owned(), "pa:ss".to_owned()))
        );
        assert_eq!(
            decode_auth(&b64(":x")),
            Err("`auth` is not user:password".to_owned())
        );
        assert_eq!(
            decode_auth(&b64("nocolon")),
            Err("`auth` is not user:password".to_owned())
        );
        assert!(
            decode_auth("***")
                .unwrap_err()
                .starts_with("`auth` is not base64")
        );
    }
}
