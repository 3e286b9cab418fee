//! `expose-port-out-of-range`: `EXPOSE` ports are between 0 and 65535.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

use super::{PortSpec, exposed_ports};

crate::declare_rule! {
    /// ## What it does
    /// Checks `EXPOSE` ports and port ranges (`8000-8010`) for numbers
    /// that are not valid TCP/UDP ports (0 to 65535). Specs with variables
    /// are not checked.
    ///
    /// ## Why is this bad?
    /// No such port exists: the build or the container start fails, or the
    /// metadata is silently wrong, depending on the tool reading it.
    ///
    /// ## Example
    /// ```dockerfile
    /// EXPOSE 80800
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// EXPOSE 8080
    /// ```
    pub struct ExposePortOutOfRange {
        pub port: String,
    }
}

impl Violation for ExposePortOutOfRange {
    const RULE: Rule = Rule::ExposePortOutOfRange;
    fn message(&self) -> String {
        format!("EXPOSE port `{}` is not between 0 and 65535", self.port)
    }
}

/// SW042.
pub(crate) fn expose_port_out_of_range(checker: &mut Checker) {
    if !checker.any_enabled(Rule::ExposePortOutOfRange) {
        return;
    }
    for (_, spec, PortSpec { port, .. }) in exposed_ports(checker.file) {
        let bad = port.split('-').any(|p| {
            !p.is_empty()
                && p.bytes().all(|b| b.is_ascii_digit())
                && p.parse::<u32>().ok().is_none_or(|n| n > 65535)
        });
        if bad {
            checker.report(ExposePortOutOfRange { port }, spec.range);
        }
    }
}
