//! Parse throughput: the real-world corpus (when `../shared` is present) and
//! synthetic files of 1,000 to 100,000 instructions, to show linear scaling.
//!
//! Run: `cargo bench --bench parse`. Criterion prints MiB/s per case.

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use slipway::syntax::{instructions::parse_instructions, parse};

fn corpus() -> Vec<String> {
    let root = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../shared/corpus/realworld");
    let mut files = Vec::new();
    let mut stack = vec![root];
    while let Some(dir) = stack.pop() {
        let Ok(rd) = std::fs::read_dir(&dir) else {
            continue;
        };
        for e in rd.flatten() {
            let p = e.path();
            if p.is_dir() {
                stack.push(p);
            } else if let Ok(s) = std::fs::read_to_string(&p) {
                files.push(s);
            }
        }
    }
    files.sort();
    files
}

/// A file of `n` instructions mixing every argument rule.
pub fn synthetic(n: usize) -> String {
    let body = [
        "RUN apt-get update && apt-get install -y \\\n    curl git \\\n  && rm -rf /var/lib/apt/lists/*\n",
        "ENV A=1 B=\"two words\" C=${A:-x}\n",
        "COPY --from=build --chown=1000:1000 /src/a /src/b /dst/\n",
        "CMD [\"/bin/app\", \"--flag\", \"value\"]\n",
        "LABEL org.example.a=\"b\" org.example.c=d\n",
        "# a comment line\n",
        "EXPOSE 80/tcp 443\n",
        "ARG VERSION=1.2.3\n",
        "RUN <<EOF\nset -e\necho one\nEOF\n",
        "WORKDIR /app\n",
    ];
    let mut s = String::from("FROM busybox AS base\n");
    for i in 0..n {
        s.push_str(body[i % body.len()]);
    }
    s
}

fn bench(c: &mut Criterion) {
    let files = corpus();
    if !files.is_empty() {
        let bytes: usize = files.iter().map(String::len).sum();
        let mut g = c.benchmark_group("corpus");
        g.throughput(Throughput::Bytes(bytes as u64));
        g.bench_function("parse", |b| {
            b.iter(|| {
                for f in &files {
                    std::hint::black_box(parse(f));
                }
            })
        });
        g.bench_function("parse+instructions", |b| {
            b.iter(|| {
                for f in &files {
                    let p = parse(f);
                    std::hint::black_box(parse_instructions(&p.tree));
                }
            })
        });
        g.finish();
    }
    let mut g = c.benchmark_group("synthetic");
    for n in [1_000, 10_000, 100_000] {
        let src = synthetic(n);
        g.throughput(Throughput::Bytes(src.len() as u64));
        g.bench_with_input(BenchmarkId::new("parse", n), &src, |b, s| {
            b.iter(|| std::hint::black_box(parse(s)))
        });
    }
    g.finish();
}

criterion_group!(benches, bench);
criterion_main!(benches);
