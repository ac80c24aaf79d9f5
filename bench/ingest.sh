#!/usr/bin/env bash
# bench/ingest.sh: how fast and how lean gonogo's collectors are on large inputs, against
# Python's junitparser on the same JUnit file, in the same run.
#
# What it does:
#   1. generates, in a temporary folder (removed at the end), a JUnit XML file of at least
#      1 GB (1,300,000 testcases by default, nested suites, 1% failures and 0.2% errors with
#      stack traces, 2% skipped, a ~700-byte <system-out> on every case) and a SARIF file of
#      about 1 GB (2,500,000 results, levels from rule defaults and explicit levels);
#   2. builds the release example `ingest_bench` (crates/ingest/examples/ingest_bench.rs), which
#      collects one file exactly as `gonogo collect` does (parse + SHA-256 in one streaming
#      pass) and prints MB/s and its own peak RSS (VmHWM);
#   3. runs it on both files under /usr/bin/time -v (peak RSS seen from outside too);
#   4. runs junitparser with its fast backend, lxml (both PyPI, scripts/deps/python.txt), on the
#      JUnit file under /usr/bin/time -v, counting the same outcomes, and prints the wall-time
#      ratio junitparser / gonogo (and the CPU-time ratio).
#
# Targets: gonogo at least 20x faster than junitparser; gonogo's RSS under 100 MB.
# Caveats: on a shared machine the wall times include waiting for a core; the CPU times
# (user+sys from time -v) are printed beside them. The files are synced and read once before
# any measurement, so every reader finds them clean and in the page cache (the figures measure
# parsing, not the disk). Each reader runs several times (gonogo 5, junitparser 2) and the
# best wall time of each is compared, to damp the noise of other work on the machine; every
# run is printed. junitparser builds an lxml tree of the whole file and needs several GB of
# RAM. Run on an idle machine for stable numbers.
#
# Usage: bench/ingest.sh [N_TESTCASES] [N_SARIF_RESULTS]
# Environment: CARGO_TARGET_DIR (default ~/.cache/gonogo/target), KEEP=1 keeps the temp folder.
set -euo pipefail
cd "$(dirname "$0")/.."
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gonogo/target}"
n_testcases="${1:-1300000}"
n_results="${2:-2500000}"

work=$(mktemp -d)
[ "${KEEP:-0}" = 1 ] || trap 'rm -rf "$work"' EXIT

python3 -c 'import junitparser, lxml' 2>/dev/null || python3 -m pip install --quiet junitparser lxml

echo "== generating $n_testcases testcases and $n_results SARIF results in $work"
python3 bench/generate.py junit "$work/junit.xml" "$n_testcases"
python3 bench/generate.py sarif "$work/results.sarif" "$n_results"
ls -l "$work"
# Flush the generated files to disk and read them once, so that every reader below finds
# them clean and in the page cache (otherwise the first one measured competes with the
# write-back of 2 GB of dirty pages).
sync
cat "$work/junit.xml" "$work/results.sarif" > /dev/null

cargo build --quiet --release -p gonogo-ingest --example ingest_bench
bench_bin="$CARGO_TARGET_DIR/release/examples/ingest_bench"

# Runs a command under /usr/bin/time -v; prints its output, wall seconds and max RSS.
measure() {
  local label=$1; shift
  local start end
  start=$(date +%s.%N)
  /usr/bin/time -v -o "$work/time.txt" "$@"
  end=$(date +%s.%N)
  local rss_kb
  rss_kb=$(awk -F': ' '/Maximum resident set size/ {print $2}' "$work/time.txt")
  local wall cpu
  wall=$(echo "$end - $start" | bc -l)
  cpu=$(awk -F': ' '/User time|System time/ {sum += $2} END {print sum}' "$work/time.txt")
  printf '%s: wall %.2f s, CPU (user+sys) %.2f s, max RSS %d MB (time -v)\n' "$label" "$wall" "$cpu" "$((rss_kb / 1024))"
  # Keep the best (lowest) wall time of repeated runs, and the CPU time of that run.
  if [ ! -f "$work/$label.wall" ] || [ "$(echo "$wall < $(cat "$work/$label.wall")" | bc -l)" = 1 ]; then
    echo "$wall" > "$work/$label.wall"
    echo "$cpu" > "$work/$label.cpu"
  fi
}

echo "== gonogo"
for run in 1 2 3 4 5; do
  measure gonogo-junit "$bench_bin" junit "$work/junit.xml"
done
for run in 1 2 3; do
  measure gonogo-sarif "$bench_bin" sarif "$work/results.sarif"
done

echo "== junitparser $(python3 -c 'import importlib.metadata as m; print(m.version("junitparser"))')"
for run in 1 2; do
  measure junitparser python3 bench/junitparser_peer.py "$work/junit.xml"
done

ratio=$(echo "$(cat "$work/junitparser.wall") / $(cat "$work/gonogo-junit.wall")" | bc -l)
cpu_ratio=$(echo "$(cat "$work/junitparser.cpu") / $(cat "$work/gonogo-junit.cpu")" | bc -l)
printf '== best wall times: gonogo %.2f s, junitparser %.2f s\n' "$(cat "$work/gonogo-junit.wall")" "$(cat "$work/junitparser.wall")"
printf '== junitparser / gonogo wall time on the JUnit file: %.1fx (target >= 20x)\n' "$ratio"
printf '== junitparser / gonogo CPU time on the JUnit file: %.1fx\n' "$cpu_ratio"
