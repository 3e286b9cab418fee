#!/usr/bin/env bash
# `slipway build` (release build) against `docker buildx build` on the same
# Docker engine (the containerd-store one, so both export an OCI archive),
# three scenarios, printing the median wall time of each tool and the ratio
# slipway/buildx:
#
#   noop-warm     a small Dockerfile (tests/build/image), fully cached rebuild
#   10k-first     COPY of a 10,000-file context, each run from a fresh copy
#                 (new path, new content: the whole context is sent, COPY runs)
#   10k-warm      the same 10,000-file context rebuilt unchanged
#
#   benches/build_vs_buildx.sh [RUNS]      (default 5; or RUNS=N)
#
# The engine: SLIPWAY_CONTAINERD_HOST, else what `BKD_STORE=containerd
# scripts/buildkit-daemon.sh env` prints (start it with
# `BKD_STORE=containerd scripts/buildkit-daemon.sh start`). Builds the release
# binary first (CARGO_TARGET_DIR is honoured).
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-${RUNS:-5}}
[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a positive integer, not '$runs'" >&2; exit 2; }

host=${SLIPWAY_CONTAINERD_HOST:-}
if [ -z "$host" ]; then
    host=$(BKD_STORE=containerd "$root/scripts/buildkit-daemon.sh" env | sed -n 's/^export DOCKER_HOST=//p')
fi
[ -n "$host" ] || { echo "no containerd-store engine: BKD_STORE=containerd scripts/buildkit-daemon.sh start" >&2; exit 1; }
export DOCKER_HOST=$host
unset BUILDKIT_HOST
docker version --format '{{.Server.Version}}' >/dev/null || { echo "engine at $host is not reachable" >&2; exit 1; }

echo "building the release binary" >&2
(cd "$root" && cargo build --release --quiet --bin slipway)
bin=${CARGO_TARGET_DIR:-$root/target}/x86_64-unknown-linux-gnu/release/slipway

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT

# A 10,000-file context: 100 folders of 100 small files.
big=$work/big
mkdir -p "$big"
printf 'FROM scratch\nCOPY . /ctx\n' > "$big/Dockerfile"
for d in $(seq -w 0 99); do
    mkdir "$big/d$d"
    for f in $(seq -w 0 99); do echo "file $d/$f" > "$big/d$d/f$f.txt"; done
done

slipway_cmd() { "$bin" build --addr "docker+$host" -q -o "type=oci,dest=$work/out-slipway.tar" "$@" >/dev/null; }
buildx_cmd() { docker buildx build -q -o "type=oci,dest=$work/out-buildx.tar" "$@" >/dev/null; }

now() { date +%s.%N; }
# The median of the numbers on stdin, one per line.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# warm TOOL CONTEXT: one untimed build, then $runs timed rebuilds.
warm() {
    local tool=$1 ctx=$2 i start
    "${tool}_cmd" "$ctx"
    for ((i = 0; i < runs; i++)); do
        start=$(now)
        "${tool}_cmd" "$ctx"
        awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.6f\n", b - a }'
    done
}

# first TOOL: $runs builds, each of a fresh copy of the big context (copied
# untimed) with a file of its own, so the transfer and the COPY are real.
first() {
    local tool=$1 i start ctx
    for ((i = 0; i < runs; i++)); do
        ctx=$work/fresh-$tool-$i
        cp -a "$big" "$ctx"
        echo "$tool $i $(now)" > "$ctx/nonce"
        start=$(now)
        "${tool}_cmd" "$ctx"
        awk -v a="$start" -v b="$(now)" 'BEGIN { printf "%.6f\n", b - a }'
        rm -rf "$ctx"
    done
}

report() {
    local name=$1 s=$2 b=$3
    awk -v n="$name" -v s="$s" -v b="$b" 'BEGIN {
        printf "  %-10s slipway %7.3f s   buildx %7.3f s   ratio slipway/buildx %.2f\n", n, s, b, s / b
    }'
}

small=$root/tests/build/image
echo "medians of $runs runs on $host ($(nproc) CPUs)"
s=$(warm slipway "$small" | median); b=$(warm buildx "$small" | median)
report noop-warm "$s" "$b"
s=$(first slipway | median); b=$(first buildx | median)
report 10k-first "$s" "$b"
s=$(warm slipway "$big" | median); b=$(warm buildx "$big" | median)
report 10k-warm "$s" "$b"
