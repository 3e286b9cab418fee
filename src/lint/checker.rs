//! The [`Checker`]: what rules look at (the syntax tree, the typed
//! instructions, the stage chain) and where they report.
//!
//! Rules never push diagnostics themselves: [`Checker::report`] applies the
//! file's `# check=` configuration and any per-instruction `# check=`
//! comment, then records the finding with the rule's stable code.
//!
//! For rules about the commands inside `RUN`, [`Checker::runs`] gives each
//! `RUN` of the file as a [`RunScript`]: the shell text as the shell gets
//! it, split into commands, with the map back to Dockerfile bytes.

use std::cell::OnceCell;
use std::collections::HashMap;
use std::rc::Rc;

use crate::diagnostics::{Diagnostic, Severity};
use crate::syntax::instructions::{
    CommandLine, Dockerfile, Instruction, Mount, Run, Stage, parse_mount,
};
use crate::syntax::shell::Lexer;
use crate::syntax::text::TextRange;
use crate::syntax::tree::{Node, SyntaxTree, TokenKind};

use super::LintOptions;
use super::config::CheckConfig;
use super::rule::Violation;
use super::rules::codes::Rule;
use super::shell::{Command, Invocation, Script, Separator, Word, split};

/// The platform BuildKit assumes for the `BUILDPLATFORM`/`TARGETPLATFORM`
/// family when nothing else is known (values only matter for comparisons).
pub const DEFAULT_PLATFORM: [(&str, &str); 8] = [
    ("BUILDPLATFORM", "linux/amd64"),
    ("BUILDOS", "linux"),
    ("BUILDARCH", "amd64"),
    ("BUILDVARIANT", ""),
    ("TARGETPLATFORM", "linux/amd64"),
    ("TARGETOS", "linux"),
    ("TARGETARCH", "amd64"),
    ("TARGETVARIANT", ""),
];

/// The shell BuildKit runs shell-form commands with on Linux.
pub const DEFAULT_SHELL: [&str; 2] = ["/bin/sh", "-c"];

/// Every command of `runs` that runs a program, with its RUN and what
/// it invokes, in file order.
pub fn invocations(
    runs: &[RunScript],
) -> impl Iterator<Item = (&RunScript, &Command, Invocation<'_>)> {
    runs.iter().flat_map(|run| {
        run.commands
            .iter()
            .filter_map(move |cmd| Some((run, cmd, cmd.invocation()?)))
    })
}

/// One `RUN` instruction as shell code.
#[derive(Clone, Debug)]
pub struct RunScript {
    /// The index of the stage it is in.
    pub stage: usize,
    /// The whole instruction.
    pub range: TextRange,
    /// The `SHELL` in force (inherited from the stage's base stage), or
    /// [`DEFAULT_SHELL`].
    pub shell: Rc<[String]>,
    /// What the shell runs: for shell form the command with continuation
    /// lines joined and comment lines dropped (as BuildKit passes it), then
    /// any heredoc bodies; for `RUN <<EOF` alone, the body. For exec form,
    /// the arguments joined by spaces.
    pub script: Script,
    /// `script` split into commands (exec form: one command, the array).
    pub commands: Vec<Command>,
    /// Exec form: no shell is involved.
    pub exec: bool,
    /// The instruction itself (flags, mounts).
    pub instruction: Run,
    /// Its `--mount`s that parse (unexpanded).
    pub mounts: Vec<Mount>,
    /// The interpreter the script is written for, when it is shell code:
    /// the first word of `shell`, or of the `#!` line of a heredoc script.
    /// `None` when the script is something else (a Python heredoc, a
    /// Windows shell).
    pub interpreter: Option<String>,
}

impl RunScript {
    /// The Dockerfile range of a range in `script`.
    pub fn source_range(&self, range: TextRange) -> TextRange {
        self.script.range_to_source(range)
    }

    /// The Dockerfile range of a command word.
    pub fn word_range(&self, word: &Word) -> TextRange {
        self.source_range(word.range)
    }

    /// The commands whose program (directory stripped) is `name`.
    pub fn commands_named<'s>(&'s self, name: &'s str) -> impl Iterator<Item = &'s Command> + 's {
        self.commands
            .iter()
            .filter(move |c| c.program() == Some(name))
    }
}

