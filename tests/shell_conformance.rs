//! BuildKit's own shell-lexer vectors (`envVarTest`, `wordsTest`), run the way
//! upstream's `lex_test.go` runs them. The formats are described in
//! `shared/conformance/buildkit/README.md`, sections 4 and 5.

use std::path::PathBuf;

use slipway::syntax::shell::Lexer;

fn shell_dir() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../shared/conformance/buildkit/shell")
}

/// Read a vector file; `None` (after saying why) if the shared folder is
/// missing outside CI.
fn read_vectors(name: &str) -> Option<String> {
    let path = shell_dir().join(name);
    match std::fs::read_to_string(&path) {
        Ok(text) => Some(text),
        Err(err) => {
            let msg = format!(
                "shared conformance data not found at {}: {err}",
                path.display()
            );
            assert!(std::env::var_os("CI").is_none(), "{msg}");
            eprintln!("skipping: {msg}");
            None
        }
    }
}

fn report(file: &str, count: usize, failures: &[String]) {
    assert!(count > 0, "{file}: no vectors were run");
    assert!(
        failures.is_empty(),
        "{file}: {} of {count} vectors failed:\n{}",
        failures.len(),
        failures.join("\n")
    );
    eprintln!("{file}: {count} vectors passed");
}

/// Section 4: `<platform>|<input>|<expected>` with `ProcessWord`.
#[test]
fn env_var_test() {
    let Some(text) = read_vectors("envVarTest") else {
        return;
    };
    let env = [
        ("PWD", "/home"),
        ("SHELL", "bash"),
        ("KOREAN", "한국어"),
        ("NULL", ""),
    ];
    let lexer = Lexer::new('\\');
    let (mut count, mut failures) = (0, Vec::new());

    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        let fields: Vec<&str> = line.trim().split('|').map(str::trim).collect();
        let [platform, input, expected] = fields[..] else {
            failures.push(format!("line {line_no}: expected 3 fields in {line:?}"));
            continue;
        };
        match platform {
            "A" | "U" => {}
            "W" => continue,
            other => {
                failures.push(format!("line {line_no}: unknown platform {other:?}"));
                continue;
            }
        }
        count += 1;
        let got = lexer.process_word(input, &env).map(|e| e.value);
        let ok = match (&got, expected) {
            (Err(_), "error") => true,
            (Ok(value), expected) => expected != "error" && value == expected,
            (Err(_), _) => false,
        };
        if !ok {
            failures.push(format!(
                "line {line_no}: {input:?}: expected {expected:?}, got {got:?}"
            ));
        }
    }
    report("envVarTest", count, &failures);
}

/// Section 5: `ENV name=value` lines build the environment; other lines are
/// `<input>|<word>,<word>…` with `ProcessWords`, where a failure is `error`.
#[test]
fn words_test() {
    let Some(text) = read_vectors("wordsTest") else {
        return;
    };
    let lexer = Lexer::new('\\');
    let mut env: Vec<(String, String)> = Vec::new();
    let (mut count, mut failures) = (0, Vec::new());

    for (n, line) in text.lines().enumerate() {
        let line_no = n + 1;
        if line.starts_with('#') {
            continue;
        }
        if let Some(def) = line.strip_prefix("ENV ") {
            let def = def.trim_start_matches(' ');
            let (name, value) = def.split_once('=').unwrap_or((def, ""));
            env.push((name.to_owned(), value.to_owned()));
            continue;
        }
        let fields: Vec<&str> = line.split('|').collect();
        let [input, expected] = fields[..] else {
            failures.push(format!(
                "line {line_no}: expected exactly one '|' in {line:?}"
            ));
            continue;
        };
        let input = input.trim();
        let expected: Vec<&str> = expected.trim_start_matches(' ').split(',').collect();
        count += 1;
        let got = match lexer.process_words(input, &env) {
            Ok(out) => out.words,
            Err(_) => vec!["error".to_owned()],
        };
        if got != expected {
            failures.push(format!(
                "line {line_no}: {input:?}: expected {expected:?}, got {got:?}"
            ));
        }
    }
    report("wordsTest", count, &failures);
}
