//! The linter: one fixture per rule under `tests/fixtures/lint/`, each
//! opening with a comment that lists the lines expected to fire (and cases
//! that must not), with an `insta` snapshot of the findings; and the
//! registry's invariants (every rule documented with the required
//! sections, names unique).
//!
//! Snapshots of BuildKit rules' fixtures show only BuildKit rules' findings
//! (so they stay comparable with `docker build --check`); those of
//! slipway's own rules show every finding. ShellCheck runs only for
//! `shellcheck*.Dockerfile`, which need the `shellcheck` program
//! (`scripts/install-deps`).

use std::collections::HashSet;
use std::path::Path;

use slipway::lint::rules::platform::invalid_base_image_platform::BaseImagePlatform;
use slipway::lint::shellcheck::shellcheck_available;
use slipway::lint::{CheckConfig, LintOptions, RULES, Rule, lint};
use slipway::text::LineIndex;

/// The findings of a fixture, one per line: `line:col rule: message`.
fn check(source: &str, options: &LintOptions) -> String {
    render(source, options, false)
}

/// Like [`check`]; with `buildkit_only`, findings of slipway's own rules
/// are left out.
fn render(source: &str, options: &LintOptions, buildkit_only: bool) -> String {
    let result = lint(source, options);
    let index = LineIndex::new(source);
    let mut out = String::new();
    let own = |code: &str| Rule::from_code(code).is_some_and(|r| r.info().buildkit.is_none());
    for d in result
        .errors
        .iter()
        .chain(&result.findings)
        .filter(|d| !(buildkit_only && own(d.code)))
    {
        let lc = index.line_col(d.range.start());
        let (_, last) = index.lines(d.range);
        out += &format!(
            "{}:{}-{} {}: {}\n",
            lc.line, lc.column, last, d.code, d.message
        );
    }
    out
}

/// The options a fixture is linted with: ShellCheck only for the
/// `shellcheck` fixtures, trusted registries, `.dockerignore` patterns and
/// resolved base-image platforms for the rules that need them.
fn fixture_options(name: &str) -> LintOptions {
    let mut options = LintOptions::default();
    if name.starts_with("shellcheck") {
        assert!(
            shellcheck_available(),
            "the shellcheck program is missing; run scripts/install-deps (or scripts/test)"
        );
    } else {
        options.ignore.insert(Rule::Shellcheck(0));
    }
    if name == "untrusted-base-image-registry" {
        options.trusted_registries = vec!["docker.io".to_owned(), "*.example.com".to_owned()];
    }
    let dockerignore: &[u8] = match name {
        "copy-ignored-file" => b"# docs\n*.md\nnode_modules\n**/secret.txt\nbuild/**\n/tmp\n",
        "copy-ignored-file-with-exceptions" => b"*.md\n!README.md\n",
        "copy-ignored-file-everything" => b"*\n",
        _ => b"",
    };
    if !dockerignore.is_empty() {
        options.dockerignore = Some(slipway::ir::dockerignore::parse(dockerignore));
    }
    if name == "invalid-base-image-platform" {
        let resolved = |stage, image: &str, expected: &str, actual: &str| BaseImagePlatform {
            stage,
            image: image.to_owned(),
            expected: expected.to_owned(),
            actual: actual.to_owned(),
        };
        options.base_image_platforms = Some(vec![
            resolved(0, "example/arm64-only:1", "linux/amd64", "linux/arm64"),
            resolved(1, "alpine:3.20", "linux/amd64", "linux/amd64"),
            resolved(2, "alpine:3.20", "linux/arm/v6", "linux/arm/v7"),
        ]);
    }
    options
}

/// The findings of the fixture `name` (file stem), as snapshotted.
fn fixture(name: &str, source: &str) -> String {
    let own_rule = RULES.iter().any(|i| i.name == name && i.buildkit.is_none());
    let own = own_rule || name.starts_with("shellcheck") || name.starts_with("shell-");
    render(source, &fixture_options(name), !own)
}

#[test]
fn fixtures() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint");
    insta::with_settings!({snapshot_path => "../snapshots", prepend_module_to_snapshot => true}, {
        insta::glob!(&dir, "*.Dockerfile", |path| {
            let source = std::fs::read_to_string(path).expect("fixture");
            let name = path.file_stem().and_then(|s| s.to_str()).unwrap_or("");
            insta::assert_snapshot!(fixture(name, &source));
        });
    });
}

