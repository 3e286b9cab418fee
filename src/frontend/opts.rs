//! Frontend options: what BuildKit tells a gateway frontend about the build,
//! read from the process environment and turned into typed values.
//!
//! BuildKit passes each option as `BUILDKIT_FRONTEND_OPT_<i>=<key>=<value>`
//! (the index is arbitrary; the key ends at the first `=` of the value),
//! plus `BUILDKIT_SESSION_ID` and `BUILDKIT_WORKERS`. Everything here comes
//! from the daemon and is treated as untrusted text: bad values become
//! errors, never panics.
//!
//! Only the options the *gateway* part of the frontend needs are defined
//! here (which subrequest, where the Dockerfile lives, cache imports,
//! requested capabilities). The build options proper (`target`,
//! `build-arg:*`, `platform`, `context:*`, `no-cache`, …) have their one
//! definition in `ir::options::BuildOptions::from_frontend_opts`, which reads
//! the same raw map.

use std::collections::BTreeMap;

use serde_json::Value;

use crate::ir::options::MainContext;
use crate::proto::gateway::CacheOptionsEntry;
use crate::proto::pb;

/// Prefix of the environment variables carrying frontend options.
pub const OPT_ENV_PREFIX: &str = "BUILDKIT_FRONTEND_OPT_";
/// The session that serves the client's local directories.
pub const SESSION_ENV: &str = "BUILDKIT_SESSION_ID";
/// JSON list of worker records; the first worker is the default.
pub const WORKERS_ENV: &str = "BUILDKIT_WORKERS";

/// `requestid`: the subrequest to answer instead of building.
pub const KEY_REQUEST_ID: &str = "requestid";
/// `filename`: the Dockerfile's path inside the dockerfile local.
pub const KEY_FILENAME: &str = "filename";
/// `dockerfilekey`: renames the local the Dockerfile is read from.
pub const KEY_DOCKERFILE_LOCAL: &str = "dockerfilekey";
/// `contextkey`: renames the main build context local.
pub const KEY_CONTEXT_LOCAL: &str = "contextkey";
/// `cache-imports`: JSON list of `{Type, Attrs}` cache sources.
pub const KEY_CACHE_IMPORTS: &str = "cache-imports";
/// `cache-from`: legacy comma list of registry cache refs.
pub const KEY_CACHE_FROM: &str = "cache-from";
/// `frontend.caps`: capabilities the caller requires of this frontend.
pub const KEY_FRONTEND_CAPS: &str = "frontend.caps";
/// The build argument that replaces the Dockerfile's `# check=` directive.
pub const KEY_DOCKERFILE_CHECK: &str = "build-arg:BUILDKIT_DOCKERFILE_CHECK";
/// `local-sessionid:<name>`: the session serving one local.
pub const KEY_LOCAL_SESSION_PREFIX: &str = "local-sessionid:";

/// Default names, as BuildKit's Dockerfile frontend uses them.
pub const DEFAULT_FILENAME: &str = "Dockerfile";
pub const DEFAULT_DOCKERFILE_LOCAL: &str = "dockerfile";
pub const DEFAULT_CONTEXT_LOCAL: &str = "context";

/// The capabilities this frontend implements (and its image declares).
pub const SUPPORTED_CAPS: &[&str] = &[
    "moby.buildkit.frontend.inputs",
    "moby.buildkit.frontend.subrequests",
    "moby.buildkit.frontend.contexts",
    "moby.buildkit.frontend.gitquerystring",
];

/// What the process environment says about the build.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Environment {
    /// Raw frontend options, keyed by option name.
    pub opts: BTreeMap<String, String>,
    pub session_id: String,
    /// Platforms of the default worker, from `BUILDKIT_WORKERS`.
    pub worker_platforms: Vec<pb::Platform>,
}

impl Environment {
    /// Reads the variables BuildKit sets for a frontend process.
    pub fn from_vars(vars: impl IntoIterator<Item = (String, String)>) -> Environment {
        let mut env = Environment::default();
        for (k, v) in vars {
            if k.starts_with(OPT_ENV_PREFIX) {
                let (key, value) = v.split_once('=').unwrap_or((v.as_str(), ""));
                env.opts.insert(key.to_owned(), value.to_owned());
            } else if k == SESSION_ENV {
                env.session_id = v;
            } else if k == WORKERS_ENV {
                env.worker_platforms = first_worker_platforms(&v);
            }
        }
        env
    }

