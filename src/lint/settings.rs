//! `slipway.toml`: the project's lint settings.
//!
//! The file is found by walking upward from each linted file's directory
//! (the nearest one wins, none is merged), or named with `--config`. Every
//! key is optional:
//!
//! ```toml
//! select = ["SW001", "JSONArgsRecommended"]   # only these rules run
//! ignore = ["undefined-var", "DL3025"]         # these rules never run
//! failure-threshold = "error"                  # error | warning | none
//! trusted-registries = ["docker.io", "ghcr.io"]
//!
//! [severity]
//! from-as-casing = "error"                     # error | warning | off
//! ```
//!
//! Rules are named as everywhere else (id, kebab name, BuildKit name, a
//! ShellCheck code such as `SC2086`, `shellcheck` for all of them) or by
//! the hadolint code they correspond to, which names every rule mapped to
//! it. Unknown names and keys are errors, so a typo cannot silently turn a
//! rule off. The file is parsed into [`Settings`], which yields the
//! [`LintOptions`] of a run and the [`Threshold`] for the exit code.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::fmt;
use std::path::{Path, PathBuf};
use std::sync::Arc;

use serde::Deserialize;

use super::LintOptions;
use super::rules::codes::{RULES, Rule};
use crate::diagnostics::{Severity, suggest};

/// The settings file's name.
pub const FILE_NAME: &str = "slipway.toml";

/// Which findings make the run fail (exit code 1).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Threshold {
    /// Errors only: warnings are printed but do not fail.
    Error,
    /// Warnings and errors.
    #[default]
    Warning,
    /// No finding fails the run (files that cannot be checked still do).
    None,
}

impl Threshold {
    /// Whether a finding of `severity` fails the run.
    pub fn fails(self, severity: Severity) -> bool {
        match self {
            Threshold::Error => severity == Severity::Error,
            Threshold::Warning => true,
            Threshold::None => false,
        }
    }
}

/// Settings read from a `slipway.toml` (or the defaults, without one).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Settings {
    /// The file they came from.
    pub path: Option<PathBuf>,
    /// Only these rules run; `None`: every rule that is on by default.
    pub select: Option<BTreeSet<Rule>>,
    /// These rules never run (`off` in `[severity]` lands here too).
    pub ignore: BTreeSet<Rule>,
    /// Severity overrides.
    pub severity: BTreeMap<Rule, Severity>,
    pub failure_threshold: Threshold,
    pub trusted_registries: Vec<String>,
}

/// A settings file that cannot be read or is not valid.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SettingsError {
    pub path: PathBuf,
    pub message: String,
}

impl fmt::Display for SettingsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.path.display(), self.message)
    }
}

impl std::error::Error for SettingsError {}

/// The file as written.
#[derive(Debug, Default, Deserialize)]
#[serde(deny_unknown_fields, rename_all = "kebab-case")]
struct RawSettings {
    select: Option<Vec<String>>,
    #[serde(default)]
    ignore: Vec<String>,
    #[serde(default)]
    severity: BTreeMap<String, String>,
    failure_threshold: Option<String>,
    #[serde(default)]
    trusted_registries: Vec<String>,
}

impl Settings {
    /// Parses the text of a settings file; `path` is only recorded.
    pub fn parse(text: &str, path: &Path) -> Result<Settings, SettingsError> {
        let fail = |message: String| SettingsError {
            path: path.to_owned(),
            message,
        };
        let raw: RawSettings = toml::from_str(text).map_err(|e| fail(toml_message(&e)))?;
        let mut settings = Settings {
            path: Some(path.to_owned()),
            trusted_registries: raw.trusted_registries,
            ..Settings::default()
        };
        if let Some(select) = raw.select {
            let mut set = BTreeSet::new();
            for name in &select {
                set.extend(rules_named(name).map_err(|m| fail(format!("select: {m}")))?);
            }
            settings.select = Some(set);
        }
        for name in &raw.ignore {
            let rules = rules_named(name).map_err(|m| fail(format!("ignore: {m}")))?;
            settings.ignore.extend(rules);
        }
        for (name, level) in &raw.severity {
            let rules = rules_named(name).map_err(|m| fail(format!("severity: {m}")))?;
            let level = match level.as_str() {
                "error" => Some(Severity::Error),
                "warning" => Some(Severity::Warning),
                "off" => None,
                other => {
                    return Err(fail(format!(
                        "severity.{name}: unknown level {other:?} (expected \"error\", \
                         \"warning\" or \"off\")"
                    )));
                }
            };
            for rule in rules {
                if let Some(s) = level {
                    settings.severity.insert(rule, s);
                } else {
                    settings.ignore.insert(rule);
                }
            }
        }
        if let Some(t) = raw.failure_threshold {
            settings.failure_threshold = match t.as_str() {
                "error" => Threshold::Error,
                "warning" => Threshold::Warning,
                "none" => Threshold::None,
                other => {
                    return Err(fail(format!(
                        "failure-threshold: unknown value {other:?} (expected \"error\", \
                         \"warning\" or \"none\")"
                    )));
                }
            };
        }
        Ok(settings)
    }

    /// Reads and parses a settings file.
    pub fn load(path: &Path) -> Result<Settings, SettingsError> {
        let text = std::fs::read_to_string(path).map_err(|e| SettingsError {
            path: path.to_owned(),
            message: e.to_string(),
        })?;
        Settings::parse(&text, path)
    }

