//! House rules checked in the suite: every Rust file opens with a `//!`
//! doc, has no trailing white space, uses no `#[should_panic]` or
//! `#[ignore]`, and modules import only from the layers before them.

use std::path::{Path, PathBuf};

fn rust_files() -> Vec<PathBuf> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut out = Vec::new();
    let mut stack: Vec<PathBuf> = ["src", "tests", "benches", "fuzz/fuzz_targets", "build.rs"]
        .iter()
        .map(|p| root.join(p))
        .collect();
    while let Some(p) = stack.pop() {
        if p.is_dir() {
            for e in std::fs::read_dir(&p).expect("readable dir") {
                stack.push(e.expect("entry").path());
            }
        } else if p.extension().is_some_and(|e| e == "rs") {
            out.push(p);
        }
    }
    out.sort();
    out
}

#[test]
fn files_follow_the_house_rules() {
    let mut problems = Vec::new();
    let files = rust_files();
    assert!(files.len() > 20);
    for f in &files {
        let text = std::fs::read_to_string(f).expect("utf-8 source");
        let name = f.display();
        if !text.starts_with("//!") {
            problems.push(format!("{name}: does not start with a //! doc comment"));
        }
        for (i, line) in text.lines().enumerate() {
            if line.ends_with(' ') || line.ends_with('\t') {
                problems.push(format!("{name}:{}: trailing white space", i + 1));
            }
            let code = line.trim_start();
            // Written split so that this file passes its own check.
            for banned in [concat!("#[should", "_panic"), concat!("#[ig", "nore")] {
                if code.starts_with(banned) {
                    problems.push(format!("{name}:{}: {banned}] is not used here", i + 1));
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}

/// The layers in data-flow order; a module may import only from layers at
/// its own rank or lower.
const LAYERS: &[(&str, u8)] = &[
    ("text", 0),
    ("tempdir", 0),
    ("diagnostics", 0),
    ("proto", 0),
    ("syntax", 1),
    ("ir", 2),
    ("lint", 3),
    ("llb", 3),
    ("compile", 4),
    ("devcontainer", 4),
    ("native", 5),
    ("buildkit", 5),
    ("frontend", 5),
];

fn rank(module: &str) -> Option<u8> {
    LAYERS.iter().find(|(m, _)| *m == module).map(|&(_, r)| r)
}

#[test]
fn imports_point_backwards() {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("src");
    let mut problems = Vec::new();
    for f in rust_files().into_iter().filter(|f| f.starts_with(&src)) {
        let rel = f.strip_prefix(&src).expect("under src");
        let Some(top) = rel.components().next() else {
            continue;
        };
        let top = top
            .as_os_str()
            .to_string_lossy()
            .trim_end_matches(".rs")
            .to_owned();
        let Some(own) = rank(&top) else { continue };
        let text = std::fs::read_to_string(&f).expect("utf-8 source");
        for (i, line) in text.lines().enumerate() {
            // Code only: not comments, not string literals.
            let code = line.split("//").next().unwrap_or("");
            let code = code.split('"').next().unwrap_or("");
            for prefix in ["crate::", "slipway::"] {
                let mut rest = code;
                while let Some(at) = rest.find(prefix) {
                    rest = &rest[at + prefix.len()..];
                    let used: String = rest
                        .chars()
                        .take_while(|c| c.is_alphanumeric() || *c == '_')
                        .collect();
                    if let Some(r) = rank(&used)
                        && r > own
                    {
                        problems.push(format!("{}:{}: {top} imports {used}", f.display(), i + 1));
                    }
                }
            }
        }
    }
    assert!(problems.is_empty(), "{}", problems.join("\n"));
}