    /// Reads the current process environment (non-UTF-8 entries are skipped).
    pub fn current() -> Environment {
        Environment::from_vars(
            std::env::vars_os()
                .filter_map(|(k, v)| Some((k.into_string().ok()?, v.into_string().ok()?))),
        )
    }

    /// Whether this process looks like it was started by BuildKit.
    pub fn is_gateway(vars: impl IntoIterator<Item = (String, String)>) -> bool {
        vars.into_iter()
            .any(|(k, _)| k == SESSION_ENV || k.starts_with(OPT_ENV_PREFIX))
    }
}

/// The platforms of the first worker in a `BUILDKIT_WORKERS` value. Go
/// decodes this with case-insensitive field names, so do we.
fn first_worker_platforms(json: &str) -> Vec<pb::Platform> {
    let Ok(Value::Array(workers)) = serde_json::from_str::<Value>(json) else {
        return Vec::new();
    };
    let Some(platforms) = workers.first().and_then(|w| field(w, "platforms")) else {
        return Vec::new();
    };
    let text = |v: &Value, k: &str| field(v, k).and_then(Value::as_str).unwrap_or("").to_owned();
    platforms
        .as_array()
        .map(|ps| {
            ps.iter()
                .map(|p| pb::Platform {
                    architecture: text(p, "architecture"),
                    os: text(p, "os"),
                    variant: text(p, "variant"),
                    os_version: text(p, "os.version"),
                    os_features: Vec::new(),
                })
                .filter(|p| !p.os.is_empty() && !p.architecture.is_empty())
                .collect()
        })
        .unwrap_or_default()
}

/// An object member looked up the way Go's decoder does: exact name
/// first, then ignoring ASCII case.
fn field<'a>(v: &'a Value, name: &str) -> Option<&'a Value> {
    let obj = v.as_object()?;
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

/// The gateway-level options, typed.
#[derive(Clone, Debug, PartialEq)]
pub struct GatewayOptions {
    /// `requestid`, when a subrequest is asked for.
    pub request_id: Option<String>,
    /// Path of the Dockerfile inside the dockerfile local.
    pub filename: String,
    /// Name of the local the Dockerfile is read from.
    pub dockerfile_local: String,
    /// Name of the main context local.
    pub context_local: String,
    /// The build's session (`BUILDKIT_SESSION_ID`).
    pub session_id: String,
    /// `local-sessionid:<name>` overrides, by local name.
    pub local_sessions: BTreeMap<String, String>,
    /// Cache sources for every Solve of the build.
    pub cache_imports: Vec<CacheOptionsEntry>,
    /// Where the main context comes from, as the options say (a Git or
    /// HTTP URL, or the local directory; frontend inputs are looked up
    /// later).
    pub main_context: MainContext,
    /// `dockerfilekey` was given: the Dockerfile comes from that local
    /// even when the context is remote or an input.
    pub force_local_dockerfile: bool,
    /// Some named context is a frontend input (`context:NAME=input:…`).
    pub input_contexts: bool,
}

