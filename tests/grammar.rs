//! The grammar in `grammar/` names the same directives and keywords, with
//! the same argument rules, as the parser's tables.

use slipway::syntax::parser::{ArgRule, DIRECTIVES, INSTRUCTIONS};

fn ebnf() -> String {
    std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/grammar/dockerfile.ebnf"
    ))
    .expect("grammar/dockerfile.ebnf")
}

/// The text of the rule `name = … ;` (comments included).
fn rule<'a>(g: &'a str, name: &str) -> &'a str {
    let start = g
        .lines()
        .position(|l| l.split('=').next().is_some_and(|lhs| lhs.trim() == name))
        .unwrap_or_else(|| panic!("rule {name} in the grammar"));
    let offset: usize = g.lines().take(start).map(|l| l.len() + 1).sum();
    let rest = &g[offset..];
    // A rule ends at the first `;` outside a comment.
    let mut depth = 0;
    let bytes = rest.as_bytes();
    for i in 0..bytes.len() {
        match (bytes[i], bytes.get(i + 1)) {
            (b'(', Some(b'*')) => depth += 1,
            (b'*', Some(b')')) => depth -= 1,
            (b';', _) if depth == 0 => return &rest[..i],
            _ => {}
        }
    }
    rest
}

fn words(s: &str) -> Vec<String> {
    s.split(|c: char| !c.is_ascii_alphabetic())
        .filter(|w| w.len() > 1 && w.chars().all(|c| c.is_ascii_uppercase()))
        .map(str::to_lowercase)
        .collect()
}

#[test]
fn directive_names_match() {
    let g = ebnf();
    let r = rule(&g, "directive name");
    let mut named: Vec<&str> = r.split('"').skip(1).step_by(2).collect();
    named.sort_unstable();
    let mut code = DIRECTIVES.to_vec();
    code.sort_unstable();
    assert_eq!(named, code);
}

#[test]
fn keywords_and_argument_rules_match() {
    let g = ebnf();
    let expect = |name: &str, want: ArgRule| {
        let mut listed = words(rule(&g, name));
        listed.retain(|w| INSTRUCTIONS.iter().any(|(k, _)| k == w));
        let mut code: Vec<String> = INSTRUCTIONS
            .iter()
            .filter(|(_, r)| *r == want)
            .map(|(k, _)| (*k).to_owned())
            .collect();
        if want == ArgRule::JsonOrList {
            // `word list` also names ADD COPY VOLUME for their fallback.
            code.clear();
        }
        (listed, code)
    };
    let checks = [
        ("single", ArgRule::Text),
        ("name list", ArgRule::QuotedWords),
        ("key values", ArgRule::KeyValues),
    ];
    for (name, want) in checks {
        let (mut listed, mut code) = expect(name, want);
        listed.sort();
        code.sort();
        assert_eq!(listed, code, "rule {name}");
    }
    let exec = words(rule(&g, "exec form"));
    for (k, r) in INSTRUCTIONS {
        let json = matches!(
            r,
            ArgRule::JsonOrList | ArgRule::JsonOrText | ArgRule::Health
        );
        assert_eq!(
            exec.contains(&k.to_owned()) || k == "healthcheck",
            json,
            "{k} in exec form"
        );
    }
    let words_rule = words(rule(&g, "word list"));
    for k in ["from", "expose", "add", "copy", "volume"] {
        assert!(words_rule.contains(&k.to_owned()), "{k} in word list");
    }
}
