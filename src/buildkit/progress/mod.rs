//! The build's progress: the `Control.Status` stream shown as a live
//! terminal view, buildx's plain lines, raw JSON, or nothing, and the
//! report printed when the build fails.
//!
//! [`Printer::update`] takes each `StatusResponse` as it arrives; every
//! mode records the build in a [`trace::Trace`], so [`Printer::failure_report`]
//! can quote the failing step's last output whatever was displayed.
//!
//! - [`plain`]: `#N` numbered lines, as `--progress=plain`;
//! - [`tty`]: the redrawn view, as `--progress=tty`;
//! - [`rawjson`]: one JSON object per message, as `--progress=rawjson`;
//! - [`report`]: the error details BuildKit attaches and their miette
//!   rendering.

pub mod plain;
pub mod rawjson;
pub mod report;
pub mod trace;
pub mod tty;

use std::io::{IsTerminal, Write};
use std::str::FromStr;
use std::time::{SystemTime, UNIX_EPOCH};

use crate::proto::control::{StatusResponse, VertexWarning};
use crate::proto::pb;

pub use report::{ErrorDetails, RenderOptions, SourceLocation, decode_details};

/// How progress is shown (`--progress`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ProgressMode {
    /// [`ProgressMode::Tty`] when standard error is a terminal, else
    /// [`ProgressMode::Plain`].
    #[default]
    Auto,
    /// The live view.
    Tty,
    /// Numbered lines.
    Plain,
    /// One JSON object per status message.
    RawJson,
    /// Nothing.
    Quiet,
}

impl ProgressMode {
    /// Picks the mode `Auto` stands for, given whether the output is a
    /// terminal; other modes are returned as they are.
    pub fn resolve(self, is_terminal: bool) -> ProgressMode {
        match self {
            ProgressMode::Auto if is_terminal => ProgressMode::Tty,
            ProgressMode::Auto => ProgressMode::Plain,
            other => other,
        }
    }
}

/// A `--progress` value that is not a mode.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error, miette::Diagnostic)]
#[error("invalid progress mode `{0}`")]
#[diagnostic(
    code(slipway::buildkit::progress_mode),
    help("the modes are auto, tty, plain, rawjson and quiet")
)]
pub struct ProgressModeError(pub String);

impl FromStr for ProgressMode {
    type Err = ProgressModeError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        match s {
            "auto" => Ok(ProgressMode::Auto),
            "tty" => Ok(ProgressMode::Tty),
            "plain" => Ok(ProgressMode::Plain),
            "rawjson" => Ok(ProgressMode::RawJson),
            "quiet" => Ok(ProgressMode::Quiet),
            other => Err(ProgressModeError(other.to_owned())),
        }
    }
}

/// The local clock; injectable so tests get fixed times.
pub type Clock = Box<dyn Fn() -> SystemTime + Send>;

/// Shows the status stream of one build.
pub struct Printer {
    mode: ProgressMode,
    out: Box<dyn Write + Send>,
    trace: trace::Trace,
    plain: plain::Plain,
    tty: tty::Tty,
    clock: Clock,
    screen: tty::Screen,
}

impl Printer {
    /// A printer writing to `out`; `Auto` looks at whether standard error
    /// is a terminal. The tty view assumes 80 columns and 24 rows and
    /// colours unless `NO_COLOR` is set; see [`Printer::with_screen`].
    pub fn new(mode: ProgressMode, out: Box<dyn Write + Send>) -> Printer {
        let mode = mode.resolve(std::io::stderr().is_terminal());
        let color = std::env::var_os("NO_COLOR").is_none_or(|v| v.is_empty());
        Printer {
            mode,
            out,
            trace: trace::Trace::default(),
            plain: plain::Plain::default(),
            tty: tty::Tty::default(),
            clock: Box::new(SystemTime::now),
            screen: tty::Screen {
                width: 80,
                height: 24,
                color,
            },
        }
    }

    /// Uses `clock` instead of the system clock (for the tty view's timers
    /// and redraw throttling).
    pub fn with_clock(mut self, clock: Clock) -> Printer {
        self.clock = clock;
        self
    }

    /// Sets the terminal's size and whether to use colours (tty view and
    /// failure report).
    pub fn with_screen(mut self, width: usize, height: usize, color: bool) -> Printer {
        self.screen = tty::Screen {
            width,
            height,
            color,
        };
        self
    }

    /// The mode in use (never `Auto`).
    pub fn mode(&self) -> ProgressMode {
        self.mode
    }

    fn now(&self) -> trace::Nanos {
        let t = (self.clock)();
        match t.duration_since(UNIX_EPOCH) {
            Ok(d) => i64::try_from(d.as_nanos()).unwrap_or(i64::MAX),
            Err(e) => -i64::try_from(e.duration().as_nanos()).unwrap_or(i64::MAX),
        }
    }

    /// Takes one status message and shows it.
    pub fn update(&mut self, s: &StatusResponse) {
        let updated = self.trace.apply(s);
        match self.mode {
            ProgressMode::Plain => {
                self.plain.print(&mut self.trace, &updated, &mut self.out);
                let _ = self.out.flush();
            }
            ProgressMode::Tty | ProgressMode::Auto => {
                let now = self.now();
                self.tty
                    .update(&self.trace, now, self.screen, &mut self.out);
            }
            ProgressMode::RawJson => {
                let _ = writeln!(self.out, "{}", rawjson::to_json_line(s));
                let _ = self.out.flush();
            }
            ProgressMode::Quiet => {}
        }
    }

    /// Redraws the tty view so its timers move between messages; call it
    /// every ~100 ms. Other modes ignore it.
    pub fn tick(&mut self) {
        if matches!(self.mode, ProgressMode::Tty | ProgressMode::Auto) {
            let now = self.now();
            self.tty
                .update(&self.trace, now, self.screen, &mut self.out);
        }
    }

    /// Ends the display: the tty view draws its final frame.
    pub fn finish(&mut self) {
        if matches!(self.mode, ProgressMode::Tty | ProgressMode::Auto) {
            let now = self.now();
            self.tty
                .finish(&self.trace, now, self.screen, &mut self.out);
        }
        let _ = self.out.flush();
    }

    /// Every warning the build reported, in arrival order.
    pub fn warnings(&self) -> &[VertexWarning] {
        &self.trace.warnings
    }

    /// The build so far.
    pub fn trace(&self) -> &trace::Trace {
        &self.trace
    }

    /// A one-screen miette report for the failed build `err`: its message,
    /// the Dockerfile lines of the failing step (from the error's source
    /// details, else from `source_map`, the solved definition's source
    /// map), the exit code, and the step's last output lines.
    pub fn failure_report(&self, err: &tonic::Status, source_map: Option<&pb::Source>) -> String {
        report::render(
            err,
            &self.trace,
            source_map,
            RenderOptions {
                color: self.screen.color,
                width: self.screen.width,
            },
        )
    }
}
