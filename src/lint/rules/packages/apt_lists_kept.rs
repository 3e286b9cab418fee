//! `apt-lists-kept`: the RUN that downloads apt's package lists deletes
//! them.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Checks for a `RUN` that runs `apt-get update` but does not delete
    /// `/var/lib/apt/lists` in the same `RUN`. Stages that do not end up
    /// in the final image (neither the last stage nor a stage it is built
    /// on) are not reported, nor is a `RUN` with a cache mount on
    /// `/var/lib/apt`.
    ///
    /// ## Why is this bad?
    /// The package lists take tens of megabytes. A layer keeps them even if
    /// a later `RUN` deletes them, and stale lists in the image make a
    /// later `apt-get install` use outdated package versions.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN apt-get update && apt-get install -y --no-install-recommends curl \
    ///     && rm -rf /var/lib/apt/lists/*
    /// ```
    pub struct AptListsKept;
}

impl Violation for AptListsKept {
    const RULE: Rule = Rule::AptListsKept;
    fn message(&self) -> String {
        "`apt-get update` without `rm -rf /var/lib/apt/lists/*` in the same RUN leaves the package lists in the image".to_owned()
    }
}

/// SW027.
pub(crate) fn apt_lists_kept(checker: &mut Checker) {
    if !checker.any_enabled(Rule::AptListsKept) {
        return;
    }
    let shipped = checker.shipped_stages();
    let runs = checker.runs();
    for run in runs.iter() {
        if !shipped.get(run.stage).copied().unwrap_or(false)
            || super::has_cache_mount(run, &["/var/lib/apt"])
        {
            continue;
        }
        let update = run.commands.iter().find(|c| {
            c.invocation()
                .is_some_and(|i| i.program == "apt-get" && i.subcommand() == Some("update"))
        });
        let Some(update) = update else { continue };
        let cleaned = run.commands.iter().any(|c| {
            c.invocation().is_some_and(|i| {
                matches!(i.program, "rm" | "find")
                    && i.args
                        .iter()
                        .any(|w| w.value.starts_with("/var/lib/apt/lists"))
            })
        });
        if !cleaned {
            checker.report(AptListsKept, run.source_range(update.range));
        }
    }
}
