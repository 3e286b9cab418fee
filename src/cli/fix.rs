//! `slipway lint --fix` / `--diff`: applies the safe fixes.

use super::args::LintArgs;
use super::{Fatal, Outcome};

pub fn run(_args: &LintArgs) -> Result<Outcome, Fatal> {
    Err(Fatal("--fix is being written".to_owned()))
}
