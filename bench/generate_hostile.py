#!/usr/bin/env python3
"""Writes one hostile input of about SIZE bytes for bench/memory.sh, streamed to disk in
chunks (never held in memory): python3 bench/generate_hostile.py FORMAT SIZE PATH.

Formats (each the shape that made memory grow with the input, issue 15 defect 4):
  sarif-rules    SARIF 2.1.0, one run, every result a different ruleId (half with no level,
                 so their level depends on their rule)
  pip-audit      pip-audit -f json: dependencies, each with two vulnerabilities
  npm-audit      npm audit --json (npm 7+): every entry a different vulnerable package
  osv            osv-scanner --format json: results of many packages, each with its
                 vulnerabilities and a group
  k6             k6 --summary-export: a metric per URL tag (trend), as a tagged test writes
  junit-body     JUnit with one <failure> whose text body is the whole file
  junit-attr     JUnit with one <failure message="..."> attribute that is the whole file
  lcov           LCOV: many source files, 200 lines each, with functions and branches
  metrics        a Prometheus text exposition of many distinct series in a few families
  evidence-records  gonogo evidence, JSON Lines: valid JUnit records, each of another shard
  evidence-line  gonogo evidence: one record whose `details` string is the whole file
  evidence-details  gonogo evidence: records whose details are ~1 MB of tiny values
                 (`[0,0,…]`: 2 bytes each on disk, 32 once read)
  evidence-metrics  gonogo evidence: records of 20,000 tiny metrics each
"""
import sys

CHUNK = 1 << 20


def write_stream(path, head, body, tail, size):
    """head, then body(i) for i = 0.. until SIZE bytes, then tail."""
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(head)
        written = len(head)
        i = 0
        parts = []
        pending = 0
        while written < size:
            piece = body(i)
            parts.append(piece)
            pending += len(piece)
            written += len(piece)
            i += 1
            if pending >= CHUNK:
                out.write("".join(parts))
                parts, pending = [], 0
        out.write("".join(parts))
        out.write(tail)
    return i


def filler(path, head, byte, tail, size):
    block = byte * CHUNK
    with open(path, "w", encoding="utf-8", newline="") as out:
        out.write(head)
        left = size
        while left > 0:
            n = min(left, CHUNK)
            out.write(block[:n])
            left -= n
        out.write(tail)


