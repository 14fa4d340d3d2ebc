"""A small real HTTP server on a free loopback port whose answers a test scripts, and which records every request."""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


@dataclass
class Seen:
    method: str
    path: str
    headers: dict[str, str]
    body: str


@dataclass
class Answer:
    status: int = 200
    body: str = ""
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0


Route = Callable[[Seen], Answer]


@dataclass
class LocalServer:
    url: str
    routes: dict[str, Route]
    seen: list[Seen]

    def on(self, path: str, *answers: Answer) -> None:
        """Answer `path` with these answers in turn; the last one repeats."""
        queue = list(answers)

        def route(_: Seen) -> Answer:
            return queue.pop(0) if len(queue) > 1 else queue[0]

        self.routes[path] = route

    def requests_to(self, path: str) -> list[Seen]:
        return [request for request in self.seen if request.path.split("?")[0] == path]


@contextmanager
def local_server() -> Iterator[LocalServer]:
    routes: dict[str, Route] = {}
    seen: list[Seen] = []

    class Handler(BaseHTTPRequestHandler):
        def _handle(self) -> None:
            length = int(self.headers.get("Content-Length") or 0)
            request = Seen(
                self.command,
                self.path,
                {key.lower(): value for key, value in self.headers.items()},
                self.rfile.read(length).decode(),
            )
            seen.append(request)
            route = routes.get(self.path.split("?")[0])
            answer = route(request) if route else Answer(404, '{"Reason": "no route"}')
            if answer.delay:
                time.sleep(answer.delay)
            payload = answer.body.encode()
            try:
                self.send_response(answer.status)
                for name, value in {"Content-Type": "application/json", **answer.headers}.items():
                    self.send_header(name, value)
                self.send_header("Content-Length", str(len(payload)))
                self.end_headers()
                self.wfile.write(payload)
            except (BrokenPipeError, ConnectionResetError):
                pass  # the client gave up waiting, as it should

        do_GET = do_POST = do_PUT = do_DELETE = _handle  # noqa: N815 - http.server's naming

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True)
    thread.start()
    try:
        yield LocalServer(f"http://127.0.0.1:{server.server_address[1]}", routes, seen)
    finally:
        server.shutdown()
        server.server_close()
