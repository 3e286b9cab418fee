//! Rules about variables: ARGs used in FROM, and their default values.

pub mod invalid_default_arg_in_from;
pub mod undefined_arg_in_from;
pub mod undefined_var;
