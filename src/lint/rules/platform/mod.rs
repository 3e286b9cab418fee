//! Rules about `FROM --platform`.

pub mod from_platform_flag_const_disallowed;
pub mod redundant_target_platform;