#[test]
fn every_rule_has_a_fixture() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint");
    for info in RULES {
        let path = dir.join(format!("{}.Dockerfile", info.name));
        let source =
            std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let found = fixture(info.name, &source);
        let code = if info.name == "shellcheck" {
            "slipway::lint::SC"
        } else {
            info.code
        };
        assert!(
            found.contains(code),
            "{} does not fire on its own fixture",
            info.name
        );
    }
}

/// Each of slipway's own rules fires on the lines its fixture's header
/// lists after `Expected: lines`, and on no other line.
#[test]
fn own_fixtures_fire_on_the_lines_they_list() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fixtures/lint");
    let mut checked = 0;
    for info in RULES.iter().filter(|i| i.buildkit.is_none()) {
        let path = dir.join(format!("{}.Dockerfile", info.name));
        let source = std::fs::read_to_string(&path).expect("fixture");
        // The header is the first comment line, or the second after a
        // `# check=` directive; the list ends at the first `;`.
        let Some(list) = source
            .lines()
            .take(2)
            .find_map(|l| l.split("Expected: lines ").nth(1))
        else {
            panic!("{}: no `Expected: lines` header", info.name);
        };
        let expected: Vec<u32> = list
            .split(';')
            .next()
            .unwrap_or("")
            .split(|c: char| !c.is_ascii_digit())
            .filter_map(|s| s.parse().ok())
            .collect();
        let result = lint(&source, &fixture_options(info.name));
        let index = LineIndex::new(&source);
        let family = |code: &str| {
            if info.name == "shellcheck" {
                code.starts_with("slipway::lint::SC")
            } else {
                code == info.code
            }
        };
        let mut lines: Vec<u32> = result
            .findings
            .iter()
            .filter(|d| family(d.code))
            .map(|d| index.line_col(d.range.start()).line)
            .collect();
        lines.dedup();
        assert_eq!(lines, expected, "{}", info.name);
        checked += 1;
    }
    assert!(checked >= 20, "only {checked} own rules");
}

#[test]
fn every_rule_doc_has_the_required_sections() {
    for info in RULES {
        for section in ["## What it does", "## Why is this bad?", "## Example"] {
            assert!(
                info.doc.contains(section),
                "{}: missing {section}",
                info.name
            );
        }
        let example = &info.doc[info.doc.find("## Example").unwrap_or(0)..];
        assert!(
            example.contains("Use instead:"),
            "{}: no \"Use instead:\"",
            info.name
        );
    }
}

#[test]
fn registry_names_are_unique_and_resolvable() {
    let mut seen = HashSet::new();
    for info in RULES {
        assert!(seen.insert(info.id) && seen.insert(info.name) && seen.insert(info.code));
        assert_eq!(info.code, format!("slipway::lint::{}", info.name));
        assert_eq!(info.rule.info().id, info.id);
        for name in [Some(info.id), Some(info.name), info.buildkit]
            .into_iter()
            .flatten()
        {
            assert_eq!(Rule::from_name(name), Some(info.rule), "{name}");
        }
    }
    assert_eq!(Rule::from_name("jsonargsrecommended"), None);
}

#[test]
fn check_option_replaces_the_directive() {
    let source = "# check=error=true\nFROM alpine:3.20 as x\nCMD echo hi\n";
    let file = lint(source, &LintOptions::default());
    assert!(file.error_on_findings);
    assert_eq!(file.findings.len(), 2);

    let skip_all = LintOptions {
        check: Some("skip=all".to_owned()),
        ..LintOptions::default()
    };
    let result = lint(source, &skip_all);
    assert!(!result.error_on_findings);
    assert_eq!(check(source, &skip_all), "");

    let one = LintOptions {
        check: Some("skip=FromAsCasing".to_owned()),
        ..LintOptions::default()
    };
    assert_eq!(
        check(source, &one),
        "3:1-3 slipway::lint::json-args-recommended: JSON arguments recommended for CMD to \
         prevent unintended behavior related to OS signals\n"
    );
}

#[test]
fn invalid_check_directive_is_an_error() {
    let out = check("# check=skip\nFROM alpine:3.20\n", &LintOptions::default());
    assert_eq!(
        out,
        "1:9-1 slipway::lint::invalid-check-option: invalid check option \"skip\"\n"
    );
    assert_eq!(
        CheckConfig::parse("skip=all;experimental=X;error=1"),
        Ok(CheckConfig {
            skip_all: true,
            experimental: ["X".to_owned()].into(),
            error: true,
            ..CheckConfig::default()
        })
    );
}

