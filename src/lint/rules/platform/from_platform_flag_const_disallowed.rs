//! `FromPlatformFlagConstDisallowed`: `FROM --platform` is not a constant.

use crate::lint::checker::Checker;
use crate::lint::rule::Violation;
use crate::lint::rules::codes::Rule;

crate::declare_rule! {
    /// ## What it does
    /// Checks for `FROM --platform=` with a constant value such as
    /// `linux/amd64`, unless the stage name mentions that OS or
    /// architecture (`AS build-amd64`), which marks the pinning as
    /// deliberate.
    ///
    /// ## Why is this bad?
    /// A constant platform makes the stage ignore `--platform` on the
    /// command line, so multi-platform builds silently produce images for
    /// the wrong architecture.
    ///
    /// ## Example
    /// ```dockerfile
    /// FROM --platform=linux/amd64 alpine AS build
    /// ```
    ///
    /// Use instead:
    /// ```dockerfile
    /// FROM --platform=$BUILDPLATFORM alpine AS build
    /// ```
    pub struct FromPlatformFlagConstDisallowed {
        pub platform: String,
    }
}

impl Violation for FromPlatformFlagConstDisallowed {
    const RULE: Rule = Rule::FromPlatformFlagConstDisallowed;
    fn message(&self) -> String {
        format!(
            "FROM --platform flag should not use constant value {}",
            crate::syntax::dump::go_quote(&self.platform)
        )
    }
}

/// SW013.
pub(crate) fn from_platform_flag_const_disallowed(checker: &mut Checker) {
    if !checker.any_enabled(Rule::FromPlatformFlagConstDisallowed) {
        return;
    }
    let file = checker.file;
    let env = checker.meta_env();
    for stage in &file.stages {
        let Some(platform) = &stage.from.platform else {
            continue;
        };
        let Ok(e) = checker.lexer.process_word(&platform.value, &env) else {
            continue;
        };
        if !e.used.matched.is_empty() || !e.used.unmatched.is_empty() {
            continue;
        }
        let Some((os, arch)) = os_arch(&e.value) else {
            continue;
        };
        let name = stage.name.as_ref().map_or("", |n| n.value.as_str());
        if name.contains(os) || name.contains(arch) {
            continue;
        }
        let violation = FromPlatformFlagConstDisallowed { platform: e.value };
        checker.report(violation, stage.from.range);
    }
}

/// The OS and normalised architecture of a platform string, the parts of
/// containerd's `platforms.Parse` the rule needs. `None` when it would not
/// parse (the build fails on it later anyway).
fn os_arch(s: &str) -> Option<(&'static str, &'static str)> {
    let lower = s.to_ascii_lowercase();
    let parts: Vec<&str> = lower.split('/').collect();
    match parts.as_slice() {
        [one] => match os(one) {
            Some(os) => Some((os, "amd64")),
            None => Some(("linux", arch(one)?)),
        },
        [o, a] | [o, a, _] => Some((os(o)?, arch(a)?)),
        _ => None,
    }
}

fn os(s: &str) -> Option<&'static str> {
    const KNOWN: [&str; 13] = [
        "aix",
        "android",
        "darwin",
        "dragonfly",
        "freebsd",
        "illumos",
        "ios",
        "js",
        "linux",
        "netbsd",
        "openbsd",
        "solaris",
        "windows",
    ];
    if s == "macos" {
        return Some("darwin");
    }
    KNOWN.into_iter().find(|k| *k == s)
}

fn arch(s: &str) -> Option<&'static str> {
    Some(match s {
        "i386" | "386" => "386",
        "x86_64" | "x86-64" | "amd64" => "amd64",
        "aarch64" | "arm64" => "arm64",
        "armhf" | "armel" | "arm" => "arm",
        "ppc64le" => "ppc64le",
        "s390x" => "s390x",
        "riscv64" => "riscv64",
        "mips64le" => "mips64le",
        "mips64" => "mips64",
        "loong64" => "loong64",
        "wasm" => "wasm",
        _ => return None,
    })
}
