#!/usr/bin/env python3
"""Runs one libFuzzer binary until gonogo's own code stops gaining coverage (fuzz/FINDINGS.md,
fifth campaign).

Every SNAP seconds (300) the corpus is snapshotted (hard links) and replayed once by the same
binary with -runs=0 -print_coverage=1; the covered edges of the functions whose source lies
under OWN (this checkout's crates/, as the binary's debug info names them) are summed. Stop
when that sum has not grown for half of the run's executions (executions now >= 2 x the
executions of the snapshot that first showed the last growth) and for at least MIN_QUIET
seconds (1200), or at MAX seconds (7200). MEASURE (default BINARY) is the binary that
replays the snapshots: -print_coverage needs a sanitizer's symbolizer, so a binary built with
`-s none` (several times faster) can fuzz while one built with the default sanitizer from the
same source measures; every snapshot of a run is measured by the same binary. libFuzzer's own
`cov:` (dependencies included) is logged beside it in WORKDIR/curve.tsv; its output in
WORKDIR/fuzz.log. Runs under `nice` NICE
(19), so the rule counts executions, not wall time. Edges of gonogo's code inlined into a
dependency's function count as the dependency's.

Usage: fuzz/plateau.py BINARY CORPUS WORKDIR [libFuzzer flags, e.g. -dict=fuzz/dicts/X.dict]
BINARY: fuzz/target/x86_64-unknown-linux-gnu/release/X after `cargo +nightly fuzz build -O`
(its profile keeps debug info, which -print_coverage needs with llvm-symbolizer on PATH)."""
import os, re, shutil, subprocess, sys, time
binary, corpus, work = sys.argv[1], sys.argv[2], sys.argv[3]
extra = sys.argv[4:]
SNAP = float(os.environ.get("SNAP", 300)); MIN_QUIET = float(os.environ.get("MIN_QUIET", 1200))
MAX = float(os.environ.get("MAX", 7200)); OWN = os.environ.get(
    "OWN", os.path.join(os.path.dirname(os.path.dirname(os.path.abspath(__file__))), "crates") + "/")
NICE = os.environ.get("NICE", "19")
MEASURE = os.environ.get("MEASURE", binary)
os.makedirs(work, exist_ok=True)
log = open(os.path.join(work, "fuzz.log"), "w")
curve = open(os.path.join(work, "curve.tsv"), "w")
curve.write("elapsed_s\truns\tcov_total\town_edges\town_funcs\tcorpus_files\n")

def own_edges(snapdir):
    out = subprocess.run(["nice", "-n", NICE, MEASURE, snapdir, "-runs=0", "-print_coverage=1",
                          "-rss_limit_mb=2048"] + [a for a in extra if a.startswith("-dict")],
                         capture_output=True, text=True, errors="replace").stderr
    edges = funcs = 0
    for line in out.splitlines():
        m = re.match(r"COVERED_FUNC: hits: \d+ edges: (\d+)/\d+ .* (\S+):\d+$", line)
        if m and m.group(2).startswith(OWN):
            edges += int(m.group(1)); funcs += 1
    return edges, funcs

args = ["nice", "-n", NICE, binary, corpus, "-rss_limit_mb=2048", "-timeout=10",
        "-print_final_stats=1", "-max_total_time=%d" % MAX] + extra
start = time.time()
p = subprocess.Popen(args, stderr=subprocess.PIPE, stdout=log, text=True, errors="replace")
runs = 0; cov = None; stopped = "max_total_time"; next_snap = start + 60
best = -1; best_runs = 0; best_t = 0; n_snap = 0
import threading, queue
q = queue.Queue()
def reader():
    for line in p.stderr:
        q.put(line)
    q.put(None)
threading.Thread(target=reader, daemon=True).start()
def take(line):
    """Logs one line of the fuzzer's output; keeps its run count and coverage, notes a finding.
    False at the end of the output (the reader's None)."""
    global runs, cov, stopped
    if line is None:
        return False
    log.write(line)
    m = re.match(r"#(\d+)\s+\S+\s+cov: (\d+)", line)
    if m:
        runs = int(m.group(1)); cov = int(m.group(2))
    if "==ERROR" in line or "panicked" in line or "deadly signal" in line:
        stopped = "finding"
    return True

done = False
while not done:
    try:
        done = not take(q.get(timeout=5))
    except queue.Empty:
        pass
    now = time.time()
    if not done and now >= next_snap:
        # Read every line the fuzzer has written so far, so that the snapshot's run count is
        # its own and not one from before the last replay (thirteenth campaign).
        while not done:
            try:
                done = not take(q.get_nowait())
            except queue.Empty:
                break
        n_snap += 1
        snap = os.path.join(work, "snap")
        shutil.rmtree(snap, ignore_errors=True)
        # Hard links, file by file: libFuzzer replaces corpus files as it reduces them, and a
        # file gone between the listing and its link is simply not in this snapshot.
        os.makedirs(snap)
        for name in os.listdir(corpus):
            try:
                os.link(os.path.join(corpus, name), os.path.join(snap, name))
            except FileNotFoundError:
                pass
        files = len(os.listdir(snap))
        e, f = own_edges(snap)
        el = now - start
        curve.write(f"{el:.0f}\t{runs}\t{cov}\t{e}\t{f}\t{files}\n"); curve.flush()
        # The next snapshot SNAP seconds after this replay ends: a replay slower than SNAP
        # (a large corpus, a busy machine) must not leave the fuzzer's output unread.
        next_snap = time.time() + SNAP
        if e > best:
            best, best_runs, best_t = e, runs, el
        elif runs >= 2 * best_runs and el - best_t >= MIN_QUIET:
            stopped = "plateau"; p.terminate()
p.wait()
el = time.time() - start
shutil.rmtree(os.path.join(work, "snap"), ignore_errors=True)
print(f"{os.path.basename(binary)}: {stopped} after {el:.0f} s, {runs} runs, cov {cov}, "
      f"own edges {best} since run {best_runs} ({best_t:.0f} s)", flush=True)
