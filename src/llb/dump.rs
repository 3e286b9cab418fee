//! Readable renderings of a definition: JSON (ops by digest with their
//! decoded fields, metadata and source locations) and Graphviz DOT.

use base64::Engine;
use prost::Message;
use serde_json::{Map, Value, json};

use crate::proto::pb;

use super::marshal::digest;

/// The definition as JSON: `{"ops": [...], "head": digest, "source": {...}}`,
/// ops in definition order.
pub fn to_json(def: &pb::Definition) -> Value {
    let mut ops = Vec::new();
    let mut head = Value::Null;
    for bytes in &def.def {
        let dgst = digest(bytes);
        let Ok(op) = pb::Op::decode(bytes.as_slice()) else {
            ops.push(json!({ "digest": dgst, "error": "undecodable op" }));
            continue;
        };
        if op.op.is_none() {
            head = op
                .inputs
                .first()
                .map_or(Value::Null, |i| Value::String(i.digest.clone()));
        }
        let mut entry = Map::new();
        entry.insert("digest".into(), Value::String(dgst.clone()));
        entry.insert("op".into(), op_json(&op));
        if let Some(md) = def.metadata.get(&dgst) {
            entry.insert("metadata".into(), metadata_json(md));
        }
        if let Some(locs) = def.source.as_ref().and_then(|s| s.locations.get(&dgst)) {
            let lines: Vec<Value> = locs
                .locations
                .iter()
                .map(|l| {
                    Value::Array(
                        l.ranges
                            .iter()
                            .map(|r| {
                                json!([
                                    r.start.as_ref().map_or(0, |p| p.line),
                                    r.end.as_ref().map_or(0, |p| p.line)
                                ])
                            })
                            .collect(),
                    )
                })
                .collect();
            entry.insert("locations".into(), Value::Array(lines));
        }
        ops.push(Value::Object(entry));
    }
    let source = def.source.as_ref().map_or(Value::Null, |s| {
        Value::Array(
            s.infos
                .iter()
                .map(|i| {
                    json!({
                        "filename": i.filename,
                        "language": i.language,
                        "bytes": i.data.len(),
                        "has_definition": i.definition.is_some(),
                    })
                })
                .collect(),
        )
    });
    json!({ "head": head, "ops": ops, "source": source })
}

fn op_json(op: &pb::Op) -> Value {
    let mut m = Map::new();
    if !op.inputs.is_empty() {
        m.insert(
            "inputs".into(),
            Value::Array(
                op.inputs
                    .iter()
                    .map(|i| json!(format!("{}:{}", i.digest, i.index)))
                    .collect(),
            ),
        );
    }
    match &op.op {
        Some(pb::op::Op::Source(s)) => {
            m.insert(
                "source".into(),
                json!({ "identifier": s.identifier, "attrs": s.attrs }),
            );
        }
        Some(pb::op::Op::Exec(e)) => {
            m.insert("exec".into(), exec_json(e));
        }
        Some(pb::op::Op::File(f)) => {
            let actions: Vec<Value> = f.actions.iter().map(action_json).collect();
            m.insert("file".into(), json!({ "actions": actions }));
        }
        Some(pb::op::Op::Merge(mg)) => {
            let inputs: Vec<i64> = mg.inputs.iter().map(|i| i.input).collect();
            m.insert("merge".into(), json!({ "inputs": inputs }));
        }
        Some(other) => {
            m.insert("other".into(), json!(format!("{other:?}")));
        }
        None => {}
    }
    if let Some(p) = &op.platform {
        let mut pm = Map::new();
        pm.insert("os".into(), json!(p.os));
        pm.insert("architecture".into(), json!(p.architecture));
        if !p.variant.is_empty() {
            pm.insert("variant".into(), json!(p.variant));
        }
        if !p.os_version.is_empty() {
            pm.insert("os_version".into(), json!(p.os_version));
        }
        if !p.os_features.is_empty() {
            pm.insert("os_features".into(), json!(p.os_features));
        }
        m.insert("platform".into(), Value::Object(pm));
    }
    if let Some(c) = &op.constraints {
        m.insert("constraints".into(), json!({ "filter": c.filter }));
    }
    Value::Object(m)
}

