//! `JSONArgsRecommended`: `CMD`/`ENTRYPOINT` in exec (JSON) form.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::syntax::instructions::{CommandLine, Instruction};

crate::declare_rule! {
    /// ## What it does
    /// Checks for `CMD` and `ENTRYPOINT` in shell form while the image has
    /// no `SHELL` set (in the stage or a stage it is built on).
    ///
    /// ## Why is this bad?
    /// In shell form the command runs as `/bin/sh -c "..."`: the shell is
    /// PID 1 and does not forward signals such as `SIGTERM`, so the
    /// container cannot stop gracefully and is killed after a timeout.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine
    /// CMD my-server --port 80
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine
    /// CMD ["my-server", "--port", "80"]
    /// ```
    pub struct JsonArgsRecommended {
        pub keyword: String,
    }
}

impl Violation for JsonArgsRecommended {
    const RULE: Rule = Rule::JsonArgsRecommended;
    fn message(&self) -> String {
        format!(
            "JSON arguments recommended for {} to prevent unintended behavior related to OS signals",
            self.keyword
        )
    }
}

/// SW007.
pub(crate) fn json_args_recommended(checker: &mut Checker) {
    if !checker.any_enabled(Rule::JsonArgsRecommended) {
        return;
    }
    let file = checker.file;
    let parents = checker.parents();
    let mut shell_set = vec![false; file.stages.len()];
    for (i, stage) in file.stages.iter().enumerate() {
        let mut shell = parents[i].is_some_and(|p| shell_set[p]);
        for ins in &stage.instructions {
            let (range, command) = match ins {
                Instruction::Shell(_) => {
                    shell = true;
                    continue;
                }
                Instruction::Cmd(c) => (c.range, &c.command),
                Instruction::Entrypoint(e) => (e.range, &e.command),
                _ => continue,
            };
            if shell || !matches!(command, CommandLine::Shell(_)) {
                continue;
            }
            let keyword = checker.keyword_at(range);
            checker.report(JsonArgsRecommended { keyword }, range);
        }
        shell_set[i] = shell;
    }
}
