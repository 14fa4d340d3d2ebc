"""`calcast serve` as a real server on loopback: header size limit, secrets kept out of the access log."""

from __future__ import annotations

import contextlib
import gc
import logging
import socket
import threading
import time
from collections.abc import Iterator

import httpx
import pytest
import uvicorn
from fastapi import FastAPI

from calcast import server as server_module
from calcast.app import create_app as real_create_app
from calcast.core.config import get_settings
from calcast.core.db import Database
from calcast.server import HeaderLimitedHttpTools
from calcast.web.traffic import redact_secrets
from tests.conftest import SECRET_KEY, Persona
from tests.rokt_api import subscribe

MAX_HEADER_BYTES = 16_384


class Lines(logging.Handler):
    def __init__(self) -> None:
        super().__init__()
        self.lines: list[str] = []

    def emit(self, record: logging.LogRecord) -> None:
        self.lines.append(record.getMessage())


@pytest.fixture
def served(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[str, Lines]]:
    """`calcast serve`'s app and protocol under uvicorn on a free port: (base URL, the access log's lines)."""
    for name, value in {
        "CALCAST_DATABASE_URL": database.settings.database_url,
        "CALCAST_SECRET_KEY": SECRET_KEY,
        "CALCAST_BASE_URL": "https://calcast.test",
        "CALCAST_RUN_WORKER_IN_SERVER": "false",
        "CALCAST_MAX_HEADER_BYTES": str(MAX_HEADER_BYTES),
    }.items():
        monkeypatch.setenv(name, value)
    get_settings.cache_clear()
    created: list[FastAPI] = []

    def create_app() -> FastAPI:
        created.append(real_create_app())
        return created[-1]

    monkeypatch.setattr(server_module, "create_app", create_app)
    sock = socket.socket()
    sock.bind(("127.0.0.1", 0))
    config = uvicorn.Config(
        "calcast.server:served_app", factory=True, http=HeaderLimitedHttpTools, log_level="info", lifespan="on"
    )
    server = uvicorn.Server(config)
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start within 10 seconds"
        time.sleep(0.02)
    access_log = Lines()
    logging.getLogger("uvicorn.access").addHandler(access_log)
    yield f"http://127.0.0.1:{sock.getsockname()[1]}", access_log
    logging.getLogger("uvicorn.access").removeHandler(access_log)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    for app in created:
        app.state.database.dispose()
    gc.unfreeze()
    get_settings.cache_clear()


def raw_request(base_url: str, request: bytes) -> bytes:
    """Send bytes on one connection and read until the server closes it or answers."""
    host, port = base_url.removeprefix("http://").split(":")
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        # The server may close before it has read everything: its answer is waiting all the same.
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            connection.sendall(request)
        answer = b""
        while chunk := connection.recv(65536):
            answer += chunk
            if b"\r\n\r\n" in answer and b"connection: close" in answer.lower():
                break
        return answer


def test_headers_over_the_limit_get_a_431_and_the_connection_closed(served: tuple[str, Lines]) -> None:
    base_url, _log = served
    huge = b"x" * 1_048_576
    answer = raw_request(base_url, b"GET /healthz HTTP/1.1\r\nHost: t\r\nUser-Agent: " + huge + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")
    assert b"The request line and headers are larger than 16 KB; send shorter ones." in answer
    # Headers arriving in one piece, far below what one read takes in, are counted all the same.
    answer = raw_request(base_url, b"GET /healthz HTTP/1.1\r\nHost: t\r\nUser-Agent: " + b"u" * 40_000 + b"\r\n\r\n")
    assert answer.startswith(b"HTTP/1.1 431 ")
    # A header sent slowly, in many small pieces, is counted all the same.
    pieces = [b"GET /healthz HTTP/1.1\r\nHost: t\r\nX-Slow: "] + [b"y" * 1000] * 40
    answer = raw_request(base_url, b"".join(pieces))
    assert answer.startswith(b"HTTP/1.1 431 ")


def test_headers_within_the_limit_and_large_bodies_are_served(
    served: tuple[str, Lines], database: Database, owner: Persona
) -> None:
    base_url, _log = served
    with httpx.Client(base_url=base_url) as client:
        assert client.get("/healthz", headers={"User-Agent": "u" * 10_000}).status_code == 200
        # Only the headers count: a 200 KB body on the same connection is no header.
        response = client.post("/oauth2/token", content=b"grant_type=client_credentials&" + b"p" * 200_000)
        assert response.status_code == 401
        # Keep-alive: the next request on the connection starts a new count.
        # (A blank line split across two reads, followed by a large body, is the end of the headers too.)
        for _ in range(3):
            assert client.get("/healthz", headers={"User-Agent": "u" * 10_000}).status_code == 200


def test_the_end_of_the_headers_split_across_two_reads_is_found(served: tuple[str, Lines]) -> None:
    base_url, _log = served
    host, port = base_url.removeprefix("http://").split(":")
    body = b"grant_type=client_credentials&" + b"p" * 200_000
    with socket.create_connection((host, int(port)), timeout=10) as connection:
        connection.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        head = f"POST /oauth2/token HTTP/1.1\r\nHost: t\r\nContent-Length: {len(body)}\r\n".encode()
        connection.sendall(head + b"Content-Type: application/x-www-form-urlencoded\r\n\r")
        time.sleep(0.2)
        connection.sendall(b"\n" + body)
        answer = connection.recv(65536)
    assert answer.startswith(b"HTTP/1.1 401 ")


def test_the_access_log_shows_no_feed_or_manage_token(
    served: tuple[str, Lines], database: Database, owner: Persona
) -> None:
    base_url, access_log = served
    subscribe(database, owner, "ext-1")
    with httpx.Client(base_url=base_url) as client:
        client.get("/webcal/SeCrEtFeEdToKeN123")
        client.get("/webcal/SeCrEtFeEdToKeN123.ics?x=1")
        client.get("/manage/0b5c5a7e-uuid/SeCrEtMaNaGeToKeN/add?again=1")
        client.get("/owner/main")
    text = "\n".join(access_log.lines)
    assert "SeCrEt" not in text
    assert '"GET /webcal/*** HTTP/1.1" 404' in text
    assert '"GET /webcal/***.ics?x=1 HTTP/1.1" 404' in text
    assert '"GET /manage/0b5c5a7e-uuid/***/add?again=1 HTTP/1.1"' in text
    assert '"GET /owner/main HTTP/1.1" 200' in text


@pytest.mark.parametrize(
    ("path", "logged"),
    [
        ("/webcal/abc_DEF-1", "/webcal/***"),
        ("/manage/id-1/tok/method", "/manage/id-1/***/method"),
        ("/manage/id-1/tok", "/manage/id-1/***"),
        ("/v1/subscription/id-1", "/v1/subscription/id-1"),
    ],
)
def test_redaction_keeps_everything_but_the_token(path: str, logged: str) -> None:
    assert redact_secrets(path) == logged
