//! Rendering diagnostics for people: `miette`'s graphical reports on
//! standard error, with or without colour.

use std::io::IsTerminal;

use slipway::diagnostics::{Diagnostic, render};

use super::args::ColorChoice;

/// Prints every diagnostic with its source snippet to standard error.
pub fn diagnostics(name: &str, source: &str, diags: &[Diagnostic], color: ColorChoice) {
    if diags.is_empty() {
        return;
    }
    let colored = match color {
        ColorChoice::Always => true,
        ColorChoice::Never => false,
        ColorChoice::Auto => {
            std::io::stderr().is_terminal() && std::env::var_os("NO_COLOR").is_none()
        }
    };
    let width = std::env::var("COLUMNS")
        .ok()
        .and_then(|c| c.parse().ok())
        .unwrap_or(100);
    eprint!("{}", render(name, source, diags, colored, width));
}
