//! `UndefinedVar`: variables used outside `RUN` are defined.

use std::collections::{BTreeSet, HashMap, HashSet};

use crate::diagnostics::suggest;
use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::syntax::instructions::Instruction;
use crate::syntax::tree::Spanned;

/// The environment of a stage whose base image slipway does not know: what
/// BuildKit gives `FROM scratch`.
const DEFAULT_PATH: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

crate::declare_rule! {
    /// ## What it does
    /// Checks that every `$VAR` expanded by an instruction other than `RUN`
    /// (`ENV`, `LABEL`, `COPY`, `ADD`, `WORKDIR`, `USER`, `VOLUME`,
    /// `STOPSIGNAL`, `ARG` defaults) is defined by an earlier `ENV` or `ARG`
    /// of the stage (or the stages it is built on). A close name is
    /// suggested.
    ///
    /// ## Why is this bad?
    /// An undefined variable expands to the empty string, so a typo turns
    /// `COPY app $APP_HOME/` into `COPY app /` without any error.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine
    /// ENV APP_HOME=/app
    /// COPY . $APP_HOEM
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine
    /// ENV APP_HOME=/app
    /// COPY . $APP_HOME
    /// ```
    ///
    /// ## Known problems
    /// slipway does not read base images: their environment is taken to be
    /// `PATH` only (BuildKit's `FROM scratch`), so a variable that only the
    /// base image defines is reported. Heredoc bodies and `RUN --mount`
    /// values are not checked yet.
    pub struct UndefinedVar {
        pub name: String,
        pub suggestion: Option<String>,
    }
}

impl Violation for UndefinedVar {
    const RULE: Rule = Rule::UndefinedVar;
    fn message(&self) -> String {
        let mut out = format!("Usage of undefined variable '${}'", self.name);
        if let Some(s) = &self.suggestion {
            out += &format!(" (did you mean ${s}?)");
        }
        out
    }
}

/// SW019.
pub(crate) fn undefined_var(checker: &mut Checker) {
    if !checker.any_enabled(Rule::UndefinedVar) {
        return;
    }
    let file = checker.file;
    let parents = checker.parents();
    let meta = checker.meta_env();
    let mut envs: Vec<HashMap<String, String>> = Vec::with_capacity(file.stages.len());
    for (i, stage) in file.stages.iter().enumerate() {
        let mut env = parents[i].map_or_else(
            || HashMap::from([("PATH".to_owned(), DEFAULT_PATH.to_owned())]),
            |p| envs[p].clone(),
        );
        let mut args: HashSet<String> = HashSet::new();
        for ins in &stage.instructions {
            let mut unmatched = BTreeSet::new();
            let mut words: Vec<&Spanned> = Vec::new();
            match ins {
                Instruction::Env(e) => {
                    // All pairs expand before any is set.
                    let mut set = Vec::new();
                    for p in &e.pairs {
                        let key = expand(checker, &p.key.value, &env, &mut unmatched);
                        let value = expand(checker, &p.value.value, &env, &mut unmatched);
                        set.push((key, value));
                    }
                    report(checker, ins, &env, &args, unmatched);
                    env.extend(set);
                    continue;
                }
                Instruction::Arg(a) => {
                    for def in &a.args {
                        let value = match &def.value {
                            Some(v) => Some(expand(checker, &v.value, &env, &mut unmatched)),
                            None => meta.get(&def.key.value).cloned(),
                        };
                        report(checker, ins, &env, &args, std::mem::take(&mut unmatched));
                        args.insert(def.key.value.clone());
                        if let Some(v) = value {
                            env.insert(def.key.value.clone(), v);
                        }
                    }
                    continue;
                }
                Instruction::Label(l) => {
                    words.extend(l.pairs.iter().flat_map(|p| [&p.key, &p.value]));
                }
                Instruction::Copy(c) => {
                    words.extend(c.chown.iter().chain(&c.chmod));
                    words.extend(c.sources.iter().chain([&c.dest]));
                }
                Instruction::Add(c) => {
                    words.extend(c.chown.iter().chain(&c.chmod).chain(&c.checksum));
                    words.extend(c.sources.iter().chain([&c.dest]));
                }
                Instruction::Workdir(w) => words.push(&w.path),
                Instruction::User(u) => words.push(&u.user),
                Instruction::Volume(v) => words.extend(&v.paths),
                Instruction::Stopsignal(s) => words.push(&s.signal),
                _ => continue,
            }
            for w in words {
                expand(checker, &w.value, &env, &mut unmatched);
            }
            report(checker, ins, &env, &args, unmatched);
        }
        envs.push(env);
    }
}

/// Expands `word`, adding the names it used but `env` lacks to `unmatched`.
fn expand(
    checker: &Checker,
    word: &str,
    env: &HashMap<String, String>,
    unmatched: &mut BTreeSet<String>,
) -> String {
    match checker.lexer.process_word(word, env) {
        Ok(e) => {
            unmatched.extend(e.used.unmatched);
            e.value
        }
        Err(_) => word.to_owned(),
    }
}

fn report(
    checker: &mut Checker,
    ins: &Instruction,
    env: &HashMap<String, String>,
    args: &HashSet<String>,
    unmatched: BTreeSet<String>,
) {
    for name in unmatched {
        if args.contains(&name) {
            continue;
        }
        let suggestion = suggest(&name, env.keys().map(String::as_str)).map(str::to_owned);
        checker.report(UndefinedVar { name, suggestion }, ins.range());
    }
}
