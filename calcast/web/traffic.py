"""What every request did, counted cheaply: Prometheus counters and latency histograms per route family, and
an optional access log of JSON lines.

Both are fed by one ASGI wrapper around the whole application (feed polls included, which are answered before
the framework). Per request the cost is a few dictionary updates; no label carries a token or an id, only the
route family, the method and the status code.

Several server processes (`calcast serve --workers N`) each count in memory and write their totals every
second to a file of their own in CALCAST_METRICS_DIR (set by `calcast serve` for its processes); `/metrics`
adds up every process's file, so a scrape that lands on any process reports the whole server. Counters of a
process that ended stay in its file, as Prometheus expects of counters.
"""

from __future__ import annotations

import bisect
import json
import os
import re
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from pathlib import Path
from typing import Any

from prometheus_client.core import CounterMetricFamily, HistogramMetricFamily, Metric
from prometheus_client.registry import Collector

from calcast.core.clients import client_family
from calcast.core.periodic import Periodic

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
App = Callable[[Scope, Receive, Send], Awaitable[None]]

BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
# First matching prefix names the family.
FAMILIES = (
    ("/webcal/", "feed"),
    ("/v1/subscriptionevent", "personal_event"),
    ("/oauth2/", "token"),
    ("/v1/", "api"),
    ("/manage/", "manage"),
    ("/static/", "static"),
    ("/healthz", "operations"),
    ("/metrics", "operations"),
    ("/docs", "docs"),
    ("/openapi.json", "docs"),
)
PAGE = "page"  # everything else: landing pages and subscribe forms
# Path segments that are secrets: a feed token, and the token of a manage link (its subscription id is not).
_SECRET_SEGMENTS = re.compile(r"(/webcal/)[^/?#\s\"]+?(\.ics)?(?=[/?#\s\"]|$)|(/manage/[^/?#\s\"]+/)[^/?#\s\"]+")
REDACTED = "***"


def family_of(path: str) -> str:
    for prefix, family in FAMILIES:
        if path.startswith(prefix):
            return family
    return PAGE


def redact_secrets(path: str) -> str:
    """The path as it may be logged: feed and manage-link tokens replaced by `***` (every log, one rule)."""
    if "/webcal/" not in path and "/manage/" not in path:
        return path
    return _SECRET_SEGMENTS.sub(lambda found: (found[1] or found[3]) + REDACTED + (found[2] or ""), path)


