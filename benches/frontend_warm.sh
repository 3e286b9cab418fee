#!/usr/bin/env bash
# Warm, fully cached `docker buildx build` of benches/frontend_warm/ with
# BuildKit's built-in Dockerfile frontend and with slipway's frontend image:
# the median wall time of each and the ratio slipway/builtin.
#
#   benches/frontend_warm.sh [RUNS]      (default 10; or RUNS=N)
#
# Needs a Docker engine at DOCKER_HOST with busybox:local loaded (for this
# project's private engine: eval "$(scripts/buildkit-daemon.sh env)").
# Builds the release binary and installs it as slipway/frontend:dev
# (SLIPWAY_FRONTEND_IMAGE overrides the tag). Uses hyperfine when installed.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
runs=${1:-${RUNS:-10}}
image=${SLIPWAY_FRONTEND_IMAGE:-slipway/frontend:dev}
dir=$root/benches/frontend_warm
bin=$root/target/x86_64-unknown-linux-gnu/release/slipway

[[ $runs =~ ^[1-9][0-9]*$ ]] || { echo "RUNS must be a positive integer, not '$runs'" >&2; exit 2; }

echo "building the release binary and installing $image" >&2
(cd "$root" && cargo build --release --quiet)
"$bin" frontend install --tag "$image" >&2

builtin_cmd=(docker buildx build --quiet --output type=cacheonly "$dir")
slipway_cmd=("${builtin_cmd[@]}" --build-arg "BUILDKIT_SYNTAX=$image")

# Warm both: the first build of each fills the cache.
"${builtin_cmd[@]}" >/dev/null
"${slipway_cmd[@]}" >/dev/null

# The median of the numbers on stdin, one per line.
median() { sort -g | awk '{ v[NR] = $1 } END { if (NR % 2) print v[(NR + 1) / 2]; else print (v[NR / 2] + v[NR / 2 + 1]) / 2 }'; }

# Wall seconds of each of $runs runs of "$@", one per line.
times() {
    local i start end
    for ((i = 0; i < runs; i++)); do
        start=$(date +%s.%N)
        "$@" >/dev/null
        end=$(date +%s.%N)
        awk -v a="$start" -v b="$end" 'BEGIN { printf "%.6f\n", b - a }'
    done
}

if command -v hyperfine >/dev/null; then
    json=$(mktemp)
    trap 'rm -f "$json"' EXIT
    hyperfine --style basic --runs "$runs" --warmup 1 --export-json "$json" \
        -n builtin "$(printf '%q ' "${builtin_cmd[@]}")" \
        -n slipway "$(printf '%q ' "${slipway_cmd[@]}")" >&2
    builtin=$(grep -o '"median": *[0-9.e-]*' "$json" | sed -n 1p | awk '{ print $2 }')
    slipway=$(grep -o '"median": *[0-9.e-]*' "$json" | sed -n 2p | awk '{ print $2 }')
else
    builtin=$(times "${builtin_cmd[@]}" | median)
    slipway=$(times "${slipway_cmd[@]}" | median)
fi

awk -v b="$builtin" -v s="$slipway" -v n="$runs" 'BEGIN {
    printf "warm cached build, median of %d runs\n", n
    printf "  builtin frontend: %7.3f s\n", b
    printf "  slipway frontend: %7.3f s\n", s
    printf "  ratio slipway/builtin: %.2f\n", s / b
}'
