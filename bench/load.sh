#!/usr/bin/env bash
# bench/load.sh: gonogo load beside wrk and oha, in one run, against a loopback nginx.
#
# What it measures (issue 4, "How it is measured"):
#   1. CPU per request, closed model, 50 keep-alive connections: user+sys CPU µs per completed
#      request for gonogo (--threads 1), `wrk -t1 -c50` and `oha -c 50`, with ratios.
#   2. Peak throughput (requests/s) of the same runs, with ratios.
#   3. Open-model cost at a fixed 20,000 requests/s: gonogo --rate 20000 vs oha -q 20000.
#   4. Coordinated omission: 1,000 requests/s for 10 s, nginx's worker frozen with SIGSTOP for
#      1 s at t = 4 s. Prints gonogo's p50/p95/p99 (and its p50 measured from the actual send),
#      and oha's with and without --latency-correction. True values: p95 ~ 500 ms, p99 ~ 900 ms.
#   5. Peak RSS of gonogo closed-model runs of 10 s and 60 s (and wrk's for reference).
#
# Requirements (Debian): nginx-light, wrk, time (for /usr/bin/time), python3. oha is installed
# with `cargo install oha --locked` into $GONOGO_BENCH_TOOLS (default
# /root/.cache/gonogo-bench-tools) if it is missing. gonogo is built in release mode
# (`cargo build --release -p gonogo-load --example gonogo-load`).
#
# Usage:   bench/load.sh                 # everything (about 2.5 minutes)
#          DURATION=5 bench/load.sh      # shorter closed/open runs (CO and 60 s runs unchanged)
#          SKIP_LONG=1 bench/load.sh     # skip the 60 s memory run
#          OPEN_ONLY=5 bench/load.sh     # only section 3, five alternating gonogo/oha pairs,
#                                        # each pair's ratio and the range
# Environment: PORT (default 18089), DURATION (default 10), CARGO_TARGET_DIR.
#
# Caveats: nginx runs one worker on the same 2-core machine as the generator, so throughput
# is bounded by nginx as much as by the generator; CPU per request is the fairer comparison.
# CPU and peak RSS come from /usr/bin/time (%U + %S, %M). Every target is 127.0.0.1.
set -euo pipefail

PORT="${PORT:-18089}"
DURATION="${DURATION:-10}"
ROOT="$(cd "$(dirname "$0")/.." && pwd)"
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-/root/.cache/gonogo-load}"
TOOLS="${GONOGO_BENCH_TOOLS:-/root/.cache/gonogo-bench-tools}"
URL="http://127.0.0.1:${PORT}/"

for tool in nginx wrk python3; do
    command -v "$tool" >/dev/null || { echo "missing $tool (apt-get install -y nginx-light wrk python3)" >&2; exit 2; }
done
[ -x /usr/bin/time ] || { echo "missing /usr/bin/time (apt-get install -y time)" >&2; exit 2; }

OHA="$(command -v oha || true)"
if [ -z "$OHA" ]; then
    OHA="$TOOLS/bin/oha"
    if [ ! -x "$OHA" ]; then
        echo "installing oha into $TOOLS ..." >&2
        cargo install oha --locked --root "$TOOLS" >&2
    fi
fi

echo "building gonogo (release) ..." >&2
(cd "$ROOT" && cargo build --release -q -p gonogo-load --example gonogo-load)
GONOGO="$CARGO_TARGET_DIR/release/examples/gonogo-load"

WORK="$(mktemp -d)"
cleanup() {
    if [ -f "$WORK/nginx.pid" ]; then
        kill -CONT $(pgrep -P "$(cat "$WORK/nginx.pid")") 2>/dev/null || true
        kill "$(cat "$WORK/nginx.pid")" 2>/dev/null || true
    fi
    rm -rf "$WORK"
}
trap cleanup EXIT

cat > "$WORK/nginx.conf" <<NGINX
worker_processes 1;
daemon on;
pid $WORK/nginx.pid;
error_log $WORK/error.log;
events { worker_connections 16384; }
http {
    access_log off;
    keepalive_requests 100000000;
    keepalive_timeout 75s;
    client_body_temp_path $WORK/body;
    proxy_temp_path $WORK/proxy;
    fastcgi_temp_path $WORK/fastcgi;
    uwsgi_temp_path $WORK/uwsgi;
    scgi_temp_path $WORK/scgi;
    server {
        listen 127.0.0.1:${PORT} backlog=4096;
        location / { return 200 "ok\n"; }
    }
}
NGINX
nginx -c "$WORK/nginx.conf" -p "$WORK"
for _ in $(seq 1 100); do
    if python3 -c "import urllib.request,sys; urllib.request.urlopen('$URL', timeout=1)" 2>/dev/null; then break; fi
    sleep 0.05
