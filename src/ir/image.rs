//! The image configuration: Docker's flavour of the OCI image config
//! (`dockerspec.DockerOCIImage`), which is what a base image provides and
//! what a build returns as `containerimage.config`.
//!
//! Reading is lenient like Go's `encoding/json`: unknown fields are
//! dropped and field names match without regard to case. Writing
//! ([`ImageConfig::to_json`]) produces the bytes Go's `json.Marshal` would:
//! the same field order, the same `omitempty` rules, `rootfs.diff_ids`
//! written as `null` when absent, map keys sorted.

use std::collections::BTreeMap;

use serde_json::Value;

use super::gojson::{self, Object};
use super::platform::Platform;

/// `HealthcheckConfig`. Durations are in nanoseconds; zero means unset.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Healthcheck {
    pub test: Vec<String>,
    pub interval: i64,
    pub timeout: i64,
    pub start_period: i64,
    pub start_interval: i64,
    pub retries: i64,
}

/// The `config` object: what a container made from the image starts with.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ContainerConfig {
    pub user: String,
    pub exposed_ports: BTreeMap<String, ()>,
    pub env: Vec<String>,
    pub entrypoint: Option<Vec<String>>,
    pub cmd: Option<Vec<String>>,
    pub volumes: BTreeMap<String, ()>,
    pub working_dir: String,
    pub labels: BTreeMap<String, String>,
    pub stop_signal: String,
    pub args_escaped: bool,
    pub healthcheck: Option<Healthcheck>,
    pub on_build: Vec<String>,
    pub shell: Vec<String>,
}

/// One history entry.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct History {
    /// RFC 3339 time, as Go prints it.
    pub created: Option<String>,
    pub created_by: String,
    pub author: String,
    pub comment: String,
    pub empty_layer: bool,
}

/// A whole image config.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageConfig {
    pub created: Option<String>,
    pub author: String,
    pub platform: Platform,
    pub config: ContainerConfig,
    pub rootfs_type: String,
    /// `None` is written as `null`, as Go does for a nil slice.
    pub diff_ids: Option<Vec<String>>,
    pub history: Vec<History>,
}

/// The default PATH for a Linux image without one.
pub const DEFAULT_PATH_ENV: &str = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

impl ImageConfig {
    /// The config of `FROM scratch` on `platform` (BuildKit's `emptyImage`).
    pub fn empty(platform: &Platform) -> ImageConfig {
        let mut img = ImageConfig {
            platform: Platform {
                os: platform.os.clone(),
                architecture: platform.architecture.clone(),
                variant: platform.variant.clone(),
                os_version: platform.os_version.clone(),
                os_features: platform.os_features.clone(),
            },
            rootfs_type: "layers".to_owned(),
            ..ImageConfig::default()
        };
        img.config.working_dir = "/".to_owned();
        if platform.os != "windows" {
            img.config.env = vec![format!("PATH={DEFAULT_PATH_ENV}")];
        }
        img
    }

    /// Reads a config from JSON as Go's `json.Unmarshal` would. A document
    /// that is not an object is an error ("failed to parse image config").
    pub fn from_json(v: &Value) -> Result<ImageConfig, String> {
        let Some(obj) = v.as_object() else {
            return Err("failed to parse image config: not a JSON object".to_owned());
        };
        let get = |name: &str| field(obj, name);
        let mut img = ImageConfig {
            created: get("created").and_then(Value::as_str).map(normalize_time),
            author: str_of(get("author")),
            ..ImageConfig::default()
        };
        img.platform = Platform {
            architecture: str_of(get("architecture")),
            os: str_of(get("os")),
            os_version: str_of(get("os.version")),
            os_features: strings_of(get("os.features")).unwrap_or_default(),
            variant: str_of(get("variant")),
        };
        if let Some(c) = get("config").and_then(Value::as_object) {
            img.config = container_config(c);
        }
        if let Some(r) = get("rootfs").and_then(Value::as_object) {
            img.rootfs_type = str_of(field(r, "type"));
            img.diff_ids = strings_of(field(r, "diff_ids"));
        }
        if let Some(h) = get("history").and_then(Value::as_array) {
            img.history = h
                .iter()
                .filter_map(Value::as_object)
                .map(|h| History {
                    created: field(h, "created")
                        .and_then(Value::as_str)
                        .map(normalize_time),
                    created_by: str_of(field(h, "created_by")),
                    author: str_of(field(h, "author")),
                    comment: str_of(field(h, "comment")),
                    empty_layer: field(h, "empty_layer")
                        .and_then(Value::as_bool)
                        .unwrap_or(false),
                })
                .collect();
        }
        Ok(img)
    }

