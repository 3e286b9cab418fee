//! `copy-relative-destination-without-workdir`: a relative `COPY`
//! destination has a `WORKDIR` to be relative to.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::syntax::instructions::Instruction;

crate::declare_rule! {
    /// ## What it does
    /// Checks for `COPY` to a relative destination while no `WORKDIR` was
    /// set in the stage or in the stages it is built on.
    ///
    /// ## Why is this bad?
    /// The destination is then relative to the base image's working
    /// directory, which the Dockerfile does not show and which can change
    /// with the base image.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM node:22
    /// COPY package.json app/
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM node:22
    /// WORKDIR /srv
    /// COPY package.json app/
    /// ```
    pub struct CopyRelativeDestinationWithoutWorkdir {
        pub dest: String,
    }
}

impl Violation for CopyRelativeDestinationWithoutWorkdir {
    const RULE: Rule = Rule::CopyRelativeDestinationWithoutWorkdir;
    fn message(&self) -> String {
        format!(
            "COPY to relative `{}` with no WORKDIR set: it lands wherever the base image's working directory is",
            self.dest
        )
    }
}

/// SW044.
pub(crate) fn copy_relative_destination_without_workdir(checker: &mut Checker) {
    if !checker.any_enabled(Rule::CopyRelativeDestinationWithoutWorkdir) {
        return;
    }
    let file = checker.file;
    let parents = checker.parents();
    let mut set = vec![false; file.stages.len()];
    for (i, stage) in file.stages.iter().enumerate() {
        let mut workdir = parents[i].is_some_and(|p| set[p]);
        for ins in &stage.instructions {
            match ins {
                Instruction::Workdir(_) => workdir = true,
                Instruction::Copy(c) if !workdir && is_relative(&c.dest.value) => {
                    let violation = CopyRelativeDestinationWithoutWorkdir {
                        dest: c.dest.value.clone(),
                    };
                    checker.report(violation, c.dest.range);
                }
                _ => {}
            }
        }
        set[i] = workdir;
    }
}

/// Not absolute (`/x`, `C:\x`) and not starting with a variable.
fn is_relative(dest: &str) -> bool {
    let windows = dest.len() >= 2 && dest.as_bytes()[1] == b':';
    !(dest.is_empty() || dest.starts_with(['/', '\\', '$']) || windows)
}
