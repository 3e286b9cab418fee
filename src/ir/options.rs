//! Build options: everything about a build that does not come from the
//! Dockerfile. These are the frontend options BuildKit's Dockerfile
//! frontend reads (`target`, `build-arg:*`, `platform`, `context:*`, …),
//! parsed once into typed values; [`BuildOptions::from_frontend_opts`]
//! reads the raw `key=value` map the gateway hands a frontend, with the
//! same keys, defaults and error messages.

use std::collections::BTreeMap;

use super::build::GitSource;
use super::remote::{is_git, parse_git_ref};

use super::platform::{Platform, default_platform, parse_platform_list};

/// Which stages ignore the build cache (`no-cache`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum NoCache {
    /// Use the cache everywhere (the option is absent).
    #[default]
    None,
    /// `no-cache=` (empty): every stage.
    All,
    /// `no-cache=a,b`: these stages (names compared without case).
    Stages(Vec<String>),
}

impl NoCache {
    /// BuildKit's `IsNoCache(stage name)`; unnamed stages match only `All`.
    pub fn covers(&self, stage: Option<&str>) -> bool {
        match self {
            NoCache::None => false,
            NoCache::All => true,
            NoCache::Stages(names) => {
                stage.is_some_and(|s| names.iter().any(|n| n.eq_ignore_ascii_case(s)))
            }
        }
    }
}

/// The default network of RUN steps (`force-network-mode`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum NetworkMode {
    /// The sandbox network (BuildKit's default).
    #[default]
    Sandbox,
    None,
    Host,
}

/// `image-resolve-mode`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ResolveMode {
    #[default]
    Default,
    /// `pull`: always check the registry.
    Pull,
    /// `local`: prefer an image the daemon already has.
    Local,
}

impl ResolveMode {
    pub fn as_str(self) -> &'static str {
        match self {
            ResolveMode::Default => "default",
            ResolveMode::Pull => "pull",
            ResolveMode::Local => "local",
        }
    }
}

/// One `ulimit` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ulimit {
    pub name: String,
    pub soft: i64,
    pub hard: i64,
}

/// One `add-hosts` entry.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExtraHost {
    pub host: String,
    /// The address as Go prints a `net.IP`.
    pub ip: String,
}

/// Resource limits for RUN steps (`memory`, `memswap`, `cpushares`,
/// `cpuperiod`, `cpuquota`, `cpusetcpus`, `cpusetmems`).
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
pub struct Resources {
    pub memory: i64,
    pub memory_swap: i64,
    pub cpu_shares: u64,
    pub cpu_period: u64,
    pub cpu_quota: i64,
    pub cpuset_cpus: String,
    pub cpuset_mems: String,
}

/// What a named context (`context:NAME=<value>`) points at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NamedContext {
    /// `docker-image://<ref>`; `scratch` is allowed.
    Image(String),
    /// `local:<name>`: a directory the client sends under that name.
    Local(String),
    /// `oci-layout://<store>@sha256:<digest>`.
    OciLayout(String),
    /// `input:<name>`: a frontend input.
    Input(String),
    /// A Git URL (`git@…`, `git://…`, `https://…/x.git`).
    Git(String),
    /// `http(s)://<url>`: a single file named `context`.
    Http(String),
}

impl NamedContext {
    /// Parses a `context:` value like dockerui's `NamedContext.Load`.
    pub fn parse(value: &str, name: &str) -> Result<NamedContext, String> {
        let Some((scheme, rest)) = value.split_once(':') else {
            return Err(format!("invalid context specifier {value} for {name}"));
        };
        let scheme = if scheme.starts_with("git@") {
            "git"
        } else {
            scheme
        };
        Ok(match scheme {
            "docker-image" => NamedContext::Image(rest.trim_start_matches("//").to_owned()),
            "local" => NamedContext::Local(rest.to_owned()),
            "oci-layout" => NamedContext::OciLayout(rest.trim_start_matches("//").to_owned()),
            "input" => NamedContext::Input(rest.to_owned()),
            "git" => NamedContext::Git(value.to_owned()),
            "http" | "https" if is_git(value) => NamedContext::Git(value.to_owned()),
            "http" | "https" => NamedContext::Http(value.to_owned()),
            other => return Err(format!("unsupported context source {other} for {name}")),
        })
    }
}

