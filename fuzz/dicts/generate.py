#!/usr/bin/env python3
"""Writes libFuzzer dictionaries for the fuzz targets whose inputs have a schema: every key and
enumerated value of schemas/{evidence,policy,verdict}.schema.json, shaped as the input writes it
(`"key":` in JSON, `key = ` in TOML). loadlog.dict is kept by hand (the producers' own column
and field names). Run from the repository root after a schema changes:

    python3 fuzz/dicts/generate.py
"""
import json

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
    return "".join(c if 32 <= ord(c) < 127 and c not in '"\\' else "\\x%02x" % ord(c)
                   for c in text if ord(c) < 256)

def write(target, entries):
    with open(f"fuzz/dicts/{target}.dict", "w") as out:
        out.write(f"# libFuzzer dictionary of the `{target}` target: made by fuzz/dicts/generate.py\n")
        for entry in sorted(set(entries)):
            out.write(f'"{escape(entry)}"\n')

JSON_WORDS = ["null", "true", "false", "[]", "{}", "1e308", "-0", "18446744073709551615"]
for target in ("evidence", "verdict"):
    keys, values = names(json.load(open(f"schemas/{target}.schema.json")))
    write(target, [f'"{k}":' for k in keys] + [f'"{v}"' for v in values] + JSON_WORDS)

keys, values = names(json.load(open("schemas/policy.schema.json")))
write("policy", [f"{k} = " for k in keys] + [f'"{v}"' for v in values] + [
    "[[gate]]", "[[command]]", "[[probe]]", "[[waiver]]", "[[fault]]", "[[prometheus]]",
    "[target]", "[targets]", "[load.x]", "[observe]", "[harden]", "[delivery]", "[statistics]",
    '"p(95) < 300ms"', '"rate < 1%"', '"count == 0"', '"max < 1s"', '"1m30s"', '"500ms"',
    "true", "false", "${", "}", "\"\"\"", "'''",
])
