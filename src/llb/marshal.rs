//! Marshalling a build into a `pb.Definition` the way BuildKit's client
//! does: ops in post-order from the result (inputs first, in the client's
//! walk order), each op encoded deterministically and named by the SHA-256
//! of its bytes, duplicates written once with their metadata merged, then
//! a final op that only points at the result. Source locations are
//! recorded for every op.

use std::collections::{BTreeMap, HashMap, HashSet};

use prost::Message;
use sha2::{Digest, Sha256};

use crate::ir::build::{Build, Fs, Step, StepId, StepKind};
use crate::proto::pb;

use super::caps;
use super::ops::{build_op, walk_inputs};

/// The Dockerfile the build came from, for the source map.
#[derive(Clone, Debug, Default)]
pub struct SourceFile {
    pub filename: String,
    pub data: Vec<u8>,
    /// The LLB that loaded the Dockerfile, when known (the frontend has
    /// it; the CLI does not).
    pub definition: Option<pb::Definition>,
}

/// Encodes an op with the field order of BuildKit's Go marshaller: the
/// ordinary fields (`inputs`, `platform`, `constraints`) by number, then
/// the `op` oneof. (Go writes oneof members after the other fields; prost
/// would put `op` between `inputs` and `platform`, which changes the
/// digest.)
pub fn encode_op(op: &pb::Op) -> Vec<u8> {
    let head = pb::Op {
        inputs: op.inputs.clone(),
        platform: op.platform.clone(),
        constraints: op.constraints.clone(),
        op: None,
    };
    let mut out = head.encode_to_vec();
    if let Some(inner) = &op.op {
        inner.encode(&mut out);
    }
    out
}

/// `sha256:<hex>` of some bytes.
pub fn digest(bytes: &[u8]) -> String {
    let hash = Sha256::digest(bytes);
    let mut out = String::with_capacity(71);
    out.push_str("sha256:");
    for b in hash {
        out.push_str(&format!("{b:02x}"));
    }
    out
}

struct Marshaller<'b> {
    steps: &'b [Step],
    llb_caps: Option<&'b std::collections::BTreeSet<String>>,
    visited: HashSet<StepId>,
    /// The output each visited step produced; absent for an empty input
    /// (scratch).
    digests: HashMap<StepId, pb::Input>,
    inputs: &'b Inputs,
    seen: HashSet<String>,
    def: Vec<Vec<u8>>,
    metadata: BTreeMap<String, pb::OpMetadata>,
    /// Locations per digest, in visit order (BTreeMap for determinism;
    /// the protobuf map is sorted anyway).
    locations: BTreeMap<String, Vec<Vec<(u32, u32)>>>,
    any_location: bool,
}

/// Frontend inputs by name: definitions the caller handed the frontend,
/// spliced in where the build uses them.
pub type Inputs = BTreeMap<String, pb::Definition>;

/// Marshals `build` into a definition; `inputs` holds the definitions of
/// the frontend inputs it uses.
pub fn marshal(build: &Build, source: &SourceFile, inputs: &Inputs) -> pb::Definition {
    let mut m = Marshaller {
        steps: &build.steps,
        llb_caps: build.llb_caps.as_ref(),
        visited: HashSet::new(),
        digests: HashMap::new(),
        inputs,
        seen: HashSet::new(),
        def: Vec::new(),
        metadata: BTreeMap::new(),
        locations: BTreeMap::new(),
        any_location: false,
    };
    let Fs::Step(result) = build.result else {
        return pb::Definition::default();
    };
    m.visit(result);
    let Some(head) = m.digests.get(&result).cloned() else {
        return pb::Definition::default();
    };
    let ret = pb::Op {
        inputs: vec![head],
        ..pb::Op::default()
    };
    let bytes = encode_op(&ret);
    let ret_digest = digest(&bytes);
    m.def.push(bytes);
    let mut ret_meta = m.metadata.remove(&ret_digest).unwrap_or_default();
    ret_meta.caps.insert(caps::CONSTRAINTS.to_owned(), true);
    ret_meta.caps.insert(caps::PLATFORM.to_owned(), true);
    if m.metadata.values().any(|md| md.ignore_cache) {
        ret_meta
            .caps
            .insert(caps::META_IGNORE_CACHE.to_owned(), true);
    }
    if m.metadata.values().any(|md| !md.description.is_empty()) {
        ret_meta
            .caps
            .insert(caps::META_DESCRIPTION.to_owned(), true);
    }
    m.metadata.insert(ret_digest, ret_meta);

    let mut src = pb::Source::default();
    if m.any_location {
        src.infos.push(pb::SourceInfo {
            filename: source.filename.clone(),
            data: source.data.clone(),
            definition: source.definition.clone(),
            language: "Dockerfile".to_owned(),
        });
    }
    for (dgst, locs) in m.locations {
        let entry = pb::Locations {
            locations: locs
                .into_iter()
                .map(|ranges| pb::Location {
                    source_index: 0,
                    ranges: ranges
                        .into_iter()
                        .map(|(start, end)| pb::Range {
                            start: Some(pb::Position {
                                line: start as i32,
                                character: 0,
                            }),
                            end: Some(pb::Position {
                                line: end as i32,
                                character: 0,
                            }),
                        })
                        .collect(),
                })
                .collect(),
        };
        src.locations.insert(dgst, entry);
    }
    pb::Definition {
        def: m.def,
        metadata: m.metadata,
        source: Some(src),
    }
}