/// Where the main build context comes from (dockerui's `initContext`).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub enum MainContext {
    /// The client's directory (the `context` local, or its `contextkey`
    /// rename).
    #[default]
    Local,
    /// A Git repository (`context=<git URL>`); the Dockerfile is read from
    /// it too.
    Git { url: String, source: GitSource },
    /// An HTTP download (`context=<http URL>`), a single file named
    /// `context`: a tar archive, unpacked, or else the Dockerfile itself.
    /// Whether it is an archive is known only once the frontend has
    /// downloaded it.
    Http { url: String, archive: bool },
    /// The frontend input of this name (a client that sends the context as
    /// LLB).
    Input(String),
}

impl MainContext {
    /// Reads the value of the context key (`context`, or the `contextkey`
    /// rename): a Git URL or an HTTP URL makes a remote context; anything
    /// else is the local directory. A Git checkout keeps `.git` under
    /// `BUILDKIT_CONTEXT_KEEP_GIT_DIR` and takes commit times when
    /// SOURCE_DATE_EPOCH is a build arg.
    pub fn from_opts(opts: &BTreeMap<String, String>) -> Result<MainContext, String> {
        let get = |k: &str| opts.get(k).map(String::as_str).filter(|v| !v.is_empty());
        let key = get("contextkey").unwrap_or("context");
        let Some(v) = get(key) else {
            return Ok(MainContext::Local);
        };
        let keep_git_dir = get("build-arg:BUILDKIT_CONTEXT_KEEP_GIT_DIR").and_then(go_bool);
        let mtime = get("build-arg:SOURCE_DATE_EPOCH").map(|_| "commit");
        if is_git(v) {
            let git = parse_git_ref(v)?;
            return Ok(MainContext::Git {
                url: v.to_owned(),
                source: git.context_source(keep_git_dir, mtime),
            });
        }
        if v.starts_with("http://") || v.starts_with("https://") {
            return Ok(MainContext::Http {
                url: v.to_owned(),
                archive: false,
            });
        }
        Ok(MainContext::Local)
    }

    pub fn is_local(&self) -> bool {
        matches!(self, MainContext::Local)
    }
}

