"""Feed polls answered before the framework: the served app's front door for GET/HEAD /webcal/{token}.

Feed polls are nearly all of calcast's traffic. An answer this process already holds (`Served`) is sent from
the event loop without a worker-thread hop, a database round trip or the framework's layers, while
`FeedChanges` vouches that neither the subscription nor its calendar changed since it was read (see
`feeds.watcher`: every process follows the database's change announcements and stops answering from memory
when it cannot). The fetch is counted in memory and written with the next telemetry batch. Anything else
(first fetch, a change, an unknown or ended feed) is answered from the database in one worker-thread hop
by the same code as the documented route (`feeds.api`), and kept for the next poll when it can be.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Awaitable, Callable, Iterator, MutableMapping
from contextlib import contextmanager
from typing import Any

import anyio.to_thread
from sqlalchemy.exc import DBAPIError

from calcast.core.db import Database
from calcast.feeds import api, conditional
from calcast.feeds.api import FeedRequest, FeedResponse
from calcast.feeds.cache import FeedRuntime, RawHeaders, Served
from calcast.feeds.telemetry import TelemetryWriter
from calcast.feeds.watcher import ChangeWatcher, watch_local_writes

log = logging.getLogger("calcast.feeds")

Scope = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[MutableMapping[str, Any]]]
Send = Callable[[MutableMapping[str, Any]], Awaitable[None]]

PREFIX = "/webcal/"
UNAVAILABLE = FeedResponse(
    503,
    {"Retry-After": "5", "Cache-Control": "no-store"},
    b"The calendar feed is unavailable for a moment; try again shortly.",
    "text/plain; charset=utf-8",
)


# What a feed URL's last segment can be: a URL-safe token, perhaps with `.ics`. Anything else (a NUL, a slash)
# is left to the framework, whose guards answer it.
_TOKEN_SEGMENT = re.compile(r"[A-Za-z0-9_-]+(?:\.ics)?")


def handles(scope: Scope) -> bool:
    """Whether this front answers the request: a GET or HEAD of one feed URL."""
    path: str = scope["path"]
    return (
        path.startswith(PREFIX)
        and scope["method"] in ("GET", "HEAD")
        and _TOKEN_SEGMENT.fullmatch(path, len(PREFIX)) is not None
    )


class FeedFront:
    """The ASGI callable that answers feed requests (`handles`) for one application."""

    def __init__(self, *, database: Database, runtime: FeedRuntime) -> None:
        self.database = database
        self.runtime = runtime
        self._gzip: dict[bytes | None, bool] = {}

    def _accepts_gzip(self, accept_encoding: bytes | None) -> bool:
        accepted = self._gzip.get(accept_encoding)
        if accepted is None:
            accepted = api.accepts_gzip(accept_encoding.decode("latin-1") if accept_encoding else None)
            if len(self._gzip) < 256:
                self._gzip[accept_encoding] = accepted
        return accepted

    @staticmethod
    def _not_modified(served: Served, if_none_match: bytes | None, if_modified_since: bytes | None) -> bool:
        if if_none_match is not None:
            if if_none_match in served.quoted_etags:
                return True
            values = conditional.etag_values(if_none_match.decode("latin-1"))
            return "*" in values or served.feed.etag in values
        if if_modified_since:
            if if_modified_since == served.last_modified_http:
                return True
            since = conditional.modified_since(if_modified_since.decode("latin-1"))
            return since is not None and served.last_modified <= since
        return False

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        token: str = scope["path"][len(PREFIX) :]
        if token.endswith(".ics"):
            token = token[:-4]
        if_none_match = if_modified_since = accept_encoding = user_agent = None
        for name, value in scope["headers"]:
            if name == b"if-none-match":
                if_none_match = value
            elif name == b"if-modified-since":
                if_modified_since = value
            elif name == b"accept-encoding":
                accept_encoding = value
            elif name == b"user-agent":
                user_agent = value
        runtime = self.runtime
        token_digest = hashlib.sha256(token.encode()).hexdigest()
        served = runtime.cache.served.get(token_digest)
        now = time.time()
        if (
            served is not None
            and now < served.expires_at
            and runtime.changes.current(served.subscription_id, served.calendar_id, served.as_of)
        ):
            runtime.fetches.add(served.subscription_id, user_agent, now)
            runtime.cache.touch(token_digest)
            gzipped = self._accepts_gzip(accept_encoding)
            if self._not_modified(served, if_none_match, if_modified_since):
                status, headers, body = 304, served.not_modified_gzipped if gzipped else served.not_modified, b""
            else:
                status = 200
                headers, body = (served.gzipped, served.feed.gzip_body) if gzipped else (served.plain, served.feed.body)
                if scope["method"] == "HEAD":
                    body = b""
            await _send(send, status, headers, body)
            return
        request = FeedRequest(
            token=token,
            if_none_match=if_none_match.decode("latin-1") if if_none_match is not None else None,
            if_modified_since=if_modified_since.decode("latin-1") if if_modified_since is not None else None,
            accept_encoding=accept_encoding.decode("latin-1") if accept_encoding is not None else None,
            user_agent=user_agent.decode("latin-1") if user_agent is not None else None,
            head=scope["method"] == "HEAD",
        )
        response = await anyio.to_thread.run_sync(self._from_database, request, token_digest)
        await _send(send, response.status, _raw(response), response.body)

    def _from_database(self, request: FeedRequest, token_digest: str) -> FeedResponse:
        """Answer from the database (a worker thread) and keep the answer for the next poll when it can be."""
        as_of = self.runtime.changes.stamp()
        try:
            response, answer = api.answer_request(self.database, self.runtime, request)
        except DBAPIError:
            log.exception("A feed request could not reach the database.")
            return UNAVAILABLE
        if answer is not None:
            ready = api.served(answer, self.database.settings, as_of)
            if ready is not None:
                self.runtime.cache.put_served(token_digest, ready)
        return response


@contextmanager
def running(database: Database, runtime: FeedRuntime) -> Iterator[None]:
    """The process's feed threads while the server runs: the change watcher, and the telemetry writer (which
    writes what is still counted when the server stops)."""
    changes = runtime.changes
    watcher = ChangeWatcher(settings=database.settings, engine=database.engine, changes=changes)
    writer = TelemetryWriter(sessions=database.sessions, settings=database.settings, counter=runtime.fetches)
    unwatch = watch_local_writes(database.engine, changes, wake=watcher.wake)
    watcher.start()
    writer.start()
    try:
        yield
    finally:
        watcher.stop()
        writer.stop()
        unwatch()
        changes.stale()


def _raw(response: FeedResponse) -> RawHeaders:
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in response.headers.items()]
    if response.media_type is not None:
        headers.append((b"content-type", response.media_type.encode("latin-1")))
    if response.status != 304 and b"content-length" not in {name for name, _ in headers}:
        headers.append((b"content-length", str(len(response.body)).encode()))
    return headers


async def _send(send: Send, status: int, headers: RawHeaders, body: bytes) -> None:
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
