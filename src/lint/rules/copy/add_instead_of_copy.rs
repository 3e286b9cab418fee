//! `add-instead-of-copy`: `ADD` only where `COPY` cannot do the job.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;
use crate::syntax::instructions::Instruction;

crate::declare_rule! {
    /// ## What it does
    /// Checks for `ADD` whose sources are all local files or directories
    /// that are not archives: no URL, no Git repository, no `.tar`-style
    /// file that `ADD` would unpack, and none of `ADD`'s own flags
    /// (`--checksum`, `--keep-git-dir`, `--unpack`).
    ///
    /// ## Why is this bad?
    /// `ADD` downloads URLs and unpacks archives; for plain files it does
    /// what `COPY` does, and a reader has to check which behaviour is
    /// meant. When a file later becomes an archive, `ADD` silently starts
    /// unpacking it.
    ///
    /// ## Example
    /// ```dockerfile
    /// ADD requirements.txt /app/
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// COPY requirements.txt /app/
    /// ```
    pub struct AddInsteadOfCopy;
}

impl Violation for AddInsteadOfCopy {
    const RULE: Rule = Rule::AddInsteadOfCopy;
    fn message(&self) -> String {
        "ADD of local files that are not archives: COPY does the same, without ADD's downloading and unpacking".to_owned()
    }
}

/// Endings of the archives `ADD` unpacks.
const ARCHIVES: [&str; 14] = [
    ".tar", ".tar.gz", ".tgz", ".tar.bz2", ".tbz2", ".tbz", ".tar.xz", ".txz", ".tar.zst", ".tzst",
    ".gz", ".bz2", ".xz", ".zst",
];

/// SW031.
pub(crate) fn add_instead_of_copy(checker: &mut Checker) {
    if !checker.any_enabled(Rule::AddInsteadOfCopy) {
        return;
    }
    let file = checker.file;
    for stage in &file.stages {
        for ins in &stage.instructions {
            let Instruction::Add(a) = ins else { continue };
            if a.sources.is_empty()
                || !a.contents.is_empty()
                || a.checksum.is_some()
                || a.keep_git_dir.is_some()
                || a.unpack.is_some()
            {
                continue;
            }
            if a.sources.iter().all(|s| is_plain_local(&s.value)) {
                checker.report(AddInsteadOfCopy, a.range);
            }
        }
    }
}

/// A local path that is not an archive, a URL, a Git source or a
/// variable (whose value is unknown).
fn is_plain_local(source: &str) -> bool {
    let lower = source.to_lowercase();
    !(lower.contains("://")
        || lower.starts_with("git@")
        || lower.contains('$')
        || ARCHIVES.iter().any(|ext| lower.ends_with(ext)))
}

#[cfg(test)]
mod tests {
    use super::is_plain_local;

    #[test]
    fn local_sources() {
        assert!(is_plain_local("src/"));
        assert!(is_plain_local("app.py"));
        assert!(!is_plain_local("rootfs.tar.xz"));
        assert!(!is_plain_local("https://example.com/x"));
        assert!(!is_plain_local("git@github.com:o/r.git"));
        assert!(!is_plain_local("$FILE"));
    }
}
