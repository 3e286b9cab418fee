//! The rule registry: one line per rule, giving its stable id, the
//! kebab-case name users see (`slipway::lint::<name>`), the BuildKit check
//! name and hadolint code it corresponds to, default severity and status.
//!
//! A flat catalogue, so it is exempt from the file-size guideline. Ids and
//! names are stable forever; a retired rule keeps its line.
//!
//! SW001–SW022 are BuildKit's checks; of the last three,
//! InvalidBaseImagePlatform and CopyIgnoredFile report only when given what
//! a build knows (resolved base images, `.dockerignore`), and
//! InvalidDefinitionDescription is experimental. From SW023 on come
//! slipway's own best-practice rules, the class hadolint covers; each names
//! the hadolint rule it corresponds to, so `# hadolint ignore=DL3006`
//! pragmas keep working. SW045 is the ShellCheck family: each ShellCheck
//! code is a rule of its own, [`Rule::Shellcheck`] with the code's number,
//! named `SC2086` and so on, which selects, ignores and skips like any
//! other rule; `shellcheck` (or SW045) names the whole family.

use std::collections::HashMap;
use std::sync::{Mutex, OnceLock};

use crate::diagnostics::Severity;
use crate::lint::rule::Status;

use super::{
    casing, copy, expose, image, packages, platform, run, security, shell, stages, syntax,
    variables,
};

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
    InvalidBaseImagePlatform,
    CopyIgnoredFile,
    InvalidDefinitionDescription,
    UntaggedBaseImage,
    LatestBaseImage,
    AptGetInstallWithoutYes,
    AptGetInstallWithRecommends,
    AptListsKept,
    AptInsteadOfAptGet,
    CdInsteadOfWorkdir,
    SudoInRun,
    AddInsteadOfCopy,
    ConsecutiveRunInstructions,
    PipeWithoutPipefail,
    CopyFromUnknownStage,
    CopyFromOwnStage,
    UntrustedBaseImageRegistry,
    PipInstallWithCache,
    ApkAddWithCache,
    WgetAndCurl,
    RootUser,
    CopyMultipleSourcesToFile,
    ExposePortOutOfRange,
    WgetWithoutProgressFlag,
    CopyRelativeDestinationWithoutWorkdir,
    /// A ShellCheck code (`Shellcheck(2086)` is SC2086); `Shellcheck(0)` is
    /// the family as a whole.
    Shellcheck(u16),
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
    ($rule:ident, $id:literal, $name:literal, $bk:expr, $hl:expr, $status:ident, $doc:expr) => {
        RuleInfo {
            status: Status::$status,
            ..entry!($rule, $id, $name, $bk, $hl, $doc)
        }
    };
}

