//! The image config fields a Dockerfile frontend decides, extracted from an
//! image config JSON and normalized for comparison, and the image history.

use std::collections::{BTreeMap, BTreeSet};

use serde::Serialize;
use serde_json::Value;

/// `HealthConfig`, durations in nanoseconds (0 = unset).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct Healthcheck {
    pub test: Vec<String>,
    pub interval: i64,
    pub timeout: i64,
    pub start_period: i64,
    pub start_interval: i64,
    pub retries: i64,
}

/// The image config fields a Dockerfile decides. Missing and empty strings
/// are the same (`""`); `null` and `[]` lists stay distinct where the
/// distinction survives export (Cmd, Entrypoint, Shell).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Default)]
#[serde(rename_all = "PascalCase")]
pub struct NormalizedConfig {
    pub env: Vec<String>,
    pub cmd: Option<Vec<String>>,
    pub entrypoint: Option<Vec<String>>,
    pub working_dir: String,
    pub user: String,
    pub labels: BTreeMap<String, String>,
    pub exposed_ports: BTreeSet<String>,
    pub volumes: BTreeSet<String>,
    pub stop_signal: String,
    pub healthcheck: Option<Healthcheck>,
    pub shell: Option<Vec<String>>,
    pub on_build: Vec<String>,
    pub args_escaped: bool,
    /// Top-level `author` (MAINTAINER).
    pub author: String,
    #[serde(rename = "os")]
    pub os: String,
    #[serde(rename = "architecture")]
    pub architecture: String,
    #[serde(rename = "variant")]
    pub variant: String,
}

/// One `history` entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct HistoryEntry {
    pub created_by: String,
    pub empty_layer: bool,
    pub created: Option<String>,
}

pub fn strings(v: &Value) -> Option<Vec<String>> {
    v.as_array().map(|a| {
        a.iter()
            .map(|s| s.as_str().unwrap_or_default().to_string())
            .collect()
    })
}

fn string(v: &Value) -> String {
    v.as_str().unwrap_or_default().to_string()
}

fn keys(v: &Value) -> BTreeSet<String> {
    v.as_object()
        .map(|m| m.keys().cloned().collect())
        .unwrap_or_default()
}

/// Extracts the compared fields from an image config JSON.
pub fn normalize_config(image: &Value) -> NormalizedConfig {
    let c = &image["config"];
    let hc = &c["Healthcheck"];
    NormalizedConfig {
        env: strings(&c["Env"]).unwrap_or_default(),
        cmd: strings(&c["Cmd"]),
        entrypoint: strings(&c["Entrypoint"]),
        working_dir: string(&c["WorkingDir"]),
        user: string(&c["User"]),
        labels: c["Labels"]
            .as_object()
            .map(|m| m.iter().map(|(k, v)| (k.clone(), string(v))).collect())
            .unwrap_or_default(),
        exposed_ports: keys(&c["ExposedPorts"]),
        volumes: keys(&c["Volumes"]),
        stop_signal: string(&c["StopSignal"]),
        healthcheck: hc.is_object().then(|| Healthcheck {
            test: strings(&hc["Test"]).unwrap_or_default(),
            interval: hc["Interval"].as_i64().unwrap_or(0),
            timeout: hc["Timeout"].as_i64().unwrap_or(0),
            start_period: hc["StartPeriod"].as_i64().unwrap_or(0),
            start_interval: hc["StartInterval"].as_i64().unwrap_or(0),
            retries: hc["Retries"].as_i64().unwrap_or(0),
        }),
        shell: strings(&c["Shell"]),
        on_build: strings(&c["OnBuild"]).unwrap_or_default(),
        args_escaped: c["ArgsEscaped"].as_bool().unwrap_or(false),
        author: string(&image["author"]),
        os: string(&image["os"]),
        architecture: string(&image["architecture"]),
        variant: string(&image["variant"]),
    }
}

pub fn history(image: &Value) -> Vec<HistoryEntry> {
    image["history"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|h| HistoryEntry {
            created_by: string(&h["created_by"]),
            empty_layer: h["empty_layer"].as_bool().unwrap_or(false),
            created: h["created"].as_str().map(str::to_string),
        })
        .collect()
}
