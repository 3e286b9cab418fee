//! Properties that hold for every input: the parser never panics, its tree
//! tiles the source and prints back byte for byte, and large or deeply
//! nested inputs finish.

use proptest::prelude::*;
use slipway::syntax::{Parse, dump::dump, instructions::parse_instructions, parse, tree::Item};

/// Checks the invariants of a parse and returns it.
fn check(src: &str) -> Parse {
    let p = parse(src);
    assert_eq!(p.tree.print(), src);
    let mut at = 0;
    for item in &p.tree.items {
        let r = item.range();
        assert_eq!(r.start(), at, "items tile the source");
        if let Item::Instruction(node) = item {
            let mut t = r.start();
            for tok in &node.tokens {
                assert_eq!(tok.range.start(), t, "tokens tile the instruction");
                t = tok.range.end();
            }
            assert_eq!(t, r.end());
        }
        at = r.end();
    }
    assert_eq!(at, src.len());
    for d in &p.diagnostics {
        assert!(d.range.end() <= src.len());
        assert!(src.is_char_boundary(d.range.start()) && src.is_char_boundary(d.range.end()));
    }
    let _ = dump(&p.tree);
    let (_, diags) = parse_instructions(&p.tree);
    for d in &diags {
        assert!(d.range.end() <= src.len());
    }
    p
}

/// Fragments that exercise every lexical rule when strung together.
fn fragment() -> impl Strategy<Value = &'static str> {
    prop::sample::select(vec![
        "FROM ",
        "RUN ",
        "COPY ",
        "ADD ",
        "ENV ",
        "ARG ",
        "LABEL ",
        "CMD ",
        "ONBUILD ",
        "HEALTHCHECK ",
        "SHELL ",
        "EXPOSE ",
        "VOLUME ",
        "USER ",
        "WORKDIR ",
        "STOPSIGNAL ",
        "MAINTAINER ",
        "ENTRYPOINT ",
        "frob ",
        "AS ",
        "--from=x ",
        "--mount=type=cache,target=/c ",
        "-- ",
        "--",
        "\n",
        "\r\n",
        " ",
        "\t",
        "\\",
        "`",
        "\\\n",
        "`\n",
        "#",
        "# escape=`\n",
        "# syntax=x\n",
        "# check=skip=all\n",
        "\"",
        "'",
        "[",
        "]",
        ",",
        "\"a\"",
        "=",
        "k=v ",
        "$",
        "${",
        "}",
        ":-",
        "<<",
        "<<EOF",
        "<<-EOF",
        "<<'EOF'",
        "EOF",
        "\tEOF",
        "3<<X",
        "X",
        "é",
        "한",
        "\u{feff}",
        "\u{a0}",
        "0",
        "null",
        "{",
        "}",
    ])
}

proptest! {
    #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

    #[test]
    fn any_string_parses_losslessly(s in any::<String>()) {
        check(&s);
    }

    #[test]
    fn dockerfile_like_text_parses_losslessly(parts in prop::collection::vec(fragment(), 0..80)) {
        check(&parts.concat());
    }
}

#[test]
fn a_hundred_thousand_lines_parse() {
    let src = "FROM busybox\n".to_owned() + &"RUN echo hi \\\n  && true\n".repeat(50_000);
    let p = check(&src);
    assert!(!p.has_errors());
    assert_eq!(p.tree.nodes().count(), 50_001);
}

#[test]
fn one_instruction_of_many_continuation_lines() {
    let src = "FROM busybox\nEXPOSE ".to_owned() + &"80 \\\n".repeat(100_000) + "81\n";
    let p = check(&src);
    let node = p.tree.nodes().nth(1).unwrap();
    assert_eq!(node.args.list().len(), 100_001);
    let last = &node.args.list()[100_000];
    assert_eq!(&src[last.range.as_range()], "81");
}

#[test]
fn a_megabyte_line_is_refused_like_buildkit() {
    let src = format!("FROM busybox\nRUN {}\nRUN ok\n", "x".repeat(1 << 20));
    let p = check(&src);
    let codes: Vec<_> = p.diagnostics.iter().map(|d| d.code).collect();
    assert_eq!(codes, ["slipway::parse::line-too-long"]);
    // The longest line BuildKit accepts still parses.
    let ok = format!("FROM busybox\nRUN {}\n", "x".repeat(65_535 - 4));
    assert!(!check(&ok).has_errors());
}

#[test]
fn deep_json_nesting_does_not_overflow() {
    let src = format!(
        "FROM a\nCMD {}{}\n",
        "[".repeat(200_000),
        "]".repeat(200_000)
    );
    // Longer than a line may be: refused, without recursion.
    check(&src);
    let src = format!(
        "FROM a\nCMD [{}{}]\n",
        "[".repeat(30_000),
        "]".repeat(30_000)
    );
    let p = check(&src);
    // Deeper than Go's JSON decoder goes: shell form, as in BuildKit.
    assert!(!p.has_errors(), "{:?}", p.diagnostics);
    assert!(!p.tree.nodes().nth(1).unwrap().json);
}

#[test]
fn many_heredocs_on_one_line() {
    let mut src = "FROM a\nRUN".to_owned();
    for i in 0..2_000 {
        src.push_str(&format!(" <<E{i}"));
    }
    src.push('\n');
    for i in 0..2_000 {
        src.push_str(&format!("body {i}\nE{i}\n"));
    }
    let p = check(&src);
    assert!(!p.has_errors(), "{:?}", p.diagnostics.first());
    assert_eq!(p.tree.nodes().nth(1).unwrap().heredocs.len(), 2_000);
}
