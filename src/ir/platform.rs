//! Target and build platforms (`os/arch[/variant]`), parsed, normalised and
//! printed the way containerd's `platforms` package does, because those
//! strings end up in the LLB (`Op.platform`), in build args
//! (`TARGETPLATFORM`) and in result metadata keys (`refs.platforms`).

use std::fmt;

use serde::Serialize;

/// An OCI platform. Empty strings mean "not set".
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize)]
pub struct Platform {
    pub os: String,
    pub architecture: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub variant: String,
    #[serde(skip_serializing_if = "String::is_empty")]
    pub os_version: String,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub os_features: Vec<String>,
}

/// `linux/amd64`, the platform of this build machine.
pub fn default_platform() -> Platform {
    Platform {
        os: "linux".to_owned(),
        architecture: "amd64".to_owned(),
        ..Platform::default()
    }
}

const KNOWN_OS: [&str; 17] = [
    "aix",
    "android",
    "darwin",
    "dragonfly",
    "freebsd",
    "hurd",
    "illumos",
    "ios",
    "js",
    "linux",
    "nacl",
    "netbsd",
    "openbsd",
    "plan9",
    "solaris",
    "windows",
    "zos",
];

const KNOWN_ARCH: [&str; 24] = [
    "386",
    "amd64",
    "amd64p32",
    "arm",
    "armbe",
    "arm64",
    "arm64be",
    "ppc64",
    "ppc64le",
    "loong64",
    "mips",
    "mipsle",
    "mips64",
    "mips64le",
    "mips64p32",
    "mips64p32le",
    "ppc",
    "riscv",
    "riscv64",
    "s390",
    "s390x",
    "sparc",
    "sparc64",
    "wasm",
];

impl Platform {
    /// Parses a platform specifier (`linux`, `arm64`, `linux/arm/v7`,
    /// `windows(10.0.17763)/amd64`) like containerd's `platforms.Parse`.
    /// The result is not normalised; see [`Platform::normalize`].
    pub fn parse(spec: &str) -> Result<Platform, String> {
        if spec.contains('*') {
            return Err(format!(
                "{spec:?}: wildcards not yet supported: invalid argument"
            ));
        }
        let parts: Vec<&str> = spec.splitn(4, '/').collect();
        let mut p = Platform::default();
        let (os, version, features) = split_os(parts[0]).ok_or_else(|| {
            format!(
                "{:?} is an invalid OS component of {spec:?}: OSAndVersion specifier component must match \"^([A-Za-z0-9_-]+)(?:\\\\(([A-Za-z0-9_.%-]*)((?:\\\\+[A-Za-z0-9_.%-]+)*)\\\\))?$\": invalid argument",
                parts[0]
            )
        })?;
        p.os = normalize_os(os);
        p.os_version = decode_os_option(version).map_err(|_| {
            format!("{spec:?} has an invalid OS version {version:?}: invalid argument")
        })?;
        if let Some(features) = features {
            for raw in features.split('+') {
                let raw = raw.trim();
                if raw.is_empty() {
                    return Err(format!(
                        "{spec:?} has invalid OS features: empty os feature: invalid argument"
                    ));
                }
                let f = decode_os_option(raw).map_err(|_| {
                    format!("{spec:?} has invalid OS features: invalid os feature {raw:?}: invalid argument")
                })?;
                if !f.is_empty() {
                    p.os_features.push(f);
                }
            }
        }
        for part in &parts[1..] {
            let ok = !part.is_empty()
                && part
                    .chars()
                    .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-'));
            if !ok {
                return Err(format!(
                    "{part:?} is an invalid component of {spec:?}: platform specifier component must match \"^[A-Za-z0-9_.-]+$\": invalid argument"
                ));
            }
        }
        match parts.len() {
            1 => {
                if KNOWN_OS.contains(&p.os.as_str()) {
                    p.architecture = "amd64".to_owned();
                    return Ok(p);
                }
                let (arch, variant) = normalize_arch(parts[0], "");
                if !KNOWN_ARCH.contains(&arch.as_str()) {
                    return Err(format!(
                        "{spec:?}: unknown operating system or architecture: invalid argument"
                    ));
                }
                p.architecture = arch;
                p.variant = if p.architecture == "arm" && variant == "v7" {
                    String::new()
                } else {
                    variant
                };
                p.os = "linux".to_owned();
                p.os_version = String::new();
                p.os_features = Vec::new();
                Ok(p)
            }
            2 => {
                let (arch, variant) = normalize_arch(parts[1], "");
                p.variant = if arch == "arm" && variant == "v7" {
                    String::new()
                } else {
                    variant
                };
                p.architecture = arch;
                Ok(p)
            }
            3 => {
                let (arch, variant) = normalize_arch(parts[1], parts[2]);
                p.variant = if arch == "arm64" && variant.is_empty() {
                    "v8".to_owned()
                } else {
                    variant
                };
                p.architecture = arch;
                Ok(p)
            }
            _ => Err(format!(
                "{spec:?}: cannot parse platform specifier: invalid argument"
            )),
        }
    }