    /// The config as Go's `json.Marshal` writes a `DockerOCIImage`.
    pub fn to_json(&self) -> String {
        let mut o = Object::new();
        if let Some(c) = &self.created {
            o.string("created", c);
        }
        if !self.author.is_empty() {
            o.string("author", &self.author);
        }
        o.string("architecture", &self.platform.architecture);
        o.string("os", &self.platform.os);
        if !self.platform.os_version.is_empty() {
            o.string("os.version", &self.platform.os_version);
        }
        if !self.platform.os_features.is_empty() {
            o.raw(
                "os.features",
                &gojson::string_array(&self.platform.os_features),
            );
        }
        if !self.platform.variant.is_empty() {
            o.string("variant", &self.platform.variant);
        }
        let mut rootfs = Object::new();
        rootfs.string("type", &self.rootfs_type);
        rootfs.raw(
            "diff_ids",
            &self
                .diff_ids
                .as_ref()
                .map_or_else(|| "null".to_owned(), |d| gojson::string_array(d)),
        );
        o.raw("rootfs", &rootfs.finish());
        if !self.history.is_empty() {
            let items: Vec<String> = self.history.iter().map(history_json).collect();
            o.raw("history", &format!("[{}]", items.join(",")));
        }
        o.raw("config", &config_json(&self.config));
        o.finish()
    }
}

fn config_json(c: &ContainerConfig) -> String {
    let mut o = Object::new();
    if !c.user.is_empty() {
        o.string("User", &c.user);
    }
    if !c.exposed_ports.is_empty() {
        o.raw("ExposedPorts", &set_json(&c.exposed_ports));
    }
    if !c.env.is_empty() {
        o.raw("Env", &gojson::string_array(&c.env));
    }
    if let Some(e) = c.entrypoint.as_ref().filter(|e| !e.is_empty()) {
        o.raw("Entrypoint", &gojson::string_array(e));
    }
    if let Some(cmd) = c.cmd.as_ref().filter(|c| !c.is_empty()) {
        o.raw("Cmd", &gojson::string_array(cmd));
    }
    if !c.volumes.is_empty() {
        o.raw("Volumes", &set_json(&c.volumes));
    }
    if !c.working_dir.is_empty() {
        o.string("WorkingDir", &c.working_dir);
    }
    if !c.labels.is_empty() {
        let mut l = Object::new();
        for (k, v) in &c.labels {
            l.string(k, v);
        }
        o.raw("Labels", &l.finish());
    }
    if !c.stop_signal.is_empty() {
        o.string("StopSignal", &c.stop_signal);
    }
    if c.args_escaped {
        o.raw("ArgsEscaped", "true");
    }
    if let Some(h) = &c.healthcheck {
        let mut hc = Object::new();
        if !h.test.is_empty() {
            hc.raw("Test", &gojson::string_array(&h.test));
        }
        for (k, v) in [
            ("Interval", h.interval),
            ("Timeout", h.timeout),
            ("StartPeriod", h.start_period),
            ("StartInterval", h.start_interval),
            ("Retries", h.retries),
        ] {
            if v != 0 {
                hc.raw(k, &v.to_string());
            }
        }
        o.raw("Healthcheck", &hc.finish());
    }
    if !c.on_build.is_empty() {
        o.raw("OnBuild", &gojson::string_array(&c.on_build));
    }
    if !c.shell.is_empty() {
        o.raw("Shell", &gojson::string_array(&c.shell));
    }
    o.finish()
}

fn set_json(m: &BTreeMap<String, ()>) -> String {
    let mut o = Object::new();
    for k in m.keys() {
        o.raw(k, "{}");
    }
    o.finish()
}

fn history_json(h: &History) -> String {
    let mut o = Object::new();
    if let Some(c) = &h.created {
        o.string("created", c);
    }
    if !h.created_by.is_empty() {
        o.string("created_by", &h.created_by);
    }
    if !h.author.is_empty() {
        o.string("author", &h.author);
    }
    if !h.comment.is_empty() {
        o.string("comment", &h.comment);
    }
    if h.empty_layer {
        o.raw("empty_layer", "true");
    }
    o.finish()
}

