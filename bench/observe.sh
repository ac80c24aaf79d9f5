#!/usr/bin/env bash
# Benchmark: parsing a large metrics exposition with gonogo, promtool and prometheus_client.
#
# What it does, in one run on the same input:
#   1. generates a Prometheus text-format (0.0.4) exposition of N_SERIES series (default
#      1,000,000, about 80 MB): 1,000 counter families of 1,000 series each, 4 labels per
#      series, HELP and TYPE for every family (bench/generate_exposition.py);
#   2. times `gonogo` (the gonogo-probe parser + linter, release build, example
#      `parse_exposition`), `promtool check metrics` (Debian package prometheus) and Python
#      prometheus_client's text parser (`text_fd_to_metric_families`, PyPI) on that file;
#   3. prints for each: wall time, MB/s, CPU time (user + system), peak RSS (from GNU time),
#      and gonogo's speed ratios by wall time and by CPU time (on a busy shared machine the
#      CPU ratio is the steadier one).
#
# Usage:  bench/observe.sh [N_SERIES]
# Needs:  cargo, GNU time (/usr/bin/time), promtool (apt-get install prometheus),
#         python3 with prometheus_client (pip install prometheus_client). A missing peer is
#         reported and skipped.
# Caveats: wall time of one run each on a shared machine; promtool also lints (so does
#         gonogo); prometheus_client only parses. The input stays in the page cache.
set -euo pipefail
cd "$(dirname "$0")/.."
N_SERIES="${1:-1000000}"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$HOME/.cache/gonogo/target}"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
INPUT="$WORK/metrics.txt"

python3 bench/generate_exposition.py "$N_SERIES" > "$INPUT"
BYTES=$(stat -c %s "$INPUT")
MB=$(python3 -c "print(f'{$BYTES/1e6:.1f}')")
echo "input: $N_SERIES series, $MB MB ($INPUT)"

cargo build --quiet --release -p gonogo-probe --example parse_exposition
GONOGO="$CARGO_TARGET_DIR/release/examples/parse_exposition"

# run NAME COMMAND...: prints "NAME seconds MB/s cpu-seconds peak-RSS-MB"; stores the wall and
# CPU seconds in $WORK/NAME.seconds and $WORK/NAME.cpu.
run() {
  local name="$1"; shift
  local stats="$WORK/$name.time"
  /usr/bin/time -f "%e %U %S %M" -o "$stats" "$@" > "$WORK/$name.out" 2>&1 || true
  read -r seconds user system rss_kb < <(tail -n 1 "$stats") || { echo "$name: failed"; return; }
  echo "$seconds" > "$WORK/$name.seconds"
  python3 -c "print($user + $system)" > "$WORK/$name.cpu"
  python3 - "$name" "$seconds" "$user" "$system" "$rss_kb" "$BYTES" <<'PY'
import sys
name, seconds, user, system, rss_kb, size = sys.argv[1], float(sys.argv[2]), float(sys.argv[3]), float(sys.argv[4]), int(sys.argv[5]), int(sys.argv[6])
cpu = user + system
print(f"{name:<18} {seconds:8.2f} s {size / 1e6 / max(seconds, 1e-9):9.1f} MB/s {cpu:8.2f} s CPU {size / 1e6 / max(cpu, 1e-9):9.1f} MB/s-CPU {rss_kb / 1024:9.1f} MB peak RSS")
PY
}

printf '%-18s %10s %14s %14s %18s %22s\n' tool wall throughput cpu cpu-throughput memory
run gonogo "$GONOGO" "$INPUT"
echo "  gonogo says: $(head -c 200 "$WORK/gonogo.out")"
if command -v promtool > /dev/null; then
  run promtool sh -c "promtool check metrics < '$INPUT'"
  echo "  promtool says: $(head -n 2 "$WORK/promtool.out" | tr '\n' ' ' | head -c 200)"
else
  echo "promtool: not installed (apt-get install prometheus), skipped"
fi
if python3 -c "import prometheus_client" 2> /dev/null; then
  run prometheus_client python3 -c "
import sys
from prometheus_client.parser import text_fd_to_metric_families
n = 0
with open(sys.argv[1]) as f:
    for family in text_fd_to_metric_families(f):
        n += len(family.samples)
print(n, 'samples')
" "$INPUT"
  echo "  prometheus_client says: $(head -c 200 "$WORK/prometheus_client.out")"
else
  echo "prometheus_client: not installed (pip install prometheus_client), skipped"
fi

# Flat memory: the same parser on a 10x smaller input should need about the same RSS.
SMALL="$WORK/small.txt"
python3 bench/generate_exposition.py "$((N_SERIES / 10))" > "$SMALL"
/usr/bin/time -f "%M" -o "$WORK/small.rss" "$GONOGO" "$SMALL" > /dev/null
echo "gonogo peak RSS on a 10x smaller input: $(( $(cat "$WORK/small.rss") / 1024 )) MB"

python3 - "$WORK" <<'PY'
import os, sys
work = sys.argv[1]
def read(name, kind):
    path = os.path.join(work, name + "." + kind)
    return float(open(path).read()) if os.path.exists(path) else None
for peer in ("promtool", "prometheus_client"):
    for kind, label in (("seconds", "wall time"), ("cpu", "CPU time")):
        g, p = read("gonogo", kind), read(peer, kind)
        if g and p:
            print(f"gonogo is {p / max(g, 1e-9):.1f}x faster than {peer} by {label}")
PY