/// Everything about a build that is not in the Dockerfile.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct BuildOptions {
    /// The Dockerfile's name, used in source maps (`filename`).
    pub filename: String,
    /// Stage to build; `None` is the last stage.
    pub target: Option<String>,
    pub build_args: BTreeMap<String, String>,
    /// Labels added to the final image (`label:*`).
    pub labels: BTreeMap<String, String>,
    /// The platform the build runs on (the first worker's).
    pub build_platform: Platform,
    /// Requested target platforms; empty means "the build platform,
    /// implicitly".
    pub target_platforms: Vec<Platform>,
    /// Return a per-platform result even for one platform.
    pub multi_platform: bool,
    /// `context:NAME` and `context:NAME::os/arch` values, keyed by the text
    /// after `context:`.
    pub named_contexts: BTreeMap<String, NamedContext>,
    pub no_cache: NoCache,
    pub network: NetworkMode,
    pub extra_hosts: Vec<ExtraHost>,
    /// Size of `/dev/shm` in bytes; 0 leaves it alone.
    pub shm_size: i64,
    pub ulimits: Vec<Ulimit>,
    pub cgroup_parent: String,
    pub hostname: String,
    pub resolve_mode: ResolveMode,
    /// `BUILDKIT_CACHE_MOUNT_NS`: prefix of cache mount IDs.
    pub cache_namespace: String,
    /// Main context `.dockerignore` patterns, already read.
    pub context_excludes: Vec<String>,
    /// Session that serves local directories (`local.session`).
    pub session_id: Option<String>,
    /// `local-sessionid:NAME` overrides.
    pub local_session_ids: BTreeMap<String, String>,
    /// Used as `local.unique` when there is no session; keeps output
    /// deterministic (BuildKit would use a random ID).
    pub local_unique_id: String,
    /// `sharedkey:localdir:NAME` values.
    pub local_shared_keys: BTreeMap<String, String>,
    /// Renames of the `context` local (`contextkey`).
    pub context_local_name: String,
    /// Where the main context comes from.
    pub main_context: MainContext,
    /// `contextsubdir`: a remote main context limited to this directory.
    pub context_subdir: Option<String>,
    /// Names of the frontend inputs the caller sent (for `input:`
    /// contexts).
    pub inputs: std::collections::BTreeSet<String>,
    /// `input-metadata:NAME` values: JSON objects whose
    /// `containerimage.config` (base64, as Go marshals bytes) is the image
    /// config of `input:NAME`.
    pub input_metadata: BTreeMap<String, String>,
    /// The LLB capabilities the daemon supports (from the gateway's Ping);
    /// `None` assumes a current BuildKit where all of them are. Decides,
    /// like BuildKit's frontend, whether `COPY --link` links layers
    /// (`mergeop`), whether `ulimit`, `shm-size` and `cgroup-parent` apply,
    /// and whether writable bind mounts are marked output-less.
    pub llb_caps: Option<std::collections::BTreeSet<String>>,
    /// Resource limits applied to every RUN.
    pub resources: Option<Resources>,
}

impl Default for BuildOptions {
    fn default() -> Self {
        BuildOptions {
            filename: "Dockerfile".to_owned(),
            target: None,
            build_args: BTreeMap::new(),
            labels: BTreeMap::new(),
            build_platform: default_platform(),
            target_platforms: Vec::new(),
            multi_platform: false,
            named_contexts: BTreeMap::new(),
            no_cache: NoCache::None,
            network: NetworkMode::Sandbox,
            extra_hosts: Vec::new(),
            shm_size: 0,
            ulimits: Vec::new(),
            cgroup_parent: String::new(),
            hostname: String::new(),
            resolve_mode: ResolveMode::Default,
            cache_namespace: String::new(),
            context_excludes: Vec::new(),
            session_id: None,
            local_session_ids: BTreeMap::new(),
            local_unique_id: String::new(),
            local_shared_keys: BTreeMap::new(),
            context_local_name: "context".to_owned(),
            main_context: MainContext::Local,
            context_subdir: None,
            inputs: std::collections::BTreeSet::new(),
            input_metadata: BTreeMap::new(),
            llb_caps: None,
            resources: None,
        }
    }
}

impl BuildOptions {
    /// Whether the daemon supports an LLB capability.
    pub fn supports(&self, cap: &str) -> bool {
        self.llb_caps.as_ref().is_none_or(|c| c.contains(cap))
    }
}