impl GatewayOptions {
    /// Reads and checks the gateway options. Errors carry BuildKit's
    /// wording where it has one.
    pub fn parse(env: &Environment) -> Result<GatewayOptions, OptionError> {
        let opts = &env.opts;
        let get = |k: &str| opts.get(k).map(String::as_str);
        check_caps(get(KEY_FRONTEND_CAPS).unwrap_or(""))?;
        let local = |key: &str, default: &str| {
            get(key)
                .filter(|v| !v.is_empty())
                .unwrap_or(default)
                .to_owned()
        };
        let dockerfile_local = local(KEY_DOCKERFILE_LOCAL, DEFAULT_DOCKERFILE_LOCAL);
        let context_local = local(KEY_CONTEXT_LOCAL, DEFAULT_CONTEXT_LOCAL);
        let local_sessions = opts
            .iter()
            .filter_map(|(k, v)| {
                Some((
                    k.strip_prefix(KEY_LOCAL_SESSION_PREFIX)?.to_owned(),
                    v.clone(),
                ))
            })
            .collect();
        Ok(GatewayOptions {
            request_id: get(KEY_REQUEST_ID).map(str::to_owned),
            filename: local(KEY_FILENAME, DEFAULT_FILENAME),
            session_id: env.session_id.clone(),
            local_sessions,
            dockerfile_local,
            context_local,
            cache_imports: cache_imports(get(KEY_CACHE_IMPORTS), get(KEY_CACHE_FROM))?,
            main_context: MainContext::from_opts(opts).map_err(OptionError::Invalid)?,
            force_local_dockerfile: opts.contains_key(KEY_DOCKERFILE_LOCAL),
            input_contexts: opts
                .iter()
                .any(|(k, v)| k.starts_with("context:") && v.starts_with("input:")),
        })
    }
}

impl GatewayOptions {
    /// The session that serves the local directory `name`.
    pub fn session(&self, name: &str) -> &str {
        self.local_sessions.get(name).unwrap_or(&self.session_id)
    }
}

/// A frontend option BuildKit handed us is unusable.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OptionError {
    /// A capability in `frontend.caps` this frontend does not have.
    UnsupportedCap(String),
    /// Any other bad value, with the message to show.
    Invalid(String),
}

impl std::fmt::Display for OptionError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match self {
            OptionError::UnsupportedCap(c) => write!(f, "unsupported frontend capability {c}"),
            OptionError::Invalid(m) => f.write_str(m),
        }
    }
}

/// Every requested capability must be one we implement. This frontend
/// never forwards to another one, so a `+forward` suffix does not excuse an
/// unknown capability.
fn check_caps(req: &str) -> Result<(), OptionError> {
    for cap in req.split(',').filter(|c| !c.is_empty()) {
        let name = cap.split_once('+').map_or(cap, |(n, _)| n);
        if !SUPPORTED_CAPS.contains(&name) {
            return Err(OptionError::UnsupportedCap(name.to_owned()));
        }
    }
    Ok(())
}

