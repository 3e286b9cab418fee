//! The build as seen so far: every vertex of the `Status` stream with its
//! run intervals, sub-task statuses, warnings and log lines, gathered from
//! the `StatusResponse`s in order. The displays read it; the failure report
//! takes the failing vertex's last log lines from it.
//!
//! Vertices in a progress group (BuildKit's `COPY --link` emits a weak
//! copy and a merge in one group) are shown as one vertex named after the
//! group, as BuildKit's displays do: its runs are the members' runs, it is
//! cached when all members are, it fails with the first member's error,
//! and it stays hidden while only weak members have started. Statuses,
//! logs and warnings of members go to the group.
//!
//! Times are nanoseconds since the Unix epoch, as the daemon stamped them.

use std::collections::{BTreeMap, HashMap, VecDeque};

use crate::proto::control::{StatusResponse, Vertex, VertexWarning};

/// How many complete log lines each vertex keeps for the failure report
/// (BuildKit's displays keep ten).
pub const KEPT_LOG_LINES: usize = 10;

/// Nanoseconds since the Unix epoch.
pub type Nanos = i64;

/// A protobuf timestamp in [`Nanos`].
pub fn nanos(ts: &prost_types::Timestamp) -> Nanos {
    ts.seconds
        .saturating_mul(1_000_000_000)
        .saturating_add(i64::from(ts.nanos))
}

/// One run of a vertex: start and, once it finished, stop.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Interval {
    /// When the run started.
    pub start: Nanos,
    /// When it stopped; `None` while it runs.
    pub stop: Option<Nanos>,
}

/// Combines overlapping intervals, sorted by start; an open interval
/// swallows everything after it (BuildKit's `mergeIntervals`).
pub fn merge_intervals(intervals: &[Interval]) -> Vec<Interval> {
    let mut sorted = intervals.to_vec();
    sorted.sort_by_key(|i| i.start);
    let mut merged: Vec<Interval> = Vec::new();
    let mut iter = sorted.into_iter();
    let Some(mut cur) = iter.next() else {
        return merged;
    };
    for next in iter {
        let Some(cur_stop) = cur.stop else {
            break;
        };
        if cur_stop < next.start {
            merged.push(cur);
            cur = next;
            continue;
        }
        match next.stop {
            None => {
                cur.stop = None;
                break;
            }
            Some(next_stop) if next_stop > cur_stop => cur.stop = Some(next_stop),
            Some(_) => {}
        }
    }
    merged.push(cur);
    merged
}

/// Total length of merged intervals, open ones measured up to `now`.
pub fn busy_time(intervals: &[Interval], now: Nanos) -> Nanos {
    merge_intervals(intervals)
        .iter()
        .map(|i| i.stop.unwrap_or(now).saturating_sub(i.start))
        .fold(0, i64::saturating_add)
}

/// A sub-task of a vertex (a layer download, a context transfer).
#[derive(Clone, Debug, Default)]
pub struct TaskStatus {
    /// Its id, which is also what is shown.
    pub id: String,
    /// Bytes (or items) done.
    pub current: i64,
    /// Bytes (or items) in all, 0 when unknown.
    pub total: i64,
    /// When the daemon sent this state.
    pub timestamp: Nanos,
    /// When the task started.
    pub started: Option<Nanos>,
    /// When it finished.
    pub completed: Option<Nanos>,
}

/// Everything known about one vertex.
#[derive(Clone, Debug, Default)]
pub struct VertexState {
    /// The latest vertex record.
    pub vertex: Vertex,
    /// Its runs, one per distinct start time.
    pub intervals: Vec<Interval>,
    /// Sub-tasks, in the order they started.
    pub statuses: Vec<TaskStatus>,
    /// Ids of sub-tasks updated since the display last looked.
    pub status_updates: Vec<String>,
    /// Warnings, in arrival order.
    pub warnings: Vec<VertexWarning>,
    /// Complete log lines not yet shown by the plain display, each with its
    /// time prefix (`0.123 text`).
    pub new_logs: Vec<String>,
    /// An unfinished last line (bytes after the last newline).
    pub partial_log: Option<String>,
    /// The last [`KEPT_LOG_LINES`] complete lines, with time prefixes.
    pub recent_logs: VecDeque<String>,
    /// A progress group none of whose shown members has started.
    pub hidden: bool,
}

