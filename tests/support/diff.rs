//! Readable differences between two normalized images: one line per
//! differing config field, history entry or filesystem path.

use std::collections::BTreeSet;

use serde_json::Value;

use super::image::{Entry, Image, Kind};

/// What to compare beyond the config and the files.
#[derive(Debug, Clone, Default)]
pub struct DiffOptions {
    /// Compare `history` (`created_by`, `empty_layer`).
    pub history: bool,
    /// The build's SOURCE_DATE_EPOCH: then `created` times are compared, and
    /// so is the mtime of every path where either side carries that time.
    pub epoch: Option<u64>,
}

/// Every difference between `a` and `b` (config and files; no history).
pub fn diff(a: &Image, b: &Image) -> Vec<String> {
    diff_with(a, b, &DiffOptions::default())
}

/// Every difference between `a` and `b`, as lines `what: a-value != b-value`;
/// paths only on one side are `- path (...)` (only in `a`) and `+ path (...)`.
pub fn diff_with(a: &Image, b: &Image, opts: &DiffOptions) -> Vec<String> {
    let mut out = Vec::new();
    let ca = serde_json::to_value(&a.config).expect("config serializes");
    let cb = serde_json::to_value(&b.config).expect("config serializes");
    if let (Value::Object(ma), Value::Object(mb)) = (&ca, &cb) {
        for (field, va) in ma {
            let vb = &mb[field];
            if va != vb {
                out.push(format!("config.{field}: {va} != {vb}"));
            }
        }
    }
    if opts.history {
        history(a, b, opts.epoch.is_some(), &mut out);
    }
    if opts.epoch.is_some() && a.created != b.created {
        out.push(format!("created: {:?} != {:?}", a.created, b.created));
    }
    let paths: BTreeSet<&String> = a.files.keys().chain(b.files.keys()).collect();
    for path in paths {
        match (a.files.get(path), b.files.get(path)) {
            (Some(ea), None) => out.push(format!("- {path} ({})", describe(ea))),
            (None, Some(eb)) => out.push(format!("+ {path} ({})", describe(eb))),
            (Some(ea), Some(eb)) => entry(path, ea, eb, opts.epoch, &mut out),
            (None, None) => unreachable!("path comes from one side"),
        }
    }
    out
}

fn history(a: &Image, b: &Image, created: bool, out: &mut Vec<String>) {
    let n = a.history.len().max(b.history.len());
    for i in 0..n {
        match (a.history.get(i), b.history.get(i)) {
            (Some(ha), Some(hb)) => {
                if ha.created_by != hb.created_by {
                    out.push(format!(
                        "history[{i}].created_by: {:?} != {:?}",
                        ha.created_by, hb.created_by
                    ));
                }
                if ha.empty_layer != hb.empty_layer {
                    out.push(format!(
                        "history[{i}].empty_layer ({}): {} != {}",
                        ha.created_by, ha.empty_layer, hb.empty_layer
                    ));
                }
                if created && ha.created != hb.created {
                    out.push(format!(
                        "history[{i}].created: {:?} != {:?}",
                        ha.created, hb.created
                    ));
                }
            }
            (Some(ha), None) => out.push(format!("- history[{i}] {:?}", ha.created_by)),
            (None, Some(hb)) => out.push(format!("+ history[{i}] {:?}", hb.created_by)),
            (None, None) => {}
        }
    }
}

/// A one-line summary of an entry: `file 0644 0:0 12 bytes`.
pub fn describe(e: &Entry) -> String {
    let mut s = format!("{} {:04o} {}:{}", kind_name(e.kind), e.mode, e.uid, e.gid);
    match e.kind {
        Kind::File => s.push_str(&format!(" {} bytes", e.size)),
        Kind::Symlink | Kind::Hardlink | Kind::Other => {
            s.push_str(&format!(" -> {}", e.link.as_deref().unwrap_or("")));
        }
        Kind::Dir => {}
    }
    s
}

pub fn kind_name(k: Kind) -> &'static str {
    match k {
        Kind::File => "file",
        Kind::Dir => "dir",
        Kind::Symlink => "symlink",
        Kind::Hardlink => "hardlink",
        Kind::Other => "other",
    }
}

fn entry(path: &str, a: &Entry, b: &Entry, epoch: Option<u64>, out: &mut Vec<String>) {
    if a.kind != b.kind {
        out.push(format!("~ {path}: {} != {}", describe(a), describe(b)));
        return;
    }
    let mut parts = Vec::new();
    if a.mode != b.mode {
        parts.push(format!("mode {:04o} != {:04o}", a.mode, b.mode));
    }
    if (a.uid, a.gid) != (b.uid, b.gid) {
        parts.push(format!("owner {}:{} != {}:{}", a.uid, a.gid, b.uid, b.gid));
    }
    if a.size != b.size {
        parts.push(format!("size {} != {}", a.size, b.size));
    } else if a.sha256 != b.sha256 {
        parts.push("content differs".to_string());
    }
    if a.link != b.link {
        parts.push(format!("link {:?} != {:?}", a.link, b.link));
    }
    if let Some(t) = epoch
        && (a.mtime == t || b.mtime == t)
        && a.mtime != b.mtime
    {
        parts.push(format!("mtime {} != {}", a.mtime, b.mtime));
    }
    if !parts.is_empty() {
        out.push(format!("~ {path}: {}", parts.join(", ")));
    }
}
