//! `slipway build`, `slipway du`, `slipway prune`: slipway as a BuildKit
//! client.
//!
//! The flags are buildx's; this module turns them into the frontend
//! options, exporters and session services of one build
//! ([`slipway::buildkit::solve`]) and reports the outcome. Exit codes: 0
//! built, 1 the build failed (Dockerfile error, failing step), 2 usage,
//! I/O or connection errors, 130 interrupted.

use std::collections::BTreeMap;
use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use sha2::{Digest, Sha256};
use slipway::buildkit::addr::{self, HostVars};
use slipway::buildkit::outputs::{self, OutputFlags, OutputTarget};
use slipway::buildkit::progress::{Printer, ProgressMode};
use slipway::buildkit::session::Session;
use slipway::buildkit::session::auth::AuthProvider;
use slipway::buildkit::session::content::ContentStores;
use slipway::buildkit::session::content::cache::{LocalCaches, cache_imports_json, layout_context};
use slipway::buildkit::session::filesync::{FileSendTarget, FileSyncProvider, SyncTarget};
use slipway::buildkit::session::secrets::{SecretStore, parse_secret};
use slipway::buildkit::session::ssh::{SshForwarder, parse_ssh};
use slipway::buildkit::solve::{Daemon, SolveError, SolveSpec};
use slipway::buildkit::transport::TlsFiles;
use slipway::tempdir::TempDir;

use super::args::{BuildCommandArgs, ColorChoice, DaemonArgs, ProgressChoice, PruneArgs};
use super::{Fatal, Outcome};

pub fn run(args: &BuildCommandArgs) -> Result<Outcome, Fatal> {
    let plan = Plan::new(args)?;
    let rt = runtime()?;
    rt.block_on(build(args, plan))
}

/// Everything decided before talking to the daemon.
struct Plan {
    spec: SolveSpec,
    locals: BTreeMap<String, PathBuf>,
    targets: BTreeMap<usize, SyncTarget>,
    /// Keeps a Dockerfile read from stdin alive for the build.
    _stdin_dir: Option<TempDir>,
    shared_key: String,
    /// The daemon, resolved once from `--addr` and the environment.
    address: addr::Address,
    local_caches: LocalCaches,
    /// `oci-layout://` contexts: store name and layout directory.
    layouts: Vec<(String, PathBuf)>,
}

