#!/usr/bin/env python3
"""Writes libFuzzer dictionaries for the fuzz targets whose inputs have a schema: every key and
enumerated value of schemas/{evidence,policy,verdict}.schema.json, shaped as the input writes it
(`"key":` in JSON, `key = ` in TOML); every catalogue metric name (with its phase suffixes);
for the policy, each top-level table's header and the expectation grammar's words. loadlog.dict
is kept by hand (the producers' own column and field names). Run from the repository root after
a schema, the catalogue or the expectation grammar changes:

    python3 fuzz/dicts/generate.py
"""
import glob, json, re

def names(schema):
    """Property names and string enum/const values, anywhere in the schema."""
    keys, values = set(), set()
    def walk(node):
        if isinstance(node, dict):
            for name in node.get("properties", {}) or {}:
                keys.add(name)
            for key, value in node.items():
                if key == "enum" and isinstance(value, list):
                    values.update(v for v in value if isinstance(v, str))
                elif key == "const" and isinstance(value, str):
                    values.add(value)
                walk(value)
        elif isinstance(node, list):
            for value in node:
                walk(value)
    walk(schema)
    return keys, values

def escape(text):
    """The entry's UTF-8 bytes, printable ASCII as is and every other byte as `\\xNN`."""
    return "".join(chr(b) if 32 <= b < 127 and chr(b) not in '"\\' else "\\x%02x" % b
                   for b in text.encode())

def write(target, entries):
    with open(f"fuzz/dicts/{target}.dict", "w") as out:
        out.write(f"# libFuzzer dictionary of the `{target}` target: made by fuzz/dicts/generate.py\n")
        for entry in sorted(set(entries)):
            out.write(f'"{escape(entry)}"\n')

def metric_names():
    """Every catalogue row's name (`KnownMetric::new("load.*.latency", ...)` in the producers'
    crates), its `*` filled in, bare and with each phase suffix (gonogo_core::catalog)."""
    found = set()
    for path in glob.glob("crates/*/src/**/*.rs", recursive=True):
        for pattern in re.findall(r'KnownMetric::new\(\s*"([^"]+)"', open(path).read()):
            name = pattern.replace("*", "default")
            found.update([name, name + "[before]", name + "[after]", name + "[during:x]"])
    return sorted(found)

METRICS = metric_names()
JSON_WORDS = ["null", "true", "false", "[]", "{}", "1e308", "-0", "18446744073709551615"]
for target in ("evidence", "verdict"):
    keys, values = names(json.load(open(f"schemas/{target}.schema.json")))
    write(target, [f'"{k}":' for k in keys] + [f'"{v}"' for v in values] + JSON_WORDS
          + [f'"{m}"' for m in METRICS])

policy = json.load(open("schemas/policy.schema.json"))
keys, values = names(policy)
# Each top-level table as the policy opens it: `[[gate]]` for a list, `[target]` otherwise.
tables = [f"[[{k}]]" if v.get("type") == "array" else f"[{k}]"
          for k, v in policy["properties"].items()]
# The expectation grammar (gonogo_core::expect): aggregates, operators, suffixes.
expectation = ["p(", "p(95)", "p(99.9)", "med", "mean", "avg", "min", "max", "rate", "count",
               "total", "value", "<", "<=", ">", ">=", "==", "!=", "+10%", "-5%", "ns", "us",
               "\u00b5s", "ms", "s", "m", "h", "d", "%", "B", "KB", "MB", "GB", "KiB", "MiB",
               "GiB", "/s"]
write("policy", [f"{k} = " for k in keys] + [f'"{v}"' for v in values] + tables + expectation
      + [f'"{m}"' for m in METRICS] + [
    "[env.prod]", "[env.staging]", "[env.prod.gates]", "[load.x]", "[statistics]",
    '"p(95) < 300ms"', '"rate < 1%"', '"count == 0"', '"max < 1s"', '"1m30s"', '"500ms"',
    '"2026-12-31"', '"prod"', "true", "false", "${", "}", "\"\"\"", "'''",
])
