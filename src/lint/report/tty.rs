//! `--format tty`: miette's graphical reports, one per diagnostic, with the
//! source line and a label at the span.

use std::io;

use super::FileReport;
use crate::diagnostics::render;

/// Writes each file's diagnostics as graphical reports, `width` columns
/// wide, coloured when `color`.
pub fn write(
    out: &mut dyn io::Write,
    files: &[FileReport],
    color: bool,
    width: usize,
) -> io::Result<()> {
    for f in files {
        if f.diagnostics.is_empty() {
            continue;
        }
        out.write_all(render(&f.path, &f.source, &f.diagnostics, color, width).as_bytes())?;
    }
    Ok(())
}