impl Plan {
    fn new(args: &BuildCommandArgs) -> Result<Plan, Fatal> {
        let b = &args.build;
        let context = &b.context;
        let remote = remote_context(context);
        if remote.is_none() {
            match std::fs::metadata(context) {
                Ok(m) if m.is_dir() => {}
                Ok(_) => {
                    return Err(Fatal(format!(
                        "context {}: not a directory",
                        context.display()
                    )));
                }
                Err(e) => return Err(Fatal(format!("context {}: {e}", context.display()))),
            }
        }
        let mut stdin_dir = None;
        // A local Dockerfile: from stdin, the -f path, or the context. A
        // remote context holds its own Dockerfile (-f names a path in it)
        // unless -f is stdin or an absolute path, as with buildx.
        let dockerfile = match &b.file {
            Some(f) if f.as_os_str() == "-" => {
                let dir = TempDir::new("stdin")?;
                let mut text = Vec::new();
                std::io::Read::read_to_end(&mut std::io::stdin(), &mut text)?;
                let path = dir.path().join("Dockerfile");
                std::fs::write(&path, text)?;
                stdin_dir = Some(dir);
                Some(path)
            }
            Some(f) if remote.is_some() && !f.is_absolute() => None,
            Some(f) => Some(f.clone()),
            None if remote.is_some() => None,
            None => Some(context.join("Dockerfile")),
        };
        let mut opts = BTreeMap::new();
        let mut locals = BTreeMap::new();
        let filename = match &dockerfile {
            Some(dockerfile) => {
                if !dockerfile.is_file() {
                    return Err(Fatal(format!(
                        "Dockerfile {}: not found (use -f to name it)",
                        dockerfile.display()
                    )));
                }
                let dockerfile_dir = match dockerfile.parent() {
                    Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
                    _ => PathBuf::from("."),
                };
                locals.insert("dockerfile".to_owned(), dockerfile_dir);
                if remote.is_some() {
                    opts.insert("dockerfilekey".to_owned(), "dockerfile".to_owned());
                }
                dockerfile
                    .file_name()
                    .map(|n| n.to_string_lossy().into_owned())
                    .unwrap_or_else(|| "Dockerfile".into())
            }
            None => b
                .file
                .as_ref()
                .map(|f| f.to_string_lossy().into_owned())
                .unwrap_or_else(|| "Dockerfile".into()),
        };
        match remote {
            Some(url) => {
                opts.insert("context".to_owned(), url.to_owned());
            }
            None => {
                locals.insert("context".to_owned(), context.clone());
            }
        }
        opts.insert("filename".to_owned(), filename);
        if let Some(t) = &b.target {
            opts.insert("target".into(), t.clone());
        }
        for a in &b.build_args {
            match a.split_once('=') {
                Some((k, v)) => {
                    opts.insert(format!("build-arg:{k}"), v.to_owned());
                }
                None => {
                    if let Ok(v) = std::env::var(a) {
                        opts.insert(format!("build-arg:{a}"), v);
                    }
                }
            }
        }
        // buildx hands the client's SOURCE_DATE_EPOCH to the build.
        if let Ok(epoch) = std::env::var("SOURCE_DATE_EPOCH") {
            opts.entry("build-arg:SOURCE_DATE_EPOCH".into())
                .or_insert(epoch);
        }
        let platforms: Vec<&str> = b
            .platforms
            .iter()
            .flat_map(|p| p.split(','))
            .map(str::trim)
            .filter(|p| !p.is_empty())
            .collect();
        if !platforms.is_empty() {
            opts.insert("platform".into(), platforms.join(","));
        }
        for l in &b.labels {
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            opts.insert(format!("label:{k}"), v.to_owned());
        }
        let mut layouts = Vec::new();
        for c in &b.build_contexts {
            let (name, value) = c
                .split_once('=')
                .ok_or_else(|| Fatal(format!("--build-context {c:?}: expected NAME=SOURCE")))?;
            if value.starts_with("oci-layout://") {
                let store = slipway::buildkit::session::new_id();
                let layout = layout_context(value, &store)
                    .map_err(|e| Fatal(format!("--build-context {name}: {e}")))?;
                opts.insert(format!("context:{name}"), layout.value);
                layouts.push((store, layout.dir));
            } else if is_remote_context(value) {
                opts.insert(format!("context:{name}"), value.to_owned());
            } else {
                let path = PathBuf::from(value);
                if !path.is_dir() {
                    return Err(Fatal(format!(
                        "--build-context {name}={value}: not a directory"
                    )));
                }
                let local = format!("context:{name}");
                opts.insert(format!("context:{name}"), format!("local:{local}"));
                locals.insert(local, path);
            }
        }
        if args.no_cache {
            opts.insert("no-cache".into(), String::new());
        } else if !args.no_cache_filter.is_empty() {
            opts.insert("no-cache".into(), args.no_cache_filter.join(","));
        }
        if !args.add_hosts.is_empty() {
            let hosts: Vec<String> = args
                .add_hosts
                .iter()
                .map(|h| h.replacen(':', "=", 1))
                .collect();
            opts.insert("add-hosts".into(), hosts.join(","));
        }
        if let Some(n) = args.network.as_deref().filter(|n| *n != "default") {
            opts.insert("force-network-mode".into(), n.to_owned());
        }
        if let Some(s) = &args.shm_size {
            opts.insert("shm-size".into(), s.clone());
        }
        if !args.ulimits.is_empty() {
            opts.insert("ulimit".into(), args.ulimits.join(","));
        }

        let address = resolve_addr(&args.daemon)?;
        let mut annotations =
            default_annotations(remote.is_none().then_some(context.as_path()), &opts);
        for a in &args.annotations {
            let (k, v) = a
                .split_once('=')
                .ok_or_else(|| Fatal(format!("--annotation {a:?}: expected KEY=VALUE")))?;
            annotations.retain(|(key, _)| key != k);
            annotations.push((k.to_owned(), v.to_owned()));
        }
        let outs = outputs::outputs(&OutputFlags {
            outputs: args.outputs.clone(),
            tags: args.tags.clone(),
            load: args.load,
            push: args.push,
            annotations,
            docker: address.docker,
        })
        .map_err(Fatal)?;
        let mut targets = BTreeMap::new();
        let mut exporters = Vec::new();
        for (i, o) in outs.into_iter().enumerate() {
            if let Some(t) = o.target {
                let index = i;
                targets.insert(
                    index,
                    match t {
                        OutputTarget::File(p) => SyncTarget::File(p),
                        OutputTarget::Stdout => SyncTarget::Stdout,
                        OutputTarget::Dir(p) => SyncTarget::Dir(p),
                    },
                );
            }
            exporters.push(o.exporter);
        }
        let mut cache_imports = args
            .cache_from
            .iter()
            .map(|s| outputs::cache_import(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Fatal)?;
        let cache_exports = args
            .cache_to
            .iter()
            .map(|s| outputs::cache_export(s))
            .collect::<Result<Vec<_>, _>>()
            .map_err(Fatal)?;
        let local_caches =
            LocalCaches::prepare(&mut cache_imports, &cache_exports).map_err(Fatal)?;
        for w in &local_caches.warnings {
            eprintln!("slipway: warning: {w}");
        }
        // The daemon takes a client-side frontend's cache imports from
        // this option, not from the solve request.
        if let Some(json) = cache_imports_json(&cache_imports) {
            opts.insert("cache-imports".into(), json);
        }
        let abs = match remote {
            Some(url) => PathBuf::from(url),
            None => std::fs::canonicalize(context)?,
        };
        let shared_key = hex(&Sha256::digest(abs.to_string_lossy().as_bytes()))[..24].to_owned();
        Ok(Plan {
            spec: SolveSpec {
                frontend_opts: opts,
                exporters,
                cache_imports,
                cache_exports,
                entitlements: args.allow.clone(),
            },
            locals,
            targets,
            _stdin_dir: stdin_dir,
            shared_key,
            address,
            local_caches,
            layouts,
        })
    }
}

/// The context argument when it is a URL the daemon fetches itself (an
/// HTTP(S) download or a Git repository), as buildx's `IsRemoteURL`.
fn remote_context(context: &Path) -> Option<&str> {
    let s = context.to_str()?;
    (s.starts_with("http://") || s.starts_with("https://") || slipway::ir::remote::is_git(s))
        .then_some(s)
}

/// Named-context values the daemon resolves itself.
fn is_remote_context(value: &str) -> bool {
    [
        "docker-image://",
        "target:",
        "input:",
        "https://",
        "http://",
        "git@",
        "git://",
    ]
    .iter()
    .any(|p| value.starts_with(p))
}

/// `org.opencontainers.image.created` from `SOURCE_DATE_EPOCH`, `source`
/// and `revision` from the local context's git work tree.
fn default_annotations(
    context: Option<&Path>,
    opts: &BTreeMap<String, String>,
) -> Vec<(String, String)> {
    let mut out = Vec::new();
    if let Some(secs) = opts
        .get("build-arg:SOURCE_DATE_EPOCH")
        .and_then(|e| e.parse::<i64>().ok())
    {
        out.push(("org.opencontainers.image.created".into(), rfc3339(secs)));
    }
    let Some(context) = context else {
        return out;
    };
    let git = |args: &[&str]| {
        std::process::Command::new("git")
            .arg("-C")
            .arg(context)
            .args(args)
            .stderr(std::process::Stdio::null())
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_owned())
            .filter(|s| !s.is_empty())
    };
    if git(&["rev-parse", "--is-inside-work-tree"]).as_deref() == Some("true") {
        if let Some(remote) = git(&["remote", "get-url", "origin"]) {
            out.push((
                "org.opencontainers.image.source".into(),
                strip_credentials(&remote),
            ));
        }
        if let Some(rev) = git(&["rev-parse", "HEAD"]) {
            out.push(("org.opencontainers.image.revision".into(), rev));
        }
    }
    out
}

