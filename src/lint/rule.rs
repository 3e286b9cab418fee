//! What every lint rule shares: the [`Violation`] trait its finding type
//! implements, the rule's [`Status`], and `declare_rule!`, which turns the
//! rule's doc comment into the text `slipway lint --explain` prints.

use super::rules::codes::Rule;

/// Whether a rule runs by default.
#[derive(Clone, Copy, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Status {
    /// Runs unless skipped.
    Stable,
    /// Runs only when named in `experimental=` (BuildKit's experimental
    /// rules ignore `skip=`).
    Experimental,
}

/// A finding of one rule: which rule it belongs to and its message.
pub trait Violation {
    /// The rule this finding belongs to.
    const RULE: Rule;
    /// The message, worded exactly as BuildKit words it for BuildKit rules.
    fn message(&self) -> String;
}

/// Declares a rule's finding type and keeps its doc comment as `DOC`.
///
/// The doc comment must have `## What it does`, `## Why is this bad?` and
/// `## Example` (with "Use instead:"); `tests/lint.rs` checks every rule.
#[macro_export]
#[doc(hidden)]
macro_rules! declare_rule {
    ($(#[doc = $doc:literal])* $vis:vis struct $name:ident $body:tt) => {
        $(#[doc = $doc])*
        #[derive(Clone, Debug)]
        $vis struct $name $body
        impl $name {
            /// The rule's documentation, as Markdown.
            pub const DOC: &'static str = concat!($($doc, "\n"),*);
        }
    };
    ($(#[doc = $doc:literal])* $vis:vis struct $name:ident;) => {
        $(#[doc = $doc])*
        #[derive(Clone, Debug)]
        $vis struct $name;
        impl $name {
            /// The rule's documentation, as Markdown.
            pub const DOC: &'static str = concat!($($doc, "\n"),*);
        }
    };
}
