//! Rendering diagnostics for people: `miette`'s graphical reports on
//! standard error, with or without colour.

use std::io::IsTerminal;

use miette::{GraphicalReportHandler, GraphicalTheme};

use slipway::diagnostics::Diagnostic;

use super::args::ColorChoice;

/// Prints every diagnostic with its source snippet to standard error.
pub fn diagnostics(name: &str, source: &str, diags: &[Diagnostic], color: ColorChoice) {
    let colored = match color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let theme = if colored {
        GraphicalTheme::unicode()
    } else {
        GraphicalTheme::unicode_nocolor()
    };
    let handler = GraphicalReportHandler::new_themed(theme);
    for d in diags {
        let report = d.clone().into_report(name, source);
        let mut out = String::new();
        if handler.render_report(&mut out, report.as_ref()).is_ok() {
            eprint!("{out}");
        } else {
            eprintln!("{}", d.message);
        }
    }
}