done
python3 -c "import urllib.request; urllib.request.urlopen('$URL', timeout=1)" || { echo "nginx did not start" >&2; exit 1; }
WORKERS="$(pgrep -P "$(cat "$WORK/nginx.pid")")"

# measure NAME REQUESTS_PARSER COMMAND...: runs COMMAND under /usr/bin/time and appends
# "name cpu_seconds requests peak_kib p50_us p95_us p99_us send_p50_us" to $WORK/results.
measure() {
    local name="$1" parser="$2"
    shift 2
    /usr/bin/time -f "%U %S %M" -o "$WORK/$name.time" "$@" > "$WORK/$name.out" 2> "$WORK/$name.err" || true
    python3 - "$name" "$parser" "$WORK" <<'PY' >> "$WORK/results"
import json, re, sys
name, parser, work = sys.argv[1:4]
user, system, peak = open(f"{work}/{name}.time").read().split()[-3:]
out = open(f"{work}/{name}.out").read()
requests, p50, p95, p99, send_p50 = 0, "-", "-", "-", "-"
if parser == "gonogo":
    doc = json.loads(out)
    requests = doc["requests"]["completed"]
    lat, svc = doc["latency_us"] or {}, doc["service_time_us"] or {}
    p50, p95, p99, send_p50 = lat.get("p50", "-"), lat.get("p95", "-"), lat.get("p99", "-"), svc.get("p50", "-")
elif parser == "wrk":
    requests = int(re.search(r"(\d+) requests in", out).group(1))
elif parser == "oha":
    doc = json.loads(out)
    summary = doc["summary"]
    dist = doc.get("statusCodeDistribution", {})
    requests = sum(dist.values())
    pct = doc.get("latencyPercentiles", {})
    us = lambda v: "-" if v is None else int(round(v * 1e6))
    p50, p95, p99 = us(pct.get("p50")), us(pct.get("p95")), us(pct.get("p99"))
print(name, float(user) + float(system), requests, peak, p50, p95, p99, send_p50)
PY
}

freeze_at_4s() {
    (sleep 4; kill -STOP $WORKERS; sleep 1; kill -CONT $WORKERS) &
}

D="${DURATION}s"
if [ -n "${OPEN_ONLY:-}" ]; then
    for round in $(seq 1 "$OPEN_ONLY"); do
        echo "== 3: open model, 20000/s, ${D} each, round $round of $OPEN_ONLY ==" >&2
        measure "gonogo_open20k_$round" gonogo "$GONOGO" load "$URL" --rate 20000 --threads 1 -d "$D" --no-evidence --json
        measure "oha_open20k_$round" oha "$OHA" "$URL" -q 20000 -c 50 -z "$D" --no-tui --output-format json
    done
    python3 - "$WORK/results" "$OPEN_ONLY" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    name, cpu, requests = line.split()[:3]
    rows[name] = (float(cpu), int(requests))
per = lambda name: rows[name][0] * 1e6 / rows[name][1] if rows[name][1] else float("nan")
print("3. Open model at 20000/s: CPU per request, alternating runs")
ratios = []
for r in range(1, int(sys.argv[2]) + 1):
    g, o = per(f"gonogo_open20k_{r}"), per(f"oha_open20k_{r}")
    ratios.append(g / o)
    print(f"   round {r}: gonogo {g:6.2f} µs/request ({rows[f'gonogo_open20k_{r}'][1]} requests), "
          f"oha {o:6.2f} µs/request ({rows[f'oha_open20k_{r}'][1]} requests), ratio {g / o:.2f}")
print(f"   ratio gonogo/oha  min {min(ratios):.2f}  median {sorted(ratios)[len(ratios) // 2]:.2f}  max {max(ratios):.2f}   (wrk2 ~ 0.67)")
PY
    exit 0
fi
echo "== 1, 2: closed model, 50 connections, ${D} each ==" >&2
measure gonogo_closed gonogo "$GONOGO" load "$URL" -c 50 --threads 1 -d "$D" --no-evidence --json
measure wrk_closed wrk wrk -t1 -c50 -d"$D" "$URL"
measure oha_closed oha "$OHA" "$URL" -c 50 -z "$D" --no-tui --output-format json

echo "== 3: open model, 20000/s, ${D} each ==" >&2
measure gonogo_open20k gonogo "$GONOGO" load "$URL" --rate 20000 --threads 1 -d "$D" --no-evidence --json
measure oha_open20k oha "$OHA" "$URL" -q 20000 -c 50 -z "$D" --no-tui --output-format json

