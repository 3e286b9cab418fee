//! Rules about how an instruction is written: continuation lines, argument
//! forms, deprecated instructions.

pub mod invalid_definition_description;
pub mod json_args_recommended;
pub mod legacy_key_value_format;
pub mod maintainer_deprecated;
pub mod no_empty_continuation;