/// Removes `user:password@` from a URL so credentials never land in an
/// image.
fn strip_credentials(url: &str) -> String {
    let Some((scheme, rest)) = url.split_once("://") else {
        return url.to_owned();
    };
    let host_end = rest.find('/').unwrap_or(rest.len());
    match rest[..host_end].rfind('@') {
        Some(at) => format!("{scheme}://{}", &rest[at + 1..]),
        None => url.to_owned(),
    }
}

/// Seconds since the epoch as RFC 3339 UTC (`1970-01-01T00:00:00Z`).
fn rfc3339(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let day = doy - (153 * mp + 2) / 5 + 1;
    let month = if mp < 10 { mp + 3 } else { mp - 9 };
    let year = yoe + era * 400 + i64::from(month <= 2);
    format!(
        "{year:04}-{month:02}-{day:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem % 3600 / 60,
        rem % 60
    )
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

fn resolve_addr(d: &DaemonArgs) -> Result<addr::Address, Fatal> {
    addr::resolve(d.addr.as_deref(), &HostVars::current()).map_err(Fatal)
}

fn tls(d: &DaemonArgs) -> TlsFiles {
    TlsFiles {
        ca: d.tls_ca.clone(),
        cert: d.tls_cert.clone(),
        key: d.tls_key.clone(),
        server_name: d.tls_server_name.clone(),
    }
}

fn runtime() -> Result<tokio::runtime::Runtime, Fatal> {
    tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
        .map_err(|e| Fatal(format!("starting the async runtime: {e}")))
}

async fn build(args: &BuildCommandArgs, plan: Plan) -> Result<Outcome, Fatal> {
    let address = plan.address.clone();
    let mut session = Session::new("slipway", &plan.shared_key);
    session.add(
        FileSyncProvider::new(plan.locals.clone()).into_server(),
        &["DiffCopy", "TarStream"],
    );
    // Finished files wait for the build's verdict: a build that fails
    // after its exporter streamed leaves nothing at the output path.
    let sink = FileSendTarget::deferred(plan.targets.clone());
    if !plan.targets.is_empty() {
        session.add(sink.clone().into_server(), &["DiffCopy"]);
    }
    let secrets = args
        .secrets
        .iter()
        .map(|s| parse_secret(s))
        .collect::<Result<Vec<_>, _>>()
        .map_err(|e| Fatal(format!("--secret: {e}")))?;
    session.add(
        SecretStore::new(&secrets)
            .map_err(|e| Fatal(format!("--secret: {e}")))?
            .into_server(),
        &["GetSecret"],
    );
    if !args.ssh.is_empty() {
        let specs: Vec<_> = args.ssh.iter().map(|s| parse_ssh(s)).collect();
        let fwd = SshForwarder::new(&specs).map_err(|e| Fatal(format!("--ssh: {e}")))?;
        session.add(fwd.into_server(), &["CheckAgent", "ForwardAgent"]);
    }
    let mut stores = plan.local_caches.stores.clone();
    for (name, dir) in &plan.layouts {
        stores.add_layout(name, dir).map_err(Fatal)?;
    }
    if !stores.is_empty() {
        session.add(stores.into_server(), ContentStores::METHODS);
    }
    match AuthProvider::from_env() {
        Ok(auth) => session.add(
            auth.into_server(),
            &[
                "Credentials",
                "FetchToken",
                "GetTokenAuthority",
                "VerifyTokenAuthority",
            ],
        ),
        Err(e) => eprintln!("slipway: warning: registry credentials unavailable: {e}"),
    }

    let mode = match (args.quiet, args.progress) {
        (true, _) | (_, ProgressChoice::Quiet) => ProgressMode::Quiet,
        (_, ProgressChoice::Auto) => ProgressMode::Auto,
        (_, ProgressChoice::Tty) => ProgressMode::Tty,
        (_, ProgressChoice::Plain) => ProgressMode::Plain,
        (_, ProgressChoice::Rawjson) => ProgressMode::RawJson,
    };
    let color = match args.build.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal()
                && std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty())
        }
    };
    let size = |var: &str, default: usize| {
        std::env::var(var)
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(default)
    };
    let printer = Printer::new(mode, Box::new(std::io::stderr())).with_screen(
        size("COLUMNS", 100),
        size("LINES", 24),
        color,
    );
    // Shared by the status callback and the timer that keeps the tty
    // view's clocks moving between status messages; never held across an
    // await.
    let printer = std::sync::Mutex::new(printer);
    let with_printer = |f: &mut dyn FnMut(&mut Printer)| {
        if let Ok(mut p) = printer.lock() {
            f(&mut p);
        }
    };

    let daemon = match Daemon::connect(&address, &tls(&args.daemon)).await {
        Ok(d) => d,
        Err(e) => return Err(Fatal(connect_help(&e.to_string()))),
    };
    let solving = daemon.solve(session, plan.spec.clone(), |s| {
        with_printer(&mut |p| p.update(&s));
    });
    tokio::pin!(solving);
    let mut ticks = tokio::time::interval(std::time::Duration::from_millis(100));
    let interrupted = tokio::signal::ctrl_c();
    tokio::pin!(interrupted);
    let result = loop {
        tokio::select! {
            r = &mut solving => break r,
            _ = ticks.tick() => with_printer(&mut |p| p.tick()),
            _ = &mut interrupted => {
                sink.discard();
                eprintln!("slipway: interrupted; the build was cancelled");
                return Ok(Outcome::Interrupted);
            }
        }
    };
    let mut printer = printer
        .lock()
        .map_err(|_| Fatal("the progress display failed".into()))?;
    printer.finish();
    let response = match result {
        Ok(r) => {
            sink.commit()
                .map_err(|e| Fatal(format!("writing the output: {e}")))?;
            r
        }
        Err(e) => {
            sink.discard();
            return report_failure(e, &printer);
        }
    };
    for w in plan.local_caches.record(&response).map_err(Fatal)? {
        eprintln!("slipway: warning: {w}");
    }
    let image_id = response
        .get("containerimage.config.digest")
        .or_else(|| response.get("containerimage.digest"))
        .cloned();
    if let Some(path) = &args.iidfile {
        let id = image_id.clone().unwrap_or_default();
        std::fs::write(path, id).map_err(|e| Fatal(format!("{}: {e}", path.display())))?;
    }
    if let Some(path) = &args.metadata_file {
        let json = metadata_json(&response);
        std::fs::write(path, json).map_err(|e| Fatal(format!("{}: {e}", path.display())))?;
    }
    if args.quiet
        && let Some(id) = image_id
    {
        println!("{id}");
    }
    Ok(Outcome::Ok)
}

