//! Which rules run: BuildKit's `# check=` directive, its
//! `BUILDKIT_DOCKERFILE_CHECK` override, and the per-instruction `# check=`
//! comment.
//!
//! The value is up to three `;`-separated `key=value` parts: `skip=A,B` or
//! `skip=all`, `error=<bool>` (Go's `ParseBool`), `experimental=A` or
//! `experimental=all`. Unknown keys are an error; unknown rule names are
//! accepted and ignored, as BuildKit does. Rules may be named by BuildKit
//! name, slipway kebab name or id.

use std::collections::BTreeSet;

use super::rule::Status;
use super::rules::codes::Rule;
use crate::syntax::dump::go_quote;

/// A parsed `check=` value.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct CheckConfig {
    pub skip_all: bool,
    /// Rule names as written (unknown ones kept, they just match nothing).
    pub skip: BTreeSet<String>,
    pub experimental_all: bool,
    pub experimental: BTreeSet<String>,
    /// `error=true`: findings fail the build.
    pub error: bool,
}

impl CheckConfig {
    /// Parses a `check=` value, BuildKit's `ParseLintOptions`.
    pub fn parse(value: &str) -> Result<CheckConfig, String> {
        let value = value.trim();
        let mut config = CheckConfig::default();
        if value.is_empty() {
            return Ok(config);
        }
        for part in value.splitn(3, ';') {
            let Some((key, v)) = part.split_once('=') else {
                return Err(format!("invalid check option {}", go_quote(part)));
            };
            let v = v.trim();
            match key.trim() {
                "skip" if v == "all" => config.skip_all = true,
                "skip" => config.skip = names(v),
                "experimental" if v == "all" => config.experimental_all = true,
                "experimental" => config.experimental = names(v),
                "error" => {
                    config.error = parse_bool(v).ok_or_else(|| {
                        format!(
                            "failed to parse check option {}: invalid syntax",
                            go_quote(part)
                        )
                    })?;
                }
                other => return Err(format!("invalid check option {}", go_quote(other))),
            }
        }
        Ok(config)
    }

    /// This configuration with a per-instruction one merged in: skips and
    /// experimental rules add up; `error` is not merged (as in BuildKit).
    pub fn merged(&self, other: &CheckConfig) -> CheckConfig {
        let mut out = self.clone();
        out.skip_all |= other.skip_all;
        out.experimental_all |= other.experimental_all;
        out.skip.extend(other.skip.iter().cloned());
        out.experimental.extend(other.experimental.iter().cloned());
        out
    }

    /// Whether `rule` runs under this configuration.
    pub fn enabled(&self, rule: Rule) -> bool {
        let info = rule.info();
        let named = |set: &BTreeSet<String>| set.iter().any(|n| Rule::from_name(n) == Some(rule));
        match info.status {
            Status::Experimental => self.experimental_all || named(&self.experimental),
            Status::Stable => !(self.skip_all || named(&self.skip)),
        }
    }

    /// The configuration of a `# check=` comment directly above an
    /// instruction: the first comment that parses as a `check` directive
    /// wins; one whose value does not parse leaves nothing to merge.
    pub fn from_comments(comments: &[String]) -> Option<CheckConfig> {
        for c in comments {
            let Some((name, value)) = c.split_once('=') else {
                continue;
            };
            if !name.trim().eq_ignore_ascii_case("check") {
                continue;
            }
            let value = value.trim();
            let value = value.split(' ').next().unwrap_or("");
            return CheckConfig::parse(value).ok();
        }
        None
    }
}

fn names(v: &str) -> BTreeSet<String> {
    v.split(',').map(|s| s.trim().to_owned()).collect()
}

/// Go's `strconv.ParseBool`.
fn parse_bool(v: &str) -> Option<bool> {
    match v {
        "1" | "t" | "T" | "TRUE" | "true" | "True" => Some(true),
        "0" | "f" | "F" | "FALSE" | "false" | "False" => Some(false),
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_buildkit_check_values() {
        let c =
            CheckConfig::parse("skip=JSONArgsRecommended, stage-name-casing;error=true").unwrap();
        assert!(c.error);
        assert!(!c.enabled(Rule::JsonArgsRecommended));
        assert!(!c.enabled(Rule::StageNameCasing));
        assert!(c.enabled(Rule::FromAsCasing));
        assert!(
            !CheckConfig::parse("skip=all")
                .unwrap()
                .enabled(Rule::FromAsCasing)
        );
        assert_eq!(
            CheckConfig::parse("bogus=1").unwrap_err(),
            "invalid check option \"bogus\""
        );
        assert_eq!(
            CheckConfig::parse("skip").unwrap_err(),
            "invalid check option \"skip\""
        );
        assert!(CheckConfig::parse("error=maybe").is_err());
    }
}