impl BuildOptions {
    /// Reads the frontend options of a gateway request (`FrontendOpt` /
    /// `BUILDKIT_FRONTEND_OPT_*`). The `.dockerignore` patterns, the
    /// session ID and the build platform are not options; set them after.
    pub fn from_frontend_opts(opts: &BTreeMap<String, String>) -> Result<BuildOptions, String> {
        let mut o = BuildOptions::default();
        let get = |k: &str| opts.get(k).map(String::as_str);
        if let Some(f) = get("filename").filter(|f| !f.is_empty()) {
            o.filename = f.to_owned();
        }
        if let Some(v) = get("platform").filter(|v| !v.is_empty()) {
            o.target_platforms = parse_platform_list(v)?;
        }
        o.resolve_mode = match get("image-resolve-mode").unwrap_or("") {
            "" | "default" => ResolveMode::Default,
            "pull" => ResolveMode::Pull,
            "local" => ResolveMode::Local,
            v => return Err(format!("invalid image-resolve-mode: {v}")),
        };
        if let Some(v) = get("add-hosts").filter(|v| !v.is_empty()) {
            o.extra_hosts = parse_extra_hosts(v)
                .map_err(|e| format!("failed to parse additional hosts: {e}"))?;
        }
        if let Some(v) = get("shm-size").filter(|v| !v.is_empty()) {
            o.shm_size = v.parse().map_err(|_| {
                format!("failed to parse shm size: strconv.ParseInt: parsing {v:?}: invalid syntax")
            })?;
        }
        if let Some(v) = get("ulimit").filter(|v| !v.is_empty()) {
            o.ulimits = parse_ulimits(v).map_err(|e| format!("failed to parse ulimit: {e}"))?;
        }
        o.network = match get("force-network-mode").unwrap_or("") {
            "" | "sandbox" => NetworkMode::Sandbox,
            "none" => NetworkMode::None,
            "host" => NetworkMode::Host,
            v => return Err(format!("invalid netmode {v}")),
        };
        o.no_cache = match get("no-cache") {
            None => NoCache::None,
            Some("") => NoCache::All,
            Some(v) => NoCache::Stages(v.split(',').map(str::to_owned).collect()),
        };
        let mut multi = o.target_platforms.len() > 1;
        let flag = get("build-arg:BUILDKIT_MULTI_PLATFORM")
            .filter(|v| !v.is_empty())
            .or_else(|| get("multi-platform").filter(|v| !v.is_empty()));
        if let Some(v) = flag {
            let b = go_bool(v)
                .ok_or_else(|| format!("invalid boolean value for multi-platform: {v}"))?;
            if !b && multi {
                return Err(
                    "conflicting config: returning multiple target platforms is not allowed"
                        .to_owned(),
                );
            }
            multi = b;
        }
        o.multi_platform = multi;
        for (k, v) in opts {
            if let Some(name) = k.strip_prefix("build-arg:") {
                o.build_args.insert(name.to_owned(), v.clone());
            } else if let Some(name) = k.strip_prefix("label:") {
                o.labels.insert(name.to_owned(), v.clone());
            } else if let Some(name) = k.strip_prefix("context:") {
                o.named_contexts
                    .insert(name.to_owned(), NamedContext::parse(v, name)?);
            } else if let Some(name) = k.strip_prefix("local-sessionid:") {
                o.local_session_ids.insert(name.to_owned(), v.clone());
            } else if let Some(name) = k.strip_prefix("sharedkey:localdir:") {
                o.local_shared_keys.insert(name.to_owned(), v.clone());
            } else if let Some(name) = k.strip_prefix("input-metadata:") {
                o.input_metadata.insert(name.to_owned(), v.clone());
            }
        }
        o.cache_namespace = get("build-arg:BUILDKIT_CACHE_MOUNT_NS")
            .unwrap_or("")
            .to_owned();
        o.cgroup_parent = get("cgroup-parent").unwrap_or("").to_owned();
        o.target = get("target").filter(|t| !t.is_empty()).map(str::to_owned);
        o.hostname = get("build-arg:BUILDKIT_SANDBOX_HOSTNAME")
            .filter(|v| !v.is_empty())
            .or_else(|| get("hostname"))
            .unwrap_or("")
            .to_owned();
        if let Some(k) = get("contextkey").filter(|k| !k.is_empty()) {
            o.context_local_name = k.to_owned();
        }
        o.resources = parse_resources(opts)?;
        o.context_subdir = opts.get("contextsubdir").cloned();
        o.main_context = MainContext::from_opts(opts)?;
        if let Some(v) = get("build-arg:BUILDKIT_DISABLE_FILEOP")
            && go_bool(v) == Some(true)
        {
            return Err(
                "support for \"BUILDKIT_DISABLE_FILEOP\" build-arg was removed in BuildKit 0.11"
                    .to_owned(),
            );
        }
        Ok(o)
    }

