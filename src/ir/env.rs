//! The build environment of a stage: an ordered list of `KEY=value`
//! variables with BuildKit's ordering rule (a key sits where it was *last*
//! set), which matters because the list becomes `Meta.env` of each RUN and
//! so part of its cache key.

use crate::syntax::shell::Env;

/// Ordered variables; setting a key moves it to the end.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct EnvList {
    vars: Vec<(String, String)>,
}

impl EnvList {
    pub fn new() -> Self {
        Self::default()
    }

    /// Sets `key`, moving it to the end (BuildKit's `AddOrReplace`).
    pub fn set(&mut self, key: &str, value: &str) {
        self.vars.retain(|(k, _)| k != key);
        self.vars.push((key.to_owned(), value.to_owned()));
    }

    /// Sets `key` only if it is not set yet.
    pub fn set_default(&mut self, key: &str, value: &str) {
        if self.get(key).is_none() {
            self.set(key, value);
        }
    }

    pub fn remove(&mut self, key: &str) {
        self.vars.retain(|(k, _)| k != key);
    }

    pub fn get(&self, key: &str) -> Option<&str> {
        self.vars
            .iter()
            .find(|(k, _)| k == key)
            .map(|(_, v)| v.as_str())
    }

    pub fn keys(&self) -> impl Iterator<Item = &str> {
        self.vars.iter().map(|(k, _)| k.as_str())
    }

    pub fn iter(&self) -> impl Iterator<Item = (&str, &str)> {
        self.vars.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// `KEY=value` strings in order.
    pub fn to_strings(&self) -> Vec<String> {
        self.vars.iter().map(|(k, v)| format!("{k}={v}")).collect()
    }

    pub fn is_empty(&self) -> bool {
        self.vars.is_empty()
    }
}

impl Env for EnvList {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.get(name)
    }
}

/// An environment with some variables masked on top of another (used to
/// show secret environment variables as `****` in step names).
pub struct Overlay<'a> {
    pub top: &'a EnvList,
    pub base: &'a EnvList,
}

impl Env for Overlay<'_> {
    fn lookup(&self, name: &str) -> Option<&str> {
        self.top.get(name).or_else(|| self.base.get(name))
    }
}

/// Splits `KEY=value` at the first `=`; no `=` gives an empty value.
pub fn split_key_value(s: &str) -> (&str, &str) {
    s.split_once('=').unwrap_or((s, ""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn last_assignment_decides_position() {
        let mut e = EnvList::new();
        e.set("PATH", "/bin");
        e.set("A", "1");
        e.set("B", "2");
        e.set("A", "3");
        assert_eq!(e.to_strings(), ["PATH=/bin", "B=2", "A=3"]);
        e.set_default("B", "x");
        assert_eq!(e.get("B"), Some("2"));
    }
}
