#!/usr/bin/env python3
"""Writes the fixtures of producers that cannot be installed here (k6, Vegeta, Gatling's text and
binary logs) and of JMeter, whose Debian package (2.13) cannot load a test plan on bookworm (see
README.md), from each producer's documented format (and the Gatling seeds of the fuzz target
`loadlog`). Deterministic (seeded); run from this folder:

    python3 make_synthetic.py
"""

import base64
import csv
import datetime as dt
import json
import random
import struct

rng = random.Random(19)
T0 = dt.datetime(2026, 12, 6, 10, 0, 0, tzinfo=dt.timezone.utc)
URLS = ["http://127.0.0.1:18919/items", "http://127.0.0.1:18919/flaky", "http://127.0.0.1:18919/missing"]


def requests(n, scenario, start_offset_s):
    """(scenario, url, start, duration_ms, status) of n requests, spread over ~2 s."""
    out = []
    for i in range(n):
        url = URLS[i % 3]
        start = T0 + dt.timedelta(seconds=start_offset_s + i * 2.0 / n + rng.random() * 0.01)
        duration = round(rng.lognormvariate(1.5, 0.6), 6)  # ms, around 4.5
        if url.endswith("missing"):
            status = 404
        elif url.endswith("flaky") and rng.random() < 0.15:
            status = 500
        elif rng.random() < 0.02:
            status, duration = 0, round(rng.uniform(0.2, 1.0), 6)  # connection refused
        else:
            status = 200
        out.append((scenario, url, start, duration, status))
    return out


def k6_time(t):
    return t.strftime("%Y-%m-%dT%H:%M:%S.%f") + "+00:00"


def k6():
    reqs = requests(60, "browse", 0) + requests(40, "checkout", 0.5)
    reqs.sort(key=lambda r: r[2])
    with open("k6/k6-json-synthetic.json", "w") as out, open("k6/k6-csv-synthetic.csv", "w", newline="") as csv_out:
        w = csv.writer(csv_out)
        w.writerow("metric_name,timestamp,metric_value,check,error,error_code,expected_response,group,method,name,proto,scenario,service,status,subproto,tls_version,url,extra_tags,metadata".split(","))
        for name, kind, contains in [("http_reqs", "counter", "default"), ("http_req_duration", "trend", "time"), ("http_req_failed", "rate", "default"), ("checks", "rate", "default")]:
            out.write(json.dumps({"type": "Metric", "data": {"name": name, "type": kind, "contains": contains, "thresholds": [], "submetrics": None}, "metric": name}, separators=(",", ":")) + "\n")
        for scenario, url, start, duration, status in reqs:
            end = start + dt.timedelta(milliseconds=duration)
            failed = 1 if status == 0 or status >= 400 else 0
            tags = {"expected_response": "false" if failed else "true", "group": "", "method": "GET", "name": url, "proto": "HTTP/1.1", "scenario": scenario, "status": str(status), "url": url}
            for metric, value in [("http_reqs", 1), ("http_req_duration", duration), ("http_req_blocked", 0.002), ("http_req_failed", failed)]:
                out.write(json.dumps({"metric": metric, "type": "Point", "data": {"time": k6_time(end), "value": value, "tags": tags}}, separators=(",", ":")) + "\n")
                w.writerow([metric, int(end.timestamp()), f"{value:.6f}", "", "", "", tags["expected_response"], "", "GET", url, "HTTP/1.1", scenario, "", str(status), "", "", url, "", ""])
            if status != 0:
                ctags = {"check": "status is 200", "group": "", "scenario": scenario}
                ok = 1 if status == 200 else 0
                out.write(json.dumps({"metric": "checks", "type": "Point", "data": {"time": k6_time(end), "value": ok, "tags": ctags}}, separators=(",", ":")) + "\n")
                w.writerow(["checks", int(end.timestamp()), f"{ok:.6f}", "status is 200", "", "", "", "", "", "", "", scenario, "", "", "", "", "", "", ""])


def vegeta():
    reqs = requests(150, "", 0)
    with open("vegeta/vegeta-json-synthetic.json", "w") as out, open("vegeta/vegeta-csv-synthetic.csv", "w", newline="") as csv_out:
        w = csv.writer(csv_out)
        for seq, (_, url, start, duration, status) in enumerate(reqs):
            latency_ns = int(duration * 1_000_000)
            error = "" if 200 <= status < 400 else (f"{status} {'Not Found' if status == 404 else 'Internal Server Error'}" if status else "dial tcp 127.0.0.1:18919: connect: connection refused")
            body = base64.b64encode(b"ok\n" if status == 200 else b"").decode()
            ts = start.strftime("%Y-%m-%dT%H:%M:%S.%f") + "Z"
            out.write(json.dumps({"attack": "smoke", "seq": seq, "code": status, "timestamp": ts, "latency": latency_ns, "bytes_out": 0, "bytes_in": 3 if status == 200 else 0, "error": error, "body": body or None, "method": "GET", "url": url, "headers": {}}, separators=(",", ":")) + "\n")
            ns = int(start.timestamp()) * 1_000_000_000 + start.microsecond * 1000
            w.writerow([ns, status, latency_ns, 0, 3 if status == 200 else 0, error, body, "smoke", seq, "GET", url, ""])