/// The state rules share while one file is checked.
pub struct Checker<'a> {
    pub tree: &'a SyntaxTree,
    pub file: &'a Dockerfile,
    pub lexer: Lexer,
    pub options: &'a LintOptions,
    config: &'a CheckConfig,
    /// Per-instruction `# check=` comments: the node's range and the
    /// configuration merged for findings inside it.
    local: Vec<(TextRange, CheckConfig)>,
    diagnostics: Vec<Diagnostic>,
    runs: OnceCell<Rc<[RunScript]>>,
}

impl<'a> Checker<'a> {
    pub fn new(
        tree: &'a SyntaxTree,
        file: &'a Dockerfile,
        config: &'a CheckConfig,
        options: &'a LintOptions,
    ) -> Self {
        let local = tree
            .nodes()
            .filter_map(|n| {
                let c = CheckConfig::from_comments(&n.comments)?;
                Some((n.range, config.merged(&c)))
            })
            .collect();
        Checker {
            tree,
            file,
            lexer: Lexer::new(tree.escape),
            options,
            config,
            local,
            diagnostics: Vec::new(),
            runs: OnceCell::new(),
        }
    }

    /// Whether `rule` runs anywhere in this file (a cheap early return for
    /// rules; the per-instruction configuration is applied in `report`).
    pub fn any_enabled(&self, rule: Rule) -> bool {
        self.config.enabled(rule) || self.local.iter().any(|(_, c)| c.enabled(rule))
    }

    /// Records a finding of `V` at `range`, unless the rule is off there.
    pub fn report<V: Violation>(&mut self, violation: V, range: TextRange) {
        self.report_rule(V::RULE, violation.message(), range, None);
    }

    /// Records a finding of `rule` (whose finding type is not known
    /// statically, like ShellCheck's codes) at `range`, unless the rule is
    /// off there; `severity` overrides the rule's default.
    pub fn report_rule(
        &mut self,
        rule: Rule,
        message: String,
        range: TextRange,
        severity: Option<Severity>,
    ) {
        let config = self
            .local
            .iter()
            .find(|(r, _)| r.start <= range.start && range.start < r.end.max(r.start + 1))
            .map_or(self.config, |(_, c)| c);
        if !config.enabled(rule) || !self.family_enabled(rule, config) {
            return;
        }
        let info = rule.info();
        let range = self.trim_newline(range);
        let mut d = Diagnostic::warning(info.code, range, message);
        d.severity = severity.unwrap_or(info.severity);
        if info.buildkit.is_some() {
            d = d.with_help(format!(
                "see https://docs.docker.com/go/dockerfile/rule/{}/",
                info.name
            ));
        }
        if let Rule::Shellcheck(n) = rule
            && n != 0
        {
            d = d.with_help(format!("see https://www.shellcheck.net/wiki/SC{n}"));
        }
        self.diagnostics.push(d);
    }

    /// For a ShellCheck code: whether the `shellcheck` family as a whole is
    /// on (`skip=shellcheck` turns every code off). The options' `select`
    /// and `ignore` are applied here too, for codes outside the registry.
    fn family_enabled(&self, rule: Rule, config: &CheckConfig) -> bool {
        let Rule::Shellcheck(code) = rule else {
            return true;
        };
        if code == 0 {
            return true;
        }
        let family = Rule::Shellcheck(0);
        let o = self.options;
        config.enabled(family)
            && !o.ignore.contains(&family)
            && !o.ignore.contains(&rule)
            && o.select
                .as_ref()
                .is_none_or(|s| s.contains(&family) || s.contains(&rule))
    }

    /// Whether any ShellCheck code can be reported in this file.
    pub fn shellcheck_enabled(&self) -> bool {
        super::shellcheck::wanted(self.options) && self.any_enabled(Rule::Shellcheck(0))
    }

    /// The range without its trailing line ending, for display; clamped
    /// to the source and to character boundaries, so a range mapped back
    /// from a script can always be sliced.
    pub fn trim_newline(&self, range: TextRange) -> TextRange {
        let src = &self.tree.source;
        let boundary = |mut at: usize| {
            at = at.min(src.len());
            while !src.is_char_boundary(at) {
                at -= 1;
            }
            at
        };
        let start = boundary(range.start());
        let range = TextRange::new(start, boundary(range.end()).max(start));
        let text = self.tree.text(range);
        let trimmed = text.trim_end_matches(['\n', '\r']);
        TextRange::new(range.start(), range.start() + trimmed.len())
    }

