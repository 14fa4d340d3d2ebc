"""A brand's webhook receiver on a free loopback port, well-behaved or hostile on demand.

Hostile as the review found receivers can be: trickling one byte at a time (in the headers or in the body), answering
with NUL bytes, answering without end, or redirecting elsewhere. It records what it received and how many bytes it
managed to send back.
"""

from __future__ import annotations

import contextlib
import json
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any, Literal

ENDLESS_LIMIT = 200 * 1024 * 1024  # an "endless" answer stops here, should nobody hang up


@dataclass
class Receiver:
    url: str = ""
    status: int = 200
    body: bytes = b"ok"
    # Send the headers ("headers") or the body ("body") one byte every `trickle_interval` seconds, for at most
    # `trickle_for` seconds: each read finishes well inside any per-read timeout, the whole answer never does.
    trickle: Literal["headers", "body"] | None = None
    trickle_interval: float = 0.25
    trickle_for: float = 10.0
    endless: bool = False  # a body without length that goes on until the client hangs up
    location: str | None = None  # sent as Location (with a 3xx status)
    received: list[tuple[dict[str, str], bytes]] = field(default_factory=list)
    received_at: list[float] = field(default_factory=list)  # time.monotonic of each request
    bytes_sent: int = 0
    lock: threading.Lock = field(default_factory=threading.Lock)

    def envelopes(self) -> list[dict[str, Any]]:
        return [json.loads(body) for _, body in self.received]

    def answer(self, write: Any) -> None:
        """Write the whole answer through `write`, misbehaving as configured."""
        head = f"HTTP/1.1 {self.status} Whatever\r\nContent-Type: text/plain\r\nConnection: close\r\n"
        if self.location:
            head += f"Location: {self.location}\r\n"
        if self.endless:
            write((head + "\r\n").encode())
            chunk = b"x" * 65536
            while self.bytes_sent < ENDLESS_LIMIT:
                write(chunk)
            return
        if self.trickle == "headers":
            write(head.encode() + b"X-Slow: ")
            self._trickle(write)
            write(f"\r\nContent-Length: {len(self.body)}\r\n\r\n".encode() + self.body)
            return
        if self.trickle == "body":
            count = int(self.trickle_for / self.trickle_interval)
            write(f"{head}Content-Length: {count}\r\n\r\n".encode())
            self._trickle(write, count)
            return
        write(f"{head}Content-Length: {len(self.body)}\r\n\r\n".encode() + self.body)

    def _trickle(self, write: Any, count: int | None = None) -> None:
        until = time.monotonic() + self.trickle_for
        sent = 0
        while time.monotonic() < until and (count is None or sent < count):
            write(b"a")
            sent += 1
            time.sleep(self.trickle_interval)


@contextmanager
def running_receiver(path: str = "/hooks/calcast", **options: Any) -> Iterator[Receiver]:
    """A Receiver listening on 127.0.0.1; `receiver.url` is its address over plain http."""
    receiver = Receiver(**options)

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            with receiver.lock:
                receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body))
                receiver.received_at.append(time.monotonic())

            def write(data: bytes) -> None:
                self.wfile.write(data)
                self.wfile.flush()
                with receiver.lock:
                    receiver.bytes_sent += len(data)

            # The client may hang up mid-answer: what a deadline or a size cap does.
            with contextlib.suppress(BrokenPipeError, ConnectionResetError):
                receiver.answer(write)
            self.close_connection = True

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    receiver.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
