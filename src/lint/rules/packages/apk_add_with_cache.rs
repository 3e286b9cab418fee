//! `apk-add-with-cache`: `apk add` keeps no package index in the image.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Checks for `apk add` without `--no-cache`. Not reported when the
    /// same `RUN` deletes `/var/cache/apk` or has a cache mount on it.
    ///
    /// ## Why is this bad?
    /// Without `--no-cache`, apk stores the package index under
    /// `/var/cache/apk`, and the layer keeps it.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN apk add curl
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN apk add --no-cache curl
    /// ```
    pub struct ApkAddWithCache;
}

impl Violation for ApkAddWithCache {
    const RULE: Rule = Rule::ApkAddWithCache;
    fn message(&self) -> String {
        "`apk add` without `--no-cache` leaves the package index in the image".to_owned()
    }
}

/// SW038.
pub(crate) fn apk_add_with_cache(checker: &mut Checker) {
    if !checker.any_enabled(Rule::ApkAddWithCache) {
        return;
    }
    let runs = checker.runs();
    for run in runs.iter() {
        if super::has_cache_mount(run, &["/var/cache/apk", "/etc/apk/cache"]) {
            continue;
        }
        let cleaned = run.commands.iter().any(|c| {
            c.invocation().is_some_and(|i| {
                i.program == "rm" && i.args.iter().any(|w| w.value.starts_with("/var/cache/apk"))
            })
        });
        if cleaned {
            continue;
        }
        for cmd in &run.commands {
            let Some(inv) = cmd.invocation() else {
                continue;
            };
            if inv.program == "apk"
                && inv.subcommand() == Some("add")
                && !inv.has_option(&[], &["no-cache"])
            {
                checker.report(ApkAddWithCache, run.source_range(cmd.range));
            }
        }
    }
}
