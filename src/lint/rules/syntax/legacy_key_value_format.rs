//! `LegacyKeyValueFormat`: `ENV key=value`, not `ENV key value`.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::syntax::instructions::Instruction;

crate::declare_rule! {
    /// ## What it does
    /// Checks for `ENV` and `LABEL` written in the legacy whitespace form,
    /// `ENV key value`, instead of `ENV key=value`.
    ///
    /// ## Why is this bad?
    /// In the legacy form everything after the first space is the value, so
    /// only one variable can be set, and it is easy to misread
    /// `ENV A B=C` (sets `A` to `B=C`). The legacy form may be removed.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine
    /// ENV VERSION 1.2
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine
    /// ENV VERSION=1.2
    /// ```
    pub struct LegacyKeyValueFormat {
        pub keyword: String,
    }
}

impl Violation for LegacyKeyValueFormat {
    const RULE: Rule = Rule::LegacyKeyValueFormat;
    fn message(&self) -> String {
        format!(
            "\"{0} key=value\" should be used instead of legacy \"{0} key value\" format",
            self.keyword
        )
    }
}

/// SW009. One finding per legacy pair, as BuildKit reports it.
pub(crate) fn legacy_key_value_format(checker: &mut Checker) {
    if !checker.any_enabled(Rule::LegacyKeyValueFormat) {
        return;
    }
    let file = checker.file;
    for stage in &file.stages {
        for ins in &stage.instructions {
            let (range, pairs) = match ins {
                Instruction::Env(e) => (e.range, &e.pairs),
                Instruction::Label(l) => (l.range, &l.pairs),
                _ => continue,
            };
            for _ in pairs.iter().filter(|p| p.legacy) {
                let keyword = checker.keyword_at(range);
                checker.report(LegacyKeyValueFormat { keyword }, range);
            }
        }
    }
}
