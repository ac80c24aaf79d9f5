#!/usr/bin/env python3
"""Writes what gonogo's producers write as seeds for the `evidence` and `verdict` fuzz targets.

A mutating fuzzer never writes the record shapes and rule kinds that only real producers put
into a file, and the plateau rule cannot tell (fuzz/FINDINGS.md, ninth to eleventh
campaigns). Replayed, the committed `verdict` corpus covered 707 own edges without the two
demo verdicts, 766 with them and 911 with this script's first verdicts; at the eleventh
campaign's start 1,136, and 1,154 with verdicts on the collected records (the reasons
`partial`, `incomplete`, `conflict`, `no_distribution` had never been in it). The
`evidence` corpus at its tenth campaign plateau covered 995, 1,005 with the records `collect`
wrote from the ingest tests' files; at its next plateau 1,021, and 1,036 with load segments
(no valid `segment` had come out of a mutation). The script makes both kinds of seeds:

1. `gonogo demo` and `gonogo demo --fixed` into a temporary folder: two real evidence folders
   (NO-GO and GO: load, probe, harden, observe, CI history, DORA, rollback, JUnit, LCOV), two
   verdicts to use as baselines, and the demo's policies with their real base URLs (load
   records about another service are set aside, so the URL must match);
2. `gonogo collect auto FILE` for each file under crates/ingest/tests/data (JUnit, coverage,
   SARIF, audits, k6, CI history, raw load logs, other encodings), each into a folder of its
   own; `gonogo record` (hand-typed figures), and `gonogo load --segment` against a loopback
   server of this script's (a test's segments complete, with one missing, split two ways),
   merged by `gonogo merge`; all these records are OUTDIR/evidence;
3. evidence variants that reach the folder rules: both demo runs together (superseded, summed,
   merged), every record twice (duplicates), every record dated 2025-01-01 (stale), the old
   records beside the new ones, every collected record in one folder, and those beside the
   demo's;
4. the policies: every policy seeds.py finds in the repository, and each demo policy with gates
   the demo lacks appended (`max <` and `min >` tails, relative thresholds against the
   baseline, a mean, a one-hour `max_age`, an expired and a live waiver); and policies derived
   from the records themselves, a gate for each metric and each aggregate its kind takes,
   judged on the collected records;
5. `gonogo gate --json --baseline` for each policy, evidence folder and baseline, and once
   with `--commit` of another commit, each call bounded to 10 s; a verdict (exit 0 or 1) goes
   to OUTDIR/verdict, a refusal (exit 2 or 3: most of the repository's policies do not fit
   the demo's evidence) is skipped.

Files are named seed-<sha1 of the content>. Usage: fuzz/producer_seeds.py GONOGO OUTDIR
(GONOGO: a built `gonogo` binary; 3 to 7 minutes), then run each target from
fuzz/corpus/<target> plus OUTDIR/<target>, or merge OUTDIR/<target> into it with -merge=1"""
import datetime, glob, http.server, json, os, re, shutil, subprocess, sys, tempfile, threading

sys.dont_write_bytecode = True  # no __pycache__ in the checkout
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import seeds  # noqa: E402  (the repository's policies)

EXTRA_GATES = """
[[gate]]
name = "seed: checkout max"
area = "performance"
metric = "load.checkout.latency"
expect = "max < {max}"

[[gate]]
name = "seed: checkout min"
area = "performance"
metric = "load.checkout.latency"
expect = "min > 0ms"

[[gate]]
name = "seed: slow max"
area = "performance"
metric = "load.slow.latency"
expect = "max < 250ms"

[[gate]]
name = "seed: checkout p95 against the baseline"
area = "performance"
metric = "load.checkout.latency"
expect = "p(95) <= {relative}"

[[gate]]
name = "seed: stock p99 against the baseline"
area = "performance"
metric = "load.stock.latency"
expect = "p(99) <= +25%"

[[gate]]
name = "seed: checkout errors against the baseline"
area = "reliability"
metric = "load.checkout.errors"
expect = "rate <= +1%"

[[gate]]
name = "seed: checkout mean"
area = "performance"
metric = "load.checkout.latency"
expect = "mean < 100ms"
severity = "warn"

[[gate]]
name = "seed: tests pass within the hour"
area = "functionality"
metric = "tests.failed"
expect = "rate < 1%"
max_age = "1h"

[[gate]]
name = "seed: coverage strict"
area = "functionality"
metric = "coverage.lines"
expect = "rate >= 95%"

[[waiver]]
gate = "seed: coverage strict"
reason = "legacy module"
owner = "qa@example.com"
expires = "2020-01-01"

[[waiver]]
gate = "seed: slow max"
reason = "known slow path"
owner = "perf@example.com"
expires = "{live}"
"""


