//! `ExposeInvalidFormat`: `EXPOSE` takes container ports only.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

use super::exposed_ports;

crate::declare_rule! {
    /// ## What it does
    /// Checks for `EXPOSE` ports that carry an IP address or a host port
    /// (`127.0.0.1:80:80`, `8080:80`).
    ///
    /// ## Why is this bad?
    /// `EXPOSE` only documents which container ports the image listens on;
    /// publishing to a host port is decided at run time (`docker run -p`).
    /// BuildKit drops the host part, and may reject it in the future.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM alpine
    /// EXPOSE 8080:80
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM alpine
    /// EXPOSE 80
    /// ```
    pub struct ExposeInvalidFormat {
        pub port: String,
    }
}

impl Violation for ExposeInvalidFormat {
    const RULE: Rule = Rule::ExposeInvalidFormat;
    fn message(&self) -> String {
        format!(
            "EXPOSE instruction should not define an IP address or host-port mapping, found '{}'",
            self.port
        )
    }
}

/// SW015.
pub(crate) fn expose_invalid_format(checker: &mut Checker) {
    if !checker.any_enabled(Rule::ExposeInvalidFormat) {
        return;
    }
    for (expose, spec, port) in exposed_ports(checker.file) {
        if !port.ip.is_empty() || !port.host.is_empty() {
            let violation = ExposeInvalidFormat {
                port: spec.value.clone(),
            };
            checker.report(violation, expose.range);
        }
    }
}
