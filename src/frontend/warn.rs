//! Build checks as BuildKit's Dockerfile frontend reports them: the
//! findings of [`crate::lint`] turned into BuildKit's warnings (rule name,
//! description, URL, message, one line range per line of the instruction),
//! in the order BuildKit emits them, and the `Warn` requests that show them
//! to the client during a build.
//!
//! # When BuildKit emits a check
//!
//! BuildKit runs its checks while it converts the Dockerfile, so the order
//! of its warnings (and which ones exist when conversion stops at an error)
//! follows the conversion's phases ([`Phase`]): the parser's empty
//! continuation lines; per instruction while parsing (`MAINTAINER`, stage
//! name and `AS` casing); stage names; instruction casing; FROM with the
//! global ARG defaults; each stage's FROM with the build's arguments; then
//! every command of every dispatched stage. Only that last phase depends on
//! the target: a build dispatches the stages the target needs, the check
//! subrequest without a target dispatches them all. Slipway's linter
//! reports in source order, so each finding gets the [`Emission`] point
//! BuildKit would have reported it at.
//!
//! Builds send warnings for the first platform only, as BuildKit does.

use std::collections::BTreeSet;

use crate::diagnostics::Diagnostic;
use crate::lint::{self, LintOptions, RULES};
use crate::proto::gateway::WarnRequest;
use crate::proto::pb;
use crate::syntax::instructions::parse_instructions;
use crate::syntax::parse;
use crate::syntax::tree::{Node, SyntaxTree};
use crate::text::{LineIndex, TextRange};

use super::bridge::Bridge;
use super::dockerfile::Dockerfile;

/// BuildKit's description of each check it has (what `--call=check` and
/// `--debug` show next to the message).
const DESCRIPTIONS: &[(&str, &str)] = &[
    ("StageNameCasing", "Stage names should be lowercase"),
    (
        "FromAsCasing",
        "The 'as' keyword should match the case of the 'from' keyword",
    ),
    (
        "NoEmptyContinuation",
        "Empty continuation lines will become errors in a future release",
    ),
    (
        "ConsistentInstructionCasing",
        "All commands within the Dockerfile should use the same casing (either upper or lower)",
    ),
    ("DuplicateStageName", "Stage names should be unique"),
    (
        "ReservedStageName",
        "Reserved words should not be used as stage names",
    ),
    (
        "JSONArgsRecommended",
        "JSON arguments recommended for ENTRYPOINT/CMD to prevent unintended behavior related to OS signals",
    ),
    (
        "MaintainerDeprecated",
        "The MAINTAINER instruction is deprecated, use a label instead to define an image author",
    ),
    ("UndefinedArgInFrom", "FROM command must use declared ARGs"),
    (
        "WorkdirRelativePath",
        "Relative workdir without an absolute workdir declared within the build can have unexpected results if the base image changes",
    ),
    (
        "UndefinedVar",
        "Variables should be defined before their use",
    ),
    (
        "MultipleInstructionsDisallowed",
        "Multiple instructions of the same type should not be used in the same stage",
    ),
    (
        "LegacyKeyValueFormat",
        "Legacy key/value format with whitespace separator should not be used",
    ),
    (
        "RedundantTargetPlatform",
        "Setting platform to predefined $TARGETPLATFORM in FROM is redundant as this is the default behavior",
    ),
    (
        "SecretsUsedInArgOrEnv",
        "Sensitive data should not be used in the ARG or ENV commands",
    ),
    (
        "InvalidDefaultArgInFrom",
        "Default value for global ARG results in an empty or invalid base image name",
    ),
    (
        "FromPlatformFlagConstDisallowed",
        "FROM --platform flag should not use a constant value",
    ),
    (
        "ExposeProtoCasing",
        "Protocol in EXPOSE instruction should be lowercase",
    ),
    (
        "InvalidBaseImagePlatform",
        "Base image platform does not match expected target platform",
    ),
    (
        "CopyIgnoredFile",
        "Attempting to Copy file that is excluded by .dockerignore",
    ),
    (
        "InvalidDefinitionDescription",
        "Comment for build stage or argument should follow the format: `# <arg/stage name> <description>`. If this is not intended to be a description comment, add an empty line or comment between the instruction and the comment.",
    ),
    (
        "ExposeInvalidFormat",
        "IP address and host-port mapping should not be used in EXPOSE instruction. This will become an error in a future release",
    ),
];

