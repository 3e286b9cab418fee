//! Rules about build stages: their names and what one stage may hold.

pub mod duplicate_stage_name;
pub mod multiple_instructions_disallowed;
pub mod reserved_stage_name;
pub mod workdir_relative_path;