fn exec_json(e: &pb::ExecOp) -> Value {
    let mut m = Map::new();
    if let Some(meta) = &e.meta {
        let mut mm = Map::new();
        mm.insert("args".into(), json!(meta.args));
        mm.insert("env".into(), json!(meta.env));
        mm.insert("cwd".into(), json!(meta.cwd));
        if !meta.user.is_empty() {
            mm.insert("user".into(), json!(meta.user));
        }
        if !meta.hostname.is_empty() {
            mm.insert("hostname".into(), json!(meta.hostname));
        }
        if !meta.extra_hosts.is_empty() {
            let hosts: Vec<Value> = meta
                .extra_hosts
                .iter()
                .map(|h| json!({ "host": h.host, "ip": h.ip }))
                .collect();
            mm.insert("extra_hosts".into(), Value::Array(hosts));
        }
        if !meta.ulimit.is_empty() {
            let u: Vec<Value> = meta
                .ulimit
                .iter()
                .map(|u| json!({ "name": u.name, "soft": u.soft, "hard": u.hard }))
                .collect();
            mm.insert("ulimit".into(), Value::Array(u));
        }
        if !meta.cgroup_parent.is_empty() {
            mm.insert("cgroup_parent".into(), json!(meta.cgroup_parent));
        }
        if let Some(p) = &meta.proxy_env {
            mm.insert(
                "proxy_env".into(),
                json!({
                    "http_proxy": p.http_proxy, "https_proxy": p.https_proxy,
                    "ftp_proxy": p.ftp_proxy, "no_proxy": p.no_proxy, "all_proxy": p.all_proxy,
                }),
            );
        }
        mm.insert(
            "remove_mount_stubs_recursive".into(),
            json!(meta.remove_mount_stubs_recursive),
        );
        m.insert("meta".into(), Value::Object(mm));
    }
    let mounts: Vec<Value> = e.mounts.iter().map(mount_json).collect();
    m.insert("mounts".into(), Value::Array(mounts));
    let network = match pb::NetMode::try_from(e.network) {
        Ok(pb::NetMode::Host) => "host",
        Ok(pb::NetMode::None) => "none",
        _ => "sandbox",
    };
    m.insert("network".into(), json!(network));
    if e.security != 0 {
        m.insert("security".into(), json!("insecure"));
    }
    if !e.secretenv.is_empty() {
        let s: Vec<Value> = e
            .secretenv
            .iter()
            .map(|s| json!({ "id": s.id, "name": s.name, "optional": s.optional }))
            .collect();
        m.insert("secretenv".into(), Value::Array(s));
    }
    Value::Object(m)
}

fn mount_json(mt: &pb::Mount) -> Value {
    let mut m = Map::new();
    m.insert("dest".into(), json!(mt.dest));
    m.insert("input".into(), json!(mt.input));
    m.insert("output".into(), json!(mt.output));
    if !mt.selector.is_empty() {
        m.insert("selector".into(), json!(mt.selector));
    }
    if mt.readonly {
        m.insert("readonly".into(), json!(true));
    }
    let kind = match pb::MountType::try_from(mt.mount_type) {
        Ok(pb::MountType::Cache) => "cache",
        Ok(pb::MountType::Tmpfs) => "tmpfs",
        Ok(pb::MountType::Secret) => "secret",
        Ok(pb::MountType::Ssh) => "ssh",
        _ => "bind",
    };
    m.insert("type".into(), json!(kind));
    if let Some(c) = &mt.cache_opt {
        let sharing = match pb::CacheSharingOpt::try_from(c.sharing) {
            Ok(pb::CacheSharingOpt::Private) => "private",
            Ok(pb::CacheSharingOpt::Locked) => "locked",
            _ => "shared",
        };
        m.insert("cache".into(), json!({ "id": c.id, "sharing": sharing }));
    }
    if let Some(t) = &mt.tmpfs_opt {
        m.insert("tmpfs".into(), json!({ "size": t.size }));
    }
    if let Some(s) = &mt.secret_opt {
        m.insert(
            "secret".into(),
            json!({ "id": s.id, "uid": s.uid, "gid": s.gid, "mode": format!("{:o}", s.mode), "optional": s.optional }),
        );
    }
    if let Some(s) = &mt.ssh_opt {
        m.insert(
            "ssh".into(),
            json!({ "id": s.id, "uid": s.uid, "gid": s.gid, "mode": format!("{:o}", s.mode), "optional": s.optional }),
        );
    }
    Value::Object(m)
}

