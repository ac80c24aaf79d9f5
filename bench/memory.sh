#!/usr/bin/env bash
# bench/memory.sh: peak RSS of gonogo on hostile inputs (issue 15): each format's ~1 GB file
# built to make memory grow with the input, a hostile endless /metrics server, and small
# hostile inputs (devices, an evidence file of histogram headers declaring huge ranges).
#
# What it does:
#   1. builds the release `gonogo` binary;
#   2. for each format, writes its hostile file (bench/generate_hostile.py streams it to disk:
#      the generator never holds it), runs gonogo on it under /usr/bin/time -f %M, prints
#      size, seconds, exit code and peak RSS with PASS/FAIL against the target, and deletes
#      the file before the next one (only one big file on disk at a time);
#   3. starts bench/hostile_metrics_server.py on loopback and scrapes it with
#      `gonogo observe --timeout 10s` (the body never ends: the run must end at the timeout
#      with bounded memory);
#   4. `gonogo observe --file /dev/zero` and `gonogo gate` over an evidence file of 200
#      histograms whose headers declare 1..2^63 at 5 digits (about 24 KB);
#   5. gonogo's own evidence: `gonogo gate` over an evidence folder of SIZE_MB of valid
#      records, of one record of SIZE_MB, of records whose details or metrics are tiny and
#      many (a short text that unfolds in memory): all refused early by the folder's budget;
#      and at the budget's edges, judged: 10,000 small records, 1,000 records of ten latency
#      histograms each (a distributed test of 1,000 machines: 10,000 histograms that would
#      take 1.8 GB decoded; they are held encoded and decoded one at a time), and 21 records
#      of 1.1 MB of text each (the budget counts text twice).
#
# Target: peak RSS <= 100 MB for every input (MAX_MB to change it). A FAIL line is a finding,
# not a script error: the script goes on and exits 1 at the end if any line failed. Each run
# is held to LIMIT_MB of address space (default 4096, `ulimit -v`) so a format that still
# grows with its input fails there (exit code shown, peak RSS near the limit) instead of
# taking the machine's memory.
#
# Usage: bench/memory.sh [SIZE_MB]   (default 1024; a smaller size is a quick check)
# Environment: CARGO_TARGET_DIR (default ~/.cache/gonogo/target), TMPDIR for the files,
# MAX_MB (default 100), ONLY="sarif-rules lcov ..." to run some formats only.
set -uo pipefail
cd "$(dirname "$0")/.."
SIZE_MB=${1:-1024}
MAX_MB=${MAX_MB:-100}
LIMIT_MB=${LIMIT_MB:-4096}
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$HOME/.cache/gonogo/target}
cargo build --release -q -p gonogo || exit 2
GONOGO="$CARGO_TARGET_DIR/release/gonogo"
WORK=$(mktemp -d "${TMPDIR:-/tmp}/gonogo-memory.XXXXXX")
SERVER_PID=
cleanup() {
    [ -n "$SERVER_PID" ] && kill "$SERVER_PID" 2>/dev/null
    rm -rf "$WORK"
}
trap cleanup EXIT
FAILED=0

# measure NAME SIZE_BYTES COMMAND...: runs COMMAND under /usr/bin/time, prints one line.
measure() {
    local name=$1 bytes=$2
    shift 2
    local start end rss code
    start=$(date +%s.%N)
    (ulimit -v $((LIMIT_MB * 1024)) && exec /usr/bin/time -f %M -o "$WORK/rss" "$@") \
        >"$WORK/out" 2>"$WORK/err"
    code=$?
    end=$(date +%s.%N)
    rss=$(tail -n 1 "$WORK/rss")
    local mb=$((rss / 1024)) verdict=PASS
    if [ "$mb" -gt "$MAX_MB" ]; then
        verdict=FAIL
        FAILED=1
    fi
    printf '%-24s %9s KB  %7.1f s  exit %3s  peak RSS %6s MB  %s\n' "$name" \
        "$((bytes / 1024))" "$(echo "$end - $start" | bc)" "$code" "$mb" "$verdict"
    if [ "$code" -ne 0 ] && [ "$code" -ne 1 ]; then
        sed -n '1,2p' "$WORK/err" | cut -c1-200 | sed 's/^/    /'
    fi
}

printf 'gonogo peak RSS on hostile inputs (target <= %s MB), %s MB files\n' "$MAX_MB" "$SIZE_MB"
declare -A KIND=(
    [sarif-rules]=sarif [pip-audit]=pip-audit [npm-audit]=npm-audit [osv]=osv [k6]=k6 [junit-body]=junit [junit-attr]=junit
    [lcov]=lcov [metrics]=observe [evidence-records]=evidence [evidence-line]=evidence
    [evidence-details]=evidence [evidence-metrics]=evidence
)
FORMATS=${ONLY:-"sarif-rules pip-audit npm-audit osv k6 junit-body junit-attr lcov metrics evidence-records evidence-line evidence-details evidence-metrics"}
for format in $FORMATS; do
    file="$WORK/$format.input"
    python3 bench/generate_hostile.py "$format" $((SIZE_MB * 1048576)) "$file" || exit 2
    bytes=$(stat -c %s "$file")
    if [ "${KIND[$format]}" = observe ]; then
        measure "$format" "$bytes" "$GONOGO" observe --file "$file" --format text \
            --no-evidence --json
    elif [ "${KIND[$format]}" = evidence ]; then
        rm -rf "$WORK/folder" && mkdir -p "$WORK/folder"
        mv "$file" "$WORK/folder/hostile.jsonl"
        file="$WORK/folder/hostile.jsonl"
        printf '[[gate]]\nname = "tests"\narea = "functionality"\nmetric = "tests.failed"\nexpect = "rate < 5%%"\n' \
            >"$WORK/tests.toml"
        measure "$format" "$bytes" "$GONOGO" gate --policy "$WORK/tests.toml" \
            --evidence-dir "$WORK/folder" --no-write --no-history
    else
        measure "$format" "$bytes" "$GONOGO" collect "${KIND[$format]}" "$file" --no-write --json
    fi
    rm -f "$file"