/// Where BuildKit's documentation of its checks lives.
const URL_BASE: &str = "https://docs.docker.com/go/dockerfile/rule/";

/// The conversion phases BuildKit runs its checks in, in order.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Phase {
    /// The parser: empty continuation lines.
    Parse,
    /// Parsing each instruction: MAINTAINER, stage name and `AS` casing.
    Instructions,
    /// Reserved and duplicate stage names.
    StageNames,
    /// Instruction casing.
    Casing,
    /// FROM expanded with the global ARG defaults.
    DefaultArgs,
    /// Each stage's FROM and `--platform` with the build's arguments.
    Stages,
    /// Base images resolved (their platform checked).
    Resolve,
    /// The commands of the dispatched stages.
    Dispatch,
}

/// When a check is reported during conversion: its phase, the source
/// offset being processed, and the order among checks of that point.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub struct Emission {
    pub phase: Phase,
    pub at: usize,
    pub order: u8,
}

impl Emission {
    const fn new(phase: Phase, at: usize, order: u8) -> Emission {
        Emission { phase, at, order }
    }
}

/// One build-check finding, as BuildKit words and places it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Warning {
    /// The check's name, e.g. `JSONArgsRecommended`.
    pub rule: String,
    /// The finding, e.g. `JSON arguments recommended for CMD …`.
    pub message: String,
    /// What the check is about.
    pub description: String,
    /// Documentation link.
    pub url: String,
    /// 1-based lines, each its own range (BuildKit's node locations).
    pub lines: Vec<u32>,
    pub emitted: Emission,
    /// The stage (index in file order) of a dispatch-time check.
    pub stage: Option<usize>,
}

/// The checks of one Dockerfile.
#[derive(Clone, Debug, Default)]
pub struct Checks {
    /// Every finding, in BuildKit's emission order.
    pub warnings: Vec<Warning>,
    /// Errors that stop conversion: syntax and instruction errors, a bad
    /// `check=` directive.
    pub errors: Vec<Diagnostic>,
    /// `error=true`: findings fail the build.
    pub error_on_findings: bool,
    tree: Option<SyntaxTree>,
    stages: Vec<TextRange>,
}

/// Which warnings exist when conversion got to a given point.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Until {
    /// Conversion finished.
    End,
    /// Conversion stopped at this point (exclusive).
    Before(Emission),
}

impl Checks {
    /// Runs the checks on a Dockerfile's text; `check` replaces its
    /// `# check=` directive (the `BUILDKIT_DOCKERFILE_CHECK` build arg).
    pub fn run(text: &str, check: Option<&str>) -> Checks {
        Checks::run_with_dockerignore(text, check, None)
    }

    /// Like [`Checks::run`], with the build context's `.dockerignore`
    /// patterns when known (for `CopyIgnoredFile`).
    pub fn run_with_dockerignore(
        text: &str,
        check: Option<&str>,
        dockerignore: Option<Vec<String>>,
    ) -> Checks {
        let result = lint::lint(
            text,
            &LintOptions {
                check: check.map(str::to_owned),
                dockerignore,
                // BuildKit's checks only: the best-practice rules and
                // ShellCheck are slipway's own and never reach BuildKit.
                ignore: RULES
                    .iter()
                    .filter(|i| i.buildkit.is_none())
                    .map(|i| i.rule)
                    .collect(),
                ..LintOptions::default()
            },
        );
        let parsed = parse(text);
        let tree = parsed.tree;
        let (file, _) = parse_instructions(&tree);
        let stages: Vec<TextRange> = file.stages.iter().map(|s| s.range).collect();
        let index = LineIndex::new(text);
        let mut warnings: Vec<Warning> = result
            .findings
            .iter()
            .filter_map(|d| convert(d, &tree, &stages, &index))
            .collect();
        // Stable: findings at the same point keep the linter's order.
        warnings.sort_by_key(|w| w.emitted);
        Checks {
            warnings,
            errors: result.errors,
            error_on_findings: result.error_on_findings,
            tree: Some(tree),
            stages,
        }
    }

