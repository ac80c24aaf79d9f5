#!/usr/bin/env python3
"""An independent reading of raw load results, for gonogo's tests: written from each producer's
documented format and success rule, sharing no code with gonogo.

    python3 check.py FORMAT FILE

prints one JSON object: per scenario, `due` (requests judged), `errors`, `answered` (requests
with a latency), `status_4xx`, `status_5xx`, the exact latency percentiles in µs (nearest rank:
the sample at rank ceil(q * n)), and per request name `due` and `errors`.
"""

import csv
import json
import math
import sys
from collections import defaultdict


def new():
    return {"due": 0, "errors": 0, "status_4xx": 0, "status_5xx": 0, "latencies": [], "names": defaultdict(lambda: [0, 0])}


def judge(s, name, failed, status):
    s["due"] += 1
    s["errors"] += int(failed)
    if status is not None and 400 <= status < 500:
        s["status_4xx"] += 1
    if status is not None and 500 <= status < 600:
        s["status_5xx"] += 1
    if name is not None:
        s["names"][name][0] += 1
        s["names"][name][1] += int(failed)


def k6_json(path, out):
    have_failed = False
    fallback = defaultdict(new)
    for line in open(path, encoding="utf-8"):
        obj = json.loads(line)
        if obj["type"] != "Point":
            continue
        tags = obj["data"].get("tags") or {}
        scenario = tags.get("scenario") or "default"
        status = int(tags["status"]) if tags.get("status") else None
        if obj["metric"] == "http_req_duration":
            if status != 0:
                out[scenario]["latencies"].append(round(obj["data"]["value"] * 1000))
            judge(fallback[scenario], tags.get("name"), status == 0 or (status or 0) >= 400, status)
        elif obj["metric"] == "http_req_failed":
            have_failed = True
            s = out[scenario]
            s["due"] += 1
            s["errors"] += int(obj["data"]["value"] != 0)
            if tags.get("name") is not None:
                s["names"][tags["name"]][0] += 1
                s["names"][tags["name"]][1] += int(obj["data"]["value"] != 0)
    for scenario, f in fallback.items():
        out[scenario]["status_4xx"] = f["status_4xx"]
        out[scenario]["status_5xx"] = f["status_5xx"]
    assert have_failed


def k6_csv(path, out):
    rows = csv.DictReader(open(path, newline="", encoding="utf-8"))
    for row in rows:
        scenario = row["scenario"] or "default"
        status = int(row["status"]) if row["status"] else None
        if row["metric_name"] == "http_req_duration":
            if status != 0:
                out[scenario]["latencies"].append(round(float(row["metric_value"]) * 1000))
            if status is not None and 400 <= status < 500:
                out[scenario]["status_4xx"] += 1
            if status is not None and 500 <= status < 600:
                out[scenario]["status_5xx"] += 1
        elif row["metric_name"] == "http_req_failed":
            s = out[scenario]
            failed = float(row["metric_value"]) != 0
            s["due"] += 1
            s["errors"] += int(failed)
            s["names"][row["name"]][0] += 1
            s["names"][row["name"]][1] += int(failed)


def jmeter_csv(path, out):
    for row in csv.DictReader(open(path, newline="", encoding="utf-8")):
        code = row.get("responseCode", "")
        status = int(code) if code.isdigit() else 0
        judge(out["default"], row["label"], row["success"] != "true", status)
        if code.isdigit():
            out["default"]["latencies"].append(int(row["elapsed"]) * 1000)


def jmeter_xml(path, out):
    import xml.etree.ElementTree as ET
    for sample in ET.parse(path).getroot():
        if sample.tag not in ("httpSample", "sample"):
            continue
        code = sample.get("rc", "")
        status = int(code) if code.isdigit() else 0
        judge(out["default"], sample.get("lb"), sample.get("s") != "true", status)
        if code.isdigit():
            out["default"]["latencies"].append(int(sample.get("t")) * 1000)


def hey(path, out):
    for row in csv.DictReader(open(path, newline="", encoding="utf-8")):
        status = int(row["status-code"])
        judge(out["default"], None, status >= 400, status)
        out["default"]["latencies"].append(round(float(row["response-time"]) * 1e6))


def vegeta_rows(path, fmt):
    if fmt == "json":
        for line in open(path, encoding="utf-8"):
            r = json.loads(line)
            yield r["attack"], r["code"], r["latency"], r["error"], f'{r["method"]} {r["url"]}'
    else:
        for row in csv.reader(open(path, newline="", encoding="utf-8")):
            yield row[7], int(row[1]), int(row[2]), row[5], f"{row[9]} {row[10]}"


