//! `cd-instead-of-workdir`: directories are changed with `WORKDIR`.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Checks for `cd` in `RUN`.
    ///
    /// ## Why is this bad?
    /// A `cd` lasts only until the end of its `RUN`; the next instruction
    /// starts in the `WORKDIR` again. Long `cd … && …` chains are hard to
    /// follow, and `WORKDIR` makes the directory visible to every later
    /// instruction and in the image's configuration.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN cd /usr/src/app && make
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// WORKDIR /usr/src/app
    /// RUN make
    /// ```
    pub struct CdInsteadOfWorkdir;
}

impl Violation for CdInsteadOfWorkdir {
    const RULE: Rule = Rule::CdInsteadOfWorkdir;
    fn message(&self) -> String {
        "`cd` in RUN lasts only for this RUN; set the directory with WORKDIR".to_owned()
    }
}

/// SW029.
pub(crate) fn cd_instead_of_workdir(checker: &mut Checker) {
    if !checker.any_enabled(Rule::CdInsteadOfWorkdir) {
        return;
    }
    let runs = checker.runs();
    for run in runs.iter() {
        for cmd in run.commands_named("cd") {
            checker.report(CdInsteadOfWorkdir, run.source_range(cmd.range));
        }
    }
}
