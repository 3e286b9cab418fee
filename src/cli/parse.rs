//! `slipway parse`: print a Dockerfile's tree as JSON or as BuildKit's dump.

use std::io::{Read, Write};

use slipway::diagnostics::Diagnostic;
use slipway::syntax::{self, dump, instructions};

use super::args::{ParseArgs, ParseFormat};
use super::{Fatal, Outcome, render};

pub fn run(args: &ParseArgs) -> Result<Outcome, Fatal> {
    let (name, bytes) = read_input(&args.file)?;
    let source = match syntax::decode(&bytes) {
        Ok(s) => s,
        Err(d) => {
            let lossy = String::from_utf8_lossy(&bytes);
            render::diagnostics(&name, &lossy, &[d], args.color);
            return Ok(Outcome::Errors);
        }
    };
    let parsed = syntax::parse(source);
    let mut diags: Vec<Diagnostic> = parsed.diagnostics.clone();
    let output = match args.format {
        ParseFormat::Dump => dump::dump(&parsed.tree) + "\n",
        ParseFormat::Json => {
            let (file, more) = instructions::parse_instructions(&parsed.tree);
            diags.extend(more);
            let doc = serde_json::json!({
                "escape": parsed.tree.escape.to_string(),
                "directives": parsed.tree.directives,
                "meta_args": file.meta_args,
                "stages": file.stages,
            });
            serde_json::to_string_pretty(&doc)? + "\n"
        }
    };
    diags.sort_by_key(|d| (d.range.start, d.range.end));
    render::diagnostics(&name, source, &diags, args.color);
    if diags.iter().any(Diagnostic::is_error) {
        return Ok(Outcome::Errors);
    }
    let mut stdout = std::io::stdout().lock();
    match stdout.write_all(output.as_bytes()) {
        Err(e) if e.kind() == std::io::ErrorKind::BrokenPipe => {}
        other => other?,
    }
    Ok(Outcome::Ok)
}

/// Reads a file, or standard input for `-`. Returns a display name too.
pub fn read_input(path: &std::path::Path) -> Result<(String, Vec<u8>), Fatal> {
    if path.as_os_str() == "-" {
        let mut buf = Vec::new();
        std::io::stdin()
            .read_to_end(&mut buf)
            .map_err(|e| Fatal(format!("reading standard input: {e}")))?;
        return Ok(("<stdin>".to_owned(), buf));
    }
    let bytes = std::fs::read(path).map_err(|e| Fatal(format!("{}: {e}", path.display())))?;
    Ok((path.display().to_string(), bytes))
}