def run(cmd, **kw):
    return subprocess.run(cmd, capture_output=True, timeout=kw.pop("timeout", 120), **kw)


def copy_records(src, dst, prefix="", dated=None):
    os.makedirs(dst, exist_ok=True)
    for name in sorted(os.listdir(src)):
        text = open(os.path.join(src, name), encoding="utf-8").read()
        if dated:
            text = re.sub(r'"collected_at": "[^"]*"', '"collected_at": "%s"' % dated, text)
        with open(os.path.join(dst, prefix + name), "w", encoding="utf-8") as f:
            f.write(text)


def kept(out, folders):
    """Keeps every record in folders as a seed in out; their seed names."""
    return {seeds.keep(out, open(p, "rb").read()) for folder in folders
            for p in glob.glob(os.path.join(folder, "*"))}


def gathered(folders, dst):
    """Copies the records of folders into dst, each folder's under a prefix of its own; dst."""
    for i, folder in enumerate(folders):
        copy_records(folder, dst, "%d-" % i)
    return dst


def collected(gonogo, work):
    """Runs `collect auto` on each input file the repository keeps for the ingest tests, each
    into a folder of its own; the folders it wrote."""
    data = os.path.join(seeds.ROOT, "crates", "ingest", "tests", "data", "**", "*")
    inputs = sorted(p for p in glob.glob(data, recursive=True)
                    if os.path.isfile(p) and not p.endswith(".md"))
    folders = [os.path.join(work, "collect-%d" % i) for i in range(len(inputs))]
    for path, folder in zip(inputs, folders):
        try:
            run([gonogo, "collect", "auto", path, "--evidence-dir", folder], timeout=20)
        except subprocess.TimeoutExpired:
            print("collect %s: over 20 s, skipped" % path, file=sys.stderr)
    return filled(folders)


def filled(folders):
    """The folders that exist and hold at least one file."""
    return [f for f in folders if os.path.isdir(f) and os.listdir(f)]


def made(gonogo, work):
    """Runs the producers that need no input file and returns their folders: `gonogo record`
    (a ratio, samples, an exact value of a commit, an estimate dated 2025-01-01), and `gonogo
    load --segment` against an HTTP server this script starts on 127.0.0.1: the three
    segments of one test, two of another's three (a segment missing), and segments of one
    test id split two ways (mixed), then `gonogo merge` of the first test's three; and the
    server's URL, which a policy must name for the load records to count."""
    recorded = os.path.join(work, "recorded")
    for args in (["tests.failed", "--ratio", "2/130", "--unit", "tests"],
                 ["custom.checkout.latency", "--samples", "120ms,98ms,143ms"],
                 ["custom.open_bugs", "--value", "3", "--exact", "--unit", "bugs",
                  "--commit", "0123456789abcdef0123456789abcdef01234567"],
                 ["load.checkout.latency", "--value", "0.2", "--estimate", "--unit", "s",
                  "--at", "2025-01-01T00:00:00Z"]):
        run([gonogo, "record"] + args + ["--source", "producer_seeds.py",
                                         "--evidence-dir", recorded], timeout=20)
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Ok)
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = "http://127.0.0.1:%d/" % server.server_address[1]
    split = {"segments-complete": [("whole", 0, 3), ("whole", 1, 3), ("whole", 2, 3)],
             "segments-partial": [("gap", 0, 3), ("gap", 2, 3)],
             "segments-mixed": [("mixed", 0, 3), ("mixed", 1, 2)]}
    try:
        for folder, segments in split.items():
            for test, index, count in segments:
                run([gonogo, "load", url, "--name", "seg", "-c", "3", "-n", "60", "-q",
                     "--segment", "%d/%d" % (index, count), "--test-id", test,
                     "--evidence-dir", os.path.join(work, folder)], timeout=30)
    finally:
        server.shutdown()
        server.server_close()
    merged = os.path.join(work, "merged")
    os.makedirs(merged, exist_ok=True)
    run([gonogo, "merge", "-o", merged]
        + glob.glob(os.path.join(work, "segments-complete", "*")), timeout=30)
    folders = [os.path.join(work, f) for f in ["recorded", "merged"] + list(split)]
    return filled(folders), url


