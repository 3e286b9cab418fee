//! The rules, one per file, grouped by what they look at, and the
//! dispatcher that runs them in registry order.

pub mod casing;
pub mod codes;
pub mod copy;
pub mod expose;
pub mod image;
pub mod packages;
pub mod platform;
pub mod run;
pub mod security;
pub mod shell;
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
    platform::invalid_base_image_platform::invalid_base_image_platform(checker);
    copy::copy_ignored_file::copy_ignored_file(checker);
    syntax::invalid_definition_description::invalid_definition_description(checker);
    image::untagged_base_image::untagged_base_image(checker);
    image::latest_base_image::latest_base_image(checker);
    packages::apt_get_install_without_yes::apt_get_install_without_yes(checker);
    packages::apt_get_install_with_recommends::apt_get_install_with_recommends(checker);
    packages::apt_lists_kept::apt_lists_kept(checker);
    packages::apt_instead_of_apt_get::apt_instead_of_apt_get(checker);
    run::cd_instead_of_workdir::cd_instead_of_workdir(checker);
    run::sudo_in_run::sudo_in_run(checker);
    copy::add_instead_of_copy::add_instead_of_copy(checker);
    run::consecutive_run_instructions::consecutive_run_instructions(checker);
    run::pipe_without_pipefail::pipe_without_pipefail(checker);
    copy::copy_from_unknown_stage::copy_from_unknown_stage(checker);
    copy::copy_from_own_stage::copy_from_own_stage(checker);
    image::untrusted_base_image_registry::untrusted_base_image_registry(checker);
    packages::pip_install_with_cache::pip_install_with_cache(checker);
    packages::apk_add_with_cache::apk_add_with_cache(checker);
    run::wget_and_curl::wget_and_curl(checker);
    security::root_user::root_user(checker);
    copy::copy_multiple_sources_to_file::copy_multiple_sources_to_file(checker);
    expose::expose_port_out_of_range::expose_port_out_of_range(checker);
    run::wget_without_progress_flag::wget_without_progress_flag(checker);
    copy::copy_relative_destination_without_workdir::copy_relative_destination_without_workdir(
        checker,
    );
    shell::shellcheck::shellcheck(checker);
}
