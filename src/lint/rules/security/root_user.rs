//! `root-user`: the image does not run as root.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::syntax::instructions::{Instruction, User};

crate::declare_rule! {
    /// ## What it does
    /// Checks whether the last `USER` of the final image (the last stage
    /// and the stages it is built on) is `root` or user id `0`. An image
    /// with no `USER` at all is not reported: the base image decides.
    ///
    /// ## Why is this bad?
    /// A container process running as root is root on the host's kernel;
    /// a bug in the application or a container escape then has full
    /// privileges. Switch back to an unprivileged user after the steps
    /// that need root.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM debian:12
    /// USER root
    /// RUN apt-get update
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM debian:12
    /// USER root
    /// RUN apt-get update
    /// USER nobody
    /// ```
    pub struct RootUser {
        pub user: String,
    }
}

impl Violation for RootUser {
    const RULE: Rule = Rule::RootUser;
    fn message(&self) -> String {
        format!(
            "the image's last USER is `{}`: containers run as root",
            self.user
        )
    }
}

/// SW040.
pub(crate) fn root_user(checker: &mut Checker) {
    if !checker.any_enabled(Rule::RootUser) {
        return;
    }
    let file = checker.file;
    let shipped = checker.shipped_stages();
    let mut last: Option<&User> = None;
    // Ancestors come before the stages built on them.
    for (i, stage) in file.stages.iter().enumerate() {
        if !shipped[i] {
            continue;
        }
        for ins in &stage.instructions {
            if let Instruction::User(u) = ins {
                last = Some(u);
            }
        }
    }
    let Some(user) = last else { return };
    let name = user.user.value.split(':').next().unwrap_or("");
    if name == "root" || name == "0" {
        let violation = RootUser {
            user: user.user.value.clone(),
        };
        checker.report(violation, user.range);
    }
}
