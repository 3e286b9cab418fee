//! Rules about `FROM --platform`.

pub mod from_platform_flag_const_disallowed;
pub mod invalid_base_image_platform;
pub mod redundant_target_platform;
