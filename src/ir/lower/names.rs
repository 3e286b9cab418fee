//! Progress names (`llb.customname`): `[<platform> ][<stage> ]<i>/<n>]
//! [ONBUILD ]<INSTRUCTION …>`, with the keyword upper-cased and variables
//! expanded, as BuildKit's `prefixCommand` builds them.

use crate::syntax::shell::{Env, Lexer};

use crate::ir::env::EnvList;
use crate::ir::platform::Platform;

use super::Stage;

impl Stage<'_, '_> {
    /// BuildKit's `prefixCommand`: numbers the step (advancing the stage's
    /// counter) unless the stage counts no steps. `env` supplies the
    /// `TARGET*` args for the cross-compilation marker.
    pub(super) fn prefix(
        &mut self,
        s: &str,
        platform: Option<&Platform>,
        env: Option<&EnvList>,
    ) -> String {
        if self.cmd_total == 0 {
            return s.to_owned();
        }
        let mut out = String::from("[");
        if self.plan().options.multi_platform
            && let Some(p) = platform
        {
            out.push_str(&p.format_all());
            out.push_str(&target_marker(p, env.and_then(platform_from_env)));
            out.push(' ');
        }
        if !self.display_name.is_empty() {
            out.push_str(&self.display_name);
            out.push(' ');
        }
        self.cmd_index += 1;
        let width = self.cmd_total.to_string().len();
        out.push_str(&format!("{:>width$}/{}] ", self.cmd_index, self.cmd_total));
        if self.onbuild {
            out.push_str("ONBUILD ");
        }
        out.push_str(s);
        out
    }
}

/// Upper-cases the first word (the instruction keyword).
pub fn uppercase_cmd(s: &str) -> String {
    match s.split_once(' ') {
        Some((kw, rest)) => format!("{} {rest}", kw.to_uppercase()),
        None => s.to_uppercase(),
    }
}

/// Expands variables in a step name; on error the text is kept.
pub fn process_cmd_env(lexer: &Lexer, cmd: &str, env: &dyn Env) -> String {
    lexer
        .process_word(cmd, env)
        .map(|e| e.value)
        .unwrap_or_else(|_| cmd.to_owned())
}

/// The first line of a heredoc body, with `...` when there are more.
pub fn summarize_heredoc(doc: &str) -> String {
    let doc = doc.trim();
    let doc = doc.replace("\r\n", "\n");
    let mut lines = doc.split('\n');
    let first = lines.next().unwrap_or("").to_owned();
    if lines.next().is_some() {
        first + "..."
    } else {
        first
    }
}

/// The platform the `TARGET*` args describe, if any are set.
fn platform_from_env(env: &EnvList) -> Option<Platform> {
    let mut p = Platform::default();
    let mut set = false;
    for (k, v) in env.iter() {
        match k {
            "TARGETPLATFORM" => {
                if let Ok(parsed) = Platform::parse(v) {
                    return Some(parsed);
                }
            }
            "TARGETOS" => {
                p.os = v.to_owned();
                set = true;
            }
            "TARGETARCH" => {
                p.architecture = v.to_owned();
                set = true;
            }
            "TARGETVARIANT" => {
                p.variant = v.to_owned();
                set = true;
            }
            _ => {}
        }
    }
    set.then_some(p)
}

/// `->arch` or `->os/arch` when the target differs from the step's
/// platform (BuildKit's `formatTargetPlatform`).
fn target_marker(base: &Platform, target: Option<Platform>) -> String {
    let Some(mut t) = target else {
        return String::new();
    };
    if t.os.is_empty() {
        t.os.clone_from(&base.os);
    }
    if t.architecture.is_empty() {
        t.architecture.clone_from(&base.architecture);
    }
    let p = t.normalize();
    if p.os == base.os && p.architecture != base.architecture {
        let mut s = format!("->{}", p.architecture);
        if !p.variant.is_empty() {
            s.push('/');
            s.push_str(&p.variant);
        }
        return s;
    }
    if p.os != base.os {
        return format!("->{}", p.format_all());
    }
    String::new()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn helpers() {
        assert_eq!(uppercase_cmd("run echo hi"), "RUN echo hi");
        assert_eq!(uppercase_cmd("workdir"), "WORKDIR");
        assert_eq!(summarize_heredoc("\n  echo a\necho b\n"), "echo a...");
        assert_eq!(summarize_heredoc("x\n"), "x");
    }

    #[test]
    fn cross_marker() {
        let amd = Platform::parse("linux/amd64").unwrap();
        let arm = Platform::parse("linux/arm64").unwrap();
        assert_eq!(target_marker(&amd, Some(arm)), "->arm64");
        assert_eq!(target_marker(&amd, Some(amd.clone())), "");
    }
}