    /// The target platform of a per-platform build: the requested one, or
    /// the build platform when none was requested (implicit).
    pub fn platforms_to_build(&self) -> Vec<(Platform, bool)> {
        if self.target_platforms.is_empty() {
            vec![(self.build_platform.clone(), true)]
        } else {
            self.target_platforms
                .iter()
                .map(|p| (p.clone(), false))
                .collect()
        }
    }

    /// The named context for `name` on `platform`: the platform-specific
    /// key first (`NAME::linux/amd64`), then the plain one. The name is
    /// normalised first (`docker.io/library/alpine:latest` -> `alpine`).
    pub fn named_context(
        &self,
        name: &str,
        platform: &Platform,
    ) -> Option<(String, &NamedContext)> {
        if self.named_contexts.is_empty()
            || name.eq_ignore_ascii_case("scratch")
            || name.eq_ignore_ascii_case("context")
        {
            return None;
        }
        let familiar = super::reference::ImageRef::parse_normalized(name)
            .ok()?
            .familiar();
        let name = familiar.strip_suffix(":latest").unwrap_or(&familiar);
        let with_platform = format!("{name}::{}", platform.normalize().format_all());
        if let Some(c) = self.named_contexts.get(&with_platform) {
            return Some((with_platform, c));
        }
        self.named_contexts.get(name).map(|c| (name.to_owned(), c))
    }
}

fn parse_resources(opts: &BTreeMap<String, String>) -> Result<Option<Resources>, String> {
    let get = |k: &str| opts.get(k).map(String::as_str).filter(|v| !v.is_empty());
    let int = |k: &str, v: &str| {
        v.parse::<i64>()
            .map_err(|_| format!("invalid {k} value: {v}"))
    };
    let uint = |k: &str, v: &str| {
        v.parse::<u64>()
            .map_err(|_| format!("invalid {k} value: {v}"))
    };
    let mut r = Resources::default();
    if let Some(v) = get("memory") {
        r.memory = int("memory", v)?;
        if r.memory <= 0 {
            return Err(format!("invalid memory value: {v}: must be > 0"));
        }
    }
    if let Some(v) = get("memswap") {
        r.memory_swap = int("memswap", v)?;
        if r.memory_swap < -1 || r.memory_swap == 0 {
            return Err(format!(
                "invalid memswap value: {v}: must be -1 (unlimited) or > 0"
            ));
        }
    }
    if let Some(v) = get("cpushares") {
        r.cpu_shares = uint("cpushares", v)?;
        if r.cpu_shares == 0 {
            return Err(format!("invalid cpushares value: {v}: must be > 0"));
        }
    }
    if let Some(v) = get("cpuperiod") {
        r.cpu_period = uint("cpuperiod", v)?;
        if r.cpu_period == 0 {
            return Err(format!("invalid cpuperiod value: {v}: must be > 0"));
        }
    }
    if let Some(v) = get("cpuquota") {
        r.cpu_quota = int("cpuquota", v)?;
        if r.cpu_quota <= 0 {
            return Err(format!("invalid cpuquota value: {v}: must be > 0"));
        }
    }
    if let Some(v) = get("cpusetcpus") {
        r.cpuset_cpus = v.to_owned();
    }
    if let Some(v) = get("cpusetmems") {
        r.cpuset_mems = v.to_owned();
    }
    Ok((r != Resources::default()).then_some(r))
}