fn report_failure(e: SolveError, printer: &Printer) -> Result<Outcome, Fatal> {
    match e {
        SolveError::Build(status) => {
            eprint!("{}", printer.failure_report(&status, None));
            Ok(Outcome::Errors)
        }
        SolveError::Connect(e) => Err(Fatal(connect_help(&e.to_string()))),
        SolveError::Other(m) => Err(Fatal(m)),
    }
}

/// A connection error, with a hint at the usual cause.
fn connect_help(msg: &str) -> String {
    format!(
        "{msg}\n  hint: is a BuildKit daemon or Docker engine running there? \
         Choose one with --addr, BUILDKIT_HOST or DOCKER_HOST."
    )
}

/// The exporter response as buildx writes `--metadata-file`: values that
/// are base64-encoded JSON are decoded, JSON values are embedded.
fn metadata_json(response: &BTreeMap<String, String>) -> String {
    use base64::Engine as _;
    let mut map = serde_json::Map::new();
    for (k, v) in response {
        let decoded = base64::engine::general_purpose::STANDARD
            .decode(v)
            .ok()
            .and_then(|b| serde_json::from_slice::<serde_json::Value>(&b).ok())
            .filter(serde_json::Value::is_object);
        let value = decoded
            .or_else(|| {
                serde_json::from_str::<serde_json::Value>(v)
                    .ok()
                    .filter(|j| j.is_object() || j.is_array())
            })
            .unwrap_or_else(|| serde_json::Value::String(v.clone()));
        map.insert(k.clone(), value);
    }
    serde_json::to_string_pretty(&serde_json::Value::Object(map)).unwrap_or_default() + "\n"
}

