//! Compile time over the real-world corpus (`../shared/corpus/realworld`),
//! with the offline resolver: the whole pipeline (parse, plan, lower,
//! marshal) per Dockerfile, and the stages separately.
//!
//! Run: `cargo bench --bench compile`. Criterion prints the time for one
//! pass over every corpus Dockerfile that compiles; divide by the count
//! printed first for the time per Dockerfile.

use criterion::{Criterion, Throughput, criterion_group, criterion_main};

use slipway::compile::{self, CompileRequest, OfflineResolver};
use slipway::ir::options::BuildOptions;

/// Every Dockerfile of the corpus that compiles offline.
fn corpus() -> Vec<CompileRequest> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/realworld");
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            let name = p
                .file_name()
                .map(|n| n.to_string_lossy().to_lowercase())
                .unwrap_or_default();
            if p.is_dir() {
                stack.push(p);
            } else if (name.starts_with("dockerfile") || name.ends_with(".dockerfile"))
                && let Ok(bytes) = std::fs::read(&p)
            {
                files.push((p, bytes));
            }
        }
    }
    files.sort();
    let rt = runtime();
    files
        .into_iter()
        .map(|(_, dockerfile)| CompileRequest {
            dockerfile,
            options: BuildOptions::default(),
            dockerfile_definition: None,
            inputs: Default::default(),
        })
        .filter(|req| rt.block_on(compile::compile(req, &OfflineResolver)).is_ok())
        .collect()
}

fn runtime() -> tokio::runtime::Runtime {
    tokio::runtime::Builder::new_current_thread()
        .build()
        .expect("tokio runtime")
}

fn bench(c: &mut Criterion) {
    let reqs = corpus();
    if reqs.is_empty() {
        eprintln!("no corpus at ../shared/corpus/realworld; nothing to measure");
        return;
    }
    eprintln!("{} corpus Dockerfiles compile offline", reqs.len());
    let rt = runtime();
    let bytes: usize = reqs.iter().map(|r| r.dockerfile.len()).sum();
    let mut g = c.benchmark_group("corpus");
    g.throughput(Throughput::Bytes(bytes as u64));
    g.bench_function("compile", |b| {
        b.iter(|| {
            for r in &reqs {
                let out = rt.block_on(compile::compile(r, &OfflineResolver));
                std::hint::black_box(out.is_ok());
            }
        });
    });
    g.bench_function("plan_and_lower", |b| {
        b.iter(|| {
            for r in &reqs {
                let out = rt.block_on(compile::plan_and_lower(r, &OfflineResolver));
                std::hint::black_box(out.is_ok());
            }
        });
    });
    let builds: Vec<_> = reqs
        .iter()
        .filter_map(|r| {
            rt.block_on(compile::plan_and_lower(r, &OfflineResolver))
                .ok()
        })
        .map(|l| l.build)
        .collect();
    let source = slipway::llb::SourceFile::default();
    g.bench_function("marshal", |b| {
        b.iter(|| {
            for build in &builds {
                std::hint::black_box(slipway::llb::marshal(build, &source, &Default::default()));
            }
        });
    });
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