def main():
    kind, size, path = sys.argv[1], int(sys.argv[2]), sys.argv[3]
    if kind == "sarif-rules":
        head = ('{"version":"2.1.0","$schema":"https://json.schemastore.org/sarif-2.1.0.json",'
                '"runs":[{"tool":{"driver":{"name":"hostile","version":"1.0","rules":'
                '[{"id":"R1","defaultConfiguration":{"level":"error"}}]}},"results":[')

        def result(i):
            sep = "," if i else ""
            level = ',"level":"warning"' if i % 2 else ""
            return (f'{sep}{{"ruleId":"rule-{i:012d}"{level},"message":{{"text":"finding {i}"}},'
                    f'"locations":[{{"physicalLocation":{{"artifactLocation":{{"uri":"src/f{i % 997}.py"}},'
                    f'"region":{{"startLine":{i % 5000 + 1}}}}}}}]}}')
        write_stream(path, head, result, "]}]}\n", size)
    elif kind == "pip-audit":
        def dependency(i):
            sep = "," if i else ""
            return (f'{sep}{{"name":"package-{i}","version":"1.{i % 100}.0","vulns":['
                    f'{{"id":"PYSEC-2026-{i}","fix_versions":["2.0.0"],"aliases":["CVE-2026-{i}","GHSA-{i:04x}-xxxx-yyyy"],'
                    f'"description":"A vulnerability in package-{i} lets an attacker do something bad."}},'
                    f'{{"id":"PYSEC-2025-{i}","fix_versions":[],"aliases":[],"description":"Another one."}}]}}')
        write_stream(path, '{"dependencies":[', dependency, '],"fixes":[]}\n', size)
    elif kind == "npm-audit":
        severities = ["critical", "high", "moderate", "low", "info"]

        def package(i):
            sep = "," if i else ""
            return (f'{sep}"package-{i}":{{"name":"package-{i}","severity":"{severities[i % 5]}","isDirect":false,'
                    f'"via":[{{"source":{1000000 + i},"name":"package-{i}","dependency":"package-{i}",'
                    f'"title":"Prototype pollution in package-{i}","url":"https://github.com/advisories/GHSA-{i:04x}-xxxx-yyyy",'
                    f'"severity":"{severities[i % 5]}","cwe":["CWE-1321"],"range":"<1.{i % 100}.0"}}],'
                    f'"effects":[],"range":"<1.{i % 100}.0","nodes":["node_modules/package-{i}"],"fixAvailable":true}}')
        write_stream(path, '{"auditReportVersion":2,"vulnerabilities":{', package,
                     '},"metadata":{"vulnerabilities":{"info":0,"low":0,"moderate":0,"high":0,"critical":0,"total":0},'
                     '"dependencies":{"prod":1,"dev":0,"optional":0,"peer":0,"peerOptional":0,"total":1}}}\n', size)
    elif kind == "osv":
        def package(i):
            head = ""
            if i % 1000 == 0:
                head = ("]}," if i else "") + f'{{"source":{{"path":"/src/lock{i // 1000}/package-lock.json","type":"lockfile"}},"packages":['
            else:
                head = ","
            return (f'{head}{{"package":{{"name":"package-{i}","version":"1.{i % 100}.0","ecosystem":"npm"}},'
                    f'"vulnerabilities":[{{"id":"GHSA-{i:04x}-xxxx-yyyy","summary":"A vulnerability in package-{i}",'
                    f'"aliases":["CVE-2026-{i}"],"affected":[{{"package":{{"ecosystem":"npm","name":"package-{i}"}}}}]}}],'
                    f'"groups":[{{"ids":["GHSA-{i:04x}-xxxx-yyyy","CVE-2026-{i}"],"aliases":["GHSA-{i:04x}-xxxx-yyyy","CVE-2026-{i}"],'
                    f'"max_severity":"{(i % 100) / 10:.1f}"}}]}}')
        write_stream(path, '{"results":[', package, ']}]}\n', size)
    elif kind == "k6":
        def metric(i):
            sep = "," if i else ""
            return (f'{sep}"http_req_duration{{url:https://127.0.0.1/item/{i}}}":{{"type":"trend","contains":"time",'
                    f'"values":{{"avg":12.5,"min":1.0,"med":10.0,"max":99.0,"p(90)":20.0,"p(95)":25.0}}}}')
        write_stream(path, '{"root_group":{"name":"","path":"","id":"d41d8cd98f00b204e9800998ecf8427e","groups":[],"checks":[]},"options":{"summaryTrendStats":["avg","min","med","max","p(90)","p(95)"]},"state":{"isStdOutTTY":false,"isStdErrTTY":false,"testRunDurationMs":1000},"metrics":{', metric, '}}\n', size)
    elif kind == "junit-body":
        filler(path, '<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="s" tests="2" failures="1">'
               '<testcase name="ok"/><testcase name="huge"><failure message="boom">', "x",
               '</failure></testcase></testsuite>\n', size)
    elif kind == "junit-attr":
        filler(path, '<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="s" tests="2" failures="1">'
               '<testcase name="ok"/><testcase name="huge"><failure message="', "y",
               '">short</failure></testcase></testsuite>\n', size)
    elif kind == "lcov":
        def source(i):
            lines = "".join(f"DA:{n},{(n * i) % 3}\n" for n in range(1, 201))
            return (f"TN:\nSF:src/module_{i}/file_{i}.c\nFN:1,f{i}\nFNDA:{i % 2},f{i}\nFNF:1\nFNH:{i % 2}\n"
                    f"BRDA:3,0,0,1\nBRDA:3,0,1,-\nBRF:2\nBRH:1\n{lines}LF:200\nLH:133\nend_of_record\n")
        write_stream(path, "", source, "", size)
    elif kind == "metrics":
        def series(i):
            head = ""
            if i % 1_000_000 == 0:
                family = i // 1_000_000
                head = f"# HELP app_{family}_requests_total Requests.\n# TYPE app_{family}_requests_total counter\n"
            family = i // 1_000_000
            return f'{head}app_{family}_requests_total{{path="/item/{i}",code="200"}} {i}\n'
        write_stream(path, "", series, "", size)
    elif kind == "evidence-records":
        import hashlib

        def record(i):
            sha = hashlib.sha256(str(i).encode()).hexdigest()
            return ('{"gonogo_evidence":1,"kind":"junit","source":{"type":"file","location":'
                    f'"shard{i}/junit.xml"}},"sha256":"{sha}","collected_at":"2026-11-25T09:00:00Z",'
                    '"tool":{"name":"x","version":"1"},"metrics":{"tests.failed":{"unit":"tests",'
                    '"ratio":{"k":0,"n":100}}}}\n')
        write_stream(path, "", record, "", size)
    elif kind == "evidence-line":
        filler(path, '{"gonogo_evidence":1,"kind":"junit","source":{"type":"file","location":"a.xml"},'
               '"sha256":"' + "0" * 64 + '","collected_at":"2026-11-25T09:00:00Z","tool":{"name":"x",'
               '"version":"1"},"metrics":{},"details":{"x":"', "z", '"}}\n', size)
    elif kind in ("evidence-details", "evidence-metrics"):
        import hashlib
        zeros = ",".join(["0"] * 500_000)
        metrics = ",".join(f'"m{j}":{{"unit":"1","value":1}}' for j in range(20_000))

        def record(i):
            sha = hashlib.sha256(str(i).encode()).hexdigest()
            head = ('{"gonogo_evidence":1,"kind":"junit","source":{"type":"file","location":'
                    f'"shard{i}/junit.xml"}},"sha256":"{sha}","collected_at":"2026-11-25T09:00:00Z",'
                    '"tool":{"name":"x","version":"1"},')
            if kind == "evidence-details":
                return head + '"metrics":{},"details":{"d":[' + zeros + ']}}\n'
            return head + '"metrics":{' + metrics + '}}\n'
        write_stream(path, "", record, "", size)
    else:
        sys.exit(f"unknown format {kind}")


if __name__ == "__main__":
    main()
