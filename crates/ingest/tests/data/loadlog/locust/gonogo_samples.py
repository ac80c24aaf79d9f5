"""Per-request samples from Locust, for gonogo: a JMeter-style JTL CSV (with its header).

Import it from your locustfile (`import gonogo_samples`) or pass it with `-f locustfile.py,gonogo_samples.py`.
Writes to $GONOGO_SAMPLES (default `locust-samples.jtl.csv`) one line per request Locust
timed, from Locust's `request` event: start (ms since the epoch), response time (ms), name,
status (0 when no response came), and Locust's own verdict (an exception means failure).
"""

import csv
import os

from locust import events

_out = None
_writer = None


@events.init.add_listener
def _open(environment, **_kwargs):
    global _out, _writer
    path = os.environ.get("GONOGO_SAMPLES", "locust-samples.jtl.csv")
    _out = open(path, "w", newline="", encoding="utf-8")
    _writer = csv.writer(_out)
    _writer.writerow(["timeStamp", "elapsed", "label", "responseCode", "success"])


@events.request.add_listener
def _sample(request_type, name, response_time, response, exception, start_time=None, **_kwargs):
    code = getattr(response, "status_code", 0) or 0
    start_ms = int(start_time * 1000) if start_time else 0
    _writer.writerow(
        [start_ms, int(round(response_time)), f"{request_type} {name}", code, "false" if exception else "true"]
    )


@events.quitting.add_listener
def _close(environment, **_kwargs):
    if _out is not None:
        _out.close()
