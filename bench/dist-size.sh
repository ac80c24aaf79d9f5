#!/usr/bin/env bash
# Builds the `dist` profile (stripped, LTO, one codegen unit; Cargo.toml) and prints the size
# of the gonogo binary users install. Fails when it is over the limit (issue 21: 25 MB).
#
#   bench/dist-size.sh              # build, print, check
#   GONOGO_DIST_LIMIT_MB=20 bench/dist-size.sh
#
# Slow on small machines (whole-program LTO in one codegen unit: minutes), so it is a benchmark
# script, not a step of .ci/run. Measured 2026-12-06: 16,290,320 bytes (15.5 MiB), 18 min from
# scratch on two cores shared with other builds.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gonogo/target}"
limit_mb="${GONOGO_DIST_LIMIT_MB:-25}"

start=$(date +%s)
cargo build --locked --profile dist -p gonogo
elapsed=$(($(date +%s) - start))

binary="$CARGO_TARGET_DIR/dist/gonogo"
bytes=$(stat -c %s "$binary")
limit_bytes=$((limit_mb * 1024 * 1024))
mib=$(awk -v b="$bytes" 'BEGIN { printf "%.1f", b / 1048576 }')
echo "dist binary: $binary"
echo "size: $bytes bytes ($mib MiB), limit $limit_mb MiB; built in ${elapsed}s"
if ((bytes > limit_bytes)); then
  echo "FAIL: the dist binary is over $limit_mb MiB" >&2
  exit 1
fi
echo "ok: within the limit"
