//! Rules about the letter case of keywords and stage names.

pub mod consistent_instruction_casing;
pub mod from_as_casing;
pub mod stage_name_casing;
