//! Table tests for shell-word expansion beyond BuildKit's vector files:
//! pattern operators, the backtick escape, options, word splitting, the
//! `used` record, error ranges, and robustness (random input, deep nesting).

use std::collections::{BTreeMap, HashMap};

use miette::Diagnostic;
use proptest::prelude::*;
use slipway::syntax::shell::{
    EmptyEnv, Env, EnvFn, Lexer, MAX_EXPANSION, MAX_NESTING, Options, ShellError, Vars,
};

const ENV: &[(&str, &str)] = &[
    ("PWD", "/home"),
    ("x", "aXbXc"),
    ("y", "*a*"),
    ("z", "ab*cd*ef"),
    ("q", "a?b?"),
    ("bs", r"a\b"),
    ("br", "}x}"),
    ("nl", "a\nb"),
    ("NL", "\n"),
    ("k", "한국어"),
    ("w", "`ab"),
    ("p", "/a/b"),
    ("hash", "#a#"),
    ("E", ""),
    ("P", "a*"),
    ("SP", "x  y"),
];

fn lexer() -> Lexer {
    Lexer::new('\\')
}

fn word_with(lexer: Lexer, input: &str) -> String {
    match lexer.process_word(input, &ENV) {
        Ok(out) => out.value,
        Err(err) => panic!("{input:?} failed: {err}"),
    }
}

fn words_with(lexer: Lexer, input: &str) -> Vec<String> {
    match lexer.process_words(input, &ENV) {
        Ok(out) => out.words,
        Err(err) => panic!("{input:?} failed: {err}"),
    }
}

fn error(input: &str) -> ShellError {
    match lexer().process_word(input, &ENV) {
        Ok(out) => panic!("{input:?} should fail, got {:?}", out.value),
        Err(err) => err,
    }
}

fn check_words(lexer: Lexer, cases: &[(&str, &str)]) {
    for &(input, expected) in cases {
        assert_eq!(word_with(lexer, input), expected, "input {input:?}");
    }
}