    /// containerd's `platforms.Normalize`: canonical OS and architecture
    /// names and variants (`aarch64` -> `arm64`, `arm64/v8` -> `arm64`,
    /// `arm` -> `arm/v7`).
    pub fn normalize(&self) -> Platform {
        let (architecture, variant) = normalize_arch(&self.architecture, &self.variant);
        Platform {
            os: normalize_os(&self.os),
            architecture,
            variant,
            os_version: self.os_version.clone(),
            os_features: self.os_features.clone(),
        }
    }

    /// `platforms.Format`: `os/arch[/variant]`, or `unknown`.
    pub fn format(&self) -> String {
        if self.os.is_empty() {
            return "unknown".to_owned();
        }
        join_path(&[&self.os, &self.architecture, &self.variant])
    }

    /// `platforms.FormatAll`: like [`Platform::format`] plus
    /// `(<osversion>+<features>)` after the OS when set.
    pub fn format_all(&self) -> String {
        if self.os.is_empty() {
            return "unknown".to_owned();
        }
        if self.os_version.is_empty() && self.os_features.is_empty() {
            return self.format();
        }
        let mut os = self.os.clone();
        let version = encode_os_option(&self.os_version);
        let features: Vec<String> = self
            .os_features
            .iter()
            .map(|f| encode_os_option(f))
            .filter(|f| !f.is_empty())
            .collect();
        let features = features.join("+");
        if !version.is_empty() || !features.is_empty() {
            os.push('(');
            os.push_str(&version);
            if !features.is_empty() {
                os.push('+');
                os.push_str(&features);
            }
            os.push(')');
        }
        join_path(&[&os, &self.architecture, &self.variant])
    }
}

impl fmt::Display for Platform {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.format_all())
    }
}

/// `path.Join` of non-empty parts (the parts here never contain `/`).
fn join_path(parts: &[&str]) -> String {
    parts
        .iter()
        .filter(|p| !p.is_empty())
        .copied()
        .collect::<Vec<_>>()
        .join("/")
}

/// Splits `os(version+feature+...)` into its parts.
fn split_os(part: &str) -> Option<(&str, &str, Option<&str>)> {
    let name_ok = |s: &str| {
        !s.is_empty()
            && s.chars()
                .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '-'))
    };
    let option_ok = |s: &str| {
        s.chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '%' | '-'))
    };
    let Some(open) = part.find('(') else {
        return name_ok(part).then_some((part, "", None));
    };
    let os = &part[..open];
    let inner = part[open + 1..].strip_suffix(')')?;
    if !name_ok(os) {
        return None;
    }
    let (version, features) = match inner.find('+') {
        Some(i) => (&inner[..i], Some(&inner[i + 1..])),
        None => (inner, None),
    };
    if !option_ok(version) {
        return None;
    }
    if let Some(f) = features
        && f.split('+').any(|x| x.is_empty() || !option_ok(x))
    {
        return None;
    }
    Some((os, version, features))
}

