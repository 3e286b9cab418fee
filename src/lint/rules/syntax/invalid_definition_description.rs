//! `InvalidDefinitionDescription`: a comment directly above `FROM ... AS
//! name` or `ARG name` starts with that name.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::text::TextRange;

crate::declare_rule! {
    /// ## What it does
    /// Checks that the comment directly above a named build stage
    /// (`FROM ... AS name`) or an `ARG` starts with the stage or argument
    /// name, in the form `# <name> <description>`. Only the last line of
    /// the comment block is looked at; an empty comment line (`#`) ends the
    /// block.
    ///
    /// ## Why is this bad?
    /// Tools that describe a Dockerfile's stages and build arguments (such
    /// as `docker buildx build --call=outline`) take the description from
    /// that comment only when it starts with the name. A comment that is
    /// not meant as a description should be separated from the instruction
    /// by an empty comment line or another comment.
    ///
    /// ## Example
    /// ```dockerfile
    /// # check=experimental=InvalidDefinitionDescription
    /// # The version of Go to build with
    /// ARG GO_VERSION=1.23
    ///
    /// # Compiles the binary
    /// FROM golang:${GO_VERSION} AS build
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// # check=experimental=InvalidDefinitionDescription
    /// # GO_VERSION is the version of Go to build with
    /// ARG GO_VERSION=1.23
    ///
    /// # build compiles the binary
    /// FROM golang:${GO_VERSION} AS build
    /// ```
    pub struct InvalidDefinitionDescription {
        /// `FROM` or `ARG`.
        pub instruction: &'static str,
        /// The name the comment should start with, or `<arg_key>` for an
        /// `ARG` that declares several.
        pub name: String,
    }
}

impl Violation for InvalidDefinitionDescription {
    const RULE: Rule = Rule::InvalidDefinitionDescription;
    fn message(&self) -> String {
        format!(
            "Comment for {} should follow the format: `# {} <description>`",
            self.instruction, self.name
        )
    }
}

/// SW022.
pub(crate) fn invalid_definition_description(checker: &mut Checker) {
    if !checker.any_enabled(Rule::InvalidDefinitionDescription) {
        return;
    }
    let file = checker.file;
    let mut found: Vec<(TextRange, InvalidDefinitionDescription)> = Vec::new();
    let mut check = |checker: &Checker, instruction: &'static str, range, keys: Vec<&str>| {
        let Some(node) = checker.node_at(range) else {
            return;
        };
        if let Some(name) = violation(&node.comments, &keys) {
            found.push((range, InvalidDefinitionDescription { instruction, name }));
        }
    };
    for arg in &file.meta_args {
        let keys = arg.args.iter().map(|a| a.key.value.as_str()).collect();
        check(checker, "ARG", arg.range, keys);
    }
    for stage in &file.stages {
        if let Some(name) = &stage.name {
            check(checker, "FROM", stage.from.range, vec![name.value.as_str()]);
        }
        for ins in &stage.instructions {
            if let crate::syntax::instructions::Instruction::Arg(arg) = ins {
                let keys = arg.args.iter().map(|a| a.key.value.as_str()).collect();
                check(checker, "ARG", arg.range, keys);
            }
        }
    }
    for (range, violation) in found {
        checker.report(violation, range);
    }
}

/// The name to show in the message when the last comment above the
/// instruction does not start with one of `keys` (its text up to the first
/// space); `None` when there is no comment or it is fine.
fn violation(comments: &[String], keys: &[&str]) -> Option<String> {
    let last = comments.last()?;
    let first = *keys.first()?;
    let word = last.split(' ').next().unwrap_or("");
    if keys.contains(&word) {
        return None;
    }
    Some(if keys.len() > 1 { "<arg_key>" } else { first }.to_owned())
}
