//! The rules, one per file, grouped by what they look at, and the
//! dispatcher that runs them in registry order.

pub mod casing;
pub mod codes;
pub mod expose;
pub mod platform;
pub mod security;
pub mod stages;
pub mod syntax;
pub mod variables;

use super::checker::Checker;

/// Runs every rule; each returns early when it is off for the whole file.
pub(crate) fn run_all(checker: &mut Checker) {
    casing::consistent_instruction_casing::consistent_instruction_casing(checker);
    casing::from_as_casing::from_as_casing(checker);
    casing::stage_name_casing::stage_name_casing(checker);
    syntax::no_empty_continuation::no_empty_continuation(checker);
    stages::duplicate_stage_name::duplicate_stage_name(checker);
    stages::reserved_stage_name::reserved_stage_name(checker);
    syntax::json_args_recommended::json_args_recommended(checker);
    syntax::maintainer_deprecated::maintainer_deprecated(checker);
    syntax::legacy_key_value_format::legacy_key_value_format(checker);
    stages::multiple_instructions_disallowed::multiple_instructions_disallowed(checker);
    stages::workdir_relative_path::workdir_relative_path(checker);
    platform::redundant_target_platform::redundant_target_platform(checker);
    platform::from_platform_flag_const_disallowed::from_platform_flag_const_disallowed(checker);
    expose::expose_proto_casing::expose_proto_casing(checker);
    expose::expose_invalid_format::expose_invalid_format(checker);
    security::secrets_used_in_arg_or_env::secrets_used_in_arg_or_env(checker);
    variables::undefined_arg_in_from::undefined_arg_in_from(checker);
    variables::invalid_default_arg_in_from::invalid_default_arg_in_from(checker);
    variables::undefined_var::undefined_var(checker);
}