    /// The warnings reported before conversion reached `until`, keeping
    /// dispatch-time ones only for `dispatched` stages (all when `None`).
    pub fn select(&self, dispatched: Option<&BTreeSet<usize>>, until: Until) -> Vec<&Warning> {
        self.warnings
            .iter()
            .filter(|w| match until {
                Until::End => true,
                Until::Before(e) => w.emitted < e,
            })
            .filter(|w| match (w.stage, dispatched) {
                (Some(s), Some(set)) => w.emitted.phase != Phase::Dispatch || set.contains(&s),
                _ => true,
            })
            .collect()
    }

    /// Where conversion stops for an error at `d`: instruction errors stop
    /// the parse of instructions, syntax errors come before any check,
    /// errors at a FROM (or without a place) stop before dispatch, and any
    /// other error stops the dispatch at its instruction.
    pub fn stop_at(&self, d: &Diagnostic) -> Emission {
        if d.code.starts_with("slipway::parse::") {
            return Emission::new(Phase::Parse, 0, 0);
        }
        if d.code.starts_with("slipway::instruction::") && d.code != crate::syntax::codes::NO_STAGE
        {
            return Emission::new(Phase::Instructions, d.range.start(), 0);
        }
        let node = self
            .tree
            .as_ref()
            .and_then(|t| node_at(t, d.range.start()).filter(|_| !d.range.is_empty()));
        match node {
            Some(n) if n.name() != "from" => Emission::new(Phase::Dispatch, n.range.start(), 0),
            _ => Emission::new(Phase::Dispatch, 0, 0),
        }
    }

    /// The index of the stage whose text holds `offset`.
    pub fn stage_of(&self, offset: usize) -> Option<usize> {
        stage_of(&self.stages, offset)
    }
}

/// BuildKit's error for `error=true` with findings: the rules that fired,
/// each once, in the order they first fired.
pub fn violation_error(warnings: &[&Warning]) -> Option<String> {
    let mut rules: Vec<&str> = Vec::new();
    for w in warnings {
        if !rules.contains(&w.rule.as_str()) {
            rules.push(&w.rule);
        }
    }
    (!rules.is_empty()).then(|| format!("lint violation found for rules: {}", rules.join(", ")))
}