fn action_json(a: &pb::FileAction) -> Value {
    let mut m = Map::new();
    m.insert("input".into(), json!(a.input));
    m.insert("secondary_input".into(), json!(a.secondary_input));
    m.insert("output".into(), json!(a.output));
    match &a.action {
        Some(pb::file_action::Action::Copy(c)) => {
            let mut cm = Map::new();
            cm.insert("src".into(), json!(c.src));
            cm.insert("dest".into(), json!(c.dest));
            if let Some(o) = &c.owner {
                cm.insert("owner".into(), owner_json(o));
            }
            cm.insert(
                "mode".into(),
                if c.mode_str.is_empty() {
                    if c.mode < 0 {
                        json!(c.mode)
                    } else {
                        json!(format!("{:o}", c.mode))
                    }
                } else {
                    json!(c.mode_str)
                },
            );
            for (k, v) in [
                ("follow_symlink", c.follow_symlink),
                ("dir_copy_contents", c.dir_copy_contents),
                ("attempt_unpack", c.attempt_unpack_docker_compatibility),
                ("create_dest_path", c.create_dest_path),
                ("allow_wildcard", c.allow_wildcard),
                ("allow_empty_wildcard", c.allow_empty_wildcard),
                (
                    "always_replace_existing_dest_paths",
                    c.always_replace_existing_dest_paths,
                ),
            ] {
                if v {
                    cm.insert(k.into(), json!(true));
                }
            }
            cm.insert("timestamp".into(), json!(c.timestamp));
            for (k, v) in [
                ("include_patterns", &c.include_patterns),
                ("exclude_patterns", &c.exclude_patterns),
                ("required_paths", &c.required_paths),
            ] {
                if !v.is_empty() {
                    cm.insert(k.into(), json!(v));
                }
            }
            m.insert("copy".into(), Value::Object(cm));
        }
        Some(pb::file_action::Action::Mkdir(d)) => {
            let mut dm = Map::new();
            dm.insert("path".into(), json!(d.path));
            dm.insert("mode".into(), json!(format!("{:o}", d.mode)));
            dm.insert("make_parents".into(), json!(d.make_parents));
            if let Some(o) = &d.owner {
                dm.insert("owner".into(), owner_json(o));
            }
            dm.insert("timestamp".into(), json!(d.timestamp));
            m.insert("mkdir".into(), Value::Object(dm));
        }
        Some(pb::file_action::Action::Mkfile(f)) => {
            let mut fm = Map::new();
            fm.insert("path".into(), json!(f.path));
            fm.insert("mode".into(), json!(format!("{:o}", f.mode)));
            match std::str::from_utf8(&f.data) {
                Ok(s) => fm.insert("data".into(), json!(s)),
                Err(_) => fm.insert(
                    "data_base64".into(),
                    json!(base64::engine::general_purpose::STANDARD.encode(&f.data)),
                ),
            };
            if let Some(o) = &f.owner {
                fm.insert("owner".into(), owner_json(o));
            }
            fm.insert("timestamp".into(), json!(f.timestamp));
            m.insert("mkfile".into(), Value::Object(fm));
        }
        Some(other) => {
            m.insert("other".into(), json!(format!("{other:?}")));
        }
        None => {}
    }
    Value::Object(m)
}

fn owner_json(o: &pb::ChownOpt) -> Value {
    let u = |x: &Option<pb::UserOpt>| match x.as_ref().and_then(|u| u.user.as_ref()) {
        Some(pb::user_opt::User::ById(id)) => json!({ "id": id }),
        Some(pb::user_opt::User::ByName(n)) => json!({ "name": n.name, "input": n.input }),
        None => Value::Null,
    };
    json!({ "user": u(&o.user), "group": u(&o.group) })
}

fn metadata_json(md: &pb::OpMetadata) -> Value {
    let mut m = Map::new();
    if md.ignore_cache {
        m.insert("ignore_cache".into(), json!(true));
    }
    if !md.description.is_empty() {
        m.insert("description".into(), json!(md.description));
    }
    if !md.caps.is_empty() {
        let caps: Vec<&String> = md.caps.keys().collect();
        m.insert("caps".into(), json!(caps));
    }
    if let Some(g) = &md.progress_group {
        m.insert(
            "progress_group".into(),
            json!({ "id": g.id, "name": g.name, "weak": g.weak }),
        );
    }
    Value::Object(m)
}

/// The definition as a Graphviz graph: one node per op, edges from inputs.
pub fn to_dot(def: &pb::Definition) -> String {
    let mut out =
        String::from("digraph llb {\n  rankdir=BT;\n  node [shape=box, fontname=\"monospace\"];\n");
    for bytes in &def.def {
        let dgst = digest(bytes);
        let Ok(op) = pb::Op::decode(bytes.as_slice()) else {
            continue;
        };
        let kind = match &op.op {
            Some(pb::op::Op::Source(s)) => format!("source {}", s.identifier),
            Some(pb::op::Op::Exec(_)) => "exec".to_owned(),
            Some(pb::op::Op::File(f)) => format!("file ({} actions)", f.actions.len()),
            Some(pb::op::Op::Merge(_)) => "merge".to_owned(),
            Some(_) => "other".to_owned(),
            None => "result".to_owned(),
        };
        let name = def
            .metadata
            .get(&dgst)
            .and_then(|m| m.description.get(super::caps::CUSTOM_NAME))
            .cloned()
            .unwrap_or_default();
        let short = &dgst[7..19.min(dgst.len())];
        let label = format!("{short}\\n{}\\n{}", escape(&kind), escape(&name));
        out.push_str(&format!("  \"{dgst}\" [label=\"{label}\"];\n"));
        for i in &op.inputs {
            out.push_str(&format!("  \"{}\" -> \"{dgst}\";\n", i.digest));
        }
    }
    out.push_str("}\n");
    out
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('"', "\\\"")
        .replace('\n', "\\n")
}
