"""`calcast serve`: the web server (and, on the embedded default, the outbox worker in the same process)."""

from __future__ import annotations

import gc
import logging
import os
import tempfile
from typing import Any

import typer
import uvicorn
from fastapi import FastAPI
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from calcast.app import create_app
from calcast.core.cli import fail, open_database
from calcast.core.config import base_url_defaults_to, get_settings
from calcast.core.ratelimit import redis_problem
from calcast.web.traffic import redact_secrets

log = logging.getLogger("calcast")

# How long uvicorn's supervisor waits for a web process to answer its health check (5 s by default) before it
# kills the process and starts another. A process importing calcast on a busy machine took longer than 5 s, so
# the supervisor killed every new process before it served: `serve --workers N` never started there, and a
# process that died was never replaced. A process that truly hangs is still replaced after this long.
WORKER_HEALTHCHECK_SECONDS = 60


class RedactSecrets(logging.Filter):
    """Keeps feed and manage-link tokens out of uvicorn's access log (`client - "METHOD path HTTP/x" status`)."""

    def filter(self, record: logging.LogRecord) -> bool:
        arguments = record.args
        if isinstance(arguments, tuple) and len(arguments) >= 3 and isinstance(arguments[2], str):
            record.args = (*arguments[:2], redact_secrets(arguments[2]), *arguments[3:])
        return True


class HeaderLimitedHttpTools(HttpToolsProtocol):
    """uvicorn's httptools protocol, refusing a request line and headers over `max_header_bytes` with a 431.

    httptools itself buffers headers of any size (h11 has `h11_max_incomplete_event_size`, httptools nothing),
    so the bytes up to the blank line that ends the headers are counted here as they arrive, and the connection
    is closed before they reach the parser once they pass the limit.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._max_header_bytes = get_settings().max_header_bytes
        self._header_bytes = 0
        self._in_headers = True
        self._tail = b""  # the last bytes of the previous chunk: the blank line may straddle two

    def data_received(self, data: bytes) -> None:
        if self._in_headers:
            self._header_bytes += self._header_part(data)
            self._tail = (self._tail + data[-3:])[-3:]
            if self._header_bytes > self._max_header_bytes:
                self._refuse_headers()
                return
        super().data_received(data)

    def _header_part(self, data: bytes) -> int:
        """How many bytes of this chunk belong to the request line and headers (up to the blank line)."""
        straddling = (self._tail + data[:3]).find(b"\r\n\r\n")
        if straddling >= 0:
            return max(0, straddling + 4 - len(self._tail))
        end = data.find(b"\r\n\r\n")
        return len(data) if end < 0 else end + 4

    def on_headers_complete(self) -> None:
        self._in_headers, self._header_bytes, self._tail = False, 0, b""
        super().on_headers_complete()

    def on_message_complete(self) -> None:
        self._in_headers = True
        super().on_message_complete()

    def _refuse_headers(self) -> None:
        log.warning("request headers over %d bytes refused", self._max_header_bytes)
        self._in_headers = False
        reason = (
            f"The request line and headers are larger than {self._max_header_bytes // 1024} KB; send shorter ones."
        ).encode()
        self.transport.write(
            b"HTTP/1.1 431 Request Header Fields Too Large\r\ncontent-type: text/plain; charset=utf-8\r\n"
            b"content-length: " + str(len(reason)).encode() + b"\r\nconnection: close\r\n\r\n" + reason
        )
        self.transport.close()


def served_app() -> FastAPI:
    """The application as a long-running server process holds it (uvicorn's factory).

    Everything alive once the app is built (modules, routes, models: over 100,000 objects) is moved out of
    the cyclic garbage collector's reach: a full collection then no longer walks them all, which otherwise
    paused every request in flight for about 90 ms each time it ran.
    """
    logging.getLogger("uvicorn.access").addFilter(RedactSecrets())
    app = create_app()
    gc.collect()
    gc.freeze()
    return app


def serve(
    host: str = typer.Option("127.0.0.1", "--host", help="Interface to listen on."),
    port: int = typer.Option(8000, "--port", help="TCP port."),
    workers: int = typer.Option(
        0, "--workers", help="Web processes; 0 (the default) starts one per CPU core.", min=0, show_default=False
    ),
) -> None:
    """Serve the API, the feeds and the subscription pages."""
    base_url_defaults_to(host, port)
    with open_database() as database:
        # Settings checked and, on SQLite, the schema migrated once before the processes start.
        problem = redis_problem(database.settings)
    if problem:
        raise fail(problem)
    # Each process writes its request totals here; /metrics in any of them adds them all up.
    os.environ.setdefault("CALCAST_METRICS_DIR", tempfile.mkdtemp(prefix="calcast-metrics-"))
    uvicorn.run(
        "calcast.server:served_app",
        factory=True,
        host=host,
        port=port,
        workers=workers or os.cpu_count() or 1,
        http=HeaderLimitedHttpTools,
        proxy_headers=True,
        server_header=False,
        log_level="info",
        # calcast's own access log (CALCAST_ACCESS_LOG, JSON, redacted) replaces uvicorn's plain one.
        access_log=False,
        timeout_worker_healthcheck=WORKER_HEALTHCHECK_SECONDS,
    )
