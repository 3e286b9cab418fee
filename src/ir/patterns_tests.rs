//! Pattern semantics checked against `moby/patternmatcher`'s documented
//! behaviour and Go's `filepath.Match`/`filepath.Clean`.

use super::*;

/// Every way of asking gives the same verdict: with parent results built
/// up directory by directory, without them, and the parent-match helper.
fn check(patterns: &[&str], path: &str, want: bool) {
    let pm = PatternMatcher::new(patterns).expect("valid patterns");
    let direct = pm.matches_or_parent_matches(path).expect("matches");
    assert_eq!(direct, want, "{patterns:?} on {path:?} (or-parent)");
    let (no_ctx, _) = pm
        .matches_using_parent_results(path, &MatchInfo::default())
        .expect("matches");
    assert_eq!(no_ctx, want, "{patterns:?} on {path:?} (no context)");
    let mut info = MatchInfo::default();
    if let Some((dir, _)) = path.rsplit_once('/') {
        let parts: Vec<&str> = dir.split('/').collect();
        for i in 1..=parts.len() {
            info = pm
                .matches_using_parent_results(&parts[..i].join("/"), &info)
                .expect("matches")
                .1;
        }
    }
    let (walked, _) = pm
        .matches_using_parent_results(path, &info)
        .expect("matches");
    assert_eq!(walked, want, "{patterns:?} on {path:?} (walked)");
}

#[test]
fn single_patterns() {
    let cases: &[(&str, &str, bool)] = &[
        ("**", "file", true),
        ("**", "dir/file", true),
        ("**/", "file", true),
        ("**/**", "dir/file", true),
        ("dir/**", "dir/file", true),
        ("dir/**", "dir/dir2/file", true),
        ("**/dir", "dir", true),
        ("**/dir", "dir/file", true),
        ("**/dir2/*", "dir/dir2/file", true),
        ("**/dir2/**", "dir/dir2/dir3/file", true),
        ("**file", "file", true),
        ("**file", "dir/file", true),
        ("**file", "dir/myfile", true),
        ("**/file", "dir/dir/file", true),
        ("**/file*", "dir/dir/file.txt", true),
        ("**/file*.txt", "dir/dir/file.txt", true),
        ("**/**/*.txt", "dir/dir/file.txt", true),
        ("**/**/*.txt2", "dir/dir/file.txt", false),
        ("**/*.txt", "file.txt", true),
        ("a**/*.txt", "a/dir/dir/file.txt", true),
        ("a/*.txt", "a/dir/file.txt", false),
        ("a/*.txt", "a/file.txt", true),
        ("a[b-d]e", "ace", true),
        ("a[b-d]e", "aae", false),
        ("a[^b-d]e", "aze", true),
        ("a[^b]c", "a/c", true),
        (".*", ".foo", true),
        (".*", "foo", false),
        ("abc.def", "abcdef", false),
        ("abc?def", "abcZdef", true),
        ("abc?def", "abcdef", false),
        ("abc?def", "abc/def", false),
        ("a\\\\", "a\\", true),
        ("a\\*b", "a*b", true),
        ("a\\*b", "axb", false),
        ("**/foo/bar", "dir/dir2/foo/bar", true),
        ("abc/**", "abc", false),
        ("abc/**", "abc/def/ghi", true),
        ("**/.foo", "bar.foo", false),
        ("a(b)c/def", "a(b)c/def", true),
        ("a.|)$(}+{bc", "a.|)$(}+{bc", true),
        (
            "dist/*.whl",
            "dist/proxy.py-2.4.0rc3.dev36+g08acad9-py3-none-any.whl",
            true,
        ),
        ("a*b*c*d*e*/f", "axbxcxdxe/f", true),
        ("a*b*c*d*e*/f", "axbxcxdxe/xxx/f", false),
        ("a*b?c*x", "abxbbxdbxebxczzx", true),
        ("a*b?c*x", "abxbbxdbxebxczzy", false),
        ("a?b", "a☺b", true),
        ("a???b", "a☺b", false),
        ("[a-ζ]*", "α", true),
        ("*[a-ζ]", "A", false),
        ("[\\]a]", "]", true),
        ("[x\\-]", "-", true),
        ("[x\\-]", "z", false),
        // Cleaning: trailing slash, dot segments, parent directories.
        ("docs/", "docs/README.md", true),
        ("./docs/../src//lib", "src/lib/x.rs", true),
        // A leading slash stays in the pattern and matches nothing relative.
        ("/docs", "docs", false),
        // A literal `^` compares as text, an anchor inside a regexp.
        ("^a", "^a", true),
        ("^a*", "abc", true),
        // A pattern for a directory matches everything below it.
        ("node_modules", "node_modules/x/y.js", true),
        ("*/tmp", "a/tmp/b/c", true),
    ];
    for &(pattern, path, want) in cases {
        check(&[pattern], path, want);
    }
}

