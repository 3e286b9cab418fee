//! The rule registry: one line per rule, giving its stable id, the
//! kebab-case name users see (`slipway::lint::<name>`), the BuildKit check
//! name and hadolint code it corresponds to, default severity and status.
//!
//! A flat catalogue, so it is exempt from the file-size guideline. Ids and
//! names are stable forever; a retired rule keeps its line.

use crate::diagnostics::Severity;
use crate::lint::rule::Status;

use super::{casing, expose, platform, security, stages, syntax, variables};

/// Every rule slipway knows.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Rule {
    ConsistentInstructionCasing,
    FromAsCasing,
    StageNameCasing,
    NoEmptyContinuation,
    DuplicateStageName,
    ReservedStageName,
    JsonArgsRecommended,
    MaintainerDeprecated,
    LegacyKeyValueFormat,
    MultipleInstructionsDisallowed,
    WorkdirRelativePath,
    RedundantTargetPlatform,
    FromPlatformFlagConstDisallowed,
    ExposeProtoCasing,
    ExposeInvalidFormat,
    SecretsUsedInArgOrEnv,
    UndefinedArgInFrom,
    InvalidDefaultArgInFrom,
    UndefinedVar,
}

/// A rule's registry entry.
#[derive(Clone, Copy, Debug)]
pub struct RuleInfo {
    pub rule: Rule,
    /// Short stable id, `SW` and three digits.
    pub id: &'static str,
    /// The kebab-case name, also the last part of the diagnostic code.
    pub name: &'static str,
    /// The diagnostic code: `slipway::lint::<name>`.
    pub code: &'static str,
    /// BuildKit's check name, accepted wherever a rule is named.
    pub buildkit: Option<&'static str>,
    /// The hadolint rule that checks the same thing, if any.
    pub hadolint: Option<&'static str>,
    pub severity: Severity,
    pub status: Status,
    /// The rule's documentation (Markdown).
    pub doc: &'static str,
}

macro_rules! entry {
    ($rule:ident, $id:literal, $name:literal, $bk:expr, $hl:expr, $doc:expr) => {
        RuleInfo {
            rule: Rule::$rule,
            id: $id,
            name: $name,
            code: concat!("slipway::lint::", $name),
            buildkit: $bk,
            hadolint: $hl,
            severity: Severity::Warning,
            status: Status::Stable,
            doc: $doc,
        }
    };
}

/// The registry, in id order.
#[rustfmt::skip]
pub static RULES: &[RuleInfo] = &[
    entry!(ConsistentInstructionCasing, "SW001", "consistent-instruction-casing", Some("ConsistentInstructionCasing"), None, casing::consistent_instruction_casing::ConsistentInstructionCasing::DOC),
    entry!(FromAsCasing, "SW002", "from-as-casing", Some("FromAsCasing"), None, casing::from_as_casing::FromAsCasing::DOC),
    entry!(StageNameCasing, "SW003", "stage-name-casing", Some("StageNameCasing"), None, casing::stage_name_casing::StageNameCasing::DOC),
    entry!(NoEmptyContinuation, "SW004", "no-empty-continuation", Some("NoEmptyContinuation"), None, syntax::no_empty_continuation::NoEmptyContinuation::DOC),
    entry!(DuplicateStageName, "SW005", "duplicate-stage-name", Some("DuplicateStageName"), Some("DL3024"), stages::duplicate_stage_name::DuplicateStageName::DOC),
    entry!(ReservedStageName, "SW006", "reserved-stage-name", Some("ReservedStageName"), Some("DL3063"), stages::reserved_stage_name::ReservedStageName::DOC),
    entry!(JsonArgsRecommended, "SW007", "json-args-recommended", Some("JSONArgsRecommended"), Some("DL3025"), syntax::json_args_recommended::JsonArgsRecommended::DOC),
    entry!(MaintainerDeprecated, "SW008", "maintainer-deprecated", Some("MaintainerDeprecated"), Some("DL4000"), syntax::maintainer_deprecated::MaintainerDeprecated::DOC),
    entry!(LegacyKeyValueFormat, "SW009", "legacy-key-value-format", Some("LegacyKeyValueFormat"), None, syntax::legacy_key_value_format::LegacyKeyValueFormat::DOC),
    entry!(MultipleInstructionsDisallowed, "SW010", "multiple-instructions-disallowed", Some("MultipleInstructionsDisallowed"), None, stages::multiple_instructions_disallowed::MultipleInstructionsDisallowed::DOC),
    entry!(WorkdirRelativePath, "SW011", "workdir-relative-path", Some("WorkdirRelativePath"), None, stages::workdir_relative_path::WorkdirRelativePath::DOC),
    entry!(RedundantTargetPlatform, "SW012", "redundant-target-platform", Some("RedundantTargetPlatform"), Some("DL3065"), platform::redundant_target_platform::RedundantTargetPlatform::DOC),
    entry!(FromPlatformFlagConstDisallowed, "SW013", "from-platform-flag-const-disallowed", Some("FromPlatformFlagConstDisallowed"), None, platform::from_platform_flag_const_disallowed::FromPlatformFlagConstDisallowed::DOC),
    entry!(ExposeProtoCasing, "SW014", "expose-proto-casing", Some("ExposeProtoCasing"), None, expose::expose_proto_casing::ExposeProtoCasing::DOC),
    entry!(ExposeInvalidFormat, "SW015", "expose-invalid-format", Some("ExposeInvalidFormat"), None, expose::expose_invalid_format::ExposeInvalidFormat::DOC),
    entry!(SecretsUsedInArgOrEnv, "SW016", "secrets-used-in-arg-or-env", Some("SecretsUsedInArgOrEnv"), Some("DL3064"), security::secrets_used_in_arg_or_env::SecretsUsedInArgOrEnv::DOC),
    entry!(UndefinedArgInFrom, "SW017", "undefined-arg-in-from", Some("UndefinedArgInFrom"), None, variables::undefined_arg_in_from::UndefinedArgInFrom::DOC),
    entry!(InvalidDefaultArgInFrom, "SW018", "invalid-default-arg-in-from", Some("InvalidDefaultArgInFrom"), None, variables::invalid_default_arg_in_from::InvalidDefaultArgInFrom::DOC),
    entry!(UndefinedVar, "SW019", "undefined-var", Some("UndefinedVar"), None, variables::undefined_var::UndefinedVar::DOC),
];

impl Rule {
    /// The rule's registry entry.
    pub fn info(self) -> &'static RuleInfo {
        // Every variant has exactly one entry (tested in `tests/lint.rs`).
        RULES.iter().find(|i| i.rule == self).unwrap_or(&RULES[0])
    }

    /// Looks a rule up by id, kebab name or BuildKit name. Case matters, as
    /// in BuildKit's `# check=skip=`.
    pub fn from_name(name: &str) -> Option<Rule> {
        RULES
            .iter()
            .find(|i| i.id == name || i.name == name || i.buildkit == Some(name))
            .map(|i| i.rule)
    }
}