impl Marshaller<'_> {
    fn visit(&mut self, id: StepId) {
        if self.visited.contains(&id) {
            return;
        }
        let Some(step) = self.steps.get(id) else {
            return;
        };
        if let StepKind::Input { name } = &step.kind {
            self.visited.insert(id);
            self.splice(id, name);
            return;
        }
        for inp in walk_inputs(step) {
            self.visit(inp);
        }
        let (op, caps) = build_op(step, &self.digests, self.llb_caps);
        let bytes = encode_op(&op);
        let dgst = digest(&bytes);
        self.visited.insert(id);
        self.digests.insert(
            id,
            pb::Input {
                digest: dgst.clone(),
                index: 0,
            },
        );

        let md = self.metadata.entry(dgst.clone()).or_default();
        if step.info.ignore_cache {
            md.ignore_cache = true;
        }
        if let Some(name) = &step.info.name {
            md.description
                .insert(caps::CUSTOM_NAME.to_owned(), name.clone());
        }
        if let Some(cmd) = &step.info.command {
            md.description
                .insert(caps::DOCKERFILE_COMMAND.to_owned(), cmd.clone());
        }
        md.caps.extend(caps);
        if let Some(r) = &step.info.resources {
            md.linux_resources = Some(pb::LinuxResources {
                memory: r.memory,
                memory_swap: r.memory_swap,
                cpu_shares: r.cpu_shares,
                cpu_period: r.cpu_period,
                cpu_quota: r.cpu_quota,
                cpuset_cpus: r.cpuset_cpus.clone(),
                cpuset_mems: r.cpuset_mems.clone(),
            });
            md.caps.insert("exec.meta.linux.resources".to_owned(), true);
        }
        if let Some(g) = &step.info.progress_group {
            md.progress_group = Some(pb::ProgressGroup {
                id: g.id.clone(),
                name: g.name.clone(),
                weak: g.weak,
            });
        }
        let locs = self.locations.entry(dgst.clone()).or_default();
        if let Some(lines) = &step.info.lines {
            locs.push(lines.clone());
            self.any_location = true;
        }
        if self.seen.insert(dgst) {
            self.def.push(bytes);
        }
    }

    /// Splices in the definition of a frontend input, as BuildKit's
    /// `DefinitionOp` does: its ops (without the final op that only
    /// points at its result) and their metadata; the step's output is what
    /// that final op pointed at. An empty definition is scratch. The
    /// input's own source map is not carried over.
    fn splice(&mut self, id: StepId, name: &str) {
        let Some(def) = self.inputs.get(name) else {
            return;
        };
        let Some((last, ops)) = def.def.split_last() else {
            return;
        };
        for bytes in ops {
            let dgst = digest(bytes);
            if self.seen.insert(dgst.clone()) {
                self.def.push(bytes.clone());
            }
            if let Some(md) = def.metadata.get(&dgst) {
                self.metadata.entry(dgst).or_insert_with(|| md.clone());
            }
        }
        if let Some(head) = pb::Op::decode(&last[..])
            .ok()
            .and_then(|op| op.inputs.into_iter().next())
        {
            self.digests.insert(id, head);
        }
    }
}
