//! ShellCheck's findings on `RUN` bodies.

pub mod shellcheck;