/// Go's `strconv.ParseBool`.
pub fn go_bool(s: &str) -> Option<bool> {
    match s {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

fn parse_extra_hosts(v: &str) -> Result<Vec<ExtraHost>, String> {
    let mut out = Vec::new();
    for field in v.split(',') {
        let lower = field.to_lowercase();
        let Some((host, ip)) = lower.split_once('=') else {
            return Err(format!("invalid key-value pair {field}"));
        };
        let ip = parse_ip(ip).ok_or_else(|| format!("failed to parse IP {ip}"))?;
        out.push(ExtraHost {
            host: host.to_owned(),
            ip,
        });
    }
    Ok(out)
}

/// Parses an IP address and prints it as Go's `net.IP.String` does.
fn parse_ip(s: &str) -> Option<String> {
    let ip: std::net::IpAddr = s.parse().ok()?;
    Some(match ip {
        std::net::IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
            Some(v4) => v4.to_string(),
            None => v6.to_string(),
        },
        v4 => v4.to_string(),
    })
}

/// go-units' `ParseUlimit`: `name=soft[:hard]`.
fn parse_ulimits(v: &str) -> Result<Vec<Ulimit>, String> {
    const NAMES: [&str; 16] = [
        "core",
        "cpu",
        "data",
        "fsize",
        "locks",
        "memlock",
        "msgqueue",
        "nice",
        "nofile",
        "nproc",
        "rss",
        "rtprio",
        "rttime",
        "sigpending",
        "stack",
        "as",
    ];
    let mut out = Vec::new();
    for field in v.split(',') {
        let Some((name, limits)) = field.split_once('=') else {
            return Err(format!("invalid ulimit argument: {field}"));
        };
        if !NAMES.contains(&name) {
            return Err(format!("invalid ulimit type: {name}"));
        }
        let (soft, hard) = match limits.split_once(':') {
            Some((s, h)) => (s, h),
            None => (limits, limits),
        };
        let parse = |x: &str| {
            x.parse::<i64>()
                .map_err(|_| format!("invalid ulimit argument: {field}"))
        };
        let (soft, hard) = (parse(soft)?, parse(hard)?);
        if soft > hard {
            return Err(format!(
                "ulimit soft limit must be less than or equal to hard limit: {soft} > {hard}"
            ));
        }
        out.push(Ulimit {
            name: name.to_owned(),
            soft,
            hard,
        });
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn opts(pairs: &[(&str, &str)]) -> BTreeMap<String, String> {
        pairs
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect()
    }

    #[test]
    fn reads_frontend_options() {
        let o = BuildOptions::from_frontend_opts(&opts(&[
            ("target", "build"),
            ("build-arg:A", "1"),
            ("label:l", "v"),
            ("platform", "linux/amd64,linux/arm64"),
            ("no-cache", ""),
            ("add-hosts", "a=1.2.3.4"),
            ("ulimit", "nofile=1024:2048"),
            ("context:base", "docker-image://alpine:3"),
        ]))
        .unwrap();
        assert_eq!(o.target.as_deref(), Some("build"));
        assert_eq!(o.build_args["A"], "1");
        assert_eq!(o.target_platforms.len(), 2);
        assert!(o.multi_platform);
        assert_eq!(o.no_cache, NoCache::All);
        assert_eq!(o.extra_hosts[0].ip, "1.2.3.4");
        assert_eq!(o.ulimits[0].hard, 2048);
        assert_eq!(
            o.named_contexts["base"],
            NamedContext::Image("alpine:3".into())
        );
    }

    #[test]
    fn rejects_bad_values() {
        assert!(BuildOptions::from_frontend_opts(&opts(&[("image-resolve-mode", "x")])).is_err());
        assert!(BuildOptions::from_frontend_opts(&opts(&[("force-network-mode", "x")])).is_err());
        let e = BuildOptions::from_frontend_opts(&opts(&[("context:a", "ftp://x")])).unwrap_err();
        assert_eq!(e, "unsupported context source ftp for a");
    }

    #[test]
    fn named_context_lookup_normalises() {
        let mut o = BuildOptions::default();
        o.named_contexts
            .insert("alpine".into(), NamedContext::Image("busybox".into()));
        let p = default_platform();
        assert!(
            o.named_context("docker.io/library/alpine:latest", &p)
                .is_some()
        );
        assert!(o.named_context("scratch", &p).is_none());
    }
}