def vegeta(path, out, fmt):
    for attack, code, latency_ns, error, name in vegeta_rows(path, fmt):
        scenario = attack or "default"
        judge(out[scenario], name, not (200 <= code <= 399) or error != "", code)
        if code != 0:
            out[scenario]["latencies"].append(-(-latency_ns // 1000))


def gatling(path, out):
    scenario = "default"
    for line in open(path, encoding="utf-8"):
        f = line.rstrip("\n").split("\t")
        if f[0] == "RUN":
            scenario = f[2]
        elif f[0] == "REQUEST":
            groups, name, start, end, status = f[1], f[2], int(f[3]), int(f[4]), f[5]
            full = f"{groups} / {name}" if groups else name
            judge(out[scenario], full, status == "KO", None)
            out[scenario]["latencies"].append((end - start) * 1000)


def gatling_binary(path, out):
    """Gatling 3.13+'s binary simulation.log (gatling-charts' LogFileReader.scala): big-endian,
    records 0 run, 1 request, 2 user, 3 group, 4 error; cached strings (index > 0 new, < 0 hit)."""
    import struct
    data = open(path, "rb").read()
    pos = 0

    def take(fmt):
        nonlocal pos
        values = struct.unpack_from(fmt, data, pos)
        pos += struct.calcsize(fmt)
        return values[0]

    def string():
        nonlocal pos
        n = take(">i")
        if n == 0:
            return ""
        raw, coder = data[pos:pos + n], data[pos + n]
        pos += n + 1
        text = raw.decode("latin-1" if coder == 0 else "utf-16-le")
        return text.replace("\n", " ").replace("\r", " ").replace("\t", " ")

    cache = {}

    def cached():
        index = take(">i")
        if index < 0:
            return cache[-index]
        cache[index] = string()
        return cache[index]

    assert data[0] == 0
    pos = 1
    string()  # version
    simulation = string()
    run_start = take(">q")
    string()  # description
    for _ in range(take(">i")):
        string()
    for _ in range(take(">i")):
        length = take(">i")
        pos += length
    # The scenario: Gatling's default simulation id, the class's simple name, lowercased.
    simple = simulation.split(".")[-1].split("$")[-1].lower()
    scenario = "".join(c if c.isascii() and (c.isalnum() or c == "-") else "-" for c in simple)
    while pos < len(data):
        header = data[pos]
        pos += 1
        if header == 1:
            groups = [cached() for _ in range(take(">i"))]
            name = cached()
            start, end = take(">i") + run_start, take(">i") + run_start
            ok = data[pos] == 1
            pos += 1
            cached()  # message
            full = " / ".join(groups + [name])
            judge(out[scenario], full, not ok, None)
            out[scenario]["latencies"].append((end - start) * 1000)
        elif header == 2:
            pos += 4 + 1 + 4
        elif header == 3:
            for _ in range(take(">i")):
                cached()
            pos += 4 + 4 + 4 + 1
        elif header == 4:
            cached()
            pos += 4
        else:
            raise ValueError(f"record type {header} at byte {pos - 1}")


def locust(path, out):
    for row in csv.DictReader(open(path, newline="", encoding="utf-8")):
        if row["Name"] == "Aggregated":
            out["default"]["due"] = int(row["Request Count"])
            out["default"]["errors"] = int(row["Failure Count"])
        else:
            out["default"]["names"][f'{row["Type"]} {row["Name"]}'] = [int(row["Request Count"]), int(row["Failure Count"])]


def main():
    fmt, path = sys.argv[1], sys.argv[2]
    out = defaultdict(new)
    {
        "k6-json": k6_json,
        "k6-csv": k6_csv,
        "jmeter-csv": jmeter_csv,
        "jmeter-xml": jmeter_xml,
        "hey": hey,
        "vegeta-json": lambda p, o: vegeta(p, o, "json"),
        "vegeta-csv": lambda p, o: vegeta(p, o, "csv"),
        "gatling": gatling,
        "gatling-binary": gatling_binary,
        "locust": locust,
    }[fmt](path, out)
    result = {}
    for scenario, s in out.items():
        lat = sorted(s["latencies"])
        pct = {}
        if lat:
            for label, q in [("p50", 0.5), ("p90", 0.9), ("p95", 0.95), ("p99", 0.99)]:
                pct[label] = lat[max(1, math.ceil(q * len(lat))) - 1]
            pct["max"] = lat[-1]
        result[scenario] = {
            "due": s["due"],
            "errors": s["errors"],
            "answered": len(lat),
            "status_4xx": s["status_4xx"],
            "status_5xx": s["status_5xx"],
            "latency_us": pct,
            "names": {name: {"due": v[0], "errors": v[1]} for name, v in s["names"].items()},
        }
    json.dump(result, sys.stdout, sort_keys=True)


main()