    /// The top-level node that starts at `range`'s start.
    pub fn node_at(&self, range: TextRange) -> Option<&'a Node> {
        self.tree.nodes().find(|n| n.range.start == range.start)
    }

    /// The keyword of the instruction at `range`, as written.
    pub fn keyword_at(&self, range: TextRange) -> String {
        self.node_at(range)
            .map_or_else(String::new, |n| n.keyword.value.clone())
    }

    /// The global ARGs with their default values, plus the built-in
    /// platform args: what FROM lines expand against when no build
    /// arguments are given.
    pub fn meta_env(&self) -> HashMap<String, String> {
        let mut env: HashMap<String, String> = DEFAULT_PLATFORM
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        for arg in &self.file.meta_args {
            for def in &arg.args {
                let value = def.value.as_ref().map(|v| {
                    self.lexer
                        .process_word(&v.value, &env)
                        .map_or_else(|_| v.value.clone(), |e| e.value)
                });
                // Without a default (and no build arguments) the ARG is
                // declared but has no value.
                if let Some(v) = value {
                    env.insert(def.key.value.clone(), v);
                }
            }
        }
        env
    }

    /// For each stage, the index of the earlier stage it is built on
    /// (`FROM <stage name>`), with the base name expanded like BuildKit
    /// does against the global ARG defaults.
    pub fn parents(&self) -> Vec<Option<usize>> {
        let env = self.meta_env();
        let stages = &self.file.stages;
        let mut out = Vec::with_capacity(stages.len());
        for (i, stage) in stages.iter().enumerate() {
            let base = self
                .lexer
                .process_word(&stage.from.image.value, &env)
                .map_or_else(|_| stage.from.image.value.clone(), |e| e.value)
                .to_lowercase();
            out.push(stages[..i].iter().rposition(|s| stage_named(s, &base)));
        }
        out
    }

    /// Every `RUN` of the file, in order, as shell code (computed once).
    /// `RUN` triggers inside `ONBUILD` are not included.
    pub fn runs(&self) -> Rc<[RunScript]> {
        self.runs.get_or_init(|| self.collect_runs()).clone()
    }

    fn collect_runs(&self) -> Rc<[RunScript]> {
        let default: Rc<[String]> = if self.tree.escape == '`' {
            // `# escape=``: a Windows image, whose default shell is cmd.
            ["cmd", "/S", "/C"].map(str::to_owned).into()
        } else {
            DEFAULT_SHELL.map(str::to_owned).into()
        };
        let parents = self.parents();
        let mut shells: Vec<Rc<[String]>> = Vec::with_capacity(self.file.stages.len());
        let mut out = Vec::new();
        for (i, stage) in self.file.stages.iter().enumerate() {
            let mut shell = parents[i]
                .and_then(|p| shells.get(p).cloned())
                .unwrap_or_else(|| default.clone());
            for ins in &stage.instructions {
                match ins {
                    Instruction::Shell(s) => {
                        shell = s.shell.iter().map(|w| w.value.clone()).collect();
                    }
                    Instruction::Run(run) => out.push(self.run_script(i, run, shell.clone())),
                    _ => {}
                }
            }
            shells.push(shell);
        }
        out.into()
    }

    fn run_script(&self, stage: usize, run: &Run, shell: Rc<[String]>) -> RunScript {
        let mut script = Script::default();
        let mounts = run
            .mounts
            .iter()
            .filter_map(|m| parse_mount(&m.value.value).ok())
            .collect();
        let shell_name = shell.first().map(|s| program_name(s).to_owned());
        let mut interpreter = shell_name.filter(|s| is_posix_family(s));
        let text = match &run.command {
            CommandLine::Exec(args) => {
                let mut words = Vec::new();
                for (k, a) in args.iter().enumerate() {
                    if k > 0 {
                        script.push(" ", a.range.start());
                    }
                    let at = script.text.len();
                    // The JSON string's opening quote.
                    script.push(&a.value, a.range.start() + 1);
                    words.push(Word {
                        value: a.value.clone(),
                        range: TextRange::new(at, script.text.len()),
                    });
                }
                let range = match (words.first(), words.last()) {
                    (Some(a), Some(b)) => a.range.cover(b.range),
                    _ => TextRange::default(),
                };
                let command = Command {
                    assignments: Vec::new(),
                    words,
                    redirects: Vec::new(),
                    range,
                    separator: Separator::End,
                };
                return RunScript {
                    stage,
                    range: run.range,
                    shell,
                    script,
                    commands: vec![command],
                    exec: true,
                    instruction: run.clone(),
                    mounts,
                    interpreter: None,
                };
            }
            CommandLine::Shell(text) => text,
        };
        if let [file] = run.files.as_slice()
            && is_lone_heredoc(&text.value)
        {
            // `RUN <<EOF`: the body is the script.
            script.push(&file.content, file.body_range.start());
            if let Some(line) = file.content.lines().next()
                && let Some(bang) = line.strip_prefix("#!")
            {
                let mut words = bang.split_whitespace();
                let first = words.next().map(program_name);
                let prog = if first == Some("env") {
                    words.next()
                } else {
                    first
                };
                interpreter = prog.map(str::to_owned).filter(|p| is_posix_family(p));
            }
        } else {
            self.push_command(&mut script, run, text);
            for file in &run.files {
                script.push("\n", text.range.end());
                script.push(&file.content, file.body_range.start());
                let node = self.node_at(run.range);
                let end = node
                    .and_then(|n| {
                        n.tokens.iter().find(|t| {
                            t.kind == TokenKind::HeredocEnd && t.range.start >= file.body_range.end
                        })
                    })
                    .map(|t| t.range);
                if let Some(end) = end {
                    script.push(self.tree.text(end), end.start());
                } else {
                    script.push(&file.name, file.body_range.end());
                }
            }
        }
        let commands = if interpreter.is_some() {
            split(&script.text)
        } else {
            Vec::new()
        };
        RunScript {
            stage,
            range: run.range,
            shell,
            script,
            commands,
            exec: false,
            instruction: run.clone(),
            mounts,
            interpreter,
        }
    }

    /// Appends the shell-form command of `run`: the text pieces of its
    /// lines (continuations and comment lines left out), mapped to where
    /// they are in the source. Falls back to the joined value, mapped to
    /// its start, if the pieces do not give it.
    fn push_command(&self, script: &mut Script, run: &Run, text: &crate::syntax::tree::Spanned) {
        let start = text.range.start;
        let limit = run
            .files
            .first()
            .map_or(run.range.end, |f| f.body_range.start.min(run.range.end));
        let mut pieces = Script::default();
        if let Some(node) = self.node_at(run.range) {
            for t in &node.tokens {
                if !matches!(t.kind, TokenKind::Text | TokenKind::Indent) {
                    continue;
                }
                let from = t.range.start.max(start);
                let to = t.range.end.min(limit);
                if from >= to {
                    continue;
                }
                let r = TextRange {
                    start: from,
                    end: to,
                };
                pieces.push(self.tree.text(r), r.start());
            }
        }
        if pieces.text.starts_with(&text.value) {
            for (t, s, len) in pieces.pieces() {
                let keep = len.min(text.value.len().saturating_sub(t));
                if keep > 0 {
                    script.push(&pieces.text[t..t + keep], s);
                }
            }
        } else {
            script.push(&text.value, text.range.start());
        }
    }

    /// For each stage, whether it ends up in the image of the last stage:
    /// the last stage and the stages it is built on (`FROM <stage>`).
    pub fn shipped_stages(&self) -> Vec<bool> {
        let parents = self.parents();
        let mut shipped = vec![false; parents.len()];
        let mut at = parents.len().checked_sub(1);
        while let Some(i) = at {
            if shipped[i] {
                break;
            }
            shipped[i] = true;
            at = parents[i];
        }
        shipped
    }

    pub fn into_diagnostics(mut self) -> Vec<Diagnostic> {
        self.diagnostics
            .sort_by_key(|d| (d.range.start, d.range.end, d.code));
        self.diagnostics
    }
}

/// `/usr/bin/bash` is `bash`.
pub fn program_name(path: &str) -> &str {
    path.rsplit(['/', '\\']).next().unwrap_or(path)
}

/// Shells that run POSIX shell code (and that ShellCheck can check).
pub fn is_posix_family(program: &str) -> bool {
    matches!(
        program,
        "sh" | "bash" | "dash" | "ash" | "ksh" | "mksh" | "busybox" | "zsh"
    )
}

/// `<<EOF`, `<<-EOF`, `<<"EOF"` and nothing else.
fn is_lone_heredoc(command: &str) -> bool {
    let Some(rest) = command.trim().strip_prefix("<<") else {
        return false;
    };
    let rest = rest.strip_prefix('-').unwrap_or(rest);
    !rest.is_empty() && !rest.contains(char::is_whitespace)
}

fn stage_named(stage: &Stage, name: &str) -> bool {
    stage.name.as_ref().is_some_and(|n| n.value == name)
}