fn normalize_os(os: &str) -> String {
    if os.is_empty() {
        return "linux".to_owned();
    }
    let os = os.to_lowercase();
    if os == "macos" {
        "darwin".to_owned()
    } else {
        os
    }
}

fn normalize_arch(arch: &str, variant: &str) -> (String, String) {
    let arch = arch.to_lowercase();
    let mut variant = variant.to_lowercase();
    let arch = match arch.as_str() {
        "i386" => {
            variant.clear();
            "386".to_owned()
        }
        "x86_64" | "x86-64" | "amd64" => {
            if variant == "v1" {
                variant.clear();
            }
            "amd64".to_owned()
        }
        "aarch64" | "arm64" => {
            match variant.as_str() {
                "8" | "v8" | "v8.0" => variant.clear(),
                "9" | "9.0" | "v9.0" => variant = "v9".to_owned(),
                _ => {}
            }
            "arm64".to_owned()
        }
        "armhf" => {
            variant = "v7".to_owned();
            "arm".to_owned()
        }
        "armel" => {
            variant = "v6".to_owned();
            "arm".to_owned()
        }
        "arm" => {
            match variant.as_str() {
                "" | "7" => variant = "v7".to_owned(),
                "5" | "6" | "8" => variant = format!("v{variant}"),
                _ => {}
            }
            "arm".to_owned()
        }
        _ => arch,
    };
    (arch, variant)
}

/// Percent-decoding of an OS option (`%2B` -> `+`).
fn decode_os_option(s: &str) -> Result<String, ()> {
    let bytes = s.as_bytes();
    let mut out = Vec::with_capacity(bytes.len());
    let mut i = 0;
    while i < bytes.len() {
        if bytes[i] == b'%' {
            let hex = s.get(i + 1..i + 3).ok_or(())?;
            out.push(u8::from_str_radix(hex, 16).map_err(|_| ())?);
            i += 3;
        } else {
            out.push(bytes[i]);
            i += 1;
        }
    }
    String::from_utf8(out).map_err(|_| ())
}

/// The inverse of [`decode_os_option`] for the characters that need it.
fn encode_os_option(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    for c in s.chars() {
        if c.is_ascii_alphanumeric() || matches!(c, '_' | '.' | '-') {
            out.push(c);
        } else {
            let mut buf = [0u8; 4];
            for b in c.encode_utf8(&mut buf).bytes() {
                out.push_str(&format!("%{b:02X}"));
            }
        }
    }
    out
}

/// Parses a comma-separated platform list, each normalised (the
/// `platform` frontend option).
pub fn parse_platform_list(v: &str) -> Result<Vec<Platform>, String> {
    v.split(',')
        .map(|s| {
            Platform::parse(s)
                .map(|p| p.normalize())
                .map_err(|e| format!("failed to parse target platform {s}: {e}"))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn p(s: &str) -> String {
        Platform::parse(s).unwrap().normalize().format_all()
    }

    #[test]
    fn parses_and_normalises_like_containerd() {
        assert_eq!(p("linux/amd64"), "linux/amd64");
        assert_eq!(p("linux/arm64/v8"), "linux/arm64");
        assert_eq!(p("linux/arm"), "linux/arm/v7");
        assert_eq!(p("linux/aarch64"), "linux/arm64");
        assert_eq!(p("arm64"), "linux/arm64");
        assert_eq!(p("linux"), "linux/amd64");
        assert_eq!(p("windows(10.0.17763)/amd64"), "windows(10.0.17763)/amd64");
        assert!(Platform::parse("linux/x y").is_err());
        assert!(Platform::parse("nonsense").is_err());
        assert!(Platform::parse("").is_err());
    }

    #[test]
    fn unnormalised_parse_keeps_arm_variant_rules() {
        let arm = Platform::parse("linux/arm").unwrap();
        assert_eq!(arm.variant, "");
        let arm64 = Platform::parse("linux/arm64/v8").unwrap();
        assert_eq!(arm64.variant, "v8");
    }
}