def gatling():
    reqs = requests(150, "", 0)
    t0 = int(T0.timestamp() * 1000)
    with open("gatling/simulation-3.9-synthetic.log", "w") as out:
        out.write(f"RUN\tcomputerdatabase.BasicSimulation\tbasicsimulation\t{t0}\t \t3.9.5\n")
        out.write(f"USER\tUsers\tSTART\t{t0}\t{t0}\n")
        for _, url, start, duration, status in reqs:
            s = int(start.timestamp() * 1000)
            e = s + max(0, int(round(duration)))
            name = url.rsplit("/", 1)[1]
            ok = "OK" if status == 200 else "KO"
            message = " " if ok == "OK" else f"status.find.in(200,201,202,203,204,205,206,207,208,209,304), but actually found {status}"
            group = "shop" if name == "items" else ""
            out.write(f"REQUEST\t{group}\t{name}\t{s}\t{e}\t{ok}\t{message}\n")
        out.write(f"USER\tUsers\tEND\t{t0}\t{t0 + 2100}\n")


def jmeter():
    reqs = requests(150, "", 0)
    labels = {"items": "items", "flaky": "flaky, with a comma", "missing": "missing"}
    header = "timeStamp,elapsed,label,responseCode,responseMessage,threadName,dataType,success,failureMessage,bytes,grpThreads,allThreads,URL,Latency,IdleTime,Connect".split(",")
    with open("jmeter/jmeter-csv-synthetic.jtl", "w", newline="") as csv_out, open("jmeter/jmeter-xml-synthetic.jtl", "w") as xml_out:
        w = csv.writer(csv_out, lineterminator="\n")
        w.writerow(header)
        xml_out.write('<?xml version="1.0" encoding="UTF-8"?>\n<testResults version="1.2">\n')
        for i, (_, url, start, duration, status) in enumerate(reqs):
            ts = int(start.timestamp() * 1000)
            elapsed = max(0, int(round(duration)))
            label = labels[url.rsplit("/", 1)[1]]
            if status == 0:
                code, message, success, failure = "Non HTTP response code: java.net.ConnectException", "Non HTTP response message: Connection refused", "false", ""
            else:
                code, message = str(status), {200: "OK", 404: "Not Found", 500: "Internal Server Error"}[status]
                success = "true" if status == 200 else "false"
                failure = "" if success == "true" else f"Test failed: code expected to match /200/\nbut got {status}"
            thread = f"users 1-{i % 4 + 1}"
            w.writerow([ts, elapsed, label, code, message, thread, "text", success, failure, 3, 4, 4, url, elapsed, 0, 0])
            esc = lambda s: s.replace("&", "&amp;").replace('"', "&quot;").replace("<", "&lt;").replace("\n", "&#10;")
            xml_out.write(f'<httpSample t="{elapsed}" it="0" lt="{elapsed}" ct="0" ts="{ts}" s="{success}" lb="{esc(label)}" rc="{esc(code)}" rm="{esc(message)}" tn="{thread}" dt="text" by="3" sby="0" ng="4" na="4">\n')
            if status == 302:
                pass
            xml_out.write(f'  <httpSample t="{max(0, elapsed - 1)}" it="0" lt="0" ct="0" ts="{ts}" s="true" lb="{esc(label)}-0" rc="200" rm="OK" tn="{thread}" dt="text" by="0" sby="0" ng="4" na="4"/>\n' if i % 10 == 0 else "")
            xml_out.write("  <java.net.URL>" + url + "</java.net.URL>\n</httpSample>\n")
        xml_out.write("</testResults>\n")