echo "== 4: coordinated omission, 1000/s for 10 s, SIGSTOP nginx 1 s at t=4 s ==" >&2
freeze_at_4s; measure gonogo_co gonogo "$GONOGO" load "$URL" --rate 1000 -d 10s --no-evidence --json; wait
freeze_at_4s; measure oha_co oha "$OHA" "$URL" -q 1000 -c 50 -z 10s --no-tui --output-format json; wait
freeze_at_4s; measure oha_co_corrected oha "$OHA" "$URL" -q 1000 -c 50 -z 10s --latency-correction --no-tui --output-format json; wait

echo "== 5: memory, closed model 10 s and 60 s ==" >&2
measure gonogo_mem10 gonogo "$GONOGO" load "$URL" -c 50 --threads 1 -d 10s --no-evidence --json
if [ -z "${SKIP_LONG:-}" ]; then
    measure gonogo_mem60 gonogo "$GONOGO" load "$URL" -c 50 --threads 1 -d 60s --no-evidence --json
fi
measure wrk_mem10 wrk wrk -t1 -c50 -d10s "$URL"

python3 - "$WORK/results" <<'PY'
import sys
rows = {}
for line in open(sys.argv[1]):
    name, cpu, requests, peak, p50, p95, p99, send_p50 = line.split()
    rows[name] = dict(cpu=float(cpu), requests=int(requests), peak_kib=int(peak), p50=p50, p95=p95, p99=p99, send_p50=send_p50)

def per_request(name):
    r = rows.get(name)
    return r["cpu"] * 1e6 / r["requests"] if r and r["requests"] else float("nan")

def rps(name, seconds):
    r = rows.get(name)
    return r["requests"] / seconds if r else float("nan")

import os
d = float(os.environ.get("DURATION", "10"))
print("1. CPU per request, closed model, 50 connections (lower is better)")
for name in ["gonogo_closed", "wrk_closed", "oha_closed"]:
    print(f"   {name:<16} {per_request(name):7.2f} µs/request  ({rows[name]['requests']} requests, {rows[name]['cpu']:.2f} s CPU)")
print(f"   ratio gonogo/wrk  {per_request('gonogo_closed') / per_request('wrk_closed'):.2f}   (target <= 1.0)")
print(f"   ratio gonogo/oha  {per_request('gonogo_closed') / per_request('oha_closed'):.2f}")
print("2. Throughput, closed model (higher is better)")
for name in ["gonogo_closed", "wrk_closed", "oha_closed"]:
    print(f"   {name:<16} {rps(name, d):10.0f} requests/s")
print(f"   ratio gonogo/wrk  {rps('gonogo_closed', d) / rps('wrk_closed', d):.2f}")
print(f"   ratio gonogo/oha  {rps('gonogo_closed', d) / rps('oha_closed', d):.2f}")
print("3. Open model at 20000/s: CPU per request")
for name in ["gonogo_open20k", "oha_open20k"]:
    print(f"   {name:<16} {per_request(name):7.2f} µs/request  ({rows[name]['requests']} requests)")
print(f"   ratio gonogo/oha  {per_request('gonogo_open20k') / per_request('oha_open20k'):.2f}   (wrk2 ~ 0.67)")
print("4. Coordinated omission: 1000/s for 10 s, nginx stopped 1 s at t=4 s (true p95 ~ 500 ms, p99 ~ 900 ms)")
fmt = lambda v: "-" if v == "-" else f"{int(v) / 1000:.2f} ms"
for name in ["gonogo_co", "oha_co", "oha_co_corrected"]:
    r = rows[name]
    extra = f"   p50 from actual send {fmt(r['send_p50'])}" if r["send_p50"] != "-" else ""
    print(f"   {name:<16} p50 {fmt(r['p50']):>10}  p95 {fmt(r['p95']):>10}  p99 {fmt(r['p99']):>10}{extra}")
g = rows["gonogo_co"]
if g["p95"] != "-":
    print(f"   gonogo p95 error vs 500 ms: {abs(int(g['p95']) / 500000 - 1) * 100:.1f} %, p99 error vs 900 ms: {abs(int(g['p99']) / 900000 - 1) * 100:.1f} %, "
          f"p50 - send p50: {(int(g['p50']) - int(g['send_p50'])) / 1000:.3f} ms")
print("5. Peak RSS (closed model, 50 connections)")
for name in ["gonogo_mem10", "gonogo_mem60", "wrk_mem10"]:
    if name in rows:
        print(f"   {name:<16} {rows[name]['peak_kib'] / 1024:6.1f} MiB  ({rows[name]['requests']} requests)")
PY