class Ok(http.server.BaseHTTPRequestHandler):
    """Answers every GET with 200 `ok` on a kept-alive connection, and logs nothing."""
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        self.send_response(200)
        self.send_header("Content-Length", "2")
        self.end_headers()
        self.wfile.write(b"ok")

    def log_message(self, *args):
        pass


# The expectations a derived gate takes, by the kind of metric its records hold; each is
# refused by the policy loader where it does not fit (a bare number on a metric in seconds).
DERIVED = {"time": ["p(95) < 1s", "max < 2s", "min > 0ms", "mean < 100ms", "med < 50ms",
                    "count >= 100", "p(99) <= +10%"],
           "number": ["p(95) < 100", "max < 1000", "mean < 10", "count >= 3"],
           "ratio": ["rate < 1%", "rate >= 99%", "rate <= +1%"],
           "value": ["value >= 1", "value < 1000", "value <= +10%"],
           "time value": ["value < 1h", "value <= +10%"]}


def derived(gonogo, work, folder, tail="", per_policy=8):
    """Policies with a gate for each metric the records in folder hold and each expectation
    its kind takes (DERIVED), per_policy gates to a policy so that each verdict stays a
    seed's size. These reach the reasons no repository policy meets on the demo's evidence
    (`conflict` across sources, `no_distribution` from a tool's own percentile). Gates the
    loader refuses are dropped, and the policy loaded again, a bounded number of times. tail
    (a `[target]` naming the loaded service) ends each policy."""
    kinds = {}
    for path in sorted(glob.glob(os.path.join(folder, "*"))):
        text = open(path, encoding="utf-8").read()
        try:
            records = [json.loads(text)]
        except ValueError:
            records = [json.loads(line) for line in text.splitlines() if line.strip()]
        for record in records:
            for name, metric in (record.get("metrics") or {}).items():
                timed = metric.get("unit") in ("s", "ms", "us", "ns")
                kind = ("time" if timed else "number") if "histogram" in metric else \
                    "ratio" if "ratio" in metric else ("time value" if timed else "value")
                kinds.setdefault(name, kind)
    gates = [(name, e) for name, kind in sorted(kinds.items()) for e in DERIVED[kind]]

    def toml(gates):
        # JSON's string escapes are TOML's basic string escapes.
        return "".join('[[gate]]\nname = %s\narea = "performance"\nmetric = %s\n'
                       'expect = "%s"\n\n' % (json.dumps("%s %d" % (name, i)), json.dumps(name), e)
                       for i, (name, e) in enumerate(gates))
    path = os.path.join(work, "derived.toml")
    for _ in range(8):
        with open(path, "w", encoding="utf-8") as f:
            f.write(toml(gates))
        done = run([gonogo, "gate", "-p", path, "--evidence-dir", folder, "--json"], timeout=60)
        lines = {int(n) for n in re.findall(rb"derived\.toml:(\d+):", done.stderr)}
        if done.returncode != 2 or not lines:
            break
        # Gate i spans lines 6i+1 to 6i+5 (then a blank line).
        gates = [g for i, g in enumerate(gates) if not any(6 * i < n <= 6 * i + 5 for n in lines)]
    # Judged with `--env prod`, a kind no producer here writes is required: a gate without
    # evidence is then `partial`, not `missing`.
    prod = '[env.prod]\nrequires = ["junit", "load", "prometheus"]\n'
    return [toml(gates[i:i + per_policy]) + tail + prod
            for i in range(0, len(gates), per_policy)]


