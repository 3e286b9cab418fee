//! Rules about secrets, users and other sensitive matters.

pub mod root_user;
pub mod secrets_used_in_arg_or_env;
