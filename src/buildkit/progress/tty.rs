//! The live terminal display (`--progress=tty`), modelled on BuildKit's:
//! a header with the elapsed time and the count of finished steps, one
//! line per step with its time on the right, sub-tasks and warnings under
//! their step, and the last output lines of running steps, faint. Each
//! redraw moves the cursor back up over the previous frame and overwrites
//! it; redraws are throttled to one per 100 ms, and the last frame, drawn
//! by [`Tty::finish`], lists every step without output lines.
//!
//! The daemon's clock and the local one may differ: the first start time
//! seen is pinned to the local time of that moment, as BuildKit does.

use std::fmt::Write as _;
use std::io::Write;

use super::trace::{Interval, Nanos, Trace, busy_time, format_bytes};

/// Minimum time between two redraws.
const REDRAW_EVERY: Nanos = 100_000_000;
/// Output lines shown under a running step.
const LOG_LINES: usize = 6;

const HIDE_CURSOR: &str = "\x1b[?25l";
const SHOW_CURSOR: &str = "\x1b[?25h";
const BLUE: &str = "\x1b[34m";
const RED: &str = "\x1b[31m";
const YELLOW: &str = "\x1b[33m";
const FAINT: &str = "\x1b[2m";
const RESET: &str = "\x1b[0m";

/// Screen settings.
#[derive(Clone, Copy, Debug)]
pub struct Screen {
    /// Columns.
    pub width: usize,
    /// Rows.
    pub height: usize,
    /// Whether to use colours.
    pub color: bool,
}

/// One line of the job list.
struct Job {
    name: String,
    status: String,
    intervals: Vec<Interval>,
    completed: bool,
    color: Option<&'static str>,
    logs: Vec<String>,
}

/// The terminal display's state between frames.
#[derive(Debug, Default)]
pub struct Tty {
    /// Lines of the previous frame below its header.
    line_count: usize,
    drawn: bool,
    last_draw: Option<Nanos>,
    /// Local time minus daemon time.
    offset: Option<Nanos>,
}

impl Tty {
    /// Redraws after a status message, unless the last frame is too recent.
    pub fn update(&mut self, trace: &Trace, now: Nanos, screen: Screen, w: &mut dyn Write) {
        if self.offset.is_none()
            && let Some(first) = trace.first_start
        {
            self.offset = Some(now.saturating_sub(first));
        }
        if self
            .last_draw
            .is_some_and(|last| now.saturating_sub(last) < REDRAW_EVERY)
        {
            return;
        }
        self.draw(trace, now, screen, false, w);
    }

    /// Draws the final frame.
    pub fn finish(&mut self, trace: &Trace, now: Nanos, screen: Screen, w: &mut dyn Write) {
        if self.offset.is_none()
            && let Some(first) = trace.first_start
        {
            self.offset = Some(now.saturating_sub(first));
        }
        self.draw(trace, now, screen, true, w);
    }

    fn draw(&mut self, trace: &Trace, now: Nanos, screen: Screen, all: bool, w: &mut dyn Write) {
        self.last_draw = Some(now);
        let daemon_now = now.saturating_sub(self.offset.unwrap_or(0));
        let width = screen.width.max(20);
        let mut jobs = jobs(trace, all);
        let room = screen.height.saturating_sub(2).max(1);
        if jobs.len() > room {
            jobs.drain(..jobs.len() - room);
        }
        // Output lines only while there is room for them.
        let mut free = room.saturating_sub(jobs.len());
        for job in &mut jobs {
            let keep = job.logs.len().min(LOG_LINES).min(free);
            job.logs.drain(..job.logs.len() - keep);
            free -= keep;
        }

        let mut out = String::new();
        if self.drawn {
            // Back to the header of the previous frame.
            let _ = write!(out, "\x1b[{}A\r", self.line_count + 1);
        }
        self.drawn = true;
        out.push_str(HIDE_CURSOR);

        let shown = trace.vertices.values().filter(|v| !v.hidden);
        let total = shown.clone().count();
        let completed = shown.filter(|v| v.is_completed()).count();
        let elapsed = trace
            .first_start
            .map_or(0.0, |s| daemon_now.saturating_sub(s).max(0) as f64 / 1e9);
        let finished = if all && total > 0 && completed == total {
            " FINISHED"
        } else {
            ""
        };
        let header = format!("[+] Building {elapsed:.1}s ({completed}/{total}){finished}");
        out.push_str(&pad(&header, width));
        out.push('\n');

        let mut lines = 0;
        for job in &jobs {
            let secs = busy_time(&job.intervals, daemon_now) as f64 / 1e9;
            let secs = if secs < 0.05 { 0.0 } else { secs };
            let timer = format!(" {secs:.1}s");
            let prefix = " => ";
            let mut left = width as isize - prefix.len() as isize - timer.len() as isize - 1;
            let mut status = String::new();
            if !job.status.is_empty() && left + job.status.len() as isize > 20 {
                left -= job.status.len() as isize + 1;
                status = format!(" {}", job.status);
            }
            if left < 12 {
                continue;
            }
            let name = truncate(&job.name, left as usize);
            let body = format!("{prefix}{name}{status}");
            let line = format!("{}{timer}", pad(&body, width.saturating_sub(timer.len())));
            match (screen.color, job.completed, job.color) {
                (true, true, Some(c)) => {
                    let _ = write!(out, "{c}{line}{RESET}");
                }
                _ => out.push_str(&line),
            }
            out.push('\n');
            lines += 1;
            for log in &job.logs {
                let text = truncate(&format!(" => => # {log}"), width);
                if screen.color {
                    let _ = write!(out, "{FAINT}{}{RESET}", pad(&text, width));
                } else {
                    out.push_str(&pad(&text, width));
                }
                out.push('\n');
                lines += 1;
            }
        }
        // Blank out what is left of a longer previous frame.
        if self.line_count > lines {
            let extra = self.line_count - lines;
            for _ in 0..extra {
                out.push_str(&" ".repeat(width));
                out.push('\n');
            }
            let _ = write!(out, "\x1b[{extra}A\r");
        }
        self.line_count = lines;
        out.push_str(SHOW_CURSOR);
        let _ = w.write_all(out.as_bytes());
        let _ = w.flush();
    }
}

