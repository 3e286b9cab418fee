//! The real-world corpus: slipway's JSON-level parse rejects exactly the
//! files BuildKit rejected while parsing (`parse_error` in
//! `corpus/baseline.tsv`) and accepts the rest; every file prints back from
//! its tree byte for byte.

mod common;

use slipway::syntax::{decode, instructions::parse_instructions, parse};

struct Entry {
    path: String,
    status: String,
}

fn baseline() -> Option<(std::path::PathBuf, Vec<Entry>)> {
    let dir = common::shared_dir("corpus")?;
    let tsv = std::fs::read_to_string(dir.join("baseline.tsv")).expect("baseline.tsv");
    let entries = tsv
        .lines()
        .skip(1)
        .filter(|l| !l.trim().is_empty())
        .map(|l| {
            let mut f = l.split('\t');
            Entry {
                path: f.next().unwrap_or_default().to_owned(),
                status: f.next().unwrap_or_default().to_owned(),
            }
        })
        .collect();
    Some((dir.join("realworld"), entries))
}

#[test]
fn json_level_verdicts_match_buildkit() {
    let Some((root, entries)) = baseline() else {
        return;
    };
    assert!(entries.len() > 300, "corpus has {} entries", entries.len());
    let mut mismatches = Vec::new();
    let mut rejected = 0;
    for e in &entries {
        let bytes = std::fs::read(root.join(&e.path)).expect("corpus file");
        let src = decode(&bytes).expect("corpus files are UTF-8");
        let parsed = parse(src);
        let (_, more) = parse_instructions(&parsed.tree);
        let errors: Vec<_> = parsed
            .diagnostics
            .iter()
            .chain(&more)
            .filter(|d| d.is_error())
            .collect();
        let want_reject = e.status == "parse_error";
        rejected += usize::from(!errors.is_empty());
        if want_reject == errors.is_empty() {
            mismatches.push(format!(
                "{} (BuildKit: {}): slipway {:?}",
                e.path,
                e.status,
                errors
                    .iter()
                    .map(|d| (&d.code, &d.message))
                    .collect::<Vec<_>>()
            ));
        }
    }
    assert!(
        mismatches.is_empty(),
        "{} mismatches:\n{}",
        mismatches.len(),
        mismatches.join("\n")
    );
    assert_eq!(
        rejected,
        entries.iter().filter(|e| e.status == "parse_error").count()
    );
}

#[test]
fn every_corpus_file_round_trips() {
    let Some((root, entries)) = baseline() else {
        return;
    };
    for e in &entries {
        let bytes = std::fs::read(root.join(&e.path)).expect("corpus file");
        let src = decode(&bytes).expect("corpus files are UTF-8");
        let parsed = parse(src);
        assert_eq!(parsed.tree.print(), src, "{}", e.path);
        let mut at = 0;
        for item in &parsed.tree.items {
            assert_eq!(
                item.range().start(),
                at,
                "{}: items must tile the file",
                e.path
            );
            at = item.range().end();
        }
        assert_eq!(at, src.len(), "{}", e.path);
    }
}