/// A registry entry for one of slipway's own rules.
macro_rules! own {
    ($rule:expr, $id:literal, $name:literal, $hl:literal, $severity:ident, $status:ident, $doc:expr) => {
        RuleInfo {
            rule: $rule,
            id: $id,
            name: $name,
            code: concat!("slipway::lint::", $name),
            buildkit: None,
            hadolint: Some($hl),
            severity: Severity::$severity,
            status: Status::$status,
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
    entry!(InvalidBaseImagePlatform, "SW020", "invalid-base-image-platform", Some("InvalidBaseImagePlatform"), None, platform::invalid_base_image_platform::InvalidBaseImagePlatform::DOC),
    entry!(CopyIgnoredFile, "SW021", "copy-ignored-file", Some("CopyIgnoredFile"), None, copy::copy_ignored_file::CopyIgnoredFile::DOC),
    entry!(InvalidDefinitionDescription, "SW022", "invalid-definition-description", Some("InvalidDefinitionDescription"), None, Experimental, syntax::invalid_definition_description::InvalidDefinitionDescription::DOC),
    own!(Rule::UntaggedBaseImage, "SW023", "untagged-base-image", "DL3006", Warning, Stable, image::untagged_base_image::UntaggedBaseImage::DOC),
    own!(Rule::LatestBaseImage, "SW024", "latest-base-image", "DL3007", Warning, Stable, image::latest_base_image::LatestBaseImage::DOC),
    own!(Rule::AptGetInstallWithoutYes, "SW025", "apt-get-install-without-yes", "DL3014", Warning, Stable, packages::apt_get_install_without_yes::AptGetInstallWithoutYes::DOC),
    own!(Rule::AptGetInstallWithRecommends, "SW026", "apt-get-install-with-recommends", "DL3015", Warning, Stable, packages::apt_get_install_with_recommends::AptGetInstallWithRecommends::DOC),
    own!(Rule::AptListsKept, "SW027", "apt-lists-kept", "DL3009", Warning, Stable, packages::apt_lists_kept::AptListsKept::DOC),
    own!(Rule::AptInsteadOfAptGet, "SW028", "apt-instead-of-apt-get", "DL3027", Warning, Stable, packages::apt_instead_of_apt_get::AptInsteadOfAptGet::DOC),
    own!(Rule::CdInsteadOfWorkdir, "SW029", "cd-instead-of-workdir", "DL3003", Warning, Stable, run::cd_instead_of_workdir::CdInsteadOfWorkdir::DOC),
    own!(Rule::SudoInRun, "SW030", "sudo-in-run", "DL3004", Error, Stable, run::sudo_in_run::SudoInRun::DOC),
    own!(Rule::AddInsteadOfCopy, "SW031", "add-instead-of-copy", "DL3020", Warning, Stable, copy::add_instead_of_copy::AddInsteadOfCopy::DOC),
    own!(Rule::ConsecutiveRunInstructions, "SW032", "consecutive-run-instructions", "DL3059", Warning, Experimental, run::consecutive_run_instructions::ConsecutiveRunInstructions::DOC),
    own!(Rule::PipeWithoutPipefail, "SW033", "pipe-without-pipefail", "DL4006", Warning, Stable, run::pipe_without_pipefail::PipeWithoutPipefail::DOC),
    own!(Rule::CopyFromUnknownStage, "SW034", "copy-from-unknown-stage", "DL3022", Warning, Stable, copy::copy_from_unknown_stage::CopyFromUnknownStage::DOC),
    own!(Rule::CopyFromOwnStage, "SW035", "copy-from-own-stage", "DL3023", Error, Stable, copy::copy_from_own_stage::CopyFromOwnStage::DOC),
    own!(Rule::UntrustedBaseImageRegistry, "SW036", "untrusted-base-image-registry", "DL3026", Error, Stable, image::untrusted_base_image_registry::UntrustedBaseImageRegistry::DOC),
    own!(Rule::PipInstallWithCache, "SW037", "pip-install-with-cache", "DL3042", Warning, Stable, packages::pip_install_with_cache::PipInstallWithCache::DOC),
    own!(Rule::ApkAddWithCache, "SW038", "apk-add-with-cache", "DL3019", Warning, Stable, packages::apk_add_with_cache::ApkAddWithCache::DOC),
    own!(Rule::WgetAndCurl, "SW039", "wget-and-curl", "DL4001", Warning, Experimental, run::wget_and_curl::WgetAndCurl::DOC),
    own!(Rule::RootUser, "SW040", "root-user", "DL3002", Warning, Stable, security::root_user::RootUser::DOC),
    own!(Rule::CopyMultipleSourcesToFile, "SW041", "copy-multiple-sources-to-file", "DL3021", Error, Stable, copy::copy_multiple_sources_to_file::CopyMultipleSourcesToFile::DOC),
    own!(Rule::ExposePortOutOfRange, "SW042", "expose-port-out-of-range", "DL3011", Error, Stable, expose::expose_port_out_of_range::ExposePortOutOfRange::DOC),
    own!(Rule::WgetWithoutProgressFlag, "SW043", "wget-without-progress-flag", "DL3047", Warning, Experimental, run::wget_without_progress_flag::WgetWithoutProgressFlag::DOC),
    own!(Rule::CopyRelativeDestinationWithoutWorkdir, "SW044", "copy-relative-destination-without-workdir", "DL3045", Warning, Stable, copy::copy_relative_destination_without_workdir::CopyRelativeDestinationWithoutWorkdir::DOC),
    RuleInfo {
        rule: Rule::Shellcheck(0),
        id: "SW045",
        name: "shellcheck",
        code: "slipway::lint::shellcheck",
        buildkit: None,
        hadolint: None,
        severity: Severity::Warning,
        status: Status::Stable,
        doc: shell::shellcheck::Shellcheck::DOC,
    },
];

impl Rule {
    /// The rule's registry entry.
    ///
    /// A ShellCheck code gets an entry of its own, made on first use: id
    /// and name `SC2086`, code `slipway::lint::SC2086`, hadolint code
    /// `SC2086`, the rest from the family's entry.
    pub fn info(self) -> &'static RuleInfo {
        if let Rule::Shellcheck(n) = self
            && n != 0
        {
            return shellcheck_info(n);
        }
        // Every variant has exactly one entry (tested in `tests/lint.rs`).
        RULES.iter().find(|i| i.rule == self).unwrap_or(&RULES[0])
    }

    /// Looks a rule up by id, kebab name or BuildKit name, or a ShellCheck
    /// code (`SC2086`). Case matters, as in BuildKit's `# check=skip=`.
    pub fn from_name(name: &str) -> Option<Rule> {
        RULES
            .iter()
            .find(|i| i.id == name || i.name == name || i.buildkit == Some(name))
            .map(|i| i.rule)
            .or_else(|| shellcheck_code(name))
    }

    /// The rule of a finding's diagnostic code (`slipway::lint::<name>`),
    /// ShellCheck codes included.
    pub fn from_code(code: &str) -> Option<Rule> {
        if let Some(i) = RULES.iter().find(|i| i.code == code) {
            return Some(i.rule);
        }
        shellcheck_code(code.strip_prefix("slipway::lint::")?)
    }

    /// The rules a hadolint code stands for (for `# hadolint ignore=`): the
    /// rules mapped to it, or the ShellCheck code itself.
    pub fn from_hadolint(code: &str) -> Vec<Rule> {
        let mut rules: Vec<Rule> = RULES
            .iter()
            .filter(|i| i.hadolint == Some(code))
            .map(|i| i.rule)
            .collect();
        rules.extend(shellcheck_code(code));
        rules
    }
}

/// `SC` and four digits, 1000 to 9999.
fn shellcheck_code(name: &str) -> Option<Rule> {
    let digits = name.strip_prefix("SC")?;
    if digits.len() != 4 || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    let n: u16 = digits.parse().ok()?;
    (n >= 1000).then_some(Rule::Shellcheck(n))
}

/// The registry entry of ShellCheck code `n`, made once and kept for the
/// life of the process (there are at most 9000 codes).
fn shellcheck_info(n: u16) -> &'static RuleInfo {
    static ENTRIES: OnceLock<Mutex<HashMap<u16, &'static RuleInfo>>> = OnceLock::new();
    let family = RULES
        .iter()
        .find(|i| i.rule == Rule::Shellcheck(0))
        .unwrap_or(&RULES[0]);
    let mut entries = ENTRIES
        .get_or_init(Mutex::default)
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner);
    entries.entry(n).or_insert_with(|| {
        let name: &'static str = Box::leak(format!("SC{n}").into_boxed_str());
        let code: &'static str = Box::leak(format!("slipway::lint::{name}").into_boxed_str());
        Box::leak(Box::new(RuleInfo {
            rule: Rule::Shellcheck(n),
            id: name,
            name,
            code,
            hadolint: Some(name),
            ..*family
        }))
    })
}