#[test]
fn exceptions_apply_in_order() {
    check(&["docs", "!docs/README.md"], "docs/README.md", false);
    check(&["docs/*", "!docs/README.md"], "docs/README.md", false);
    check(&["docs", "!docs/README.md"], "docs/other.md", true);
    check(&["!fileutils.go", "*.go"], "fileutils.go", true);
    check(&["*.go", "!fileutils.go"], "fileutils.go", false);
    check(&["**", "!util/docker/web"], "util/docker/web/foo", false);
    check(
        &["**", "!util/docker/web", "util/docker/web/foo"],
        "util/docker/web/foo",
        true,
    );
    check(&["**", "!dist/*.whl"], "dist/a-1.0-py3-none-any.whl", false);
    check(&["**/*.md", "!**/keep/*.md"], "a/keep/x.md", false);
    check(&["**/*.md", "!**/keep/*.md"], "a/drop/x.md", true);
}

#[test]
fn malformed_patterns_are_refused() {
    for p in [
        "[", "[^", "[^bc", "a[", "\\", "[]a]", "[-]", "[x-]", "[-x]", "[a-b-c]",
    ] {
        let err = PatternMatcher::new(&[p]).expect_err(p);
        assert_eq!(err.reason, "syntax error in pattern", "{p}");
    }
    let err = PatternMatcher::new(&["  !  "]).expect_err("lone !");
    assert!(err.reason.contains("illegal exclusion"), "{err}");
    // Valid for filepath.Match, but not as a regular expression: accepted,
    // then every match reports the error (upstream compiles lazily).
    let pm = PatternMatcher::new(&["[Local-Only]/"]).expect("accepted");
    assert!(pm.matches_or_parent_matches("x").is_err());
    assert!(pm.matches_or_parent_matches("x").is_err());
}

#[test]
fn empty_patterns_are_dropped_and_exceptions_noted() {
    let pm = PatternMatcher::new(&["docs", "", "   ", "  !docs/README.md  "]).expect("valid");
    let texts: Vec<(&str, bool)> = pm
        .patterns()
        .iter()
        .map(|p| (p.as_str(), p.is_exclusion()))
        .collect();
    assert_eq!(texts, [("docs", false), ("docs/README.md", true)]);
    assert!(pm.has_exclusions());
    assert!(!PatternMatcher::new(&["a"]).expect("valid").has_exclusions());
}

#[test]
fn go_clean() {
    for (input, want) in [
        ("", "."),
        (".", "."),
        ("a/", "a"),
        ("a//b", "a/b"),
        ("./a/./b/", "a/b"),
        ("a/../..", ".."),
        ("../a/../../b", "../../b"),
        ("/../a", "/a"),
        ("/", "/"),
        ("!a/", "!a"),
    ] {
        assert_eq!(crate::ir::paths::clean(input), want, "{input:?}");
    }
}

#[test]
fn go_filepath_match() {
    for (pattern, name, want) in [
        ("abc", "abc", true),
        ("*", "abc", true),
        ("*c", "abc", true),
        ("a*", "ab/c", false),
        ("a*/b", "abc/b", true),
        ("a*/b", "a/c/b", false),
        ("ab[^e-g]", "abc", true),
        ("ab[e-g]", "abc", false),
        ("a\\*b", "ab", false),
        ("*x", "xxx", true),
        ("Dockerfile*", "Dockerfile.dev", true),
    ] {
        assert_eq!(glob_match(pattern, name), Ok(want), "{pattern} {name}");
    }
    assert!(glob_match("a[", "x").is_err());
    assert!(glob_match("*[", "x").is_err());
}

#[test]
fn ignore_file_lines() {
    let text = "\u{feff}# comment\n\n  /build/  \n! /keep/me\n#not\n !x\nsub/../y\n/\n";
    assert_eq!(
        crate::ir::dockerignore::parse(text.as_bytes()),
        ["build", "!keep/me", "!x", "y", "/"]
    );
}
