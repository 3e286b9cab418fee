//! `slipway lint`: BuildKit's build checks over files and directories.
//!
//! Walks the paths for Dockerfiles, finds each file's `slipway.toml`, lints
//! the files in parallel and prints the results sorted by path in the
//! chosen format (the formats are `slipway::lint::report`'s).
//!
//! Exit code: 2 a usage error, an invalid settings file, or a file that
//! could not be read, decoded or parsed (the other files are still checked
//! and reported; each failure is also named on standard error); else 1 when
//! a finding is at or above the failure threshold (all findings with
//! `# check=error=true`); else 0.

use std::io::{IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};

use slipway::diagnostics::{Diagnostic, Severity};
use slipway::lint::report::{self, FileReport, Format};
use slipway::lint::settings::{Settings, SettingsFinder, Threshold};
use slipway::lint::{self, BINARY_FILE, RULES, Rule, UNREADABLE_FILE};
use slipway::text::TextRange;

use super::args::{ColorChoice, LintArgs, LintFormat, LintThreshold};
use super::{Fatal, Outcome};

pub fn run(args: &LintArgs) -> Result<Outcome, Fatal> {
    if args.list_rules {
        let mut out = std::io::stdout().lock();
        for i in RULES {
            let bk = i.buildkit.unwrap_or("-");
            writeln!(out, "{}  {:<36} {bk}", i.id, i.name)?;
        }
        return Ok(Outcome::Ok);
    }
    if let Some(name) = &args.explain {
        let rule = Rule::from_name(name).ok_or_else(|| Fatal(format!("unknown rule {name:?}")))?;
        writeln!(std::io::stdout(), "{}", explain(rule))?;
        return Ok(Outcome::Ok);
    }
    if args.fix || args.diff {
        return super::fix::run(args);
    }
    let paths = checked_paths(args)?;
    let mut files = Vec::new();
    for p in &paths {
        collect(p, &mut files);
    }
    files.sort_by(|a, b| a.path.cmp(&b.path));
    files.dedup_by(|a, b| a.path == b.path);
    if files.is_empty() {
        eprintln!("slipway: no Dockerfiles found");
    }

    let fixed = args.config.as_deref().map(Settings::load).transpose()?;
    let fixed = fixed.map(Arc::new);
    let mut finder = SettingsFinder::new();
    let mut jobs = Vec::with_capacity(files.len());
    for file in files {
        let settings = match &fixed {
            Some(s) => s.clone(),
            None => finder.for_dir(&file.dir())?,
        };
        jobs.push((file, settings));
    }

    let checked = check_all(&jobs, args);
    let format = match args.format {
        LintFormat::Tty => Format::Tty {
            color: color(args.color),
            width: width(),
        },
        LintFormat::Json => Format::Json,
        LintFormat::Sarif => Format::Sarif,
        LintFormat::Checkstyle => Format::Checkstyle,
        LintFormat::Github => Format::Github,
    };
    let (reports, outcomes): (Vec<FileReport>, Vec<(bool, bool)>) = checked
        .into_iter()
        .map(|c| (c.report, (c.failed, c.fails)))
        .unzip();
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    match report::write(&mut out, format, &reports).and_then(|()| out.flush()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    let mut failed = 0;
    for (r, _) in reports.iter().zip(&outcomes).filter(|(_, o)| o.0) {
        let first = r.diagnostics.iter().find(|d| d.is_error());
        let why = first.map_or("cannot be checked", |d| d.message.as_str());
        eprintln!("slipway: {}: {why}", r.path);
        failed += 1;
    }
    if failed > 0 {
        return Err(Fatal(format!(
            "{failed} of {} files could not be checked",
            reports.len()
        )));
    }
    Ok(if outcomes.iter().any(|o| o.1) {
        Outcome::Errors
    } else {
        Outcome::Ok
    })
}

/// Checks `--check`, then the paths to lint: the arguments, or `.`.
pub(super) fn checked_paths(args: &LintArgs) -> Result<Vec<PathBuf>, Fatal> {
    if let Some(check) = &args.check {
        lint::CheckConfig::parse(check).map_err(|e| Fatal(format!("--check: {e}")))?;
    }
    Ok(if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    })
}

/// The `.dockerignore` a build of `dockerfile` with its own folder as the
/// context would use: `<name>.dockerignore` beside it, else the folder's
/// `.dockerignore` (as BuildKit picks them). `None` when there is none.
fn context_dockerignore(dockerfile: &Path) -> Option<Vec<String>> {
    let dir = dockerfile.parent().filter(|p| !p.as_os_str().is_empty());
    let dir = dir.unwrap_or(Path::new("."));
    let name = dockerfile.file_name()?.to_string_lossy();
    [format!("{name}.dockerignore"), ".dockerignore".to_owned()]
        .iter()
        .find_map(|f| std::fs::read(dir.join(f)).ok())
        .map(|bytes| slipway::ir::dockerignore::parse(&bytes))
}

