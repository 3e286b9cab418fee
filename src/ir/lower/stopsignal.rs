//! `STOPSIGNAL signal`: expanded, checked as a signal number or name
//! (`SIGTERM`, `term`, `9`), stored as written.

use crate::diagnostics::Diagnostic;
use crate::syntax::instructions::Stopsignal;

use crate::ir::codes;
use crate::ir::plan::Command;

use super::{Stage, history};

const SIGNALS: [&str; 35] = [
    "ABRT", "ALRM", "BUS", "CHLD", "CLD", "CONT", "FPE", "HUP", "ILL", "INT", "IO", "IOT", "KILL",
    "PIPE", "POLL", "PROF", "PWR", "QUIT", "SEGV", "STKFLT", "STOP", "SYS", "TERM", "TRAP", "TSTP",
    "TTIN", "TTOU", "URG", "USR1", "USR2", "VTALRM", "WINCH", "XCPU", "XFSZ", "RTMIN",
];

pub(super) fn lower(stage: &mut Stage, cmd: &Command, s: &Stopsignal) -> Result<(), Diagnostic> {
    let signal = stage.expand(&s.signal, cmd)?;
    if !valid_signal(&signal) {
        return Err(Diagnostic::error(
            codes::INVALID_VALUE,
            super::span(cmd, s.signal.range),
            format!("invalid signal: {signal}"),
        )
        .with_label("not a signal")
        .with_help("use a signal name such as SIGTERM or a number"));
    }
    stage.state.image.config.stop_signal.clone_from(&signal);
    let epoch = stage.plan().epoch;
    history::commit(
        &mut stage.state.image,
        format!("STOPSIGNAL {signal}"),
        false,
        false,
        epoch,
    );
    Ok(())
}

/// moby's `signal.ParseSignal` on Linux.
fn valid_signal(s: &str) -> bool {
    let digits = s.strip_prefix(['+', '-']).unwrap_or(s);
    if !digits.is_empty() && digits.bytes().all(|b| b.is_ascii_digit()) {
        return s.parse::<i64>().is_ok_and(|n| n != 0);
    }
    let upper = s.to_uppercase();
    let name = upper.strip_prefix("SIG").unwrap_or(&upper);
    if SIGNALS.contains(&name) || name == "RTMAX" {
        return true;
    }
    let offset = |rest: &str, max: u32| rest.parse::<u32>().is_ok_and(|n| (1..=max).contains(&n));
    name.strip_prefix("RTMIN+").is_some_and(|r| offset(r, 15))
        || name.strip_prefix("RTMAX-").is_some_and(|r| offset(r, 14))
}

#[cfg(test)]
mod tests {
    use super::valid_signal;

    #[test]
    fn signals() {
        for ok in ["SIGTERM", "term", "9", "SIGRTMIN+3", "RTMAX-14", "-1"] {
            assert!(valid_signal(ok), "{ok}");
        }
        for bad in ["0", "SIGFOO", "", "RTMIN+16"] {
            assert!(!valid_signal(bad), "{bad}");
        }
    }
}
