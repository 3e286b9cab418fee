//! `slipway compile`, `slipway outline` and `slipway targets`: build the
//! request from docker-style flags and the context directory, run the
//! library, print the result.

use std::collections::BTreeMap;
use std::io::Write;
use std::path::{Path, PathBuf};

use prost::Message;
use sha2::{Digest, Sha256};

use slipway::compile::{self, CompileRequest, OfflineResolver};
use slipway::diagnostics::Diagnostic;
use slipway::ir::dockerignore;
use slipway::ir::options::BuildOptions;

use super::args::{BuildArgs, CompileArgs, CompileFormat};
use super::{Fatal, Outcome, render};

pub fn run(args: &CompileArgs) -> Result<Outcome, Fatal> {
    let input = Input::read(&args.build)?;
    let result = block_on(compile::compile(&input.request, &OfflineResolver))?;
    let compiled = match result {
        Ok(c) => c,
        Err(diags) => return Ok(input.report(&diags, args.build.color)),
    };
    input.warn(&compiled.warnings, args.build.color);
    let bytes = match args.format {
        CompileFormat::Pb => {
            let [one] = compiled.platforms.as_slice() else {
                return Err(Fatal(
                    "--format pb writes one definition; give a single --platform".to_owned(),
                ));
            };
            one.definition.encode_to_vec()
        }
        CompileFormat::Json => {
            let v = compiled.to_json();
            (serde_json::to_string_pretty(&v)? + "\n").into_bytes()
        }
        CompileFormat::Dot => compiled
            .platforms
            .iter()
            .map(|p| slipway::llb::to_dot(&p.definition))
            .collect::<String>()
            .into_bytes(),
    };
    write_stdout(&bytes)?;
    Ok(Outcome::Ok)
}

pub fn outline(args: &BuildArgs) -> Result<Outcome, Fatal> {
    let input = Input::read(args)?;
    match block_on(compile::outline(&input.request, &OfflineResolver))? {
        Ok(v) => {
            write_stdout((serde_json::to_string_pretty(&v)? + "\n").as_bytes())?;
            Ok(Outcome::Ok)
        }
        Err(diags) => Ok(input.report(&diags, args.color)),
    }
}

pub fn targets(args: &BuildArgs) -> Result<Outcome, Fatal> {
    let input = Input::read(args)?;
    match compile::targets(&input.request) {
        Ok(v) => {
            write_stdout((serde_json::to_string_pretty(&v)? + "\n").as_bytes())?;
            Ok(Outcome::Ok)
        }
        Err(diags) => Ok(input.report(&diags, args.color)),
    }
}

/// The request and what is needed to render diagnostics against it.
struct Input {
    name: String,
    request: CompileRequest,
}

impl Input {
    fn read(args: &BuildArgs) -> Result<Input, Fatal> {
        let dockerfile = args
            .file
            .clone()
            .unwrap_or_else(|| args.context.join("Dockerfile"));
        let bytes = std::fs::read(&dockerfile)
            .map_err(|e| Fatal(format!("{}: {e}", dockerfile.display())))?;
        let mut opts: BTreeMap<String, String> = BTreeMap::new();
        if let Some(t) = &args.target {
            opts.insert("target".into(), t.clone());
        }
        for a in &args.build_args {
            let (k, v) = match a.split_once('=') {
                Some((k, v)) => (k.to_owned(), v.to_owned()),
                None => match std::env::var(a) {
                    Ok(v) => (a.clone(), v),
                    Err(_) => continue,
                },
            };
            opts.insert(format!("build-arg:{k}"), v);
        }
        if !args.platforms.is_empty() {
            opts.insert("platform".into(), args.platforms.join(","));
        }
        for c in &args.build_contexts {
            let (k, v) = c
                .split_once('=')
                .ok_or_else(|| Fatal(format!("--build-context {c}: expected NAME=SOURCE")))?;
            let v = match v.split_once("://").map(|(s, _)| s) {
                Some(_) => v.to_owned(),
                None if v.contains(':') => v.to_owned(),
                // A plain path is a local directory, as in buildx.
                None => format!("local:{k}"),
            };
            opts.insert(format!("context:{k}"), v);
        }
        for l in &args.labels {
            let (k, v) = l.split_once('=').unwrap_or((l, ""));
            opts.insert(format!("label:{k}"), v.to_owned());
        }
        let mut options = BuildOptions::from_frontend_opts(&opts).map_err(Fatal)?;
        options.filename = dockerfile.file_name().map_or_else(
            || "Dockerfile".to_owned(),
            |f| f.to_string_lossy().into_owned(),
        );
        options.context_excludes = read_dockerignore(&dockerfile, &args.context)?;
        options.local_unique_id = unique_id(&args.context);
        Ok(Input {
            name: dockerfile.display().to_string(),
            request: CompileRequest {
                dockerfile: bytes,
                options,
                dockerfile_definition: None,
                inputs: Default::default(),
            },
        })
    }

    fn source(&self) -> String {
        String::from_utf8_lossy(&self.request.dockerfile).into_owned()
    }

    fn report(&self, diags: &[Diagnostic], color: super::args::ColorChoice) -> Outcome {
        render::diagnostics(&self.name, &self.source(), diags, color);
        Outcome::Errors
    }

    fn warn(&self, diags: &[Diagnostic], color: super::args::ColorChoice) {
        if !diags.is_empty() {
            render::diagnostics(&self.name, &self.source(), diags, color);
        }
    }
}

/// `<Dockerfile>.dockerignore` next to the Dockerfile wins over
/// `.dockerignore` at the context root.
fn read_dockerignore(dockerfile: &Path, context: &Path) -> Result<Vec<String>, Fatal> {
    let mut specific = dockerfile.as_os_str().to_owned();
    specific.push(".dockerignore");
    for path in [PathBuf::from(specific), context.join(".dockerignore")] {
        match std::fs::read(&path) {
            Ok(bytes) => return Ok(dockerignore::parse(&bytes)),
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => {}
            Err(e) => return Err(Fatal(format!("{}: {e}", path.display()))),
        }
    }
    Ok(Vec::new())
}

/// A stable stand-in for BuildKit's random `local.unique`: derived from
/// the context directory, so the same context gives the same LLB.
fn unique_id(context: &Path) -> String {
    let abs = std::fs::canonicalize(context).unwrap_or_else(|_| context.to_path_buf());
    let hash = Sha256::digest(abs.to_string_lossy().as_bytes());
    hash.iter()
        .take(13)
        .map(|b| format!("{b:02x}"))
        .collect::<String>()[..25]
        .to_owned()
}

fn block_on<F: std::future::Future>(f: F) -> Result<F::Output, Fatal> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .build()
        .map_err(|e| Fatal(format!("starting the async runtime: {e}")))?;
    Ok(rt.block_on(f))
}

fn write_stdout(bytes: &[u8]) -> Result<(), Fatal> {
    let mut out = std::io::stdout().lock();
    match out.write_all(bytes).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => Ok(()),
        other => other.map_err(|e| Fatal(format!("writing standard output: {e}"))),
    }
}