pub fn du(d: &DaemonArgs) -> Result<Outcome, Fatal> {
    let address = resolve_addr(d)?;
    let rt = runtime()?;
    rt.block_on(async {
        let daemon = Daemon::connect(&address, &tls(d))
            .await
            .map_err(|e| Fatal(connect_help(&e.to_string())))?;
        let records = daemon
            .control()
            .disk_usage(slipway::proto::control::DiskUsageRequest::default())
            .await
            .map_err(|s| Fatal(format!("disk usage: {}", s.message())))?
            .into_inner()
            .record;
        let mut out = std::io::stdout().lock();
        writeln!(
            out,
            "{:<28} {:>10} {:<8} DESCRIPTION",
            "ID", "SIZE", "IN USE"
        )?;
        let mut total = 0i64;
        let mut sorted = records;
        sorted.sort_by(|a, b| b.size.cmp(&a.size).then_with(|| a.id.cmp(&b.id)));
        for r in &sorted {
            total += r.size;
            let id: String = r.id.chars().take(25).collect();
            let used = if r.in_use { "yes" } else { "" };
            writeln!(
                out,
                "{id:<28} {:>10} {used:<8} {}",
                human(r.size),
                r.description
            )?;
        }
        writeln!(out, "Total: {} in {} records", human(total), sorted.len())?;
        Ok(Outcome::Ok)
    })
}

