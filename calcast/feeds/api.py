"""GET/HEAD /webcal/{feedToken}[.ics]: the subscriber's calendar feed, as calendar apps poll it."""

from __future__ import annotations

import threading
from email.utils import format_datetime

from fastapi import APIRouter, Request
from fastapi.responses import PlainTextResponse, Response

from calcast.core.errors import NotFound
from calcast.core.http import database
from calcast.feeds import service
from calcast.feeds.cache import FeedRuntime

router = APIRouter(tags=["feeds"])

CONTENT_TYPE = "text/calendar; charset=utf-8"
_runtime_lock = threading.Lock()


def feed_runtime(request: Request) -> FeedRuntime:
    """The process's feed cache and fetch counter, created with the app's first feed request."""
    state = request.app.state
    runtime: FeedRuntime | None = getattr(state, "feed_runtime", None)
    if runtime is None:
        with _runtime_lock:
            runtime = getattr(state, "feed_runtime", None)
            if runtime is None:
                runtime = FeedRuntime.create(database(request).settings.feed_cache_bytes)
                state.feed_runtime = runtime
    return runtime


def accepts_gzip(accept_encoding: str | None) -> bool:
    """Whether Accept-Encoding allows gzip (explicitly or by `*`) with a non-zero quality."""
    for part in (accept_encoding or "").lower().split(","):
        coding, _, parameters = part.strip().partition(";")
        if coding.strip() not in ("gzip", "x-gzip", "*"):
            continue
        quality = parameters.strip().removeprefix("q=").strip()
        try:
            if not quality or float(quality) > 0:
                return True
        except ValueError:
            return True
    return False


@router.get(
    "/webcal/{token}",
    response_class=Response,
    responses={
        200: {"content": {"text/calendar": {}}, "description": "The feed (iCalendar)."},
        304: {"description": "Not modified since the validator the client sent."},
        404: {"content": {"text/plain": {}}, "description": "No feed at this address."},
        410: {"content": {"text/plain": {}}, "description": "The subscription ended and its grace period is over."},
    },
    summary="A subscriber's calendar feed (also with an .ics suffix)",
)
def webcal(token: str, request: Request) -> Response:
    """The feed for calendar apps: 200 text/calendar, 304 for a current validator, 404 unknown, 410 ended.

    Any Authorization header is ignored (Outlook sends one even to public calendars).
    """
    # The hottest route: no dependencies, so the whole fetch runs in one worker-thread hop, in one transaction
    # that is committed before the response is sent.
    db = database(request)
    settings = db.settings
    headers = request.headers
    try:
        with db.transaction() as session:
            answer = service.fetch_feed(
                session=session,
                settings=settings,
                runtime=feed_runtime(request),
                token=token.removesuffix(".ics"),
                conditions=service.Conditions(
                    if_none_match=headers.get("if-none-match"), if_modified_since=headers.get("if-modified-since")
                ),
                user_agent=headers.get("user-agent"),
            )
    except NotFound as error:
        # Plain text, never an HTML page: some clients empty the calendar on a page they cannot parse.
        return PlainTextResponse(error.message, status_code=404, headers={"Cache-Control": "no-store"})
    if answer.status == 410:
        return PlainTextResponse(
            "This calendar subscription has ended; you can remove it from your calendar app.",
            status_code=410,
            headers={"Cache-Control": "private, max-age=86400"},
        )
    assert answer.validators is not None
    gzipped = accepts_gzip(headers.get("accept-encoding"))
    etag = answer.validators.etag + ("-gzip" if gzipped else "")
    response_headers = {
        "ETag": f'"{etag}"',
        "Last-Modified": format_datetime(answer.validators.last_modified, usegmt=True),
        "Cache-Control": f"private, max-age={settings.feed_max_age_seconds}",
        "Vary": "Accept-Encoding",
    }
    if answer.status == 304 or answer.feed is None:
        return Response(status_code=304, headers=response_headers)
    body = answer.feed.gzip_body if gzipped else answer.feed.body
    if gzipped:
        response_headers["Content-Encoding"] = "gzip"
    response_headers["Content-Disposition"] = 'inline; filename="calendar.ics"'
    if request.method == "HEAD":
        response_headers["Content-Length"] = str(len(body))
        return Response(content=b"", media_type=CONTENT_TYPE, headers=response_headers)
    return Response(content=body, media_type=CONTENT_TYPE, headers=response_headers)


# HEAD answers exactly like GET without the body; one OpenAPI operation documents both.
router.add_api_route("/webcal/{token}", webcal, methods=["HEAD"], include_in_schema=False)