class GatlingBinary:
    """Gatling 3.13+'s binary simulation.log, as `LogFileDataWriter.scala` (gatling-core, read at
    gatling/gatling 8bb193bdf, v3.15.1-68) writes it: big-endian ints, Java strings as their
    internal bytes and coder (0 Latin-1, 1 UTF-16 in the machine's order, little-endian on
    x86-64), a string cache numbered from 1 (a hit is the negated index)."""

    def __init__(self):
        self.out = bytearray()
        self.cache = {}

    def byte(self, b):
        self.out += struct.pack(">b", b)

    def int(self, i):
        self.out += struct.pack(">i", i)

    def long(self, i):
        self.out += struct.pack(">q", i)

    def string(self, s):
        if not s:
            self.int(0)
            return
        if all(ord(c) <= 0xFF for c in s):
            value, coder = s.encode("latin-1"), 0
        else:
            value, coder = s.encode("utf-16-le"), 1
        self.int(len(value))
        self.out += value
        self.byte(coder)

    def cached(self, s):
        if s in self.cache:
            self.int(-self.cache[s])
        else:
            index = len(self.cache) + 1
            self.int(index)
            self.string(s)
            self.cache[s] = index

    def run(self, version, simulation, start, description, scenarios, assertions):
        self.byte(0)
        self.string(version)
        self.string(simulation)
        self.long(start)
        self.string(description)
        self.int(len(scenarios))
        for name in scenarios:
            self.string(name)
        self.int(len(assertions))
        for blob in assertions:
            self.int(len(blob))
            self.out += blob

    def request(self, groups, name, start, end, ok, message):
        self.byte(1)
        self.int(len(groups))
        for group in groups:
            self.cached(group)
        self.cached(name)
        self.int(start)
        self.int(end)
        self.byte(1 if ok else 0)
        self.cached(message)

    def user(self, scenario, start, time):
        self.byte(2)
        self.int(scenario)
        self.byte(1 if start else 0)
        self.int(time)

    def group(self, groups, start, end, cumulated, ok):
        self.byte(3)
        self.int(len(groups))
        for group in groups:
            self.cached(group)
        self.int(start)
        self.int(end)
        self.int(cumulated)
        self.byte(1 if ok else 0)

    def error(self, message, time):
        self.byte(4)
        self.cached(message)
        self.int(time)


def gatling_binary():
    """150 requests over two scenarios, with nested groups, a Latin-1 and a UTF-16 name, cached
    names and messages, user, group and error records and an (opaque) assertion."""
    reqs = requests(150, "", 0)
    t0 = int(T0.timestamp() * 1000)
    log = GatlingBinary()
    # The assertion is boopickle's bytes in Gatling; gonogo skips them by their length.
    log.run("3.15.1", "computerdatabase.BasicSimulation", t0, "", ["Browse", "Buy"], [bytes(range(7))])
    for scenario in (0, 1):
        log.user(scenario, True, scenario)
    names = {"items": ([], "items"), "flaky": (["shop", "café"], "flaky"), "missing": (["shop"], "支払い missing")}
    for i, (_, url, start, duration, status) in enumerate(reqs):
        s = int(start.timestamp() * 1000) - t0
        e = s + max(0, int(round(duration)))
        groups, name = names[url.rsplit("/", 1)[1]]
        ok = status == 200
        message = "" if ok else f"status.find.in(200,201,202,203,204,205,206,207,208,209,304), but actually found {status}"
        log.request(groups, name, s, e, ok, message)
        if groups and i % 10 == 2:
            log.group(groups, s, e, e - s, ok)
        if not ok and i % 25 == 2:
            log.error(message, e)
    for scenario in (0, 1):
        log.user(scenario, False, 2100 + scenario)
    with open("gatling/simulation-3.15-binary-synthetic.log", "wb") as out:
        out.write(log.out)
    return log


def fuzz_seeds():
    """Small seeds of the fuzz target `loadlog` (selector byte 5: Gatling) in fuzz/corpus/loadlog."""
    import os
    folder = os.path.join(os.path.dirname(os.path.abspath(__file__)), "../../../../../fuzz/corpus/loadlog")
    os.makedirs(folder, exist_ok=True)
    t0 = int(T0.timestamp() * 1000)
    small = GatlingBinary()
    small.run("3.15.1", "a.Sim", t0, "", ["s"], [])
    run_record = len(small.out)
    small.user(0, True, 0)
    small.request(["g"], "home", 1, 5, True, "")
    small.request(["g"], "home", 2, 9, False, "KO: 500")
    small.request([], "é 名", 3, 4, False, "KO: 500")
    small.group(["g"], 1, 9, 11, False)
    small.error("KO: 500", 9)
    small.user(0, False, 10)
    text = f"RUN\tcomputerdatabase.BasicSimulation\tbasicsimulation\t{t0}\t \t3.9.5\nREQUEST\tshop\titems\t{t0 + 2}\t{t0 + 4}\tOK\t \nREQUEST\t\tmissing\t{t0 + 3}\t{t0 + 9}\tKO\tfound 404\n"
    seeds = {
        "gatling-binary-small": bytes(small.out),
        "gatling-binary-truncated": bytes(small.out[:-7]),
        "gatling-binary-run-only": bytes(small.out[:run_record]),
        "gatling-text-small": text.encode(),
    }
    for name, data in seeds.items():
        with open(os.path.join(folder, name), "wb") as out:
            out.write(b"\x05" + data)


k6()
vegeta()
gatling()
jmeter()
# After the others, so that their random draws (and files) stay as they were.
gatling_binary()
fuzz_seeds()
