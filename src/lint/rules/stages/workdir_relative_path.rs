//! `WorkdirRelativePath`: the first `WORKDIR` of a stage chain is absolute.

use std::collections::HashMap;

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::syntax::instructions::Instruction;

crate::declare_rule! {
    /// ## What it does
    /// Checks for a relative `WORKDIR` when no absolute `WORKDIR` was set
    /// before it in the stage or in the stages it is built on. Later
    /// relative `WORKDIR`s are not reported: fixing the first fixes them.
    ///
    /// ## Why is this bad?
    /// A relative `WORKDIR` is resolved against the base image's working
    /// directory, which can change when the base image is updated.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine
    /// WORKDIR app
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine
    /// WORKDIR /app
    /// ```
    ///
    /// ## Known problems
    /// BuildKit expands the path against the stage's environment, including
    /// the base image's. slipway knows only the `ENV` and `ARG` values of
    /// the Dockerfile, so a path using a variable from the base image is not
    /// reported.
    pub struct WorkdirRelativePath {
        pub path: String,
    }
}

impl Violation for WorkdirRelativePath {
    const RULE: Rule = Rule::WorkdirRelativePath;
    fn message(&self) -> String {
        format!(
            "Relative workdir {} can have unexpected results if the base image changes",
            crate::syntax::dump::go_quote(&self.path)
        )
    }
}

/// SW011.
pub(crate) fn workdir_relative_path(checker: &mut Checker) {
    if !checker.any_enabled(Rule::WorkdirRelativePath) {
        return;
    }
    let file = checker.file;
    let parents = checker.parents();
    let meta = checker.meta_env();
    let mut set = vec![false; file.stages.len()];
    let mut envs: Vec<HashMap<String, String>> = Vec::with_capacity(file.stages.len());
    for (i, stage) in file.stages.iter().enumerate() {
        let mut workdir_set = parents[i].is_some_and(|p| set[p]);
        let mut env = parents[i].map_or_else(HashMap::new, |p| envs[p].clone());
        for ins in &stage.instructions {
            match ins {
                Instruction::Env(e) => {
                    for pair in &e.pairs {
                        let value = expand(checker, &pair.value.value, &env);
                        env.insert(pair.key.value.clone(), value.unwrap_or_default());
                    }
                }
                Instruction::Arg(a) => {
                    for def in &a.args {
                        let value = match &def.value {
                            Some(v) => expand(checker, &v.value, &env),
                            None => meta.get(&def.key.value).cloned(),
                        };
                        if let Some(v) = value {
                            env.insert(def.key.value.clone(), v);
                        }
                    }
                }
                Instruction::Workdir(w) => {
                    if !workdir_set {
                        // A variable this walk cannot know (the base image's
                        // environment) leaves the path unknown: not reported.
                        if let Some(path) = expand(checker, &w.path.value, &env)
                            && !path.starts_with('/')
                        {
                            checker.report(WorkdirRelativePath { path }, w.range);
                        }
                    }
                    workdir_set = true;
                }
                _ => {}
            }
        }
        set[i] = workdir_set;
        envs.push(env);
    }
}

/// `word` expanded against `env`; `None` when it uses a variable `env`
/// does not define or does not expand.
fn expand(checker: &Checker, word: &str, env: &HashMap<String, String>) -> Option<String> {
    let e = checker.lexer.process_word(word, env).ok()?;
    e.used.unmatched.is_empty().then_some(e.value)
}