/// A linter finding as a BuildKit warning; `None` for rules BuildKit lacks.
fn convert(
    d: &Diagnostic,
    tree: &SyntaxTree,
    stages: &[TextRange],
    index: &LineIndex,
) -> Option<Warning> {
    let info = RULES.iter().find(|i| i.code == d.code)?;
    let rule = info.buildkit?;
    let description = DESCRIPTIONS
        .iter()
        .find(|(n, _)| *n == rule)
        .map_or("", |(_, d)| *d);
    let start = d.range.start();
    let node = node_at(tree, start);
    let (first, last) = match node {
        Some(n) if rule != "NoEmptyContinuation" => index.lines(n.range),
        _ => {
            let l = index.line(start);
            (l, l)
        }
    };
    let stage = stage_of(stages, start);
    let at = node.map_or(start, |n| n.range.start());
    let stage_at = stage.and_then(|s| stages.get(s)).map_or(at, |r| r.start());
    let is_arg = node.is_some_and(|n| n.name() == "arg");
    use Phase::*;
    let emitted = match rule {
        "NoEmptyContinuation" => Emission::new(Parse, start, 0),
        "MaintainerDeprecated" | "StageNameCasing" => Emission::new(Instructions, at, 0),
        "FromAsCasing" => Emission::new(Instructions, at, 1),
        "InvalidDefinitionDescription" => Emission::new(Instructions, at, 2),
        "InvalidBaseImagePlatform" => Emission::new(Resolve, stage_at, 0),
        "ReservedStageName" => Emission::new(StageNames, stage_at, 0),
        "DuplicateStageName" => Emission::new(StageNames, stage_at, 1),
        "ConsistentInstructionCasing" => Emission::new(Casing, at, 0),
        "InvalidDefaultArgInFrom" => Emission::new(DefaultArgs, stage_at, 0),
        "UndefinedArgInFrom" => Emission::new(Stages, stage_at, 0),
        "RedundantTargetPlatform" => Emission::new(Stages, stage_at, 1),
        "FromPlatformFlagConstDisallowed" => Emission::new(Stages, stage_at, 2),
        "UndefinedVar" => Emission::new(Dispatch, at, u8::from(is_arg)),
        "SecretsUsedInArgOrEnv" => Emission::new(Dispatch, at, if is_arg { 0 } else { 3 }),
        // Reported at the earlier instruction when the next one of the
        // same kind in the stage is dispatched.
        "MultipleInstructionsDisallowed" => {
            let next =
                node.and_then(|n| next_same_kind(tree, n, stage.and_then(|s| stages.get(s))));
            Emission::new(Dispatch, next.unwrap_or(at), 1)
        }
        _ => Emission::new(Dispatch, at, 2),
    };
    Some(Warning {
        rule: rule.to_owned(),
        message: d.message.clone(),
        description: description.to_owned(),
        url: format!("{URL_BASE}{}/", info.name),
        lines: (first..=last.max(first)).collect(),
        emitted,
        stage: stage.filter(|_| emitted.phase == Dispatch),
    })
}

/// The top-level instruction holding `offset`.
fn node_at(tree: &SyntaxTree, offset: usize) -> Option<&Node> {
    tree.nodes()
        .find(|n| n.range.start() <= offset && offset < n.range.end().max(n.range.start() + 1))
}

fn stage_of(stages: &[TextRange], offset: usize) -> Option<usize> {
    stages
        .iter()
        .position(|r| r.start() <= offset && offset < r.end().max(r.start() + 1))
}

/// The start of the next instruction with `node`'s keyword in the stage.
fn next_same_kind(tree: &SyntaxTree, node: &Node, stage: Option<&TextRange>) -> Option<usize> {
    let name = node.name();
    let end = stage.map_or(usize::MAX, |r| r.end());
    tree.nodes()
        .filter(|n| n.range.start() > node.range.start() && n.range.start() < end)
        .find(|n| n.name() == name)
        .map(|n| n.range.start())
}

/// The `Warn` request for one finding, worded like BuildKit's frontend
/// (`<rule>: <message> (line N)`, the description as detail).
pub fn request(df: &Dockerfile, w: &Warning) -> WarnRequest {
    let first = w.lines.first().copied().unwrap_or(0);
    let mut short = format!("{}: {}", w.rule, w.message);
    if first > 0 {
        short.push_str(&format!(" (line {first})"));
    }
    let line = |l: u32| {
        Some(pb::Position {
            line: i32::try_from(l).unwrap_or(i32::MAX),
            character: 0,
        })
    };
    WarnRequest {
        digest: df.vertex.clone(),
        level: 1,
        short: short.into_bytes(),
        detail: vec![w.description.clone().into_bytes()],
        url: w.url.clone(),
        info: Some(pb::SourceInfo {
            filename: df.filename.clone(),
            data: df.data.clone(),
            definition: Some(df.definition.clone()),
            language: "Dockerfile".to_owned(),
        }),
        ranges: w
            .lines
            .iter()
            .map(|&l| pb::Range {
                start: line(l),
                end: line(l),
            })
            .collect(),
    }
}

