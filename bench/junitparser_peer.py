"""The peer of bench/ingest.sh: Python's junitparser reading the same JUnit file, counting what
gonogo counts (testcases by outcome), so both do the same work.

junitparser uses lxml when it is installed (about twice as fast here as its fallback, the
standard library's ElementTree); the backend is printed with the result."""
import sys
import time

try:
    import lxml  # noqa: F401  (junitparser picks it up by itself)

    BACKEND = "lxml " + __import__("lxml").__version__
except ImportError:
    BACKEND = "xml.etree (lxml not installed)"

from junitparser import Error, Failure, JUnitXml, Skipped

start = time.perf_counter()
xml = JUnitXml.fromfile(sys.argv[1])
counts = {"testcases": 0, "failed": 0, "errored": 0, "skipped": 0}
for suite in xml:
    for case in suite:
        counts["testcases"] += 1
        results = case.result
        if any(isinstance(r, Error) for r in results):
            counts["errored"] += 1
        elif any(isinstance(r, Failure) for r in results):
            counts["failed"] += 1
        elif any(isinstance(r, Skipped) for r in results):
            counts["skipped"] += 1
elapsed = time.perf_counter() - start
print(f"junitparser ({BACKEND}): {counts} in {elapsed:.2f} s")
