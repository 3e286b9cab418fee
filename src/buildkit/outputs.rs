//! `--output`, `--load`, `--push`, `--cache-from` and `--cache-to`, read as
//! buildx reads them, turned into BuildKit exporters and cache entries.
//!
//! An exporter that writes files to the client (`oci`, `docker`, `tar`,
//! `local`) gets an [`OutputTarget`]; its position in the exporter list is
//! the ID the daemon uses when it streams the output through the session.

use std::collections::BTreeMap;
use std::path::PathBuf;

use crate::proto::control::{CacheOptionsEntry, Exporter};

/// Where an exporter's output lands on the client.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum OutputTarget {
    /// A file, written whole (oci, docker, tar).
    File(PathBuf),
    /// Standard output (oci, docker, tar with `dest=-`).
    Stdout,
    /// A directory (local).
    Dir(PathBuf),
}

/// One exporter and, for client-side outputs, where it writes.
#[derive(Clone, Debug, PartialEq)]
pub struct Output {
    /// The exporter as the daemon receives it.
    pub exporter: Exporter,
    /// Where its files go, for exporters that send them to the client.
    pub target: Option<OutputTarget>,
}

/// What the outputs are built from.
#[derive(Clone, Debug, Default)]
pub struct OutputFlags {
    /// `-o` values.
    pub outputs: Vec<String>,
    /// `-t` values.
    pub tags: Vec<String>,
    /// `--load`.
    pub load: bool,
    /// `--push`.
    pub push: bool,
    /// `--annotation` values, already `KEY=VALUE`.
    pub annotations: Vec<(String, String)>,
    /// The daemon is a Docker engine (its image store takes `--load`).
    pub docker: bool,
}

/// Splits a buildx CSV spec (`type=local,dest=out`) into its fields.
/// Double quotes protect commas, as in Go's CSV reader.
pub fn parse_csv(spec: &str) -> Result<Vec<(String, String)>, String> {
    let mut fields = Vec::new();
    let mut cur = String::new();
    let mut quoted = false;
    let mut chars = spec.chars().peekable();
    let mut raw = Vec::new();
    while let Some(c) = chars.next() {
        match c {
            '"' if quoted && chars.peek() == Some(&'"') => {
                chars.next();
                cur.push('"');
            }
            '"' => quoted = !quoted,
            ',' if !quoted => raw.push(std::mem::take(&mut cur)),
            c => cur.push(c),
        }
    }
    if quoted {
        return Err(format!("{spec:?}: unterminated quote"));
    }
    raw.push(cur);
    for f in raw {
        if f.is_empty() {
            continue;
        }
        match f.split_once('=') {
            Some((k, v)) => fields.push((k.trim().to_ascii_lowercase(), v.to_owned())),
            None => fields.push((f.trim().to_ascii_lowercase(), String::new())),
        }
    }
    Ok(fields)
}

/// The exporters of a build, from its flags.
pub fn outputs(flags: &OutputFlags) -> Result<Vec<Output>, String> {
    let mut out = Vec::new();
    for spec in &flags.outputs {
        out.push(output(spec, flags)?);
    }
    if flags.push {
        out.push(image_output(
            flags,
            BTreeMap::from([("push".into(), "true".into())]),
        ));
    }
    if flags.load {
        if !flags.docker {
            return Err(
                "--load needs a Docker engine (docker://); with a buildkitd use \
                 -o type=docker,dest=FILE and `docker load`"
                    .into(),
            );
        }
        if !out.iter().any(|o| o.exporter.r#type == "moby") {
            out.push(image_output(flags, BTreeMap::new()));
        }
    }
    // A Docker engine's default, like buildx's docker driver: load the
    // result into the engine's image store.
    if out.is_empty() && flags.docker {
        out.push(image_output(flags, BTreeMap::new()));
    }
    if out
        .iter()
        .filter(|o| o.target == Some(OutputTarget::Stdout))
        .count()
        > 1
    {
        return Err("only one output can write to standard output".into());
    }
    Ok(out)
}

