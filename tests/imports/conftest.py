"""Import helpers: the hand-written season file, imports through the service at a fixed moment, a source server."""

from __future__ import annotations

import hashlib
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from sqlalchemy import select

from calcast.calendars.models import BroadcastEvent
from calcast.core.db import Database
from calcast.imports import service as imports
from calcast.imports.service import ImportReport
from tests.conftest import Persona
from tests.feeds.conftest import World

DATA = Path(__file__).parent / "data"
SEASON = DATA / "season-2035.ics"
# The season file's events lie in 2035: imports read it as on New Year's Day 2035, so that its recurring event
# is expanded the same way whenever the tests run (feeds show every event that has not ended).
NEW_YEAR_2035 = datetime(2035, 1, 1, tzinfo=UTC)


def season() -> bytes:
    return SEASON.read_bytes()


def import_bytes(
    database: Database,
    body: bytes,
    *,
    name: str = "season-2035.ics",
    tag: str | None = None,
    now: datetime = NEW_YEAR_2035,
) -> ImportReport:
    """Import into the owner's calendar through the service the command uses, committed."""
    content = imports.read(body, name=name, settings=database.settings, now=now)
    with database.transaction() as session:
        return imports.apply_import(
            session=session,
            settings=database.settings,
            account_code="owner",
            calendar_code="main",
            import_source=name,
            content=content,
            tag=tag,
            now=now,
        )


def stored_events(database: Database) -> dict[str, BroadcastEvent]:
    """The calendar's live broadcast events, by key (detached copies of the rows)."""
    with database.sessions() as session:
        rows = session.scalars(select(BroadcastEvent).where(BroadcastEvent.deleted_at.is_(None))).all()
        session.expunge_all()
        return {row.event_key: row for row in rows}


@pytest.fixture
def world(database: Database, owner: Persona) -> World:
    return World(database, owner)


@dataclass
class SourceServer:
    """A brand's server of an event source: answers GET with ETag and Last-Modified, 304 when they still hold."""

    url: str = ""
    body: bytes = b""
    status: int = 200
    last_modified: str = "Sat, 01 Dec 2035 10:00:00 GMT"
    requests: list[dict[str, str]] = field(default_factory=list)
    answered: list[int] = field(default_factory=list)

    @property
    def etag(self) -> str:
        return '"' + hashlib.sha256(self.body).hexdigest()[:16] + '"'


@contextmanager
def running_source(body: bytes, path: str = "/season.ics") -> Iterator[SourceServer]:
    """A SourceServer on a free loopback port; `source.url` is its address over plain http."""
    source = SourceServer(body=body)

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self) -> None:
            source.requests.append(dict(self.headers.items()))
            if source.status != 200:
                status, payload, headers = source.status, b"broken", {}
            elif self.headers.get("If-None-Match") == source.etag:
                status, payload, headers = 304, b"", {"ETag": source.etag}
            else:
                status, payload = 200, source.body
                headers = {"ETag": source.etag, "Last-Modified": source.last_modified}
            source.answered.append(status)
            self.send_response(status)
            for name, value in headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "text/calendar; charset=utf-8")
            if status != 304:
                self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            if status != 304:
                self.wfile.write(payload)

        def log_message(self, format: str, *args: object) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    source.url = f"http://127.0.0.1:{server.server_address[1]}{path}"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield source
    finally:
        server.shutdown()
        server.server_close()
        thread.join()