impl VertexState {
    /// Whether the vertex has started at least once.
    pub fn is_started(&self) -> bool {
        !self.intervals.is_empty()
    }

    /// Whether the latest run has finished.
    pub fn is_completed(&self) -> bool {
        merge_intervals(&self.intervals)
            .last()
            .is_some_and(|i| i.stop.is_some())
    }

    /// The start of the latest (merged) run.
    pub fn latest_start(&self) -> Option<Nanos> {
        merge_intervals(&self.intervals).last().map(|i| i.start)
    }

    /// The stop of the latest (merged) run.
    pub fn latest_stop(&self) -> Option<Nanos> {
        merge_intervals(&self.intervals).last().and_then(|i| i.stop)
    }

    /// Whether the vertex failed because the build was cancelled.
    pub fn is_canceled(&self) -> bool {
        self.vertex.error.ends_with("context canceled")
    }

    /// The last complete log lines and the unfinished one, oldest first.
    pub fn last_log_lines(&self) -> Vec<String> {
        let mut lines: Vec<String> = self.recent_logs.iter().cloned().collect();
        if let Some(p) = &self.partial_log {
            lines.push(p.clone());
        }
        let skip = lines.len().saturating_sub(KEPT_LOG_LINES);
        lines.split_off(skip)
    }

    fn push_log_line(&mut self, line: String) {
        if self.recent_logs.len() == KEPT_LOG_LINES {
            self.recent_logs.pop_front();
        }
        self.recent_logs.push_back(line.clone());
        self.new_logs.push(line);
    }
}

/// All vertices of one build.
#[derive(Clone, Debug, Default)]
pub struct Trace {
    /// Vertices by digest.
    pub vertices: HashMap<String, VertexState>,
    /// Digests in the order the vertices first started.
    pub started_order: Vec<String>,
    /// Digests in the order they were first seen.
    pub seen_order: Vec<String>,
    /// The first start time seen.
    pub first_start: Option<Nanos>,
    /// Every warning, in arrival order.
    pub warnings: Vec<VertexWarning>,
    /// Progress group members: member digest to group id.
    pub group_of: HashMap<String, String>,
    /// Progress group members' latest records, by group id.
    members: HashMap<String, BTreeMap<String, Vertex>>,
}