def judged(gonogo, label, path, folders, calls):
    """The verdicts `gonogo gate` writes under the policy at path, for each folder and call.
    Exit 2 is the policy's refusal: the policy's own, or a metric that neither the catalogue
    nor this folder's records know, so the folder's remaining calls are skipped; exit 3 (the
    folder refused) skips that call only."""
    for folder in folders:
        for baseline, commit in calls:
            try:
                done = run([gonogo, "gate", "-p", path, "--evidence-dir", folder,
                            "--baseline", baseline, "--json"] + commit, timeout=10)
            except subprocess.TimeoutExpired:
                print("%s on %s: over 10 s, skipped" % (label, folder), file=sys.stderr)
                continue
            if done.returncode == 2:
                break
            if done.returncode in (0, 1) and done.stdout:
                yield done.stdout


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    gonogo, out = os.path.abspath(sys.argv[1]), os.path.abspath(sys.argv[2])
    if not os.access(gonogo, os.X_OK):
        sys.exit("%s: not an executable gonogo (build it with cargo build --release)" % gonogo)
    evidence_out, verdict_out = os.path.join(out, "evidence"), os.path.join(out, "verdict")
    os.makedirs(evidence_out, exist_ok=True)
    os.makedirs(verdict_out, exist_ok=True)
    work, home = tempfile.mkdtemp(prefix="producer-seeds-"), os.getcwd()
    # gonogo gate writes gonogo-report/ beside it by default: keep that out of the caller's
    # folder (a checkout); every path below is absolute.
    os.chdir(work)
    try:
        demos = {}
        for name, flags in [("nogo", []), ("go", ["--fixed"])]:
            folder = os.path.join(work, name)
            done = run([gonogo, "demo", "--dir", folder] + flags, timeout=300)
            if done.returncode not in (0, 1):
                sys.exit("gonogo demo %s failed (exit %d):\n%s"
                         % (" ".join(flags), done.returncode, done.stderr.decode(errors="replace")))
            demos[name] = folder
        evidence = {name: os.path.join(f, "report", "evidence") for name, f in demos.items()}
        ingests = collected(gonogo, work)
        produced, url = made(gonogo, work)
        records = kept(evidence_out, list(evidence.values()) + ingests + produced)
        print("%d evidence records written to %s" % (len(records), evidence_out))
        both, twice, old, mixed = (os.path.join(work, v) for v in ("both", "twice", "old", "mixed"))
        copy_records(evidence["nogo"], both, "a-")
        copy_records(evidence["go"], both, "b-")
        copy_records(evidence["nogo"], twice)
        copy_records(evidence["nogo"], twice, "again-")
        copy_records(evidence["nogo"], old, dated="2025-01-01T00:00:00Z")
        copy_records(old, mixed)
        copy_records(evidence["go"], mixed, "new-")
        # Every collected record in one folder, alone and beside the demo's: the policies'
        # test, coverage, security and CI gates then meet real JUnit, LCOV, SARIF and audits.
        ingested = gathered(ingests, os.path.join(work, "ingested"))
        everything = os.path.join(work, "everything")
        copy_records(ingested, everything)
        copy_records(evidence["nogo"], everything, "demo-")
        folders = list(evidence.values()) + [both, twice, old, mixed, ingested, everything]
        baselines = [os.path.join(f, "report", "verdict.json") for f in demos.values()]
        # Each baseline, and the first once more as the judge of another commit: every record
        # stamped with a commit is then set aside (`other_commit`).
        calls = [(b, []) for b in baselines] + [(baselines[0], ["--commit", "0" * 40])]
        with_prod = calls + [(baselines[0], ["--env", "prod"])]

        policies = [("repo-%d" % i, text) for i, text in enumerate(seeds.policies())]
        live = (datetime.date.today() + datetime.timedelta(days=30)).isoformat()
        for name, folder in demos.items():
            own = open(os.path.join(folder, "gonogo.toml"), encoding="utf-8").read()
            policies.append(("demo-" + name, own))
            for variant, (limit, relative) in {"a": ("2s", "+10%"), "b": ("5ms", "-10%")}.items():
                extra = EXTRA_GATES.format(max=limit, relative=relative, live=live)
                policies.append(("demo-%s-%s" % (name, variant), own + extra))

        # The derived policies are judged on the collected records alone (the demo's metrics
        # missing) and beside the demo's (every metric they name there), and with --env prod.
        chunks = derived(gonogo, work, everything)
        policies = [(label, text, folders, calls) for label, text in policies]
        policies += [("derived-%d" % i, text, [ingested, everything], with_prod)
                     for i, text in enumerate(chunks)]
        # The records made above, under policies derived from their own metrics, on each of
        # their folders and on all of them together.
        every_made = gathered(produced, os.path.join(work, "every-made"))
        made_chunks = derived(gonogo, work, every_made, '[target]\nbase_url = "%s"\n' % url)
        policies += [("made-%d" % i, text, produced + [every_made], with_prod)
                     for i, text in enumerate(made_chunks)]
        chunks += made_chunks
        print("%d policies derived from the records' metrics" % len(chunks))

        written = set()
        for label, text, where, how in policies:
            path = os.path.join(work, "policy.toml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            for verdict in judged(gonogo, label, path, where, how):
                written.add(seeds.keep(verdict_out, verdict, ".json"))
        print("%d verdicts written to %s from %d policies"
              % (len(written), verdict_out, len(policies)))
    finally:
        os.chdir(home)
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
