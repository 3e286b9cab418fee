//! The plain display (`--progress=plain`): numbered lines in the format of
//! BuildKit's and buildx's text printer.
//!
//! ```text
//! #1 [internal] load build definition from Dockerfile
//! #1 transferring dockerfile: 74B done
//! #1 DONE 0.0s
//!
//! #2 [build 2/3] RUN make
//! #2 0.213 cc -o app main.c
//! #2 ERROR: process "/bin/sh -c make" did not complete successfully: exit code: 2
//! ```
//!
//! Vertices are numbered in the order they are first printed. A block
//! starts with `#N name` and, when another vertex interrupts it, ends with
//! `#N ...`; a finished vertex ends with `CACHED`, `DONE <seconds>`,
//! `ERROR: <message>` or `CANCELED`. Sub-task lines are throttled like
//! BuildKit's (a line when 5 % of the total or 5 seconds have passed).
//! Unlike BuildKit, each status message prints every vertex it changed
//! (finished ones first, by finishing time) that has something new to
//! show, not one picked by output rate, and unfinished log lines wait for
//! their newline, so the output depends only on the messages. A name or
//! message spanning several lines gets the `#N` prefix on each.

use std::collections::HashMap;
use std::io::Write;

use super::trace::{Nanos, Trace, busy_time, format_bytes};

/// Progress a sub-task must make before it is printed again.
const MIN_PROGRESS_DELTA: f64 = 0.05;
/// Time after which a sub-task is printed again anyway.
const MIN_TIME_DELTA: Nanos = 5_000_000_000;

/// The plain printer's own state.
#[derive(Debug, Default)]
pub struct Plain {
    /// Display numbers by digest.
    index: HashMap<String, usize>,
    next_index: usize,
    /// The vertex whose block is open.
    current: Option<String>,
    not_first: bool,
    /// Last printed state of each sub-task: (current, timestamp).
    last_status: HashMap<String, (i64, Nanos)>,
    /// Warnings already printed, per vertex.
    warnings_printed: HashMap<String, usize>,
}

impl Plain {
    /// Prints what `updated` changed.
    pub fn print(&mut self, trace: &mut Trace, updated: &[String], w: &mut dyn Write) {
        let (mut done, rest): (Vec<&String>, Vec<&String>) = updated
            .iter()
            .filter(|d| trace.vertices.get(*d).is_some_and(|v| v.is_started()))
            .partition(|d| trace.vertices[*d].is_completed());
        // The open block first when it just finished, then by finishing time.
        done.sort_by_key(|d| {
            (
                Some(*d) != self.current.as_ref(),
                trace.vertices[*d].latest_stop(),
            )
        });
        for d in done.into_iter().chain(rest) {
            self.print_vertex(trace, d, w);
        }
    }

    /// The display number of `digest`, once it has been printed.
    pub fn index_of(&self, digest: &str) -> Option<usize> {
        self.index.get(digest).copied()
    }

    fn print_vertex(&mut self, trace: &mut Trace, digest: &str, w: &mut dyn Write) {
        if trace.vertices[digest].is_completed() {
            trace.flush_partial(digest);
        }
        let Some(v) = trace.vertices.get_mut(digest) else {
            return;
        };
        let mut body = Vec::new();

        let mut open_status = false;
        for id in std::mem::take(&mut v.status_updates) {
            let Some(s) = v.statuses.iter().find(|s| s.id == id) else {
                continue;
            };
            if s.completed.is_none()
                && let Some(&(current, at)) = self.last_status.get(&s.id)
            {
                let progress = if s.total > 0 {
                    s.current.saturating_sub(current) as f64 / s.total as f64
                } else {
                    0.0
                };
                if progress < MIN_PROGRESS_DELTA && s.timestamp.saturating_sub(at) < MIN_TIME_DELTA
                {
                    open_status = true;
                    continue;
                }
            }
            self.last_status
                .insert(s.id.clone(), (s.current, s.timestamp));
            let bytes = if s.total != 0 {
                format!(" {} / {}", format_bytes(s.current), format_bytes(s.total))
            } else if s.current != 0 {
                format!(" {}", format_bytes(s.current))
            } else {
                String::new()
            };
            let mut tm = String::new();
            if let Some(started) = s.started {
                let secs = s.completed.unwrap_or(s.timestamp).saturating_sub(started) as f64 / 1e9;
                if secs > 0.01 {
                    tm = format!(" {secs:.1}s");
                }
            }
            if s.completed.is_some() {
                tm.push_str(" done");
            } else {
                open_status = true;
            }
            body.push(format!("{}{bytes}{tm}", s.id));
        }

        let printed = self.warnings_printed.entry(digest.to_owned()).or_default();
        for warning in v.warnings.iter().skip(*printed) {
            body.push(format!("WARN: {}", String::from_utf8_lossy(&warning.short)));
        }
        *printed = v.warnings.len();

        body.append(&mut v.new_logs);

        let finished = v.is_completed() && !open_status;
        if finished {
            body.push(if !v.vertex.error.is_empty() {
                if v.is_canceled() {
                    "CANCELED".to_owned()
                } else {
                    format!("ERROR: {}", v.vertex.error)
                }
            } else if v.vertex.cached {
                "CACHED".to_owned()
            } else {
                let secs = busy_time(&v.intervals, 0) as f64 / 1e9;
                format!("DONE {secs:.1}s")
            });
        }

        let is_current = self.current.as_deref() == Some(digest);
        let index = match self.index.get(digest) {
            // A running vertex with nothing new does not interrupt the
            // open block.
            Some(_) if body.is_empty() && !is_current => return,
            Some(i) => *i,
            None => {
                self.next_index += 1;
                self.index.insert(digest.to_owned(), self.next_index);
                self.next_index
            }
        };
        if !is_current {
            if let Some(old) = self.current.take()
                && let Some(i) = self.index.get(&old)
            {
                let _ = writeln!(w, "#{i} ...");
            }
            if self.not_first {
                let _ = writeln!(w);
            }
            self.not_first = true;
            emit(w, index, &v.vertex.name);
        }
        for line in body {
            emit(w, index, &line);
        }
        self.current = (!finished).then(|| digest.to_owned());
    }
}

/// Writes `text` as `#N` lines, one per line of text.
fn emit(w: &mut dyn Write, index: usize, text: &str) {
    for line in text.split('\n') {
        let _ = writeln!(w, "#{index} {line}");
    }
}
