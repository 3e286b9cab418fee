//! `wget-and-curl`: one download tool per stage.

use crate::lint::checker::{Checker, invocations};
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

use crate::syntax::text::TextRange;

crate::declare_rule! {
    /// ## What it does
    /// Checks for stages whose `RUN`s use both `wget` and `curl`, and
    /// reports the first use of the second tool. Off by default: turn it
    /// on with `experimental=wget-and-curl` or by selecting it.
    ///
    /// ## Why is this bad?
    /// Both tools do the same job; needing both usually means both get
    /// installed, which grows the image and the set of packages to keep
    /// patched.
    ///
    /// ## Example
    /// ```dockerfile
    /// RUN wget -q https://example.com/a.tgz
    /// RUN curl -fsSLO https://example.com/b.tgz
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// RUN curl -fsSLO https://example.com/a.tgz
    /// RUN curl -fsSLO https://example.com/b.tgz
    /// ```
    pub struct WgetAndCurl {
        pub second: String,
        pub first: String,
    }
}

impl Violation for WgetAndCurl {
    const RULE: Rule = Rule::WgetAndCurl;
    fn message(&self) -> String {
        format!(
            "`{}` used in a stage that already uses `{}`; one download tool is enough",
            self.second, self.first
        )
    }
}

/// SW039.
pub(crate) fn wget_and_curl(checker: &mut Checker) {
    if !checker.any_enabled(Rule::WgetAndCurl) {
        return;
    }
    let runs = checker.runs();
    let stages = checker.file.stages.len();
    // Per stage: the first tool seen, and where the other one first shows up.
    let mut first: Vec<Option<&str>> = vec![None; stages];
    let mut found: Vec<Option<(&str, TextRange)>> = vec![None; stages];
    for (run, _, inv) in invocations(&runs) {
        let tool = match inv.program {
            "wget" => "wget",
            "curl" => "curl",
            _ => continue,
        };
        let Some(seen) = first.get_mut(run.stage) else {
            continue;
        };
        match seen {
            None => *seen = Some(tool),
            Some(t) if *t != tool && found[run.stage].is_none() => {
                found[run.stage] = Some((tool, run.word_range(inv.name)));
            }
            _ => {}
        }
    }
    for (stage, hit) in found.into_iter().enumerate() {
        if let (Some((second, range)), Some(first)) = (hit, first[stage]) {
            let violation = WgetAndCurl {
                second: second.to_owned(),
                first: first.to_owned(),
            };
            checker.report(violation, range);
        }
    }
}