/// `cache-imports` (JSON) followed by the legacy `cache-from` registry refs.
fn cache_imports(
    json: Option<&str>,
    legacy: Option<&str>,
) -> Result<Vec<CacheOptionsEntry>, OptionError> {
    let mut out = Vec::new();
    if let Some(text) = json.filter(|t| !t.is_empty()) {
        let bad = |why: String| {
            OptionError::Invalid(format!(
                "failed to unmarshal {KEY_CACHE_IMPORTS} ({text:?}): {why}"
            ))
        };
        let value: Value = serde_json::from_str(text).map_err(|e| bad(e.to_string()))?;
        let entries = match value {
            Value::Array(items) => items,
            Value::Null => Vec::new(),
            _ => return Err(bad("expected a JSON array".to_owned())),
        };
        for item in &entries {
            let r#type = field(item, "type").and_then(Value::as_str).unwrap_or("");
            let mut attrs = BTreeMap::new();
            if let Some(Value::Object(map)) = field(item, "attrs") {
                for (k, v) in map {
                    let v = v
                        .as_str()
                        .ok_or_else(|| bad(format!("attribute {k} is not a string")))?;
                    attrs.insert(k.clone(), v.to_owned());
                }
            }
            out.push(CacheOptionsEntry {
                r#type: r#type.to_owned(),
                attrs,
            });
        }
    }
    for r in legacy.unwrap_or("").split(',').filter(|r| !r.is_empty()) {
        out.push(CacheOptionsEntry {
            r#type: "registry".to_owned(),
            attrs: BTreeMap::from([("ref".to_owned(), r.to_owned())]),
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn env(pairs: &[(&str, &str)]) -> Environment {
        Environment::from_vars(
            pairs
                .iter()
                .map(|(k, v)| ((*k).to_owned(), (*v).to_owned())),
        )
    }

    #[test]
    fn options_split_at_the_first_equals() {
        let e = env(&[
            ("BUILDKIT_FRONTEND_OPT_3", "build-arg:X=a=b"),
            ("BUILDKIT_FRONTEND_OPT_0", "no-cache"),
            ("BUILDKIT_SESSION_ID", "s1"),
            (
                "BUILDKIT_WORKERS",
                r#"[{"ID":"w","Platforms":[{"Architecture":"arm64","OS":"linux","Variant":"v8"}]}]"#,
            ),
            ("HOME", "/root"),
        ]);
        assert_eq!(e.opts["build-arg:X"], "a=b");
        assert_eq!(e.opts["no-cache"], "");
        assert_eq!(e.opts.len(), 2);
        assert_eq!(e.session_id, "s1");
        assert_eq!(e.worker_platforms[0].architecture, "arm64");
        assert_eq!(e.worker_platforms[0].variant, "v8");
    }

    #[test]
    fn defaults_and_renamed_locals() {
        let g = GatewayOptions::parse(&env(&[("BUILDKIT_SESSION_ID", "s")])).unwrap();
        assert_eq!(
            (
                g.filename.as_str(),
                g.dockerfile_local.as_str(),
                g.context_local.as_str()
            ),
            ("Dockerfile", "dockerfile", "context")
        );
        assert_eq!(g.session("context"), "s");
        let g = GatewayOptions::parse(&env(&[
            ("BUILDKIT_FRONTEND_OPT_0", "dockerfilekey=df2"),
            ("BUILDKIT_FRONTEND_OPT_1", "local-sessionid:df2=other"),
            ("BUILDKIT_FRONTEND_OPT_2", "filename=sub/Containerfile"),
            ("BUILDKIT_FRONTEND_OPT_3", "requestid=frontend.outline"),
        ]))
        .unwrap();
        assert_eq!(g.dockerfile_local, "df2");
        assert_eq!(g.session("df2"), "other");
        assert_eq!(g.session("context"), "");
        assert_eq!(g.filename, "sub/Containerfile");
        assert_eq!(g.request_id.as_deref(), Some("frontend.outline"));
    }

    #[test]
    fn cache_imports_accept_go_casing_and_legacy_refs() {
        let g = GatewayOptions::parse(&env(&[
            (
                "BUILDKIT_FRONTEND_OPT_0",
                r#"cache-imports=[{"Type":"local","Attrs":{"src":"/c"}}]"#,
            ),
            ("BUILDKIT_FRONTEND_OPT_1", "cache-from=r/a:1,r/b:2"),
        ]))
        .unwrap();
        let kinds: Vec<_> = g.cache_imports.iter().map(|c| c.r#type.as_str()).collect();
        assert_eq!(kinds, ["local", "registry", "registry"]);
        assert_eq!(g.cache_imports[0].attrs["src"], "/c");
        assert_eq!(g.cache_imports[2].attrs["ref"], "r/b:2");
        let e = GatewayOptions::parse(&env(&[("BUILDKIT_FRONTEND_OPT_0", "cache-imports={")]));
        assert!(
            matches!(e, Err(OptionError::Invalid(m)) if m.starts_with("failed to unmarshal cache-imports"))
        );
    }

    #[test]
    fn unknown_caps_are_refused_even_when_forwardable() {
        let ok = "moby.buildkit.frontend.subrequests,moby.buildkit.frontend.contexts+forward";
        assert!(check_caps(ok).is_ok());
        assert_eq!(
            check_caps("moby.buildkit.frontend.sourcepolicy+forward"),
            Err(OptionError::UnsupportedCap(
                "moby.buildkit.frontend.sourcepolicy".into()
            ))
        );
        assert_eq!(
            OptionError::UnsupportedCap("x".into()).to_string(),
            "unsupported frontend capability x"
        );
    }

    #[test]
    fn garbage_workers_are_ignored() {
        for w in [
            "",
            "{",
            "[1]",
            r#"[{"platforms":"x"}]"#,
            r#"[{"platforms":[{"os":"linux"}]}]"#,
        ] {
            assert!(
                env(&[("BUILDKIT_WORKERS", w)]).worker_platforms.is_empty(),
                "{w}"
            );
        }
    }
}
