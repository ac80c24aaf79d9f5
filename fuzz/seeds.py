#!/usr/bin/env python3
"""Writes the policies this repository already holds as seeds for the `policy` fuzz target.

A mutating fuzzer finds deep policy paths slowly: in the ninth campaign (fuzz/FINDINGS.md) 20 M
runs from the committed corpus never produced a valid `[[metric]]` declaration, so the
catalogue lookup behind it stayed uncovered, while the tests' own policies reach it at once.
This script collects those policies: every TOML block under ```toml in the docs, every Rust
string literal (raw or escaped) in crates/ that holds a policy table header, and the policy
files (examples/gonogo.toml, the demo's). Each is written as seed-<sha1 of its text> into
OUTDIR, so running it again adds only what changed. Text that a test builds with format!
keeps its `{}` placeholders: still a useful seed, since the loader must refuse it cleanly. A
text longer than 4,096 bytes (libFuzzer's default input size; the demo's policy) is cut at
table headers into pieces that fit. Beside them it writes policies made from
schemas/policy.schema.json (`from_schema`): each table with each key set to sample values,
which reach paths of the loader that neither the tests' policies nor hours of mutation did.

Usage: fuzz/seeds.py OUTDIR   (then merge OUTDIR into fuzz/corpus/policy with -merge=1)"""
import glob, hashlib, json, os, re, sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
# A policy opens at least one of the schema's top-level tables (`[policy]`, `[[gate]]`,
# `[env.prod]`, ...): the same list fuzz/dicts/generate.py writes into policy.dict.
SCHEMA = json.load(open(os.path.join(ROOT, "schemas/policy.schema.json")))
TABLES = SCHEMA["properties"]
HEADER = re.compile(r"^\s*\[\[?(%s)\b" % "|".join(map(re.escape, TABLES)), re.M)
RAW = re.compile(r'r(#+)"(.*?)"\1', re.S)
ESCAPED = re.compile(r'(?<![r#])"((?:[^"\\]|\\.)*)"', re.S)


def unescape(text):
    """A Rust string literal's text: line continuations, \\n, \\t, \\" and \\\\."""
    text = re.sub(r"\\\n\s*", "", text)
    return re.sub(r'\\(.)', lambda m: {"n": "\n", "t": "\t"}.get(m.group(1), m.group(1)), text)


def keep(folder, content, suffix=""):
    """Writes content (bytes) into folder as seed-<sha1 of it><suffix>, unless it is there
    already; its file name."""
    name = "seed-%s%s" % (hashlib.sha1(content).hexdigest(), suffix)
    target = os.path.join(folder, name)
    if not os.path.exists(target):
        with open(target, "wb") as f:
            f.write(content)
    return name


def texts():
    for path in sorted(glob.glob(os.path.join(ROOT, "crates/**/*.rs"), recursive=True)):
        source = open(path, encoding="utf-8", errors="replace").read()
        for m in RAW.finditer(source):
            yield m.group(2)
        for m in ESCAPED.finditer(source):
            yield unescape(m.group(1))
    for path in sorted(glob.glob(os.path.join(ROOT, "docs/**/*.md"), recursive=True)
                       + glob.glob(os.path.join(ROOT, "*.md"))):
        yield from re.findall(r"```toml\n(.*?)```", open(path, encoding="utf-8").read(), re.S)
    for path in ["examples/gonogo.toml", "crates/cli/src/demo.toml"]:
        yield open(os.path.join(ROOT, path), encoding="utf-8").read()


def policies():
    """Every distinct text of the repository that opens a policy table, once."""
    seen = set()
    for text in texts():
        if HEADER.search(text) and text not in seen:
            seen.add(text)
            yield text


# A gate that loads: beside it, each table below is judged on its own key.
VALID_GATE = """[[gate]]
name = "g"
area = "performance"
metric = "load.checkout.latency"
expect = "p(95) < 300ms"
"""
STRINGS = ['"x"', '""', '"1s"', '"250ms"', '"50%"', '"2027-01-01"', '"load.checkout.latency"',
           '"http://127.0.0.1:8080/health"']
NUMBERS = ["0", "1", "-1", "0.5", "1000000000"]


def definition(schema):
    """The schema behind a `$ref`."""
    while "$ref" in schema:
        schema = SCHEMA["$defs"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def toml_value(value):
    """A JSON value written as TOML (JSON's string escapes are TOML's basic string's)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return "[%s]" % ", ".join(map(toml_value, value))
    if isinstance(value, dict):
        return "{ %s }" % ", ".join("%s = %s" % (k, toml_value(v)) for k, v in value.items())
    return json.dumps(value)


def samples(schema):
    """TOML values to try for a key: its enumerated values, or its default and a few values
    of each type it takes (strings shaped like durations, rates, dates, URLs and metric names;
    edge numbers; arrays of the item's samples)."""
    schema = definition(schema)
    if "enum" in schema:
        return [toml_value(v) for v in schema["enum"]]
    for either in ("anyOf", "oneOf"):
        if either in schema:
            return [v for alternative in schema[either] for v in samples(alternative)][:8]
    types = schema.get("type")
    values = [toml_value(schema["default"])] if schema.get("default") is not None else []
    for kind in types if isinstance(types, list) else [types]:
        if kind == "array":
            values += ["[%s]" % v for v in samples(schema.get("items", {}))[:3]] + ["[]"]
        else:
            values += {"string": STRINGS, "number": NUMBERS, "integer": NUMBERS,
                       "boolean": ["true", "false"], "object": ['{ a = "1s" }', "{}"]
                       }.get(kind, [])
    return values


def from_schema():
    """Policies made from the schema: for each top-level table, a valid gate and the table
    with one key set to each of its samples, then with every key at its first sample. Most
    are refused, and each refusal and each load is a path of `policy::resolve` that the
    tests' policies rarely take: in the eleventh campaign these reached 28 own edges beyond
    the corpus of the tenth campaign's two-hour run."""
    for table, schema in SCHEMA["properties"].items():
        body = definition(schema)
        types = body.get("type") or []
        if "array" in types:
            header, body = "[[%s]]" % table, definition(body.get("items", {}))
        elif isinstance(body.get("additionalProperties"), dict) and body["additionalProperties"]:
            header, body = "[%s.x]" % table, definition(body["additionalProperties"])
        else:
            header = "[%s]" % table
        keys = body.get("properties", {})
        for key, schema in keys.items():
            for value in samples(schema):
                yield "%s\n%s\n%s = %s\n" % (VALID_GATE, header, key, value)
        every = "".join("%s = %s\n" % (k, (samples(v) or ['"x"'])[0]) for k, v in keys.items())
        yield "%s\n%s\n%s" % (VALID_GATE, header, every)


def pieces(text, limit=4096):
    """The text, or for one longer than libFuzzer's default input size, its tables grouped
    into pieces of at most `limit` bytes (a table longer than that on its own is dropped)."""
    if len(text.encode()) <= limit:
        return [text]
    tables = re.split(r"(?m)^(?=\[)", text)
    out, piece = [], ""
    for table in tables:
        if len((piece + table).encode()) > limit:
            out.append(piece)
            piece = ""
        if len(table.encode()) <= limit:
            piece += table
    return [p for p in out + [piece] if p]


def main():
    if len(sys.argv) != 2:
        sys.exit(__doc__)
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    written = set()
    for text in policies():
        for piece in pieces(text):
            written.add(keep(out, piece.encode()))
    made = {keep(out, text.encode()) for text in from_schema()}
    print(f"{len(written)} policies and {len(made - written)} made from the schema "
          f"written to {out}")


if __name__ == "__main__":
    main()
