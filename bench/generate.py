"""Generates the benchmark inputs of bench/ingest.sh: large JUnit XML files and a large SARIF file.

usage: python3 generate.py junit PATH N_TESTCASES [typical|output-heavy]
       python3 generate.py sarif PATH N_RESULTS

JUnit, two shapes, both nested <testsuites>/<testsuite> with 1,000 cases per suite; 1 in 100
cases fails with a message and a 12-line stack trace, 1 in 500 errors, 1 in 50 is skipped:
- typical (the default): most testcases are a bare element with a classname, a name and a
  time, as Surefire, Gradle, pytest or nextest write a passing test; 1 in 10 has a
  <system-out> of about 700 bytes. About 200 bytes a testcase: 5,400,000 make 1.08 GB.
- output-heavy: every testcase has a <system-out> of about 700 bytes (a suite run with its
  logs captured). About 830 bytes a testcase: 1,300,000 make 1.08 GB. Here gonogo's speed is
  bound by SHA-256 of the bytes, not by parsing.
SARIF: one run, 20 rules (levels from defaultConfiguration, some results with an explicit
level), each result with a message, a location and a fingerprint.
Deterministic (no randomness), so every run measures the same bytes.
"""
import sys

OUTPUT = ("log line with some realistic noise: request id 0123456789abcdef handled in 3 ms\n" * 9)[:700]
STACK = "".join(f"    at com.example.service.Module{k}.method(Module{k}.java:{k * 7 + 3})\n" for k in range(12))


def junit(path, n, shape="typical"):
    if shape not in ("typical", "output-heavy"):
        sys.exit(f"unknown JUnit shape {shape!r}: typical or output-heavy")
    every_case_has_output = shape == "output-heavy"
    per_suite = 1000
    with open(path, "w", buffering=1 << 22) as out:
        out.write('<?xml version="1.0" encoding="UTF-8"?>\n<testsuites name="bench">\n')
        for suite in range((n + per_suite - 1) // per_suite):
            out.write(f'  <testsuite name="com.example.Suite{suite}" tests="{per_suite}" time="12.5">\n')
            parts = []
            for i in range(suite * per_suite, min(n, (suite + 1) * per_suite)):
                head = f'    <testcase classname="com.example.Suite{suite}" name="test_case_{i}" time="0.{i % 997:03d}"'
                if i % 500 == 7:
                    body = f'<error message="NullPointerException in case {i}" type="java.lang.NullPointerException">{STACK}</error>'
                elif i % 100 == 3:
                    body = f'<failure message="expected: &lt;{i}&gt; but was: &lt;{i + 1}&gt;" type="AssertionError">{STACK}</failure>'
                elif i % 50 == 5:
                    body = '<skipped message="disabled on CI"/>'
                else:
                    body = ""
                if every_case_has_output or i % 10 == 1:
                    parts.append(f"{head}>{body}<system-out>{OUTPUT}</system-out></testcase>\n")
                elif body:
                    parts.append(f"{head}>{body}</testcase>\n")
                else:
                    parts.append(f"{head}/>\n")
            out.write("".join(parts))
            out.write("  </testsuite>\n")
        out.write("</testsuites>\n")


def sarif(path, n):
    levels = ["error", "warning", "note"]
    with open(path, "w", buffering=1 << 22) as out:
        out.write('{"$schema":"https://json.schemastore.org/sarif-2.1.0.json","version":"2.1.0","runs":[{"tool":{"driver":{"name":"bench","version":"1.0","rules":[')
        out.write(",".join(f'{{"id":"R{r}","defaultConfiguration":{{"level":"{levels[r % 3]}"}}}}' for r in range(20)))
        out.write(']}},"results":[\n')
        for i in range(n):
            level = f',"level":"{levels[i % 3]}"' if i % 4 == 0 else ""
            sep = "," if i else ""
            out.write(
                f'{sep}{{"ruleId":"R{i % 20}"{level},"message":{{"text":"Finding number {i}: a value flows from an untrusted source into a sensitive sink without sanitisation"}},'
                f'"locations":[{{"physicalLocation":{{"artifactLocation":{{"uri":"src/module{i % 1000}/file{i % 37}.py"}},"region":{{"startLine":{i % 4000 + 1},"startColumn":5,"endLine":{i % 4000 + 2}}}}}}}],'
                f'"partialFingerprints":{{"primaryLocationLineHash":"{i:016x}:1"}},"properties":{{"tags":["security","bench"],"precision":"high"}}}}\n'
            )
        out.write("]}]}\n")


if __name__ == "__main__":
    kind, path, count, *shape = sys.argv[1], sys.argv[2], int(sys.argv[3]), *sys.argv[4:]
    {"junit": junit, "sarif": sarif}[kind](path, count, *shape)
