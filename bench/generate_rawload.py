#!/usr/bin/env python3
"""Synthetic raw load results for bench/rawload.sh.

    generate_rawload.py k6-json FILE BYTES      # k6 --out json, ~8 lines a request
    generate_rawload.py jtl FILE BYTES [SEED]   # JMeter JTL CSV with JMeter's default columns

A block of distinct requests is generated once and written again with shifted timestamps until
the file reaches BYTES, so a GB is written in seconds.
"""

import json
import random
import sys

kind, path, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
seed = int(sys.argv[4]) if len(sys.argv) > 4 else 19
rng = random.Random(seed)
T0 = 1_796_551_200_000  # ms, 2026-12-06T10:00:00Z
URLS = [f"http://127.0.0.1:8080/api/item/{i}" for i in range(20)]
BLOCK = 20_000


def k6_block(shift_ms):
    lines = []
    for i in range(BLOCK):
        t = T0 + shift_ms + i
        s, ms = divmod(t, 1000)
        time = f"2026-12-06T10:{(s // 60) % 60:02d}:{s % 60:02d}.{ms:03d}{rng.randrange(1000):03d}+00:00"
        url = URLS[i % len(URLS)]
        duration = round(rng.lognormvariate(2.5, 0.7), 6)
        status = "200" if rng.random() > 0.01 else "503"
        tags = {"expected_response": "true" if status == "200" else "false", "group": "", "method": "GET", "name": url, "proto": "HTTP/1.1", "scenario": "default", "status": status, "tls_version": "", "url": url}
        for metric, value in [("http_reqs", 1), ("http_req_duration", duration), ("http_req_blocked", 0.003), ("http_req_connecting", 0), ("http_req_sending", 0.02), ("http_req_waiting", duration - 0.05), ("http_req_receiving", 0.03), ("http_req_failed", 0 if status == "200" else 1)]:
            lines.append(json.dumps({"metric": metric, "type": "Point", "data": {"time": time, "value": value, "tags": tags}}, separators=(",", ":")))
        if i % 4 == 0:
            lines.append(json.dumps({"metric": "checks", "type": "Point", "data": {"time": time, "value": 1 if status == "200" else 0, "tags": {"check": "status is 200", "group": "", "scenario": "default"}}}, separators=(",", ":")))
    return "\n".join(lines) + "\n"


def jtl_block(shift_ms):
    lines = []
    for i in range(BLOCK):
        ts = T0 + shift_ms + i
        url = URLS[i % len(URLS)]
        elapsed = int(rng.lognormvariate(2.5, 0.7))
        ok = rng.random() > 0.01
        code, message = ("200", "OK") if ok else ("500", "Internal Server Error")
        lines.append(f"{ts},{elapsed},item {i % len(URLS)},{code},{message},users 1-{i % 50 + 1},text,{'true' if ok else 'false'},,{512 + i % 100},{128},{50},{50},{url},{max(0, elapsed - 1)},0,{i % 3}")
    return "\n".join(lines) + "\n"


with open(path, "w", encoding="utf-8") as out:
    if kind == "jtl":
        out.write("timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,sentBytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect\n")
    make = k6_block if kind == "k6-json" else jtl_block
    blocks = [make(seed * 1_000_000 + b * BLOCK) for b in range(3)]
    written, b = 0, 0
    while written < size:
        block = blocks[b % len(blocks)]
        out.write(block)
        written += len(block)
        b += 1
