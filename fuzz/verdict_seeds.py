#!/usr/bin/env python3
"""Writes verdicts that `gonogo gate` itself produced as seeds for the `verdict` fuzz target.

The fifth campaign's plateau on `verdict` (fuzz/FINDINGS.md) was local: its corpus held one
hand-made verdict, and a mutating fuzzer never writes the rule kinds (`tail`, `summed`,
`excluded_stale`, `duplicates`, ...) that only a real judgement of real evidence puts into a
verdict. Replayed by the tenth campaign, the committed corpus covered 707 own edges without
the two demo verdicts, 766 with them, and 911 with this script's seeds too. It makes them so:

1. `gonogo demo` and `gonogo demo --fixed` into a temporary folder: two real evidence folders
   (NO-GO and GO), two verdicts to use as baselines, and the demo's policies with their real
   base URLs (load records about another service are set aside, so the URL must match);
2. evidence variants that reach the folder rules: both runs together (superseded, summed,
   merged), every record twice (duplicates), every record dated 2025-01-01 (stale), and the old
   records beside the new ones;
3. the policies: every policy seeds.py finds in the repository, and each demo policy with gates
   the demo lacks appended (`max <` and `min >` tails, relative thresholds against the
   baseline, a mean, a one-hour `max_age`, an expired and a live waiver);
4. `gonogo gate --json --baseline` for each policy, evidence folder and baseline, and once
   with `--commit` of another commit, each call bounded to 10 s; a verdict (exit 0 or 1) is written as seed-<sha1>.json into OUTDIR, a
   refusal (exit 2 or 3: most of the repository's policies do not fit the demo's evidence) is
   skipped.

Usage: fuzz/verdict_seeds.py GONOGO OUTDIR   (GONOGO: a built `gonogo` binary; then run
`verdict` from fuzz/corpus/verdict plus OUTDIR, or merge OUTDIR into it with -merge=1)"""
import hashlib, os, re, shutil, subprocess, sys, tempfile

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


def main():
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    gonogo, out = os.path.abspath(sys.argv[1]), sys.argv[2]
    if not os.access(gonogo, os.X_OK):
        sys.exit("%s: not an executable gonogo (build it with cargo build --release)" % gonogo)
    os.makedirs(out, exist_ok=True)
    work = tempfile.mkdtemp(prefix="verdict-seeds-")
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
        both, twice, old, mixed = (os.path.join(work, v) for v in ("both", "twice", "old", "mixed"))
        copy_records(evidence["nogo"], both, "a-")
        copy_records(evidence["go"], both, "b-")
        copy_records(evidence["nogo"], twice)
        copy_records(evidence["nogo"], twice, "again-")
        copy_records(evidence["nogo"], old, dated="2025-01-01T00:00:00Z")
        copy_records(old, mixed)
        copy_records(evidence["go"], mixed, "new-")
        folders = list(evidence.values()) + [both, twice, old, mixed]
        baselines = [os.path.join(f, "report", "verdict.json") for f in demos.values()]
        # Each baseline, and the first once more as the judge of another commit: every record
        # stamped with a commit is then set aside (`other_commit`).
        calls = [(b, []) for b in baselines] + [(baselines[0], ["--commit", "0" * 40])]

        policies = []
        for i, text in enumerate(seeds.policies()):
            if seeds.HEADER.search(text):
                policies.append(("repo-%d" % i, text))
        live = run(["date", "-u", "-d", "+30 days", "+%Y-%m-%d"]).stdout.decode().strip()
        for name, folder in demos.items():
            own = open(os.path.join(folder, "gonogo.toml"), encoding="utf-8").read()
            policies.append(("demo-" + name, own))
            for variant, (limit, relative) in {"a": ("2s", "+10%"), "b": ("5ms", "-10%")}.items():
                extra = EXTRA_GATES.format(max=limit, relative=relative, live=live)
                policies.append(("demo-%s-%s" % (name, variant), own + extra))

        written = 0
        for label, text in policies:
            path = os.path.join(work, "policy.toml")
            with open(path, "w", encoding="utf-8") as f:
                f.write(text)
            for folder in folders:
                for baseline, commit in calls:
                    try:
                        done = run([gonogo, "gate", "-p", path, "--evidence-dir", folder,
                                    "--baseline", baseline, "--json"] + commit, timeout=10)
                    except subprocess.TimeoutExpired:
                        print("%s on %s: over 10 s, skipped" % (label, folder), file=sys.stderr)
                        continue
                    if done.returncode not in (0, 1) or not done.stdout:
                        continue
                    name = "seed-%s.json" % hashlib.sha1(done.stdout).hexdigest()
                    target = os.path.join(out, name)
                    if not os.path.exists(target):
                        with open(target, "wb") as f:
                            f.write(done.stdout)
                        written += 1
        print("%d verdicts written to %s from %d policies" % (written, out, len(policies)))
    finally:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