#[test]
fn prefix_and_suffix_removal() {
    check_words(
        lexer(),
        &[
            ("${x#a*}", "XbXc"),
            ("${x##a*}", ""),
            ("${x#*X}", "bXc"),
            ("${x##*X}", "c"),
            ("${x%X*}", "aXb"),
            ("${x%%X*}", "a"),
            ("${x#?}", "XbXc"),
            ("${x%??}", "aXb"),
            ("${x#zz}", "aXbXc"),
            ("${x%zz}", "aXbXc"),
            ("${x#}", "aXbXc"),
            ("${x##}", "aXbXc"),
            ("${x%}", "aXbXc"),
            ("${x%%}", "aXbXc"),
            ("${x#*}", "aXbXc"),
            ("${x##*}", ""),
            ("${x#$P}", "XbXc"),
            // Quotes are removed but do not make glob characters literal.
            (r#"${x#"a*"}"#, "XbXc"),
            (r"${y#\*}", "a*"),
            (r"${y%\*}", "*a"),
            (r"${y##*\*}", ""),
            (r"${z%\**}", "ab*cd"),
            (r"${z%%\**}", "ab"),
            (r"${z#*\*}", "cd*ef"),
            (r"${q%\?}", "a?b"),
            (r"${q#a\?}", "b?"),
            (r"${bs#a\\}", "b"),
            (r"${br#\}}", "x}"),
            (r"${br%\}}", "}x"),
            // `?` and `*` never match a newline; a literal newline does.
            ("${nl##*}", "\nb"),
            ("${nl%%*}", "a\n"),
            ("${nl#a?b}", "a\nb"),
            ("${nl#a$NL}", "b"),
            ("${k#?}", "국어"),
            ("${k%?}", "한국"),
            ("${nope#a}", ""),
            // A quoted `#` still doubles the operator: `##` with an empty pattern.
            (r##"${hash#"#"}"##, "#a#"),
        ],
    );
}

#[test]
fn replacement() {
    check_words(
        lexer(),
        &[
            ("${x/X/-}", "a-bXc"),
            ("${x//X/-}", "a-b-c"),
            ("${x/X*/-}", "a-"),
            ("${x//?/.}", "....."),
            ("${x/X}/-}", "aXbXc"),
            ("${br/x}/-}", "}-"),
            ("${x/b/}", "aXXc"),
            // An empty pattern matches at the start (and, for `//`, everywhere).
            ("${x/$E/ww}", "wwaXbXc"),
            ("${x//$E/w}", "wawXwbwXwcw"),
            ("${x///}", "aXbXc"),
            ("${nope/a/b}", ""),
            ("${nope///b}", "b"),
            // `.*` matches everything, then the empty match at the end is skipped.
            ("${x//*/-}", "-"),
            ("${z//b*/-}", "a-"),
            (r"${y//\*/+}", "+a+"),
            (r"${p//\//|}", "|a|b"),
            // The replacement keeps escape characters.
            (r"${x/X/\/}", r"a\/bXc"),
            ("${nl//?/.}", ".\n."),
            // `//` replacements are Go templates: `$0` is the match, `$$` is `$`.
            ("${x//X/'[$0]'}", "a[X]b[X]c"),
            ("${x//X/'${0}$1$$'}", "aX$bX$c"),
            ("${x/X/'[$0]'}", "a[$0]bXc"),
        ],
    );
}

fn check_errors(cases: &[(&str, &str, &str, std::ops::Range<usize>)]) {
    for (input, code, message, range) in cases {
        let err = error(input);
        let full_code = format!("slipway::shell::{code}");
        assert_eq!(err.code(), full_code, "input {input:?}");
        let diag_code = Diagnostic::code(&err).map(|c| c.to_string());
        assert_eq!(diag_code.as_deref(), Some(err.code()), "input {input:?}");
        assert_eq!(err.to_string(), *message, "input {input:?}");
        assert_eq!(err.range(), *range, "input {input:?}");
    }
}

fn modifier(m: &str) -> String {
    format!("unsupported modifier ({m}) in substitution")
}

#[test]
fn pattern_operator_errors() {
    for (input, m, range) in [
        ("${x:#a}", ":#", 3..5),
        ("${x:##a}", ":#", 3..5),
        ("${x:%a}", ":%", 3..5),
        ("${x:%%}", ":%", 3..5),
    ] {
        check_errors(&[(input, MODIFIER, &modifier(m), range)]);
    }
    // (input, pattern as reported, bad escape, range of the pattern)
    for (input, pattern, bad, range) in [
        (r"${x#\a}", r"\a", 'a', 4..6),
        (r"${x##\a}", r"\a", 'a', 5..7),
        (r"${x#\$}", r"\$", '$', 4..6),
        (r"${x#\#}", r"\#", '#', 4..6),
        // Suffix patterns are reported reversed, as BuildKit does.
        (r"${x%a\b}", r"\ba", 'b', 4..7),
        (r"${x/\q/r}", r"\q", 'q', 4..6),
    ] {
        let message =
            format!(r"invalid pattern ({pattern}) in substitution: invalid escape '\{bad}'");
        check_errors(&[(input, "invalid-pattern", &message, range)]);
    }
    check_errors(&[
        ("${x//}", SLASH, MISSING_SLASH, 0..6),
        ("${x//w}", SLASH, MISSING_SLASH, 0..7),
        ("${x/a", SLASH, MISSING_SLASH, 0..5),
        ("${x/a/b", BRACE, MISSING_BRACE, 0..7),
    ]);
}

#[test]
fn backtick_escape() {
    let bt = Lexer::new('`');
    check_words(
        bt,
        &[
            ("a`$PWD", "a$PWD"),
            (r"a\b", r"a\b"),
            (r#""a\""#, r"a\"),
            ("\"a`\"b\"", "a\"b"),
            ("\"a`b\"", "a`b"),
            ("\"a``b\"", "a`b"),
            ("a`", "a"),
            ("``", "`"),
            ("a` b", "a b"),
            ("'a`b'", "a`b"),
            ("${nope:-`}}", "}"),
            // In patterns `\` is the glob escape whatever the escape character.
            (r"${y#\*}", "a*"),
            ("${w#`*}", "ab"),
            ("${y#`*}", "*a*"),
        ],
    );
    assert_eq!(words_with(bt, "a` b c"), ["a b", "c"]);
    assert_eq!(bt.options().escape, '`');
}

#[test]
fn option_skip_unset_env() {
    let lexer = Lexer::with_options(Options {
        skip_unset_env: true,
        ..Options::default()
    });
    check_words(
        lexer,
        &[
            ("$nope", "$nope"),
            ("${nope}", "${nope}"),
            ("$1$@", "$1$@"),
            ("${nope:-x $PWD}", "${nope:-x /home}"),
            ("${nope?}", "${nope?}"),
            ("${nope:?msg}", "${nope:?msg}"),
            (r"${nope#\*}", r"${nope#\*}"),
            (r"${nope#\q}", r"${nope#\q}"),
            ("${nope//a/b}", "${nope/a/b}"),
            ("${nope:=w}", "${nope:=w}"),
            ("${PWD}:$PWD", "/home:/home"),
            ("${E:-d}", "d"),
        ],
    );
    assert!(lexer.process_word("${PWD:=w}", &ENV).is_err());
    assert!(lexer.process_word("${nope=w}", &ENV).is_err());
    assert_eq!(words_with(lexer, "${nope:-a b}"), ["${nope:-a", "b}"]);
}

#[test]
fn option_raw_quotes() {
    let lexer = Lexer::with_options(Options {
        raw_quotes: true,
        ..Options::default()
    });
    check_words(
        lexer,
        &[(r#"'a b'"c $PWD""#, r#"'a b'"c /home""#), ("''", "''")],
    );
    assert_eq!(words_with(lexer, r#"a "b c""#), ["a", "\"b c\""]);
    assert_eq!(words_with(lexer, r#""""#), ["\"\""]);
}

#[test]
fn option_raw_escapes() {
    let lexer = Lexer::with_options(Options {
        raw_escapes: true,
        ..Options::default()
    });
    check_words(
        lexer,
        &[
            (r"a\ b", r"a\ b"),
            (r"a\", r"a\"),
            (r#""a\"b""#, r#"a\"b"#),
            // Upstream writes a non-escaping backslash twice in raw mode.
            (r#""a\b""#, r"a\\b"),
            (r"\$PWD", r"\$PWD"),
            // `-`, `+` and `?` operands always process escapes.
            (r"${nope:-\$x}", "$x"),
        ],
    );
    assert_eq!(words_with(lexer, r"a\ b c"), [r"a\ b", "c"]);
}

#[test]
fn option_skip_process_quotes() {
    let lexer = Lexer::with_options(Options {
        skip_process_quotes: true,
        ..Options::default()
    });
    check_words(
        lexer,
        &[
            (r#"'$PWD' "x""#, r#"'/home' "x""#),
            ("it's", "it's"),
            (r"\$PWD \\", r"$PWD \"),
            ("a\\\nb", "a\nb"),
            (r#"${nope:-"a}"#, "\"a"),
        ],
    );
}

#[test]
fn word_splitting() {
    let l = lexer();
    let cases: &[(&str, &[&str])] = &[
        ("", &[]),
        ("   ", &[]),
        (r#""""#, &[]),
        (r#"a "" b"#, &["a", "b"]),
        (r#"'' """#, &[]),
        (r#""a b"c"#, &["a bc"]),
        ("$SP", &["x", "y"]),
        ("\"$SP\"", &["x  y"]),
        ("a${SP}b", &["ax", "yb"]),
        ("a\tb\nc\u{a0}d", &["a", "b", "c", "d"]),
        (r"a\ b", &["a b"]),
        ("${nope:-a b}", &["a", "b"]),
        ("$E", &[]),
        // `<<` and the blanks after it stay attached to the next word.
        ("cat << EOF x", &["cat", "<< EOF", "x"]),
        ("a <b", &["a", "<b"]),
        // Upstream quirk: an operator substitution drops the partial word
        // collected before it.
        ("a b${nope:-c}d", &["a", "cd"]),
        ("80/${nope:-tcp}", &["tcp"]),
        ("pre\"${nope:-x}\"", &["x"]),
        ("pre${PWD}", &["pre/home"]),
    ];
    for &(input, expected) in cases {
        assert_eq!(words_with(l, input), expected, "input {input:?}");
    }
    assert_eq!(word_with(l, "cat << EOF x"), "cat << EOF x");
}

#[test]
fn used_vars() {
    let env = [("A", "1"), ("C", "")];
    let out = lexer()
        .process_word("$A ${B} ${C:-$D} $A ${B:+x}", &env)
        .unwrap();
    assert_eq!(out.value, "1   1 ");
    assert_eq!(
        out.used,
        Vars {
            matched: vec!["A".into(), "C".into()],
            unmatched: vec!["B".into(), "D".into()]
        }
    );

    let out = lexer().process_word("$1 $@ ${#:-x} $pwd", &ENV).unwrap();
    assert_eq!(out.used.unmatched, ["1", "@", "#", "pwd"]);
    assert!(out.used.matched.is_empty());

    let out = lexer().process_word("${x/$P/$PWD}${+n}", &ENV).unwrap();
    assert_eq!(out.value, "/home");
    assert_eq!(out.used.matched, ["x", "P", "PWD"]);
    assert_eq!(out.used.unmatched, [""]);

    let out = lexer().process_words("$SP $nope", &ENV).unwrap();
    assert_eq!(
        out.used,
        Vars {
            matched: vec!["SP".into()],
            unmatched: vec!["nope".into()]
        }
    );

    let refs = lexer()
        .referenced_vars(r"${X:?} ${Y#\q} $Z ${X} '$Q'")
        .unwrap();
    assert_eq!(refs, ["X", "Y", "Z"]);
    assert_eq!(
        lexer().referenced_vars("${").unwrap_err().code(),
        "slipway::shell::missing-brace"
    );
}

#[test]
fn env_implementations() {
    let lexer = lexer();
    let input = "$A-${B}";
    let hash: HashMap<String, String> = HashMap::from([("A".into(), "1".into())]);
    let tree: BTreeMap<&str, &str> = BTreeMap::from([("A", "1"), ("B", "2")]);
    let pairs: &[(&str, &str)] = &[("A", "1"), ("A", "3"), ("B", "")];
    let vec = vec![("B".to_owned(), "2".to_owned())];
    let values = ["1", "2"];
    let closure = EnvFn::new(|name| match name {
        "A" => Some(values[0]),
        _ => None,
    });
    let value = |env: &dyn Env| lexer.process_word(input, env).unwrap().value;
    assert_eq!(value(&hash), "1-");
    assert_eq!(value(&tree), "1-2");
    assert_eq!(value(&pairs), "3-");
    assert_eq!(value(&vec), "-2");
    assert_eq!(value(&[("B", "x")]), "-x");
    assert_eq!(value(&closure), "1-");
    assert_eq!(value(&EmptyEnv), "-");
}

#[test]
fn unicode_and_odd_input() {
    check_words(
        lexer(),
        &[
            ("$한", ""),
            ("$€", "$€"),
            ("a$", "a$"),
            ("$٣x", "x"),
            ("$nope²", "²"),
            ("\u{FEFF}$PWD", "/home"),
            ("a\u{FEFF}b", "a\u{FEFF}b"),
            ("$(echo hi)`x`", "$(echo hi)`x`"),
            ("a\0b", "a\0b"),
        ],
    );
}

const BRACE: &str = "missing-brace";
const BAD: &str = "bad-substitution";
const QUOTE: &str = "unterminated-quote";
const MODIFIER: &str = "unsupported-modifier";
const UNSET: &str = "unset-variable";
const SLASH: &str = "missing-slash";
const MISSING_SLASH: &str = "syntax error: missing '/' in ${}";
const MISSING_BRACE: &str = "syntax error: missing '}'";
const BAD_SUBST: &str = "syntax error: bad substitution";
const SINGLE: &str = "unexpected end of statement while looking for matching single-quote";
const DOUBLE: &str = "unexpected end of statement while looking for matching double-quote";

#[test]
fn error_messages_and_ranges() {
    check_errors(&[
        ("ab'cd", QUOTE, SINGLE, 2..5),
        ("x\"y", QUOTE, DOUBLE, 1..3),
        ("a${b", BRACE, MISSING_BRACE, 1..4),
        ("a${", BRACE, MISSING_BRACE, 1..3),
        ("${x:", BRACE, MISSING_BRACE, 0..4),
        ("${x:}", BRACE, MISSING_BRACE, 0..5),
        ("${x:-${y}", BRACE, MISSING_BRACE, 0..9),
        // An error inside an operand at the end of input becomes "missing }".
        ("${x:-\"abc}", BRACE, MISSING_BRACE, 0..10),
        ("${x:-${y:?}", BRACE, MISSING_BRACE, 0..11),
        ("${}", BAD, BAD_SUBST, 0..3),
        ("a${:x}", BAD, BAD_SUBST, 1..4),
        ("${{x}", BAD, BAD_SUBST, 0..3),
        ("${nope?}", UNSET, "nope: is not allowed to be unset", 0..8),
        ("pre${E:?}", UNSET, "E: is not allowed to be empty", 3..9),
        ("${nope:?custom $PWD}", UNSET, "nope: custom /home", 0..20),
        (
            "${nope:-${nada:?}}z",
            UNSET,
            "nada: is not allowed to be unset",
            8..17,
        ),
    ]);
    for (input, m, range) in [
        ("${x=y}", "=", 3..4),
        ("${x:=y}", ":=", 3..5),
        ("${x:1}", ":1", 3..5),
        ("${#x}", "x", 3..4),
        ("${.}", ".", 2..3),
        ("${€}", "€", 2..5),
    ] {
        check_errors(&[(input, MODIFIER, &modifier(m), range)]);
    }
    assert_eq!(
        error("${nope?}"),
        ShellError::UnsetVariable {
            name: "nope".into(),
            message: "is not allowed to be unset".into(),
            range: 0..8
        }
    );
}

fn nested(levels: usize, body: &str) -> String {
    format!("{}{body}{}", "${a:-".repeat(levels), "}".repeat(levels))
}

/// Words that grow without bound end in an error, not in running out of
/// memory (found by fuzzing: BuildKit itself has no limit).
#[test]
fn expansion_limit() {
    // `${x//` with an empty pattern puts the replacement around every
    // character: nested, each level multiplies the length by six.
    let doubling = format!("{}r{}", "${x///".repeat(20), "}".repeat(20));
    let err = error(&doubling);
    assert!(
        matches!(err, ShellError::ExpansionTooLarge { limit, .. } if limit == MAX_EXPANSION),
        "{err:?}"
    );
    assert_eq!(err.code(), "slipway::shell::expansion-too-large");
    // Fewer levels stay small enough.
    let three = format!("{}r{}", "${x///".repeat(3), "}".repeat(3));
    assert!(lexer().process_word(&three, &ENV).is_ok());

    // A variable repeated until the word is too long.
    let big = "v".repeat(MAX_EXPANSION / 4 + 1);
    let env: HashMap<String, String> = [("B".to_owned(), big)].into_iter().collect();
    let err = lexer().process_word("$B$B$B$B", &env).unwrap_err();
    assert_eq!(
        err,
        ShellError::ExpansionTooLarge {
            limit: MAX_EXPANSION,
            range: 6..8
        }
    );
    assert!(lexer().process_word("$B$B$B", &env).is_ok());
    let quoted = lexer().process_word("\"$B$B$B$B\"", &env).unwrap_err();
    assert!(matches!(quoted, ShellError::ExpansionTooLarge { .. }));
}

#[test]
fn nesting_limit() {
    assert_eq!(word_with(lexer(), &nested(MAX_NESTING, "x")), "x");
    let err = error(&nested(MAX_NESTING + 1, "x"));
    let at = MAX_NESTING * 5;
    assert_eq!(
        err,
        ShellError::NestingTooDeep {
            limit: MAX_NESTING,
            range: at..at + 2
        }
    );
    for depth in [10_000, 100_000] {
        assert!(matches!(
            error(&nested(depth, "x")),
            ShellError::NestingTooDeep { .. }
        ));
        let quoted = "${a:-\"".repeat(depth);
        assert!(matches!(error(&quoted), ShellError::NestingTooDeep { .. }));
    }
}

#[test]
fn long_inputs_are_fast() {
    let input = "a$PWD ".repeat(50_000);
    let out = lexer().process_words(&input, &ENV).unwrap();
    assert_eq!(out.words.len(), 50_000);
    let long = "ab".repeat(50_000);
    let env = [("L", long.as_str())];
    let out = lexer()
        .process_word("${L//a/-}${L##*b}${L%%a*}", &env)
        .unwrap();
    assert_eq!(out.value, "-b".repeat(50_000));
}

fn options() -> impl Strategy<Value = Options> {
    (
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
        any::<bool>(),
    )
        .prop_map(
            |(bt, skip_unset_env, raw_quotes, raw_escapes, skip_process_quotes)| Options {
                escape: if bt { '`' } else { '\\' },
                skip_unset_env,
                raw_quotes,
                raw_escapes,
                skip_process_quotes,
            },
        )
}

fn check_no_panic(opts: Options, input: &str) {
    let lexer = Lexer::with_options(opts);
    let results = [
        lexer.process_word(input, &ENV).err(),
        lexer.process_words(input, &ENV).err(),
        lexer.referenced_vars(input).err(),
    ];
    for err in results.into_iter().flatten() {
        let r = err.range();
        assert!(
            r.start <= r.end && r.end <= input.len(),
            "{err:?} for {input:?}"
        );
        assert!(input.is_char_boundary(r.start) && input.is_char_boundary(r.end));
    }
}

proptest! {
    #[test]
    fn random_text_never_panics(opts in options(), input in "\\PC{0,40}") {
        check_no_panic(opts, &input);
    }

    #[test]
    fn shell_like_text_never_panics(
        opts in options(),
        input in "[${}:+?#%/\\\\`'\"<\\- \nxPWD한€*]{0,40}",
    ) {
        check_no_panic(opts, &input);
    }

    #[test]
    fn plain_text_is_unchanged(input in "[a-zA-Z0-9_./,=@-]{0,40}") {
        prop_assert_eq!(word_with(lexer(), &input), input);
    }

    #[test]
    fn deep_nesting_is_an_error(depth in (MAX_NESTING + 1)..3000) {
        let err = lexer().process_word(&nested(depth, "x"), &EmptyEnv).unwrap_err();
        prop_assert!(matches!(err, ShellError::NestingTooDeep { .. }), "{:?}", err);
    }
}
