//! `ExposeProtoCasing`: `EXPOSE` protocols in lower case.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

use super::exposed_ports;

crate::declare_rule! {
    /// ## What it does
    /// Checks that the protocol of an `EXPOSE` port (`/tcp`, `/udp`,
    /// `/sctp`) is written in lower case.
    ///
    /// ## Why is this bad?
    /// BuildKit accepts `80/TCP` but stores the protocol as written, so the
    /// image config holds a port key other tools may not recognise.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine
    /// EXPOSE 80/TCP
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine
    /// EXPOSE 80/tcp
    /// ```
    pub struct ExposeProtoCasing {
        pub port: String,
    }
}

impl Violation for ExposeProtoCasing {
    const RULE: Rule = Rule::ExposeProtoCasing;
    fn message(&self) -> String {
        format!(
            "Defined protocol '{}' in EXPOSE instruction should be lowercase",
            self.port
        )
    }
}

/// SW014.
pub(crate) fn expose_proto_casing(checker: &mut Checker) {
    if !checker.any_enabled(Rule::ExposeProtoCasing) {
        return;
    }
    for (expose, spec, port) in exposed_ports(checker.file) {
        if port.proto != port.proto.to_lowercase() {
            let violation = ExposeProtoCasing {
                port: spec.value.clone(),
            };
            checker.report(violation, expose.range);
        }
    }
}