fn container_config(c: &serde_json::Map<String, Value>) -> ContainerConfig {
    let get = |name: &str| field(c, name);
    ContainerConfig {
        user: str_of(get("User")),
        exposed_ports: set_of(get("ExposedPorts")),
        env: strings_of(get("Env")).unwrap_or_default(),
        entrypoint: strings_of(get("Entrypoint")),
        cmd: strings_of(get("Cmd")),
        volumes: set_of(get("Volumes")),
        working_dir: str_of(get("WorkingDir")),
        labels: get("Labels")
            .and_then(Value::as_object)
            .map(|m| {
                m.iter()
                    .map(|(k, v)| (k.clone(), v.as_str().unwrap_or("").to_owned()))
                    .collect()
            })
            .unwrap_or_default(),
        stop_signal: str_of(get("StopSignal")),
        args_escaped: get("ArgsEscaped").and_then(Value::as_bool).unwrap_or(false),
        healthcheck: get("Healthcheck").and_then(Value::as_object).map(|h| {
            let n = |k: &str| field(h, k).and_then(Value::as_i64).unwrap_or(0);
            Healthcheck {
                test: strings_of(field(h, "Test")).unwrap_or_default(),
                interval: n("Interval"),
                timeout: n("Timeout"),
                start_period: n("StartPeriod"),
                start_interval: n("StartInterval"),
                retries: n("Retries"),
            }
        }),
        on_build: strings_of(get("OnBuild")).unwrap_or_default(),
        shell: strings_of(get("Shell")).unwrap_or_default(),
    }
}

/// A field by name: the exact name first, then ignoring ASCII case, as Go
/// matches JSON keys to struct fields.
fn field<'a>(obj: &'a serde_json::Map<String, Value>, name: &str) -> Option<&'a Value> {
    obj.get(name).or_else(|| {
        obj.iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(name))
            .map(|(_, v)| v)
    })
}

fn str_of(v: Option<&Value>) -> String {
    v.and_then(Value::as_str).unwrap_or("").to_owned()
}

fn strings_of(v: Option<&Value>) -> Option<Vec<String>> {
    v.and_then(Value::as_array).map(|a| {
        a.iter()
            .map(|s| s.as_str().unwrap_or("").to_owned())
            .collect()
    })
}

fn set_of(v: Option<&Value>) -> BTreeMap<String, ()> {
    v.and_then(Value::as_object)
        .map(|m| m.keys().map(|k| (k.clone(), ())).collect())
        .unwrap_or_default()
}

/// Rewrites an RFC 3339 time the way Go prints it back after parsing:
/// a zero offset becomes `Z` and trailing zeros of the fraction go.
fn normalize_time(s: &str) -> String {
    let (main, zone) = if let Some(m) = s.strip_suffix('Z') {
        (m, "Z")
    } else if let Some(i) = s.rfind(['+', '-']).filter(|&i| i > 10) {
        let z = &s[i..];
        (
            &s[..i],
            if z == "+00:00" || z == "-00:00" {
                "Z"
            } else {
                z
            },
        )
    } else {
        return s.to_owned();
    };
    let main = match main.split_once('.') {
        Some((sec, frac)) => {
            let frac = frac.trim_end_matches('0');
            if frac.is_empty() {
                sec.to_owned()
            } else {
                format!("{sec}.{frac}")
            }
        }
        None => main.to_owned(),
    };
    format!("{main}{zone}")
}

/// Seconds since the epoch as Go prints a UTC `time.Time` in JSON.
pub fn format_epoch(secs: i64) -> String {
    let days = secs.div_euclid(86_400);
    let rem = secs.rem_euclid(86_400);
    let (h, m, s) = (rem / 3600, rem % 3600 / 60, rem % 60);
    // Civil-from-days (Howard Hinnant's algorithm).
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let y = yoe + era * 400;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let mo = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = if mo <= 2 { y + 1 } else { y };
    format!("{y:04}-{mo:02}-{d:02}T{h:02}:{m:02}:{s:02}Z")
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn scratch_config_json() {
        let p = Platform {
            os: "linux".into(),
            architecture: "amd64".into(),
            ..Platform::default()
        };
        assert_eq!(
            ImageConfig::empty(&p).to_json(),
            r#"{"architecture":"amd64","os":"linux","rootfs":{"type":"layers","diff_ids":null},"config":{"Env":["PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"],"WorkingDir":"/"}}"#
        );
    }

    #[test]
    fn reads_leniently() {
        let v: Value = serde_json::json!({
            "architecture": "amd64", "os": "linux", "unknown": 1,
            "config": {"env": ["A=1"], "Cmd": ["sh"], "Labels": {"b": "2", "a": "1"}},
            "rootfs": {"type": "layers", "diff_ids": ["sha256:aa"]},
            "history": [{"created": "2024-01-01T00:00:00.500000000+00:00", "created_by": "x"}]
        });
        let img = ImageConfig::from_json(&v).unwrap();
        assert_eq!(img.config.env, ["A=1"]);
        assert_eq!(
            img.history[0].created.as_deref(),
            Some("2024-01-01T00:00:00.5Z")
        );
        assert!(img.to_json().contains(r#""Labels":{"a":"1","b":"2"}"#));
    }

    #[test]
    fn epoch_times() {
        assert_eq!(format_epoch(0), "1970-01-01T00:00:00Z");
        assert_eq!(format_epoch(1_700_000_000), "2023-11-14T22:13:20Z");
    }
}