pub fn prune(a: &PruneArgs) -> Result<Outcome, Fatal> {
    let address = resolve_addr(&a.daemon)?;
    let keep = match &a.keep_duration {
        Some(d) => parse_duration(d).map_err(Fatal)?,
        None => 0,
    };
    let rt = runtime()?;
    rt.block_on(async {
        let daemon = Daemon::connect(&address, &tls(&a.daemon))
            .await
            .map_err(|e| Fatal(connect_help(&e.to_string())))?;
        let req = slipway::proto::control::PruneRequest {
            filter: a.filters.clone(),
            all: a.all,
            keep_duration: keep,
            ..Default::default()
        };
        let mut stream = daemon
            .control()
            .prune(req)
            .await
            .map_err(|s| Fatal(format!("prune: {}", s.message())))?
            .into_inner();
        let (mut total, mut n) = (0i64, 0usize);
        let mut out = std::io::stdout().lock();
        while let Some(r) = stream
            .message()
            .await
            .map_err(|s| Fatal(format!("prune: {}", s.message())))?
        {
            total += r.size;
            n += 1;
            writeln!(out, "deleted {} {}", r.id, human(r.size))?;
        }
        writeln!(out, "Total reclaimed: {} in {n} records", human(total))?;
        Ok(Outcome::Ok)
    })
}

/// `24h`, `30m`, `90s`, `1h30m` in nanoseconds (BuildKit's unit).
fn parse_duration(s: &str) -> Result<i64, String> {
    let mut total: i64 = 0;
    let mut num = String::new();
    for c in s.chars() {
        if c.is_ascii_digit() {
            num.push(c);
            continue;
        }
        let unit: i64 = match c {
            'h' => 3600,
            'm' => 60,
            's' => 1,
            _ => return Err(format!("--keep-duration {s:?}: use units h, m, s")),
        };
        let n: i64 = num
            .parse()
            .map_err(|_| format!("--keep-duration {s:?}: a number goes before each unit"))?;
        total = total.saturating_add(n.saturating_mul(unit));
        num.clear();
    }
    if !num.is_empty() {
        return Err(format!(
            "--keep-duration {s:?}: a unit (h, m, s) goes after each number"
        ));
    }
    Ok(total.saturating_mul(1_000_000_000))
}

fn human(bytes: i64) -> String {
    let b = bytes as f64;
    if bytes < 1_000 {
        format!("{bytes}B")
    } else if bytes < 1_000_000 {
        format!("{:.1}kB", b / 1e3)
    } else if bytes < 1_000_000_000 {
        format!("{:.1}MB", b / 1e6)
    } else {
        format!("{:.2}GB", b / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn epochs_format_as_rfc3339() {
        assert_eq!(rfc3339(0), "1970-01-01T00:00:00Z");
        assert_eq!(rfc3339(1_700_000_000), "2023-11-14T22:13:20Z");
        assert_eq!(rfc3339(951_782_400), "2000-02-29T00:00:00Z");
    }

    #[test]
    fn credentials_never_reach_annotations() {
        assert_eq!(
            strip_credentials("https://user:tok@github.com/a/b.git"),
            "https://github.com/a/b.git"
        );
        assert_eq!(
            strip_credentials("git@github.com:a/b.git"),
            "git@github.com:a/b.git"
        );
    }

    #[test]
    fn durations() {
        assert_eq!(parse_duration("1h30m").unwrap(), 5_400_000_000_000);
        assert!(parse_duration("5d").is_err());
        assert!(parse_duration("10").is_err());
    }
}
