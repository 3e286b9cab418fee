//! `slipway lint`: BuildKit's build checks over files and directories.
//!
//! Exit code: 0 no findings, 1 findings, 2 a usage error or a file that
//! could not be read or parsed (the other files are still checked).

use std::io::{IsTerminal, Write};
use std::path::{Path, PathBuf};

use slipway::diagnostics::{Diagnostic, render};
use slipway::lint::{self, LintOptions, RULES, Rule};
use slipway::syntax;
use slipway::text::LineIndex;

use super::args::{ColorChoice, LintArgs, LintFormat};
use super::{Fatal, Outcome};

pub fn run(args: &LintArgs) -> Result<Outcome, Fatal> {
    let mut out = std::io::stdout().lock();
    if args.list_rules {
        for i in RULES {
            let bk = i.buildkit.unwrap_or("-");
            writeln!(out, "{}  {:<36} {bk}", i.id, i.name)?;
        }
        return Ok(Outcome::Ok);
    }
    if let Some(name) = &args.explain {
        let rule = Rule::from_name(name).ok_or_else(|| Fatal(format!("unknown rule {name:?}")))?;
        writeln!(out, "{}", explain(rule))?;
        return Ok(Outcome::Ok);
    }
    if args.fix || args.diff {
        return super::fix::run(args);
    }
    if let Some(check) = &args.check {
        lint::CheckConfig::parse(check).map_err(|e| Fatal(format!("--check: {e}")))?;
    }
    let paths = if args.paths.is_empty() {
        vec![PathBuf::from(".")]
    } else {
        args.paths.clone()
    };
    let mut files = Vec::new();
    for p in &paths {
        collect(p, &mut files).map_err(|e| Fatal(format!("{}: {e}", p.display())))?;
    }
    let color = match args.color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stdout().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let options = LintOptions {
        check: args.check.clone(),
    };
    let (mut failed, mut found) = (false, false);
    for file in &files {
        let (name, bytes) = match super::parse::read_input(file) {
            Ok(x) => x,
            Err(Fatal(msg)) => {
                eprintln!("slipway: {msg}");
                failed = true;
                continue;
            }
        };
        let source = match syntax::decode(&bytes) {
            Ok(s) => s.to_owned(),
            Err(d) => {
                let lossy = String::from_utf8_lossy(&bytes);
                eprint!("{}", render(&name, &lossy, &[d], color, 100));
                failed = true;
                continue;
            }
        };
        let result = lint::lint(&source, &options);
        failed |= !result.errors.is_empty();
        found |= !result.findings.is_empty();
        let mut all: Vec<Diagnostic> = result.errors;
        all.extend(result.findings);
        all.sort_by_key(|d| (d.range.start, d.range.end));
        match args.format {
            LintFormat::Tty => write!(out, "{}", render(&name, &source, &all, color, width()))?,
            LintFormat::Json => {
                let index = LineIndex::new(&source);
                for d in &all {
                    writeln!(out, "{}", json(&name, d, &index))?;
                }
            }
        }
    }
    if failed {
        return Err(Fatal("some files could not be checked".to_owned()));
    }
    Ok(if found { Outcome::Errors } else { Outcome::Ok })
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

fn json(file: &str, d: &Diagnostic, index: &LineIndex) -> String {
    let start = index.line_col(d.range.start());
    let end = index.line_col(d.range.end());
    let info = RULES.iter().find(|i| i.code == d.code);
    let rule = info.map_or(d.code, |i| i.name);
    let url = info
        .filter(|i| i.buildkit.is_some())
        .map(|i| format!("https://docs.docker.com/go/dockerfile/rule/{}/", i.name));
    serde_json::json!({
        "file": file,
        "rule": rule,
        "code": d.code,
        "buildkit_rule": info.and_then(|i| i.buildkit),
        "severity": d.severity,
        "message": d.message,
        "start": {"line": start.line, "column": start.column},
        "end": {"line": end.line, "column": end.column},
        "url": url,
    })
    .to_string()
}

fn width() -> usize {
    std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100)
}

/// The Dockerfiles under `path`, sorted; a file named on the command line
/// is taken whatever its name.
fn collect(path: &Path, out: &mut Vec<PathBuf>) -> std::io::Result<()> {
    if path.as_os_str() == "-" || !path.is_dir() {
        out.push(path.to_owned());
        return Ok(());
    }
    let mut entries: Vec<_> = std::fs::read_dir(path)?
        .filter_map(Result::ok)
        .map(|e| e.path())
        .collect();
    entries.sort();
    for p in entries {
        let name = p.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if p.is_dir() {
            if !name.starts_with('.') && name != "node_modules" && name != "target" {
                collect(&p, out)?;
            }
        } else if is_dockerfile_name(name) {
            out.push(p);
        }
    }
    Ok(())
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
