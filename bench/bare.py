"""The practical limit of the feed path: a bare ASGI app answering every GET with the same bytes from memory.

It runs under the same uvicorn, with the same settings and number of processes, as calcast in the feed benchmark:
a 200 with the feed's bytes and headers (read once from the file in BENCH_BARE_BODY), or an empty 304 when the
request carries If-None-Match. Nothing else: no routing, no lookup, no telemetry.
"""

from __future__ import annotations

import os
from collections.abc import Awaitable, Callable, MutableMapping
from pathlib import Path
from typing import Any

_BODY = Path(os.environ.get("BENCH_BARE_BODY", os.devnull)).read_bytes()
_ETAG = b'"' + os.environ.get("BENCH_BARE_ETAG", "bare").encode() + b'"'
_COMMON = [
    (b"etag", _ETAG),
    (b"last-modified", b"Mon, 30 Nov 2026 00:00:00 GMT"),
    (b"cache-control", b"private, max-age=900"),
    (b"vary", b"Accept-Encoding"),
]
_OK = [
    *_COMMON,
    (b"content-disposition", b'inline; filename="calendar.ics"'),
    (b"content-type", b"text/calendar; charset=utf-8"),
    (b"content-length", str(len(_BODY)).encode()),
]


async def app(
    scope: MutableMapping[str, Any],
    receive: Callable[[], Awaitable[MutableMapping[str, Any]]],
    send: Callable[[MutableMapping[str, Any]], Awaitable[None]],
) -> None:
    if scope["type"] != "http":
        return
    if any(name == b"if-none-match" for name, _ in scope["headers"]):
        await send({"type": "http.response.start", "status": 304, "headers": _COMMON})
        await send({"type": "http.response.body", "body": b""})
        return
    await send({"type": "http.response.start", "status": 200, "headers": _OK})
    await send({"type": "http.response.body", "body": _BODY})