class Traffic:
    """This process's request counts, durations and bytes per route family (and its access log, when on)."""

    def __init__(self, *, metrics_dir: str | None, access_log: bool) -> None:
        # (family, method, code) → [requests, bytes]; family → bucket counts (last: above every bucket), sum
        self.requests: dict[tuple[str, str, int], list[int]] = {}
        self.durations: dict[str, list[float]] = {}
        self.access_log = access_log
        self._lines: list[str] = []
        self._flushed_at = time.monotonic()
        self._file = Path(metrics_dir) / f"{os.getpid()}.json" if metrics_dir else None
        self._dir = Path(metrics_dir) if metrics_dir else None
        self._families: dict[bytes, str] = {}

    def wrap(self, app: App) -> App:
        """`app`, observed."""

        async def observed(scope: Scope, receive: Receive, send: Send) -> None:
            if scope["type"] != "http":
                await app(scope, receive, send)
                return
            started = time.perf_counter()
            sent = [500, 0]

            async def observed_send(message: Message) -> None:
                if message["type"] == "http.response.start":
                    sent[0] = message["status"]
                elif message["type"] == "http.response.body":
                    sent[1] += len(message.get("body", b""))
                await send(message)

            try:
                await app(scope, receive, observed_send)
            finally:
                self.record(scope, sent[0], sent[1], time.perf_counter() - started)

        return observed

    def record(self, scope: Scope, status: int, size: int, seconds: float) -> None:
        path: str = scope["path"]
        family = family_of(path)
        key = (family, scope["method"], status)
        counts = self.requests.get(key)
        if counts is None:
            counts = self.requests[key] = [0, 0]
        counts[0] += 1
        counts[1] += size
        histogram = self.durations.get(family)
        if histogram is None:
            histogram = self.durations[family] = [0.0] * (len(BUCKETS) + 2)
        histogram[bisect.bisect_left(BUCKETS, seconds)] += 1
        histogram[-1] += seconds
        if self.access_log:
            self._log(scope, family, status, size, seconds)

    def _log(self, scope: Scope, family: str, status: int, size: int, seconds: float) -> None:
        user_agent = next((value for name, value in scope["headers"] if name == b"user-agent"), b"")
        client = self._families.get(user_agent)
        if client is None:
            client = client_family(user_agent.decode("latin-1"))
            if len(self._families) < 1024:
                self._families[user_agent] = client
        line = {
            "time": round(time.time(), 3),
            "method": scope["method"],
            "path": redact_secrets(scope["path"]),
            "family": family,
            "status": status,
            "bytes": size,
            "ms": round(seconds * 1000, 2),
            "client": client,
        }
        self._lines.append(json.dumps(line, separators=(",", ":")))
        now = time.monotonic()
        if len(self._lines) >= 256 or now - self._flushed_at >= 1.0:
            self.flush_log(now)

    def flush_log(self, now: float | None = None) -> None:
        """Write the buffered access-log lines to standard output in one write."""
        self._flushed_at = time.monotonic() if now is None else now
        if self._lines:
            lines, self._lines = self._lines, []
            os.write(1, ("\n".join(lines) + "\n").encode())

    # -- per-process files -----------------------------------------------------------------------------------

    def snapshot(self) -> dict[str, Any]:
        return {
            "requests": [[*key, *values] for key, values in list(self.requests.items())],
            "durations": {family: list(values) for family, values in list(self.durations.items())},
        }

    def write_file(self) -> None:
        if self._file is None:
            return
        partial = self._file.with_suffix(".tmp")
        partial.write_text(json.dumps(self.snapshot()))
        partial.replace(self._file)

    def snapshots(self) -> list[dict[str, Any]]:
        """Every process's totals: this one's from memory, the others' from their files."""
        found = [self.snapshot()]
        if self._dir is not None:
            for path in self._dir.glob("*.json"):
                if path != self._file:
                    try:
                        found.append(json.loads(path.read_text()))
                    except (OSError, ValueError):
                        continue  # being replaced right now, or gone
        return found


class TrafficWriter:
    """Writes this process's totals to its file every second (and the access log's buffer) on a thread."""

    def __init__(self, traffic: Traffic) -> None:
        self.traffic = traffic
        self._periodic = Periodic(name="calcast-traffic", interval=1.0, tick=self._write)

    def start(self) -> None:
        self._periodic.start()

    def stop(self) -> None:
        self._periodic.stop(timeout=5)
        self.traffic.flush_log()

    def _write(self) -> None:
        try:
            self.traffic.write_file()
        except OSError:  # a full or read-only disk: the next second tries again
            return


class TrafficCollector(Collector):
    """Requests, bytes and durations per route family, summed over every process of the server."""

    def __init__(self, traffic: Traffic) -> None:
        self.traffic = traffic

    def collect(self) -> Iterator[Metric]:
        requests: dict[tuple[str, str, str], list[int]] = {}
        durations: dict[str, list[float]] = {}
        for snapshot in self.traffic.snapshots():
            for family, method, code, count, size in snapshot["requests"]:
                totals = requests.setdefault((family, method, str(code)), [0, 0])
                totals[0] += count
                totals[1] += size
            for family, values in snapshot["durations"].items():
                summed = durations.setdefault(family, [0.0] * (len(BUCKETS) + 2))
                for position, value in enumerate(values):
                    summed[position] += value
        counter = CounterMetricFamily(
            "calcast_http_requests", "HTTP requests by route family, method and status code.",
            labels=["family", "method", "code"],
        )  # fmt: skip
        sent = CounterMetricFamily(
            "calcast_http_response_bytes", "Response body bytes by route family, method and status code.",
            labels=["family", "method", "code"],
        )  # fmt: skip
        for labels, (count, size) in sorted(requests.items()):
            counter.add_metric(list(labels), count)
            sent.add_metric(list(labels), size)
        yield counter
        yield sent
        histogram = HistogramMetricFamily(
            "calcast_http_request_duration_seconds", "Time to answer a request, by route family.", labels=["family"]
        )
        for family, values in sorted(durations.items()):
            cumulative, buckets = 0.0, []
            for bound, value in zip((*map(str, BUCKETS), "+Inf"), values[:-1], strict=True):
                cumulative += value
                buckets.append((bound, cumulative))
            histogram.add_metric([family], buckets, sum_value=values[-1])
        yield histogram