    /// The options of a lint run under these settings, with `check` as the
    /// `check=` override.
    pub fn options(&self, check: Option<String>) -> LintOptions {
        LintOptions {
            check,
            trusted_registries: self.trusted_registries.clone(),
            select: self.select.clone(),
            ignore: self.ignore.clone(),
            severity: self.severity.clone(),
            ..LintOptions::default()
        }
    }
}

/// Finds the settings of each linted file: the nearest `slipway.toml` in
/// its directory or above. Each directory is looked at and each file parsed
/// once per run.
#[derive(Debug, Default)]
pub struct SettingsFinder {
    /// Directory → the settings file governing it, if any.
    dirs: HashMap<PathBuf, Option<PathBuf>>,
    /// Settings file → its parsed settings.
    files: HashMap<PathBuf, Arc<Settings>>,
    defaults: Arc<Settings>,
}

impl SettingsFinder {
    pub fn new() -> Self {
        Self::default()
    }

    /// The settings for a file; `dir` is the directory it is in (for
    /// standard input, the current directory).
    pub fn for_dir(&mut self, dir: &Path) -> Result<Arc<Settings>, SettingsError> {
        let dir = std::path::absolute(dir).unwrap_or_else(|_| dir.to_owned());
        match self.governing(&dir) {
            None => Ok(self.defaults.clone()),
            Some(path) => {
                if let Some(s) = self.files.get(&path) {
                    return Ok(s.clone());
                }
                let s = Arc::new(Settings::load(&path)?);
                self.files.insert(path, s.clone());
                Ok(s)
            }
        }
    }

    fn governing(&mut self, dir: &Path) -> Option<PathBuf> {
        if let Some(found) = self.dirs.get(dir) {
            return found.clone();
        }
        let candidate = dir.join(FILE_NAME);
        let found = if candidate.is_file() {
            Some(candidate)
        } else {
            dir.parent().and_then(|p| self.governing(p))
        };
        self.dirs.insert(dir.to_owned(), found.clone());
        found
    }
}

/// The rules a name stands for: an id, kebab name or BuildKit name names
/// one rule; a hadolint code names every rule mapped to it.
pub fn rules_named(name: &str) -> Result<Vec<Rule>, String> {
    if let Some(rule) = Rule::from_name(name) {
        return Ok(vec![rule]);
    }
    let mapped = Rule::from_hadolint(name);
    if !mapped.is_empty() {
        return Ok(mapped);
    }
    let names = RULES
        .iter()
        .flat_map(|i| [Some(i.id), Some(i.name), i.buildkit, i.hadolint])
        .flatten();
    Err(match suggest(name, names) {
        Some(s) => format!("unknown rule {name:?} (did you mean {s:?}?)"),
        None => format!("unknown rule {name:?}"),
    })
}

/// toml's message on one line, with the line and column it gives.
fn toml_message(e: &toml::de::Error) -> String {
    let text = e.to_string();
    let lines: Vec<&str> = text.lines().map(str::trim).collect();
    let first = lines.first().copied().unwrap_or("invalid TOML");
    let last = lines.last().copied().unwrap_or("");
    if lines.len() > 1 && !last.is_empty() && last != first {
        format!("{first}: {last}")
    } else {
        first.to_owned()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &str) -> Result<Settings, String> {
        Settings::parse(text, Path::new("slipway.toml")).map_err(|e| e.message)
    }

    #[test]
    fn reads_every_key() {
        let s = parse(
            "select = [\"SW001\", \"JSONArgsRecommended\", \"from-as-casing\"]\n\
             ignore = [\"DL4000\"]\n\
             failure-threshold = \"error\"\n\
             trusted-registries = [\"ghcr.io\"]\n\
             [severity]\n\
             SW002 = \"error\"\n\
             undefined-var = \"off\"\n",
        )
        .expect("valid settings");
        assert_eq!(
            s.select,
            Some(BTreeSet::from([
                Rule::ConsistentInstructionCasing,
                Rule::FromAsCasing,
                Rule::JsonArgsRecommended,
            ]))
        );
        assert_eq!(
            s.ignore,
            BTreeSet::from([Rule::MaintainerDeprecated, Rule::UndefinedVar])
        );
        assert_eq!(
            s.severity,
            BTreeMap::from([(Rule::FromAsCasing, Severity::Error)])
        );
        assert_eq!(s.failure_threshold, Threshold::Error);
        assert_eq!(s.trusted_registries, ["ghcr.io"]);
    }

    #[test]
    fn rejects_what_it_does_not_know() {
        assert_eq!(
            parse("ignore = [\"from-as-casin\"]").unwrap_err(),
            "ignore: unknown rule \"from-as-casin\" (did you mean \"from-as-casing\"?)"
        );
        assert!(
            parse("selct = []")
                .unwrap_err()
                .contains("unknown field `selct`")
        );
        assert!(
            parse("[severity]\nSW001 = \"info\"")
                .unwrap_err()
                .starts_with("severity.SW001: unknown level \"info\"")
        );
        assert!(
            parse("failure-threshold = \"style\"")
                .unwrap_err()
                .starts_with("failure-threshold: unknown value \"style\"")
        );
        assert!(parse("select = \"SW001\"").is_err());
    }

    #[test]
    fn threshold_decides_what_fails() {
        assert!(Threshold::Warning.fails(Severity::Warning));
        assert!(!Threshold::Error.fails(Severity::Warning));
        assert!(Threshold::Error.fails(Severity::Error));
        assert!(!Threshold::None.fails(Severity::Error));
    }
}