/// Sends every finding; a daemon without `gateway.warnings` gets nothing.
pub async fn report(
    bridge: &Bridge,
    df: &Dockerfile,
    warnings: &[&Warning],
) -> Result<(), tonic::Status> {
    for w in warnings {
        bridge.warn(request(df, w)).await?;
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn rules(c: &Checks) -> Vec<(&str, Vec<u32>)> {
        c.warnings
            .iter()
            .map(|w| (w.rule.as_str(), w.lines.clone()))
            .collect()
    }

    #[test]
    fn findings_come_in_buildkits_emission_order() {
        let c = Checks::run("FROM busybox AS Base\nCMD echo hi\nmaintainer me\n", None);
        assert_eq!(
            rules(&c),
            [
                ("StageNameCasing", vec![1]),
                ("MaintainerDeprecated", vec![3]),
                ("ConsistentInstructionCasing", vec![3]),
                ("JSONArgsRecommended", vec![2]),
            ]
        );
        let w = &c.warnings[0];
        assert_eq!(w.description, "Stage names should be lowercase");
        assert_eq!(
            w.url,
            "https://docs.docker.com/go/dockerfile/rule/stage-name-casing/"
        );
    }

    #[test]
    fn multi_line_instructions_get_a_range_per_line_and_repeats_report_late() {
        let c = Checks::run("FROM a\nCMD [\"a\"]\nENV A \\\n  b\nCMD [\"b\"]\n", None);
        assert_eq!(
            rules(&c),
            [
                ("LegacyKeyValueFormat", vec![3, 4]),
                ("MultipleInstructionsDisallowed", vec![2]),
            ]
        );
        assert_eq!(c.warnings[0].stage, Some(0));
    }

    #[test]
    fn selection_cuts_at_errors_and_unbuilt_stages() {
        let c = Checks::run("FROM a AS x\nCMD x\nFROM a AS Y\nCMD y\n", None);
        let all: Vec<_> = c
            .select(None, Until::End)
            .iter()
            .map(|w| w.rule.clone())
            .collect();
        assert_eq!(
            all,
            [
                "StageNameCasing",
                "JSONArgsRecommended",
                "JSONArgsRecommended"
            ]
        );
        let only_second = c.select(Some(&BTreeSet::from([1])), Until::End);
        assert_eq!(only_second.len(), 2);
        assert_eq!(only_second[1].lines, [4]);
        let d = Diagnostic::error("slipway::ir::x", TextRange::new(30, 35), "boom");
        let cut = c.select(None, Until::Before(c.stop_at(&d)));
        assert_eq!(cut.len(), 2, "{cut:?}");
        assert_eq!(
            violation_error(&cut).as_deref(),
            Some("lint violation found for rules: StageNameCasing, JSONArgsRecommended")
        );
    }

    #[test]
    fn warnings_name_the_rule_and_lines() {
        let df = Dockerfile {
            filename: "Dockerfile".into(),
            data: b"FROM a\nCMD echo hi\n".to_vec(),
            vertex: "sha256:abc".into(),
            ..Dockerfile::default()
        };
        let c = Checks::run("FROM a\nCMD echo hi\n", None);
        let req = request(&df, &c.warnings[0]);
        assert_eq!(
            String::from_utf8(req.short).unwrap(),
            "JSONArgsRecommended: JSON arguments recommended for CMD to prevent unintended behavior related to OS signals (line 2)"
        );
        assert_eq!(req.digest, "sha256:abc");
        assert_eq!(req.ranges[0].start.as_ref().map(|p| p.line), Some(2));
        assert_eq!(req.info.unwrap().language, "Dockerfile");
    }

    #[test]
    fn dockerignored_copy_sources_are_reported_when_patterns_are_known() {
        let text = "FROM a\nCOPY README.md /\n";
        assert!(Checks::run(text, None).warnings.is_empty());
        let c = Checks::run_with_dockerignore(text, None, Some(vec!["*.md".to_owned()]));
        assert_eq!(rules(&c), [("CopyIgnoredFile", vec![2])]);
        assert_eq!(
            c.warnings[0].message,
            "Attempting to Copy file \"README.md\" that is excluded by .dockerignore"
        );
    }
}