/// Whether the "shellcheck is not installed" note was printed (once per
/// run, whatever the number of files and threads).
static SHELLCHECK_NOTE: AtomicBool = AtomicBool::new(false);

/// A file to lint: where it is and how it is shown.
pub(super) struct Input {
    /// The path as shown (`-` for standard input).
    pub(super) path: String,
    /// An error met while walking to it, reported as its only diagnostic.
    pub(super) walk_error: Option<String>,
}

impl Input {
    /// The directory its settings are searched from.
    fn dir(&self) -> PathBuf {
        if self.path == "-" {
            return PathBuf::from(".");
        }
        match Path::new(&self.path).parent() {
            Some(p) if !p.as_os_str().is_empty() => p.to_owned(),
            _ => PathBuf::from("."),
        }
    }
}

/// One file's outcome.
struct Checked {
    report: FileReport,
    /// It could not be read, decoded or parsed.
    failed: bool,
    /// It has a finding at or above its failure threshold.
    fails: bool,
}

/// Lints every file, on as many threads as there are cores; the results
/// keep the order of `jobs`.
fn check_all(jobs: &[(Input, Arc<Settings>)], args: &LintArgs) -> Vec<Checked> {
    let threads = std::thread::available_parallelism()
        .map_or(1, usize::from)
        .min(jobs.len());
    if threads <= 1 {
        return jobs.iter().map(|(i, s)| check(i, s, args)).collect();
    }
    let next = AtomicUsize::new(0);
    let mut done: Vec<(usize, Checked)> = std::thread::scope(|scope| {
        let workers: Vec<_> = (0..threads)
            .map(|_| {
                scope.spawn(|| {
                    let mut mine = Vec::new();
                    loop {
                        let at = next.fetch_add(1, Ordering::Relaxed);
                        let Some((input, settings)) = jobs.get(at) else {
                            break;
                        };
                        mine.push((at, check(input, settings, args)));
                    }
                    mine
                })
            })
            .collect();
        workers
            .into_iter()
            .flat_map(|w| w.join().unwrap_or_default())
            .collect()
    });
    done.sort_by_key(|(at, _)| *at);
    done.into_iter().map(|(_, c)| c).collect()
}

/// Reads and lints one file.
fn check(input: &Input, settings: &Settings, args: &LintArgs) -> Checked {
    let bytes = match &input.walk_error {
        Some(e) => Err(e.clone()),
        None if input.path == "-" => {
            let mut buf = Vec::new();
            std::io::stdin()
                .read_to_end(&mut buf)
                .map(|_| buf)
                .map_err(|e| e.to_string())
        }
        None => std::fs::read(&input.path).map_err(|e| e.to_string()),
    };
    let path = if input.path == "-" {
        "<stdin>".to_owned()
    } else {
        input.path.clone()
    };
    let unchecked = |source: String, d: Diagnostic| Checked {
        report: FileReport {
            path: path.clone(),
            source,
            diagnostics: vec![d],
        },
        failed: true,
        fails: false,
    };
    let bytes = match bytes {
        Ok(b) => b,
        Err(e) => {
            let msg = format!("cannot read the file: {e}");
            return unchecked(
                String::new(),
                Diagnostic::error(UNREADABLE_FILE, TextRange::empty(0), msg),
            );
        }
    };
    let source = match lint::decode(&bytes) {
        Ok(s) => s,
        Err(mut d) => {
            let source = if d.code == BINARY_FILE {
                String::new()
            } else {
                String::from_utf8_lossy(&bytes).into_owned()
            };
            d.range = on_char_boundaries(&source, d.range);
            return unchecked(source, d);
        }
    };
    let mut options = settings.options(args.check.clone());
    if args.no_shellcheck {
        options.ignore.insert(Rule::Shellcheck(0));
    }
    if input.path != "-" {
        options.dockerignore = context_dockerignore(Path::new(&input.path));
    }
    let result = lint::lint(source, &options);
    if result.shellcheck_missing && !SHELLCHECK_NOTE.swap(true, Ordering::Relaxed) {
        eprintln!(
            "slipway: note: shellcheck is not installed; RUN scripts were not checked by it \
             (install the shellcheck package, or pass --no-shellcheck)"
        );
    }
    let threshold = match args.failure_threshold {
        Some(LintThreshold::Error) => Threshold::Error,
        Some(LintThreshold::Warning) => Threshold::Warning,
        Some(LintThreshold::None) => Threshold::None,
        None => settings.failure_threshold,
    };
    let fails = result.findings.iter().any(|d| {
        let severity = if result.error_on_findings {
            Severity::Error
        } else {
            d.severity
        };
        threshold.fails(severity)
    });
    let failed = !result.errors.is_empty();
    let mut diagnostics = result.errors;
    diagnostics.extend(result.findings);
    diagnostics.sort_by_key(|d| (d.range.start, d.range.end));
    Checked {
        report: FileReport {
            path,
            source: source.to_owned(),
            diagnostics,
        },
        failed,
        fails,
    }
}

