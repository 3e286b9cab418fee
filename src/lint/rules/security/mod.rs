//! Rules about secrets and other sensitive data.

pub mod secrets_used_in_arg_or_env;
