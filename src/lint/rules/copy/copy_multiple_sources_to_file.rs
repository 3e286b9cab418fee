//! `copy-multiple-sources-to-file`: several sources go to a directory.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::syntax::instructions::Instruction;

crate::declare_rule! {
    /// ## What it does
    /// Checks for `COPY` and `ADD` with more than one source whose
    /// destination does not end with `/`.
    ///
    /// ## Why is this bad?
    /// Several sources can only go into a directory, and the builder
    /// refuses the instruction unless the destination ends with `/`; the
    /// build fails at that step.
    ///
    /// ## Example
    /// ```dockerfile
    /// COPY package.json package-lock.json /app
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// COPY package.json package-lock.json /app/
    /// ```
    pub struct CopyMultipleSourcesToFile {
        pub keyword: String,
    }
}

impl Violation for CopyMultipleSourcesToFile {
    const RULE: Rule = Rule::CopyMultipleSourcesToFile;
    fn message(&self) -> String {
        format!(
            "{} with several sources needs a destination directory ending with `/`",
            self.keyword
        )
    }
}

/// SW041.
pub(crate) fn copy_multiple_sources_to_file(checker: &mut Checker) {
    if !checker.any_enabled(Rule::CopyMultipleSourcesToFile) {
        return;
    }
    let file = checker.file;
    for stage in &file.stages {
        for ins in &stage.instructions {
            let (range, count, dest) = match ins {
                Instruction::Copy(c) => (c.range, c.sources.len() + c.contents.len(), &c.dest),
                Instruction::Add(a) => (a.range, a.sources.len() + a.contents.len(), &a.dest),
                _ => continue,
            };
            let d = &dest.value;
            if count < 2 || d.ends_with('/') || d.contains('$') || d.is_empty() {
                continue;
            }
            let keyword = checker.keyword_at(range);
            checker.report(CopyMultipleSourcesToFile { keyword }, dest.range);
        }
    }
}
