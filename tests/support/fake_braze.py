"""A local stand-in for Braze's REST API (`POST /users/track`), for tests and benchmarks only.

It validates every request as Braze documents it (reference/braze-contract.md §1): Bearer key, JSON body,
at most 75 objects per request (in total, or per array for legacy contracts), one identifier per object,
strings ≤255 characters, event names and times, property-name rules. A request that breaks a rule gets
Braze's 400. It keeps user profiles the way Braze does (arrays are sets, `add` moves a value to the end,
`remove`, replace), so a test can look at what a marketer would see. And it misbehaves on demand: 503 for
a while, 429 with X-RateLimit-Reset (or any header value at all), slow or trickling answers, any raw answer,
minor errors for chosen objects, 401, or a 400 for a chosen object.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

IDENTIFIERS = ("external_id", "user_alias", "braze_id", "email", "phone")
MAX_STRING = 255
ObjectTest = Callable[[dict[str, Any]], bool]


@dataclass
class Profile:
    """A Braze user: custom attribute arrays (oldest entry first) and custom events."""

    attributes: dict[str, Any] = field(default_factory=dict)
    events: list[dict[str, Any]] = field(default_factory=list)


@dataclass
class FakeBraze:
    api_key: str = "braze-rest-key"
    max_objects: int = 75
    per_array: bool = False
    url: str = ""
    # Everything received, accepted or not: (status answered, body).
    requests: list[tuple[int, dict[str, Any] | None]] = field(default_factory=list)
    profiles: dict[str, Profile] = field(default_factory=dict)
    # Misbehaviour, set by tests.
    fail_with: int | None = None  # answer every request with this status (503, 401, …) until cleared
    fail_next: list[int] = field(default_factory=list)  # answer the next requests with these statuses
    rate_limited_until: float | None = None  # 429 with X-RateLimit-Reset until this epoch second
    rate_limit_reset_as_sent: str | None = None  # 429 to everything, with exactly this X-RateLimit-Reset
    raw_answer: tuple[int, bytes] | None = None  # answer everything with this status and body, as they are
    trickle_seconds: float = 0.0  # send the answer's body one byte at a time, this long apart
    delay_seconds: float = 0.0
    minor_error_when: ObjectTest | None = None  # objects matching get a minor error in a 2xx answer
    reject_when: ObjectTest | None = None  # a request holding a matching object gets a 400
    in_flight: threading.Event = field(default_factory=threading.Event)
    # How many requests were being answered at once, at most (delay_seconds makes overlaps visible).
    most_at_once: int = 0
    _at_once: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    # --- what tests look at ---

    def profile(self, key: str) -> Profile:
        """The profile identified by an external id or an e-mail (`email:` prefix)."""
        return self.profiles.get(key, Profile())

    @property
    def accepted(self) -> list[dict[str, Any]]:
        return [body for status, body in self.requests if 200 <= status < 300 and body is not None]

    def accepted_attributes(self) -> list[dict[str, Any]]:
        return [item for body in self.accepted for item in body.get("attributes", [])]

    def accepted_events(self) -> list[dict[str, Any]]:
        return [item for body in self.accepted for item in body.get("events", [])]

    # --- Braze's rules ---

    def _problems(self, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, Any] | None, list[str]]:
        if headers.get("authorization") != f"Bearer {self.api_key}":
            return 401, None, ["Invalid API Key"]
        if not headers.get("content-type", "").startswith("application/json"):
            return 400, None, ["Content-Type must be application/json"]
        try:
            body = json.loads(raw)
        except ValueError:
            return 400, None, ["Request body is not valid JSON"]
        if not isinstance(body, dict):
            return 400, None, ["Request body must be a JSON object"]
        problems: list[str] = []
        arrays = {name: body.get(name, []) for name in ("attributes", "events", "purchases")}
        if any(not isinstance(items, list) for items in arrays.values()):
            return 400, body, ["attributes, events and purchases must be arrays"]
        sizes = [len(items) for items in arrays.values()]
        if (max(sizes) if self.per_array else sum(sizes)) > self.max_objects:
            problems.append(f"Max Input Length Exceeded: more than {self.max_objects} objects")
        if sum(sizes) == 0:
            problems.append("Nothing to track")
        for array, items in arrays.items():
            for index, item in enumerate(items):
                problems.extend(f"{array}[{index}]: {p}" for p in _object_problems(array, item))
        return (400 if problems else 201), body, problems

    def _apply(self, body: dict[str, Any]) -> None:
        for item in body.get("attributes", []):
            profile = self.profiles.setdefault(_key(item), Profile())
            for name, value in item.items():
                if name in IDENTIFIERS or name.startswith("_"):
                    continue
                if isinstance(value, dict):
                    current = [v for v in profile.attributes.get(name, []) if v not in value.get("remove", [])]
                    for entry in value.get("add", []):
                        if entry in current:
                            current.remove(entry)  # Braze moves a re-added value to the end
                        current.append(entry)
                    profile.attributes[name] = current
                else:
                    profile.attributes[name] = list(dict.fromkeys(value)) if isinstance(value, list) else value
        for item in body.get("events", []):
            self.profiles.setdefault(_key(item), Profile()).events.append(item)

    def answer(self, headers: dict[str, str], raw: bytes) -> tuple[int, dict[str, str], dict[str, Any]]:
        """Status, headers and JSON body for one request (the HTTP handler's only call)."""
        self.in_flight.set()
        with self.lock:
            self._at_once += 1
            self.most_at_once = max(self.most_at_once, self._at_once)
        try:
            if self.delay_seconds:
                time.sleep(self.delay_seconds)
        finally:
            with self.lock:
                self._at_once -= 1
        with self.lock:
            if self.rate_limit_reset_as_sent is not None:
                self.requests.append((429, None))
                return 429, {"X-RateLimit-Reset": self.rate_limit_reset_as_sent}, {"message": "rate limit exceeded"}
            if self.fail_next or self.fail_with:
                status = self.fail_next.pop(0) if self.fail_next else int(self.fail_with or 503)
                self.requests.append((status, None))
                return status, {}, {"message": f"simulated {status}"}
            if self.rate_limited_until is not None and time.time() < self.rate_limited_until:
                self.requests.append((429, None))
                reset = {"X-RateLimit-Reset": str(int(self.rate_limited_until)), "X-RateLimit-Remaining": "0"}
                return 429, reset, {"message": "rate limit exceeded"}
            status, body, problems = self._problems(headers, raw)
            if status == 201 and body is not None and self.reject_when is not None:
                for array in ("attributes", "events"):
                    if any(self.reject_when(item) for item in body.get(array, [])):
                        status, problems = 400, ["simulated: an object Braze refuses outright"]
            if status != 201 or body is None:
                self.requests.append((status, body))
                return status, {}, {"message": "; ".join(problems), "errors": problems}
            errors = []
            if self.minor_error_when is not None:
                for array in ("attributes", "events"):
                    kept = []
                    for index, item in enumerate(body.get(array, [])):
                        if self.minor_error_when(item):
                            errors.append({"type": "simulated minor error", "input_array": array, "index": index})
                        else:
                            kept.append(item)
                    body = {**body, array: kept}
            self.requests.append((status, body))
            self._apply(body)
            answer: dict[str, Any] = {"message": "success", "attributes_processed": len(body.get("attributes", []))}
            if errors:
                answer["errors"] = errors
            return 201, {}, answer


def _key(item: dict[str, Any]) -> str:
    if "external_id" in item:
        return str(item["external_id"])
    if "email" in item:
        return f"email:{item['email']}"
    return json.dumps({name: item[name] for name in IDENTIFIERS if name in item}, sort_keys=True)


def _string_problem(value: Any) -> str | None:
    if isinstance(value, str) and len(value) > MAX_STRING:
        return f"string longer than {MAX_STRING} characters"
    return None


def _object_problems(array: str, item: Any) -> list[str]:
    if not isinstance(item, dict):
        return ["not an object"]
    problems = []
    if sum(1 for name in IDENTIFIERS if name in item) == 0:
        problems.append("'external_id' or 'braze_id' or 'user_alias' is required")
    if array == "attributes":
        for name, value in item.items():
            entries = value.get("add", []) + value.get("remove", []) if isinstance(value, dict) else value
            for entry in entries if isinstance(entries, list) else [entries]:
                problem = _string_problem(entry)
                if problem:
                    problems.append(f"{name}: {problem}")
    if array == "events":
        if not isinstance(item.get("name"), str) or not item["name"]:
            problems.append("event name is required")
        try:
            datetime.fromisoformat(str(item.get("time")))
        except ValueError:
            problems.append("event time is required in ISO-8601")
        for key, value in (item.get("properties") or {}).items():
            if not key or len(key) > MAX_STRING or key.startswith("$") or key in ("time", "event_name"):
                problems.append(f"invalid property name {key!r}")
            for entry in value if isinstance(value, list) else [value]:
                problem = _string_problem(entry)
                if problem:
                    problems.append(f"property {key}: {problem}")
    return problems


@contextmanager
def running_fake_braze(**options: Any) -> Iterator[FakeBraze]:
    """A FakeBraze listening on a free loopback port; `fake.url` is its REST endpoint."""
    fake = FakeBraze(**options)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        disable_nagle_algorithm = True  # headers and body go out in two writes; don't wait for a delayed ACK

        def do_POST(self) -> None:
            raw = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            extra: dict[str, str]
            if self.path != "/users/track":
                status, extra, body = 404, {}, {"message": "no such endpoint"}
            elif fake.raw_answer is not None:
                with fake.lock:
                    fake.requests.append((fake.raw_answer[0], None))
                status, extra, body = fake.raw_answer[0], {}, {}
            else:
                status, extra, body = fake.answer({k.lower(): v for k, v in self.headers.items()}, raw)
            payload = fake.raw_answer[1] if fake.raw_answer is not None else json.dumps(body).encode()
            try:
                self.send_response(status)
                for name, value in {"Content-Type": "application/json", **extra}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                if fake.trickle_seconds:
                    for byte in payload:
                        self.wfile.write(bytes([byte]))
                        self.wfile.flush()
                        time.sleep(fake.trickle_seconds)
                else:
                    self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up (a timeout or a killed worker)

        def do_GET(self) -> None:
            # Counters for a benchmark that runs the stand-in in another process.
            with fake.lock:
                stats = {
                    "requests": len(fake.requests),
                    "statuses": [status for status, _ in fake.requests],
                    "attributes": sum(len(body.get("attributes", [])) for body in fake.accepted),
                    "events": sum(len(body.get("events", [])) for body in fake.accepted),
                }
            payload = json.dumps(stats).encode()
            self.send_response(200)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    fake.url = f"http://127.0.0.1:{server.server_address[1]}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield fake
    finally:
        server.shutdown()
        server.server_close()


def main() -> None:
    """Run alone (`python -m tests.support.fake_braze [--per-array] [--delay-ms N]`): prints its URL, serves on.

    `--delay-ms` holds every answer that long, as a Braze a network away would; the process runs until killed.
    """
    import sys

    delay = float(sys.argv[sys.argv.index("--delay-ms") + 1]) / 1000 if "--delay-ms" in sys.argv else 0.0
    with running_fake_braze(per_array="--per-array" in sys.argv, delay_seconds=delay) as fake:
        sys.stdout.write(fake.url + "\n")
        sys.stdout.flush()
        threading.Event().wait()


if __name__ == "__main__":
    main()