impl Trace {
    /// Folds one status message in; returns the digests whose display
    /// changed, in the order they changed.
    pub fn apply(&mut self, s: &StatusResponse) -> Vec<String> {
        let mut updated: Vec<String> = Vec::new();
        let touch = |d: &str, updated: &mut Vec<String>| {
            if !updated.iter().any(|u| u == d) {
                updated.push(d.to_owned());
            }
        };
        let mut groups: Vec<String> = Vec::new();
        for v in &s.vertexes {
            let started = v.started.as_ref().map(nanos);
            if self.first_start.is_none() {
                self.first_start = started;
            }
            if let Some(g) = &v.progress_group {
                if !self.vertices.contains_key(&g.id) {
                    self.seen_order.push(g.id.clone());
                    self.vertices.insert(
                        g.id.clone(),
                        VertexState {
                            vertex: Vertex {
                                digest: g.id.clone(),
                                name: g.name.clone(),
                                ..Vertex::default()
                            },
                            hidden: true,
                            ..VertexState::default()
                        },
                    );
                }
                self.group_of.insert(v.digest.clone(), g.id.clone());
                self.members
                    .entry(g.id.clone())
                    .or_default()
                    .insert(v.digest.clone(), v.clone());
                if !groups.contains(&g.id) {
                    groups.push(g.id.clone());
                }
                continue;
            }
            let is_new = !self.vertices.contains_key(&v.digest);
            if is_new {
                self.seen_order.push(v.digest.clone());
            }
            let state = self.vertices.entry(v.digest.clone()).or_default();
            let old = &state.vertex;
            let changed = is_new
                || v.name != old.name
                || v.started != old.started
                || (v.completed != old.completed && v.completed.is_some())
                || v.cached != old.cached
                || v.error != old.error;
            let was_started = state.is_started();
            // A repeated record of a vertex that has not started again does
            // not reset what is known.
            if !was_started || started.is_some() {
                state.vertex = v.clone();
            }
            if let Some(start) = started {
                let stop = v.completed.as_ref().map(nanos);
                match state.intervals.iter_mut().find(|i| i.start == start) {
                    Some(i) => i.stop = stop.or(i.stop),
                    None => state.intervals.push(Interval { start, stop }),
                }
                if !was_started {
                    self.started_order.push(v.digest.clone());
                }
                if changed {
                    touch(&v.digest, &mut updated);
                }
            }
        }
        for id in groups {
            if self.refresh_group(&id) {
                touch(&id, &mut updated);
            }
        }
        for st in &s.statuses {
            let Some(state) = self
                .vertices
                .get_mut(self.group_of.get(&st.vertex).unwrap_or(&st.vertex))
            else {
                continue;
            };
            let task = TaskStatus {
                id: st.id.clone(),
                current: st.current,
                total: st.total,
                timestamp: st.timestamp.as_ref().map(nanos).unwrap_or(0),
                started: st.started.as_ref().map(nanos),
                completed: st.completed.as_ref().map(nanos),
            };
            match state.statuses.iter_mut().find(|t| t.id == st.id) {
                Some(t) => *t = task,
                None if task.started.is_some() => state.statuses.push(task),
                None => continue,
            }
            if !state.status_updates.contains(&st.id) {
                state.status_updates.push(st.id.clone());
            }
            touch(&st.vertex, &mut updated);
        }
        for w in &s.warnings {
            let digest = self.group_of.get(&w.vertex).unwrap_or(&w.vertex).clone();
            let Some(state) = self.vertices.get_mut(&digest) else {
                continue;
            };
            state.warnings.push(w.clone());
            self.warnings.push(w.clone());
            touch(&digest, &mut updated);
        }
        for log in &s.logs {
            let digest = self
                .group_of
                .get(&log.vertex)
                .unwrap_or(&log.vertex)
                .clone();
            let Some(state) = self.vertices.get_mut(&digest) else {
                continue;
            };
            let at = log.timestamp.as_ref().map(nanos).unwrap_or(0);
            let text = String::from_utf8_lossy(&log.msg);
            let mut pieces = text.split('\n').peekable();
            while let Some(piece) = pieces.next() {
                let last = pieces.peek().is_none();
                let line = match state.partial_log.take() {
                    Some(mut partial) => {
                        partial.push_str(piece);
                        partial
                    }
                    None if last && piece.is_empty() => break,
                    None => {
                        let since = state.latest_start().map_or(0, |s| at.saturating_sub(s));
                        format!("{} {piece}", log_time(since))
                    }
                };
                if last {
                    state.partial_log = Some(line);
                } else {
                    state.push_log_line(line);
                }
            }
            touch(&digest, &mut updated);
        }
        // Hidden groups are not shown.
        updated.retain(|d| self.vertices.get(d).is_some_and(|v| !v.hidden));
        updated
    }

    /// The state shown for `digest`: its own, or its progress group's.
    pub fn lookup(&self, digest: &str) -> Option<&VertexState> {
        let digest = self.group_of.get(digest).map_or(digest, String::as_str);
        self.vertices.get(digest)
    }