/// An image exporter (the engine's own store on a Docker engine).
fn image_output(flags: &OutputFlags, mut attrs: BTreeMap<String, String>) -> Output {
    let push = attrs.get("push").is_some_and(|v| v == "true");
    let kind = if flags.docker && !push {
        "moby"
    } else {
        "image"
    };
    if !flags.tags.is_empty() && !attrs.contains_key("name") {
        attrs.insert("name".into(), flags.tags.join(","));
    }
    if kind != "moby" {
        add_annotations(&mut attrs, &flags.annotations);
    }
    Output {
        exporter: Exporter {
            r#type: kind.into(),
            attrs: attrs.into_iter().collect(),
        },
        target: None,
    }
}

fn add_annotations(attrs: &mut BTreeMap<String, String>, annotations: &[(String, String)]) {
    for (k, v) in annotations {
        // buildx's `manifest:KEY`, `index:KEY`, … prefixes select where the
        // annotation goes; a bare key means the manifest.
        let key = match k.split_once(':') {
            Some((kind, key)) if !kind.contains('.') && !kind.contains('/') => {
                format!("annotation-{kind}.{key}")
            }
            _ => format!("annotation.{k}"),
        };
        attrs.entry(key).or_insert_with(|| v.clone());
    }
}

fn output(spec: &str, flags: &OutputFlags) -> Result<Output, String> {
    if spec == "-" {
        return output("type=tar,dest=-", flags);
    }
    if !spec.contains('=') {
        return output(&format!("type=local,dest={spec}"), flags);
    }
    let mut attrs: BTreeMap<String, String> = parse_csv(spec)?.into_iter().collect();
    let kind = attrs.remove("type").ok_or_else(|| {
        format!("--output {spec:?}: no type= (use type=image|oci|docker|local|tar)")
    })?;
    let dest = attrs.remove("dest");
    match kind.as_str() {
        "image" | "registry" => {
            if kind == "registry" {
                attrs.insert("push".into(), "true".into());
            }
            Ok(image_output(flags, attrs))
        }
        "moby" => Ok(Output {
            exporter: Exporter {
                r#type: kind,
                attrs: attrs.into_iter().collect(),
            },
            target: None,
        }),
        "oci" | "docker" | "tar" => {
            let dest = dest.ok_or_else(|| {
                format!("--output {spec:?}: type={kind} needs dest=FILE (or dest=- for stdout)")
            })?;
            let target = if dest == "-" {
                OutputTarget::Stdout
            } else {
                OutputTarget::File(PathBuf::from(dest))
            };
            if kind != "tar" {
                if !flags.tags.is_empty() && !attrs.contains_key("name") {
                    attrs.insert("name".into(), flags.tags.join(","));
                }
                add_annotations(&mut attrs, &flags.annotations);
            }
            Ok(Output {
                exporter: Exporter {
                    r#type: kind,
                    attrs: attrs.into_iter().collect(),
                },
                target: Some(target),
            })
        }
        "local" => {
            let dest =
                dest.ok_or_else(|| format!("--output {spec:?}: type=local needs dest=DIR"))?;
            Ok(Output {
                exporter: Exporter {
                    r#type: kind,
                    attrs: attrs.into_iter().collect(),
                },
                target: Some(OutputTarget::Dir(PathBuf::from(dest))),
            })
        }
        other => Err(format!(
            "--output {spec:?}: unknown type {other:?} (use image, oci, docker, local or tar)"
        )),
    }
}

/// A `--cache-from` entry. A bare reference means `type=registry,ref=…`.
pub fn cache_import(spec: &str) -> Result<CacheOptionsEntry, String> {
    cache_entry("--cache-from", spec)
}

/// A `--cache-to` entry.
pub fn cache_export(spec: &str) -> Result<CacheOptionsEntry, String> {
    cache_entry("--cache-to", spec)
}

fn cache_entry(flag: &str, spec: &str) -> Result<CacheOptionsEntry, String> {
    let mut attrs: BTreeMap<String, String> = if spec.contains('=') {
        parse_csv(spec)?.into_iter().collect()
    } else {
        BTreeMap::from([
            ("type".into(), "registry".into()),
            ("ref".into(), spec.into()),
        ])
    };
    let kind = attrs
        .remove("type")
        .ok_or_else(|| format!("{flag} {spec:?}: no type="))?;
    check_cache_kind(flag, spec, &kind, &attrs)?;
    Ok(CacheOptionsEntry {
        r#type: kind,
        attrs: attrs.into_iter().collect(),
    })
}

