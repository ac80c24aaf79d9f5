#!/usr/bin/env bash
# bench/rawload.sh: how fast and lean `gonogo collect` reads load tools' raw results, and how
# fast `gonogo merge` adds shards (issue 19).
#
#   1. generates, in a temporary folder (removed at the end), a k6 `--out json` file and a
#      JMeter JTL CSV of about 1 GB each (bench/generate_rawload.py: ~8 k6 lines a request, as
#      k6 writes them, most of them metrics gonogo skips; JTL with JMeter's default columns);
#   2. runs the release `gonogo collect k6-json` / `gonogo collect jmeter` on each under
#      /usr/bin/time -v, three times, and prints the best MB/s and the peak RSS;
#   3. writes 16 JTL shards of 1,000,000 requests each, collects each into evidence (one
#      histogram of 1 M samples per shard) and times `gonogo merge` of the 16 evidence files.
#
# Targets: collect >= 300 MB/s and peak RSS < 64 MB; merging 16 x 1 M samples < 1 s.
# The files are read once before measuring, so the figures are parsing, not the disk. On a
# shared machine wall times include waiting for a core: CPU times are printed beside them.
#
# Usage: bench/rawload.sh [BYTES]   (default 1000000000)
# Environment: CARGO_TARGET_DIR (default ~/.cache/gonogo/target), KEEP=1 keeps the temp folder.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gonogo/target}"
bytes="${1:-1000000000}"
work=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT

cargo build --release -p gonogo
gonogo="$CARGO_TARGET_DIR/release/gonogo"

echo "== generating ~$bytes bytes of k6 JSON and of JTL in $work"
python3 bench/generate_rawload.py k6-json "$work/k6.json" "$bytes"
python3 bench/generate_rawload.py jtl "$work/results.jtl" "$bytes"
ls -l "$work"
sync
cat "$work/k6.json" "$work/results.jtl" > /dev/null

measure() { # KIND FILE
  local kind=$1 file=$2 size best_s="" rss_kb cpu
  size=$(stat -c %s "$file")
  for run in 1 2 3; do
    /usr/bin/time -v "$gonogo" collect "$kind" "$file" --no-write --json > "$work/out.json" 2> "$work/time.txt"
    local wall user sys
    wall=$(awk -F': ' '/Elapsed \(wall clock\)/ {print $2}' "$work/time.txt" | awk -F: '{ if (NF == 3) print $1*3600 + $2*60 + $3; else print $1*60 + $2 }')
    user=$(awk -F': ' '/User time/ {print $2}' "$work/time.txt")
    sys=$(awk -F': ' '/System time/ {print $2}' "$work/time.txt")
    rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
    cpu=$(awk -v u="$user" -v s="$sys" 'BEGIN { printf "%.2f", u + s }')
    printf '  run %d: %.2f s wall, %s s CPU, %d MB/s, peak RSS %.1f MB\n' "$run" "$wall" "$cpu" \
      "$(awk -v b="$size" -v t="$wall" 'BEGIN { printf "%d", b / 1e6 / t }')" "$(awk -v k="$rss_kb" 'BEGIN { print k / 1024 }')"
    if [ -z "$best_s" ] || awk -v a="$wall" -v b="$best_s" 'BEGIN { exit !(a < b) }'; then best_s=$wall; fi
  done
  printf '%s: %d bytes, best %.2f s = %d MB/s (target >= 300), last peak RSS %.1f MB (target < 64)\n' \
    "$kind" "$size" "$best_s" "$(awk -v b="$size" -v t="$best_s" 'BEGIN { printf "%d", b / 1e6 / t }')" \
    "$(awk -v k="$rss_kb" 'BEGIN { print k / 1024 }')"
  head -c 300 "$work/out.json"; echo
}

echo "== gonogo collect k6-json"
measure k6-json "$work/k6.json"
echo "== gonogo collect jmeter"
measure jmeter "$work/results.jtl"

echo "== merge: 16 shards of 1,000,000 requests"
rm -f "$work/k6.json" "$work/results.jtl"
mkdir -p "$work/shards"
for i in $(seq 1 16); do
  # The generator writes whole blocks of 20,000 lines (~106 bytes each): write enough, keep
  # the header and 1,000,000 requests.
  python3 bench/generate_rawload.py jtl "$work/big.jtl" 110000000 "$i"
  head -n 1000001 "$work/big.jtl" > "$work/shard-$i.jtl"
  "$gonogo" collect jmeter "$work/shard-$i.jtl" --evidence-dir "$work/shards" 2>/dev/null
  rm "$work/shard-$i.jtl" "$work/big.jtl"
done
ls "$work/shards" | wc -l
/usr/bin/time -v "$gonogo" merge "$work"/shards/*.json -o "$work/merged.json" --json > "$work/merge.json" 2> "$work/time.txt"
grep -E "Elapsed|Maximum resident" "$work/time.txt"
python3 - "$work/merged.json" <<'PY'
import json, sys, base64
record = json.load(open(sys.argv[1]))
errors = record["metrics"]["load.default.errors"]["ratio"]
print(f"merged: {errors['n']} requests, {errors['k']} errors, throughput {record['metrics']['load.default.throughput']['value']:.0f}/s")
PY
