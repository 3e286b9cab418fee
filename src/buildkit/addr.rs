//! Which daemon a build talks to, and how.
//!
//! `--addr` wins; otherwise `BUILDKIT_HOST` (a buildkitd address), then
//! `DOCKER_HOST` (a Docker engine), then the engine's default socket.
//!
//! | address | daemon |
//! | --- | --- |
//! | `unix:///run/buildkit/buildkitd.sock` | buildkitd on a unix socket |
//! | `tcp://host:1234` | buildkitd over TCP (TLS with `--tls-*`) |
//! | `docker://` | the Docker engine at `DOCKER_HOST`, else the default socket |
//! | `docker+unix:///var/run/docker.sock` | the Docker engine on that socket |
//! | `docker+tcp://host:2375` | the Docker engine over plain TCP |
//!
//! A Docker engine is reached through its `/grpc` and `/session` endpoints,
//! which upgrade an HTTP/1.1 connection to h2c ([`super::transport`]).

use std::fmt;
use std::path::PathBuf;

/// The Docker engine's socket when `DOCKER_HOST` is not set.
pub const DEFAULT_DOCKER_SOCKET: &str = "/var/run/docker.sock";

/// Where a stream to the daemon is opened.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Endpoint {
    /// A unix socket.
    Unix(PathBuf),
    /// `host:port` over TCP.
    Tcp(String),
}

/// A daemon address.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Address {
    /// Where to connect.
    pub endpoint: Endpoint,
    /// The daemon is a Docker engine (control and session over HTTP
    /// upgrades) rather than a buildkitd (plain gRPC).
    pub docker: bool,
}

impl fmt::Display for Address {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let prefix = if self.docker { "docker+" } else { "" };
        match &self.endpoint {
            Endpoint::Unix(p) => write!(f, "{prefix}unix://{}", p.display()),
            Endpoint::Tcp(h) => write!(f, "{prefix}tcp://{h}"),
        }
    }
}

/// The process environment variables that pick a daemon.
#[derive(Clone, Debug, Default)]
pub struct HostVars {
    /// `BUILDKIT_HOST`.
    pub buildkit_host: Option<String>,
    /// `DOCKER_HOST`.
    pub docker_host: Option<String>,
}

impl HostVars {
    /// Reads `BUILDKIT_HOST` and `DOCKER_HOST` (empty values count as unset).
    pub fn current() -> HostVars {
        let var = |k| std::env::var(k).ok().filter(|v: &String| !v.is_empty());
        HostVars {
            buildkit_host: var("BUILDKIT_HOST"),
            docker_host: var("DOCKER_HOST"),
        }
    }
}

/// Chooses the daemon: `--addr`, then the environment, then the default
/// Docker socket.
pub fn resolve(flag: Option<&str>, vars: &HostVars) -> Result<Address, String> {
    if let Some(a) = flag {
        return parse(a, vars);
    }
    if let Some(a) = &vars.buildkit_host {
        return parse(a, vars).map_err(|e| format!("BUILDKIT_HOST: {e}"));
    }
    docker_host(vars)
}

/// The engine named by `DOCKER_HOST`, or the default socket.
fn docker_host(vars: &HostVars) -> Result<Address, String> {
    match &vars.docker_host {
        Some(h) => {
            let endpoint = endpoint(h).map_err(|e| format!("DOCKER_HOST: {e}"))?;
            Ok(Address {
                endpoint,
                docker: true,
            })
        }
        None => Ok(Address {
            endpoint: Endpoint::Unix(DEFAULT_DOCKER_SOCKET.into()),
            docker: true,
        }),
    }
}

/// Parses one address (see the module docs for the forms).
pub fn parse(addr: &str, vars: &HostVars) -> Result<Address, String> {
    if addr == "docker://" || addr == "docker" {
        return docker_host(vars);
    }
    if let Some(rest) = addr.strip_prefix("docker+") {
        return Ok(Address {
            endpoint: endpoint(rest)?,
            docker: true,
        });
    }
    if let Some(rest) = addr.strip_prefix("docker://") {
        // `docker://PATH` is taken as the engine's socket path.
        return Ok(Address {
            endpoint: Endpoint::Unix(PathBuf::from(rest)),
            docker: true,
        });
    }
    Ok(Address {
        endpoint: endpoint(addr)?,
        docker: false,
    })
}

fn endpoint(addr: &str) -> Result<Endpoint, String> {
    if let Some(path) = addr.strip_prefix("unix://") {
        if path.is_empty() {
            return Err(format!("{addr:?}: a unix address needs a socket path"));
        }
        return Ok(Endpoint::Unix(PathBuf::from(path)));
    }
    if let Some(host) = addr.strip_prefix("tcp://") {
        let host = host.trim_end_matches('/');
        let Some((h, port)) = host.rsplit_once(':') else {
            return Err(format!(
                "{addr:?}: a tcp address needs a port (tcp://HOST:PORT)"
            ));
        };
        if h.is_empty() || port.parse::<u16>().is_err() {
            return Err(format!("{addr:?}: expected tcp://HOST:PORT"));
        }
        return Ok(Endpoint::Tcp(host.to_owned()));
    }
    let scheme = addr.split_once("://").map_or(addr, |(s, _)| s);
    Err(format!(
        "unsupported address {addr:?} (scheme {scheme:?}); use unix://PATH, tcp://HOST:PORT, \
         docker://, docker+unix://PATH or docker+tcp://HOST:PORT"
    ))
}

#[cfg(test)]
mod tests {
    use super::*;

    fn vars(bk: Option<&str>, dh: Option<&str>) -> HostVars {
        HostVars {
            buildkit_host: bk.map(str::to_owned),
            docker_host: dh.map(str::to_owned),
        }
    }

    #[test]
    fn precedence_is_flag_then_buildkit_host_then_docker_host() {
        let v = vars(Some("tcp://b:1234"), Some("unix:///d.sock"));
        let a = resolve(Some("unix:///flag.sock"), &v).unwrap();
        assert_eq!(a.to_string(), "unix:///flag.sock");
        assert_eq!(resolve(None, &v).unwrap().to_string(), "tcp://b:1234");
        let v = vars(None, Some("unix:///d.sock"));
        assert_eq!(
            resolve(None, &v).unwrap().to_string(),
            "docker+unix:///d.sock"
        );
        let a = resolve(None, &vars(None, None)).unwrap();
        assert_eq!(a.to_string(), "docker+unix:///var/run/docker.sock");
    }

    #[test]
    fn docker_forms() {
        let v = vars(None, Some("tcp://engine:2375"));
        assert_eq!(
            parse("docker://", &v).unwrap().to_string(),
            "docker+tcp://engine:2375"
        );
        let a = parse("docker+unix:///x/docker.sock", &v).unwrap();
        assert!(a.docker);
        assert_eq!(a.endpoint, Endpoint::Unix("/x/docker.sock".into()));
    }

    #[test]
    fn bad_addresses_say_what_is_expected() {
        let v = HostVars::default();
        assert!(
            parse("ssh://host", &v)
                .unwrap_err()
                .contains("unsupported address")
        );
        assert!(
            parse("tcp://host", &v)
                .unwrap_err()
                .contains("needs a port")
        );
        assert!(parse("unix://", &v).unwrap_err().contains("socket path"));
    }
}