    /// Recomputes a group vertex from its members; true when its display
    /// changed.
    fn refresh_group(&mut self, id: &str) -> bool {
        let Some(members) = self.members.get(id) else {
            return false;
        };
        let Some(state) = self.vertices.get_mut(id) else {
            return false;
        };
        let was_hidden = state.hidden;
        let was_started = state.is_started();
        let before = (
            state.intervals.clone(),
            state.vertex.cached,
            state.vertex.error.clone(),
        );
        let mut cached = true;
        let mut error = String::new();
        for m in members.values() {
            if let Some(start) = m.started.as_ref().map(nanos) {
                let stop = m.completed.as_ref().map(nanos);
                match state.intervals.iter_mut().find(|i| i.start == start) {
                    Some(i) => i.stop = stop.or(i.stop),
                    None => state.intervals.push(Interval { start, stop }),
                }
                if !m.progress_group.as_ref().is_some_and(|g| g.weak) {
                    state.hidden = false;
                }
            }
            cached &= m.cached;
            if error.is_empty() {
                error.clone_from(&m.error);
            } else if !m.error.is_empty() {
                state.hidden = false;
            }
        }
        state.vertex.cached = cached;
        state.vertex.error = error;
        if state.hidden {
            return false;
        }
        if was_hidden || !was_started && state.is_started() {
            if !self.started_order.iter().any(|d| d == id) {
                self.started_order.push(id.to_owned());
            }
            return true;
        }
        before
            != (
                state.intervals.clone(),
                state.vertex.cached,
                state.vertex.error.clone(),
            )
    }

    /// Moves an unfinished log line into the complete ones (when its vertex
    /// ends, nothing more will follow it).
    pub fn flush_partial(&mut self, digest: &str) {
        if let Some(state) = self.vertices.get_mut(digest)
            && let Some(line) = state.partial_log.take()
        {
            state.push_log_line(line);
        }
    }
}

/// A log line's time since its vertex started: three decimals under ten
/// seconds, two under a hundred, else one (BuildKit's precision).
pub fn log_time(since: Nanos) -> String {
    let secs = since as f64 / 1e9;
    if secs < 10.0 {
        format!("{secs:.3}")
    } else if secs < 100.0 {
        format!("{secs:.2}")
    } else {
        format!("{secs:.1}")
    }
}

/// A byte count with a decimal unit as BuildKit's progress shows it:
/// `123B`, `1.23kB`, `45.60MB` (whole bytes below 1 kB, two decimals
/// above, like the `units` package BuildKit formats with).
pub fn format_bytes(n: i64) -> String {
    const UNITS: [&str; 7] = ["B", "kB", "MB", "GB", "TB", "PB", "EB"];
    let mut unit = 0;
    let mut base = 1.0f64;
    while unit + 1 < UNITS.len() && (n as f64).abs() >= base * 1000.0 {
        base *= 1000.0;
        unit += 1;
    }
    if unit == 0 {
        return format!("{n}B");
    }
    format!("{:.2}{}", n as f64 / base, UNITS[unit])
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn intervals_merge_like_buildkit() {
        let iv = |start, stop| Interval { start, stop };
        assert_eq!(
            merge_intervals(&[iv(5, Some(9)), iv(0, Some(3)), iv(2, Some(4))]),
            [iv(0, Some(4)), iv(5, Some(9))]
        );
        assert_eq!(
            merge_intervals(&[iv(0, Some(3)), iv(1, None), iv(8, Some(9))]),
            [iv(0, None)]
        );
        assert_eq!(
            merge_intervals(&[iv(0, Some(10)), iv(2, Some(3))]),
            [iv(0, Some(10))]
        );
        assert_eq!(busy_time(&[iv(0, Some(4)), iv(10, None)], 15), 9);
    }

    #[test]
    fn sizes_and_times_read_like_buildkit() {
        assert_eq!(format_bytes(0), "0B");
        assert_eq!(format_bytes(999), "999B");
        assert_eq!(format_bytes(1234), "1.23kB");
        assert_eq!(format_bytes(1500), "1.50kB");
        assert_eq!(format_bytes(3_400_000), "3.40MB");
        assert_eq!(format_bytes(2_000_000_000), "2.00GB");
        assert_eq!(log_time(123_456_789), "0.123");
        assert_eq!(log_time(12_345_678_901), "12.35");
        assert_eq!(log_time(123_456_789_012), "123.5");
    }
}