done

# The hostile endless server.
python3 bench/hostile_metrics_server.py >"$WORK/port" &
SERVER_PID=$!
for _ in $(seq 50); do [ -s "$WORK/port" ] && break; sleep 0.1; done
port=$(head -n 1 "$WORK/port")
measure "endless /metrics 10s" 0 "$GONOGO" observe "http://127.0.0.1:$port" --timeout 10s \
    --no-evidence --json
kill "$SERVER_PID" 2>/dev/null
SERVER_PID=

measure "observe /dev/zero" 0 timeout 20 "$GONOGO" observe --file /dev/zero --no-evidence

# 200 histograms declaring 1..2^63 at 5 significant digits, each a ~60-byte compressed header.
mkdir -p "$WORK/evidence"
python3 - "$WORK/evidence/hostile.json" <<'PY'
import base64, json, struct, sys, zlib
header = struct.pack(">IIIIQQd", 0x1c849313, 0, 0, 5, 1, 1 << 63, 1.0)
deflated = zlib.compress(header)
encoded = base64.b64encode(struct.pack(">II", 0x1c849314, len(deflated)) + deflated).decode()
record = {"gonogo_evidence": 1, "kind": "load", "source": {"type": "url", "location": "http://127.0.0.1/"},
          "sha256": "0" * 64, "collected_at": "2026-11-25T12:00:00Z", "tool": {"name": "x", "version": "1"},
          "metrics": {f"load.h{i}.latency": {"unit": "us", "histogram": encoded} for i in range(200)}}
json.dump(record, open(sys.argv[1], "w"))
PY
cat >"$WORK/gonogo.toml" <<'TOML'
[policy]
name = "hostile histograms"

[[gate]]
name = "p95"
area = "performance"
metric = "load.h0.latency"
expect = "p(95) < 500ms"
TOML
measure "gate: 200 huge headers" "$(stat -c %s "$WORK/evidence/hostile.json")" "$GONOGO" gate \
    --policy "$WORK/gonogo.toml" --evidence-dir "$WORK/evidence" --no-write

# The evidence folder's budget at its edges (evidence_dir::Budget), judged with reports and
# the history written: the most small records, many latency histograms, the most text.
rm -rf "$WORK/edge" && mkdir -p "$WORK/edge/small" "$WORK/edge/histograms" "$WORK/edge/strings"
python3 - "$WORK/edge" <<'PY'
import hashlib, json, sys
from datetime import datetime, timezone
edge, now = sys.argv[1], datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
def record(i, metrics):
    return json.dumps({"gonogo_evidence": 1, "kind": "load", "sha256": hashlib.sha256(str(i).encode()).hexdigest(),
                       "source": {"type": "url", "location": f"http://127.0.0.1/e{i}"}, "collected_at": now,
                       "tool": {"name": "x", "version": "1"}, "metrics": metrics}) + "\n"
sample = json.load(open("examples/evidence/load.json"))["metrics"]["load.checkout.latency"]
with open(f"{edge}/small/records.jsonl", "w") as out:
    out.writelines(record(i, {"load.e.errors": {"unit": "requests", "ratio": {"k": 0, "n": 100}}}) for i in range(10000))
with open(f"{edge}/histograms/records.jsonl", "w") as out:
    out.writelines(record(i, {f"load.e{j}.latency": sample for j in range(10)}) for i in range(1000))
with open(f"{edge}/strings/records.jsonl", "w") as out:
    for i in range(21):
        line = json.loads(record(i, {"load.e.errors": {"unit": "requests", "ratio": {"k": 0, "n": 100}}}))
        line["details"] = {"log": "y" * 1_100_000}
        out.write(json.dumps(line) + "\n")
PY
printf '[[gate]]\nname = "errors"\narea = "reliability"\nmetric = "load.e.errors"\nexpect = "rate < 5%%"\n[[gate]]\nname = "p95"\narea = "performance"\nmetric = "load.e1.latency"\nexpect = "p(95) < 500ms"\n' \
    >"$WORK/edge/gonogo.toml"
for folder in small histograms strings; do
    measure "gate: budget edge, $folder" "$(stat -c %s "$WORK/edge/$folder/records.jsonl")" \
        "$GONOGO" gate --policy "$WORK/edge/gonogo.toml" --evidence-dir "$WORK/edge/$folder" \
        --out "$WORK/edge/$folder-report/" --history "$WORK/edge/$folder.db"
done
exit $FAILED