#[test]
fn shellcheck_codes_are_rules() {
    let rule = Rule::from_name("SC2086").expect("SC2086 is a rule");
    assert_eq!(rule, Rule::Shellcheck(2086));
    let info = rule.info();
    assert_eq!(
        (info.id, info.name, info.code, info.hadolint),
        ("SC2086", "SC2086", "slipway::lint::SC2086", Some("SC2086"))
    );
    assert_eq!(Rule::from_code("slipway::lint::SC2086"), Some(rule));
    assert_eq!(
        Rule::from_code("slipway::lint::untagged-base-image"),
        Some(Rule::UntaggedBaseImage)
    );
    assert_eq!(Rule::from_name("shellcheck"), Some(Rule::Shellcheck(0)));
    assert_eq!(Rule::from_name("SW045"), Some(Rule::Shellcheck(0)));
    for bad in ["SC12", "SC0999", "SC20866", "sc2086", "SCabcd"] {
        assert_eq!(Rule::from_name(bad), None, "{bad}");
    }
    assert_eq!(Rule::from_hadolint("DL3006"), [Rule::UntaggedBaseImage]);
    assert_eq!(Rule::from_hadolint("SC2086"), [rule]);
    assert!(Rule::from_hadolint("DL9999").is_empty());
}

#[test]
fn shellcheck_codes_are_skipped_one_by_one_or_all_together() {
    assert!(
        shellcheck_available(),
        "the shellcheck program is missing; run scripts/install-deps (or scripts/test)"
    );
    let body = "FROM debian:12\nRUN echo $undefined_x\n";
    let codes = |check: &str, options: &LintOptions| {
        let source = format!("{check}{body}");
        let result = lint(&source, options);
        assert!(!result.shellcheck_missing);
        result
            .findings
            .iter()
            .map(|d| d.code)
            .filter(|c| c.starts_with("slipway::lint::SC"))
            .collect::<Vec<_>>()
    };
    let all = LintOptions::default();
    assert_eq!(
        codes("", &all),
        ["slipway::lint::SC2086", "slipway::lint::SC2154"]
    );
    assert_eq!(
        codes("# check=skip=SC2086\n", &all),
        ["slipway::lint::SC2154"]
    );
    assert!(codes("# check=skip=shellcheck\n", &all).is_empty());
    let mut ignore_one = LintOptions::default();
    ignore_one.ignore.insert(Rule::Shellcheck(2154));
    assert_eq!(codes("", &ignore_one), ["slipway::lint::SC2086"]);
    let mut off = LintOptions::default();
    off.ignore.insert(Rule::Shellcheck(0));
    assert!(codes("", &off).is_empty());
    let selected = LintOptions {
        select: Some([Rule::Shellcheck(2154)].into()),
        ..LintOptions::default()
    };
    assert_eq!(codes("", &selected), ["slipway::lint::SC2154"]);
}

#[test]
fn shellcheck_findings_carry_severity_and_help() {
    let source = "FROM debian:12\nRUN if true; then echo\n";
    let result = lint(source, &LintOptions::default());
    let d = result
        .findings
        .iter()
        .find(|d| d.code.starts_with("slipway::lint::SC"))
        .expect("a ShellCheck finding");
    assert!(d.is_error(), "{d:?}");
    assert!(
        d.help
            .as_deref()
            .unwrap_or("")
            .contains("shellcheck.net/wiki/SC")
    );
}

proptest::proptest! {
    /// Whatever a RUN body holds (quotes, heredocs, pipes, continuations,
    /// multi-byte text), the rules that read shell code do not panic and
    /// report inside the source.
    #[test]
    fn shell_rules_never_panic(
        body in "[a-z \\t'\"$(){}`|&;<>#=é\\\\\\n-]{0,80}",
        shell in proptest::sample::select(vec!["", "SHELL [\"/bin/bash\", \"-c\"]\n"]),
    ) {
        let source = format!("FROM debian:12\n{shell}RUN apt-get install {body}\nRUN <<EOF\n{body}\nEOF\n");
        let mut options = LintOptions::default();
        options.ignore.insert(Rule::Shellcheck(0));
        let result = lint(&source, &options);
        for d in &result.findings {
            proptest::prop_assert!(d.range.end() <= source.len());
            proptest::prop_assert!(source.is_char_boundary(d.range.start()));
        }
    }
}
