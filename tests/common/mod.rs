//! Helpers shared by the integration tests: locating `../shared`.

#![allow(dead_code)]

use std::path::PathBuf;

/// The shared reference folder beside the checkout, or `None` (after saying
/// so) when it is missing. Under CI a missing folder fails the test: the
/// conformance data must be there.
pub fn shared_dir(sub: &str) -> Option<PathBuf> {
    let dir = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("../shared")
        .join(sub);
    if dir.exists() {
        return Some(dir);
    }
    let msg = format!(
        "{} is missing: clone the project beside its shared/ folder",
        dir.display()
    );
    if std::env::var_os("CI").is_some() {
        panic!("{msg}");
    }
    eprintln!("skipping: {msg}");
    None
}

/// Sorted subdirectories of a folder.
pub fn subdirs(dir: &std::path::Path) -> Vec<PathBuf> {
    let mut v: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("readable folder")
        .map(|e| e.expect("dir entry").path())
        .filter(|p| p.is_dir())
        .collect();
    v.sort();
    v
}
