//! `RUN [--mount=...] [--network=...] [--security=...] command`.
//!
//! The command is exec or shell form; heredoc bodies announced on the line
//! come along as inline files (their text raw: RUN never expands them, and
//! `<<-` tabs are removed by whoever uses them). BuildKit checks while
//! parsing that `--network` is `default`, `none` or `host`, that
//! `--security` is `sandbox` or `insecure`, the CSV syntax and `from` of
//! each `--mount`, and each `--device`. Mainline BuildKit then refuses
//! `--device` (only the labs channel builds it): slipway reports that here
//! but keeps the instruction, so a labs mode could use it.

use serde::Serialize;

use crate::diagnostics::{Diagnostic, suggest};
use crate::syntax::codes;
use crate::syntax::text::TextRange;
use crate::syntax::tree::{Heredoc, Node};

use super::cmd::{CommandLine, command_line};
use super::flags::{self, FlagValue, Flags, Spec, string_flag, strings_flag};
use super::mount::{RunMount, check_unexpanded, go_bool};
use super::{Cx, args, go_quote};

/// A heredoc body used by a RUN command.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct InlineFile {
    /// The delimiter without quotes.
    pub name: String,
    /// The body exactly as in the file.
    pub content: String,
    /// `<<-`: remove leading tabs from each line when the body is used.
    pub chomp: bool,
    pub body_range: TextRange,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum NetworkMode {
    /// The stage's default (set by the `force-network-mode` option).
    Default,
    None,
    Host,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Security {
    Sandbox,
    Insecure,
}

/// A `--device` value: a CDI device name, optional unless `required`.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Device {
    pub name: String,
    pub required: bool,
}

/// A RUN instruction.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
pub struct Run {
    pub range: TextRange,
    pub command: CommandLine,
    /// Heredoc bodies of the line, in order.
    pub files: Vec<InlineFile>,
    /// `--mount` values, unexpanded; see [`super::mount::parse_mount`].
    pub mounts: Vec<RunMount>,
    /// `--network`; `None` means the default.
    pub network: Option<FlagValue<NetworkMode>>,
    /// `--security`; `None` means sandbox.
    pub security: Option<FlagValue<Security>>,
    /// `--device` (labs only; reported as unsupported).
    pub devices: Vec<FlagValue<Device>>,
}

const RUN_FLAGS: [Spec; 4] = [
    strings_flag("device"),
    strings_flag("mount"),
    string_flag("network"),
    string_flag("security"),
];

pub(crate) fn lower(cx: &mut Cx, node: &Node, heredocs: &[Heredoc]) -> Option<Run> {
    let mark = cx.mark();
    let flags = flags::parse(cx, node, &RUN_FLAGS);
    let command = command_line(node, args(node));
    let files = heredocs
        .iter()
        .map(|h| InlineFile {
            name: h.name.clone(),
            content: h.content.clone(),
            chomp: h.chomp,
            body_range: h.body_range,
        })
        .collect();
    let mut mounts = Vec::new();
    for value in flags.strings("mount") {
        match check_unexpanded(&value.value) {
            Ok(from) => mounts.push(RunMount { value, from }),
            Err(e) => cx.report(invalid(
                value.range,
                e,
                "see the RUN --mount reference for the fields",
            )),
        }
    }
    let network = network(cx, &flags);
    let security = security(cx, &flags);
    let devices = devices(cx, &flags);
    if !cx.clean_since(mark) {
        return None;
    }
    if let Some(first) = devices.first() {
        cx.report(
            Diagnostic::error(
                codes::UNSUPPORTED_FLAG,
                first.range,
                "device feature is only supported in Dockerfile frontend 1.14.0-labs or later",
            )
            .with_label("needs the labs frontend")
            .with_help("remove --device, or build with a labs Dockerfile frontend"),
        );
    }
    Some(Run {
        range: node.range,
        command,
        files,
        mounts,
        network,
        security,
        devices,
    })
}

fn invalid(range: TextRange, message: String, help: &str) -> Diagnostic {
    Diagnostic::error(codes::INVALID_FLAG_VALUE, range, message)
        .with_label("invalid value")
        .with_help(help.to_owned())
}

fn network(cx: &mut Cx, flags: &Flags) -> Option<FlagValue<NetworkMode>> {
    let (value, range) = flags.with_flag_range("network")?;
    let mode = match value.value.as_str() {
        "default" => NetworkMode::Default,
        "none" => NetworkMode::None,
        "host" => NetworkMode::Host,
        other => {
            let help = match suggest(other, ["default", "none", "host"]) {
                Some(s) => format!("did you mean {s}? the modes are default, none and host"),
                None => "the modes are default, none and host".to_owned(),
            };
            let msg = format!("invalid network mode {}", go_quote(other));
            cx.report(invalid(value.range, msg, &help));
            return None;
        }
    };
    Some(FlagValue { value: mode, range })
}

fn security(cx: &mut Cx, flags: &Flags) -> Option<FlagValue<Security>> {
    let (value, range) = flags.with_flag_range("security")?;
    let mode = match value.value.as_str() {
        "sandbox" => Security::Sandbox,
        "insecure" => Security::Insecure,
        other => {
            let msg = format!("security {} is not valid", go_quote(other));
            cx.report(invalid(
                value.range,
                msg,
                "the modes are sandbox and insecure",
            ));
            return None;
        }
    };
    Some(FlagValue { value: mode, range })
}

fn devices(cx: &mut Cx, flags: &Flags) -> Vec<FlagValue<Device>> {
    let mut out = Vec::new();
    for (value, range) in flags.strings_with_flag_range("device") {
        match parse_device(&value.value) {
            Ok(device) => out.push(FlagValue {
                value: device,
                range,
            }),
            Err(e) => cx.report(invalid(value.range, e, "write --device=<name>[,required]")),
        }
    }
    out
}

/// Parses a `--device` value: the name as a bare first field or `name=`,
/// and `required` as a bare or bool field (BuildKit's `ParseDevice`).
pub fn parse_device(value: &str) -> Result<Device, String> {
    let fields =
        super::mount::csv_fields(value).map_err(|e| format!("failed to parse csv devices: {e}"))?;
    let mut device = Device {
        name: String::new(),
        required: false,
    };
    for field in &fields {
        let Some((key, value)) = field.split_once('=') else {
            if field.to_lowercase() == "required" {
                device.required = true;
            } else if device.name.is_empty() {
                device.name = field.clone();
            } else {
                return Err(format!("invalid field '{field}' must be a key=value pair"));
            }
            continue;
        };
        match key.to_lowercase().as_str() {
            "name" if !device.name.is_empty() => {
                return Err(format!("device name already set to {}", device.name));
            }
            "name" => device.name = value.to_owned(),
            "required" => {
                device.required =
                    go_bool(value).ok_or_else(|| format!("invalid value for required: {value}"))?;
            }
            _ if device.name.is_empty() => device.name = field.clone(),
            key => {
                let mut msg = format!("unexpected key '{key}' in '{field}'");
                if let Some(s) = suggest(key, ["name", "required"]) {
                    msg.push_str(&format!(" (did you mean {s}?)"));
                }
                return Err(msg);
            }
        }
    }
    Ok(device)
}
