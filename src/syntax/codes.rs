//! The stable codes of the syntax layer's diagnostics, in one catalogue.
//!
//! A code never changes meaning once released; tools and users match on it.

/// The file is 0 bytes long.
pub const EMPTY_DOCKERFILE: &str = "slipway::parse::empty-dockerfile";
/// The file holds only comments, directives and blank lines.
pub const NO_INSTRUCTIONS: &str = "slipway::parse::no-instructions";
/// The source is not UTF-8.
pub const INVALID_UTF8: &str = "slipway::parse::invalid-utf8";
/// A physical line is longer than BuildKit's scanner accepts.
pub const LINE_TOO_LONG: &str = "slipway::parse::line-too-long";
/// The same parser directive appears twice.
pub const DUPLICATE_DIRECTIVE: &str = "slipway::parse::duplicate-directive";
/// `# escape=` with something other than `\` or a backtick.
pub const INVALID_ESCAPE: &str = "slipway::parse::invalid-escape";
/// A blank line inside a continued instruction (a warning).
pub const EMPTY_CONTINUATION: &str = "slipway::parse::empty-continuation-line";
/// A JSON array with an element that is not a string.
pub const JSON_NOT_STRINGS: &str = "slipway::parse::json-not-string-array";
/// Legacy `ENV key` / `LABEL key` with no value.
pub const MISSING_VALUE: &str = "slipway::parse::missing-value";
/// A `key=value` list with a word that has no `=`.
pub const MISSING_EQUALS: &str = "slipway::parse::missing-equals";
/// A heredoc whose terminator line never comes.
pub const UNTERMINATED_HEREDOC: &str = "slipway::parse::unterminated-heredoc";
/// A heredoc delimiter that cannot be lexed (e.g. an open quote).
pub const INVALID_HEREDOC: &str = "slipway::parse::invalid-heredoc";

// ---------------------------------------------------------------------------
// Instruction layer (`syntax::instructions`): checks BuildKit's instruction
// parser makes on each node (instructions.Parse / ParseInstruction).
// ---------------------------------------------------------------------------

/// A keyword that is not a Dockerfile instruction.
pub const UNKNOWN_INSTRUCTION: &str = "slipway::instruction::unknown-instruction";
/// An instruction other than ARG before the first FROM.
pub const NO_STAGE: &str = "slipway::instruction::no-stage";
/// A `--flag` the instruction does not define.
pub const UNKNOWN_FLAG: &str = "slipway::instruction::unknown-flag";
/// A flag given twice that takes only one value.
pub const DUPLICATE_FLAG: &str = "slipway::instruction::duplicate-flag";
/// A flag with no `=value` where one is needed (or `--bool=`).
pub const MISSING_FLAG_VALUE: &str = "slipway::instruction::missing-flag-value";
/// A flag whose value BuildKit rejects when it parses the instruction.
pub const INVALID_FLAG_VALUE: &str = "slipway::instruction::invalid-flag-value";
/// A flag that mainline BuildKit parses but refuses (`RUN --device`).
pub const UNSUPPORTED_FLAG: &str = "slipway::instruction::unsupported-flag";
/// Too few or too many arguments for the instruction.
pub const ARGUMENT_COUNT: &str = "slipway::instruction::argument-count";
/// An ENV, LABEL or ARG pair with an empty name.
pub const BLANK_NAME: &str = "slipway::instruction::blank-name";
/// `FROM image AS name` with a name BuildKit does not accept.
pub const INVALID_STAGE_NAME: &str = "slipway::instruction::invalid-stage-name";
/// An instruction that must be written as a JSON array (SHELL) was not.
pub const NOT_JSON: &str = "slipway::instruction::not-json";
/// A VOLUME entry that is empty or only blanks.
pub const EMPTY_VOLUME: &str = "slipway::instruction::empty-volume";
/// A heredoc used as the destination of COPY or ADD.
pub const HEREDOC_DESTINATION: &str = "slipway::instruction::heredoc-destination";
/// `ONBUILD ONBUILD`, `ONBUILD FROM` or `ONBUILD MAINTAINER`.
pub const INVALID_TRIGGER: &str = "slipway::instruction::invalid-onbuild-trigger";
/// `HEALTHCHECK` with a type other than CMD or NONE.
pub const UNKNOWN_HEALTHCHECK_TYPE: &str = "slipway::instruction::unknown-healthcheck-type";