fn check_cache_kind(
    flag: &str,
    spec: &str,
    kind: &str,
    attrs: &BTreeMap<String, String>,
) -> Result<(), String> {
    match kind {
        "inline" => Ok(()),
        "registry" if attrs.contains_key("ref") => Ok(()),
        "registry" => Err(format!("{flag} {spec:?}: type=registry needs ref=")),
        "local" => {
            let key = if flag == "--cache-to" { "dest" } else { "src" };
            if attrs.contains_key(key) {
                Ok(())
            } else {
                Err(format!("{flag} {spec:?}: type=local needs {key}=DIR"))
            }
        }
        "gha" | "s3" | "azblob" => Err(format!(
            "{flag} {spec:?}: type={kind} needs network access this build does not use; \
             use local, inline or registry"
        )),
        other => Err(format!("{flag} {spec:?}: unknown cache type {other:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags(outputs: &[&str], docker: bool) -> OutputFlags {
        OutputFlags {
            outputs: outputs.iter().map(|s| (*s).to_owned()).collect(),
            tags: vec!["app:1".into()],
            docker,
            ..OutputFlags::default()
        }
    }

    #[test]
    fn shorthand_and_types() {
        let o = outputs(&flags(&["out"], false)).unwrap();
        assert_eq!(o[0].exporter.r#type, "local");
        assert_eq!(o[0].target, Some(OutputTarget::Dir("out".into())));
        let o = outputs(&flags(&["-"], false)).unwrap();
        assert_eq!(o[0].exporter.r#type, "tar");
        assert_eq!(o[0].target, Some(OutputTarget::Stdout));
        let o = outputs(&flags(&["type=oci,dest=x.tar"], false)).unwrap();
        assert_eq!(o[0].exporter.attrs["name"], "app:1");
        assert_eq!(o[0].target, Some(OutputTarget::File("x.tar".into())));
    }

    #[test]
    fn docker_engine_loads_by_default_and_buildkitd_does_not() {
        let o = outputs(&flags(&[], true)).unwrap();
        assert_eq!(o[0].exporter.r#type, "moby");
        assert_eq!(o[0].exporter.attrs["name"], "app:1");
        assert!(outputs(&flags(&[], false)).unwrap().is_empty());
        let mut f = flags(&[], false);
        f.load = true;
        assert!(
            outputs(&f)
                .unwrap_err()
                .contains("--load needs a Docker engine")
        );
    }

    #[test]
    fn errors_name_the_spec() {
        let e = outputs(&flags(&["type=oci"], false)).unwrap_err();
        assert!(e.contains("needs dest="), "{e}");
        let e = outputs(&flags(&["type=nope,dest=x"], false)).unwrap_err();
        assert!(e.contains("unknown type"), "{e}");
        let e = outputs(&flags(&["-", "type=oci,dest=-"], false)).unwrap_err();
        assert!(e.contains("standard output"), "{e}");
    }

    #[test]
    fn annotations_and_csv_quotes() {
        let mut f = flags(&["type=oci,dest=x.tar,\"name=a,b\""], false);
        f.annotations = vec![
            ("org.opencontainers.image.revision".into(), "abc".into()),
            ("index:k".into(), "v".into()),
        ];
        let o = outputs(&f).unwrap();
        let a = &o[0].exporter.attrs;
        assert_eq!(a["name"], "a,b");
        assert_eq!(a["annotation.org.opencontainers.image.revision"], "abc");
        assert_eq!(a["annotation-index.k"], "v");
    }

    #[test]
    fn cache_specs() {
        assert_eq!(cache_import("reg/app:cache").unwrap().r#type, "registry");
        assert_eq!(
            cache_export("type=local,dest=c").unwrap().attrs["dest"],
            "c"
        );
        assert!(cache_export("type=local").unwrap_err().contains("dest=DIR"));
        assert!(cache_import("type=gha").unwrap_err().contains("network"));
    }
}