/// The job list: every started step, its sub-tasks and its warnings.
fn jobs(trace: &Trace, all: bool) -> Vec<Job> {
    let mut jobs = Vec::new();
    for digest in &trace.started_order {
        let Some(v) = trace.vertices.get(digest) else {
            continue;
        };
        let mut name = sanitize(&v.vertex.name);
        let mut color = Some(BLUE);
        if !v.vertex.error.is_empty() {
            if v.is_canceled() {
                name = format!("CANCELED {name}");
                color = Some(YELLOW);
            } else {
                name = format!("ERROR {name}");
                color = Some(RED);
            }
        }
        if v.vertex.cached {
            name = format!("CACHED {name}");
        }
        let completed = v.intervals.iter().all(|i| i.stop.is_some());
        let logs = if all || completed {
            Vec::new()
        } else {
            v.last_log_lines()
                .into_iter()
                .map(|l| sanitize(l.split_once(' ').map_or(&l, |(_, t)| t)))
                .collect()
        };
        jobs.push(Job {
            name,
            status: String::new(),
            intervals: v.intervals.clone(),
            completed,
            color,
            logs,
        });
        for s in &v.statuses {
            let status = if s.total != 0 {
                format!("{} / {}", format_bytes(s.current), format_bytes(s.total))
            } else if s.current != 0 {
                format_bytes(s.current)
            } else {
                String::new()
            };
            jobs.push(Job {
                name: format!("=> {}", sanitize(&s.id)),
                status,
                intervals: s
                    .started
                    .map(|start| Interval {
                        start,
                        stop: s.completed,
                    })
                    .into_iter()
                    .collect(),
                completed: s.completed.is_some(),
                color: Some(BLUE),
                logs: Vec::new(),
            });
        }
        let latest: Vec<Interval> = super::trace::merge_intervals(&v.intervals)
            .last()
            .copied()
            .into_iter()
            .collect();
        for warning in &v.warnings {
            jobs.push(Job {
                name: format!(
                    "WARN: {}",
                    sanitize(&String::from_utf8_lossy(&warning.short))
                ),
                status: String::new(),
                intervals: latest.clone(),
                completed: true,
                color: Some(YELLOW),
                logs: Vec::new(),
            });
        }
    }
    jobs
}

/// `text` made safe for one line of the frame: what a terminal would show
/// after the last carriage return, tabs as spaces, newlines as spaces, and
/// no escape sequences or other control characters (they would move the
/// cursor and break the redraw).
fn sanitize(text: &str) -> String {
    let text = text.rsplit('\r').next().unwrap_or(text);
    let mut out = String::with_capacity(text.len());
    let mut chars = text.chars().peekable();
    while let Some(c) = chars.next() {
        match c {
            '\t' | '\n' => out.push(' '),
            // CSI sequence: ESC [ parameters final-byte.
            '\x1b' if chars.peek() == Some(&'[') => {
                chars.next();
                for c in chars.by_ref() {
                    if ('\x40'..='\x7e').contains(&c) {
                        break;
                    }
                }
            }
            c if c.is_control() => {}
            c => out.push(c),
        }
    }
    out
}

/// `text` cut to `max` characters.
fn truncate(text: &str, max: usize) -> String {
    text.chars().take(max).collect()
}

/// `text` padded with spaces (or cut) to exactly `width` characters.
fn pad(text: &str, width: usize) -> String {
    let mut out = truncate(text, width);
    let len = out.chars().count();
    out.extend(std::iter::repeat_n(' ', width - len));
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frame_lines_hold_no_control_characters() {
        assert_eq!(sanitize("a\tb\nc"), "a b c");
        assert_eq!(sanitize("10%\r50%\r100% done"), "100% done");
        assert_eq!(sanitize("\x1b[31mred\x1b[0m text\x07"), "red text");
        assert_eq!(sanitize("\x1b"), "");
    }
}
