//! Rules about the commands inside `RUN` and how `RUN`s are laid out.

pub mod cd_instead_of_workdir;
pub mod consecutive_run_instructions;
pub mod pipe_without_pipefail;
pub mod sudo_in_run;
pub mod wget_and_curl;
pub mod wget_without_progress_flag;
