//! Snapshots of slipway's own parser fixtures (`tests/fixtures/parse/`):
//! BuildKit's dump of each file, and every diagnostic rendered as the CLI
//! prints it. Files named `error_*` must produce at least one error, files
//! named `warning_*` warnings and no error, the others no diagnostic.

use slipway::diagnostics::render;
use slipway::syntax::{dump::dump, instructions::parse_instructions, parse};

fn snapshot_of(name: &str, src: &str) -> String {
    let parsed = parse(src);
    assert_eq!(parsed.tree.print(), src, "{name}: lossless round trip");
    let (_, more) = parse_instructions(&parsed.tree);
    let mut diags = parsed.diagnostics.clone();
    diags.extend(more);
    diags.sort_by_key(|d| (d.range.start, d.range.end));
    let errors = diags.iter().filter(|d| d.is_error()).count();
    if name.starts_with("error_") {
        assert!(errors > 0, "{name}: expected errors");
    } else {
        assert_eq!(errors, 0, "{name}: unexpected errors {diags:?}");
        let warnings = diags.len() - errors;
        assert_eq!(
            warnings > 0,
            name.starts_with("warning_"),
            "{name}: {diags:?}"
        );
    }
    let mut out = format!("--- escape {:?}\n", parsed.tree.escape);
    for d in &parsed.tree.directives {
        out.push_str(&format!("directive {}={:?}\n", d.name, d.value));
    }
    out.push_str("--- dump\n");
    out.push_str(&dump(&parsed.tree));
    out.push_str("\n--- heredocs\n");
    for node in parsed.tree.nodes() {
        let inner = match &node.args {
            slipway::syntax::tree::Args::Nested(n) => n.keyword.value.as_str(),
            _ => "",
        };
        for h in &node.heredocs {
            out.push_str(&format!(
                "{} {inner} name={:?} expand={} chomp={} fd={} content={:?}\n",
                node.keyword.value, h.name, h.expand, h.chomp, h.fd, h.content
            ));
        }
    }
    out.push_str("\n--- diagnostics\n");
    for d in &diags {
        out.push_str(d.code);
        out.push('\n');
    }
    out.push_str(&render(name, src, &diags, false, 90));
    out
}

#[test]
fn parse_fixtures() {
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => false}, {
        insta::glob!("fixtures/parse/*.Dockerfile", |path| {
            let src = std::fs::read_to_string(path).expect("fixture");
            let name = path.file_stem().unwrap().to_string_lossy().into_owned();
            insta::assert_snapshot!(snapshot_of(&name, &src));
        });
    });
}