/// `range` widened to character boundaries of `source` (a lossy decoding
/// replaced the bad bytes it points at).
fn on_char_boundaries(source: &str, range: TextRange) -> TextRange {
    let mut start = range.start().min(source.len());
    while !source.is_char_boundary(start) {
        start -= 1;
    }
    let mut end = range.end().clamp(start, source.len());
    while !source.is_char_boundary(end) {
        end += 1;
    }
    TextRange::new(start, end)
}

fn color(choice: ColorChoice) -> bool {
    match choice {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    }
}

/// A rule's header line and documentation.
fn explain(rule: Rule) -> String {
    let i = rule.info();
    let mut s = format!("# {} ({})\n\n", i.name, i.id);
    if let Some(bk) = i.buildkit {
        s += &format!("BuildKit check: {bk}\n");
    }
    if let Some(hl) = i.hadolint {
        s += &format!("Similar hadolint rule: {hl}\n");
    }
    s += &format!("Status: {:?}\n\n", i.status);
    s + i
        .doc
        .lines()
        .map(|l| l.strip_prefix(' ').unwrap_or(l))
        .collect::<Vec<_>>()
        .join("\n")
        .trim_end()
}

fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

/// The Dockerfiles under `path`, in name order; a file named on the
/// command line is taken whatever its name. Hidden directories (`.git`),
/// `node_modules` and `target` are skipped, and symbolic links to
/// directories are not followed (no cycles). A directory that cannot be
/// read becomes an input whose only diagnostic says so.
pub(super) fn collect(path: &Path, out: &mut Vec<Input>) {
    if path.as_os_str() == "-" || !path.is_dir() {
        out.push(Input {
            path: path.display().to_string(),
            walk_error: None,
        });
        return;
    }
    let entries = match std::fs::read_dir(path) {
        Ok(rd) => rd,
        Err(e) => {
            out.push(Input {
                path: path.display().to_string(),
                walk_error: Some(format!("cannot read the directory: {e}")),
            });
            return;
        }
    };
    let mut entries: Vec<_> = entries.filter_map(Result::ok).collect();
    entries.sort_by_key(std::fs::DirEntry::file_name);
    for e in entries {
        let p = e.path();
        let name = e.file_name();
        let name = name.to_str().unwrap_or("");
        let is_dir = e.file_type().is_ok_and(|t| t.is_dir());
        if is_dir {
            if !name.starts_with('.') && name != "node_modules" && name != "target" {
                collect(&p, out);
            }
        } else if is_dockerfile_name(name) && !p.is_dir() {
            out.push(Input {
                path: p.display().to_string(),
                walk_error: None,
            });
        }
    }
}

/// `Dockerfile`, `Containerfile`, `Dockerfile.*`, `Containerfile.*` and
/// `*.Dockerfile`, except templates and docs (`.md`, `.tmpl`, …).
fn is_dockerfile_name(name: &str) -> bool {
    const NOT: [&str; 6] = [".md", ".template", ".tmpl", ".j2", ".go", ".dockerignore"];
    if NOT.iter().any(|s| name.ends_with(s)) {
        return false;
    }
    name == "Dockerfile"
        || name == "Containerfile"
        || name.starts_with("Dockerfile.")
        || name.starts_with("Containerfile.")
        || name.ends_with(".Dockerfile")
        || name.ends_with(".dockerfile")
}

#[cfg(test)]
mod tests {
    use super::is_dockerfile_name;

    #[test]
    fn recognises_dockerfile_names() {
        for ok in [
            "Dockerfile",
            "Containerfile",
            "Dockerfile.dev",
            "app.Dockerfile",
        ] {
            assert!(is_dockerfile_name(ok), "{ok}");
        }
        for no in [
            "README.md",
            "Dockerfile.md",
            "dockerfile",
            "Dockerfile.tmpl",
            "main.go",
        ] {
            assert!(!is_dockerfile_name(no), "{no}");
        }
    }
}
