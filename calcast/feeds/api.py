"""GET/HEAD /webcal/{feedToken}[.ics]: the subscriber's calendar feed, as calendar apps poll it."""

from __future__ import annotations

import math
import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.utils import format_datetime

from fastapi import APIRouter, Request
from fastapi.responses import Response

from calcast.core.config import Settings
from calcast.core.db import Database
from calcast.core.errors import NotFound
from calcast.core.http import database
from calcast.feeds import conditional, service
from calcast.feeds.cache import FeedRuntime, RawHeaders, Served
from calcast.feeds.conditional import Validators
from calcast.feeds.content import FeedStatus
from calcast.feeds.service import FeedAnswer

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


@dataclass(frozen=True)
class FeedRequest:
    """The parts of a feed request its answer depends on."""

    token: str
    if_none_match: str | None = None
    if_modified_since: str | None = None
    accept_encoding: str | None = None
    user_agent: str | None = None
    head: bool = False


@dataclass(frozen=True)
class FeedResponse:
    status: int
    headers: dict[str, str]
    body: bytes = b""
    media_type: str | None = None


GONE_TEXT = "This calendar subscription has ended; you can remove it from your calendar app."


def client_has(request: FeedRequest) -> Callable[[Validators], bool]:
    """Whether the request's validators make a 304 (the service then needs no body)."""

    def check(validators: Validators) -> bool:
        return conditional.is_not_modified(
            validators, if_none_match=request.if_none_match, if_modified_since=request.if_modified_since
        )

    return check


def not_found(message: str) -> FeedResponse:
    # Plain text, never an HTML page: some clients empty the calendar on a page they cannot parse.
    return FeedResponse(404, {"Cache-Control": "no-store"}, message.encode(), "text/plain; charset=utf-8")


def respond(answer: service.FeedAnswer, request: FeedRequest, settings: Settings) -> FeedResponse:
    """The HTTP answer: 200 with the feed (gzipped when accepted), 304 for current validators, 410 when gone."""
    if answer.status is FeedStatus.GONE:
        return FeedResponse(
            410, {"Cache-Control": "private, max-age=86400"}, GONE_TEXT.encode(), "text/plain; charset=utf-8"
        )
    assert answer.validators is not None
    gzipped = accepts_gzip(request.accept_encoding)
    etag = answer.validators.etag + ("-gzip" if gzipped else "")
    headers = {
        "ETag": f'"{etag}"',
        "Last-Modified": format_datetime(answer.validators.last_modified, usegmt=True),
        "Cache-Control": f"private, max-age={settings.feed_max_age_seconds}",
        "Vary": "Accept-Encoding",
    }
    if answer.feed is None or client_has(request)(answer.validators):
        return FeedResponse(304, headers)
    body = answer.feed.gzip_body if gzipped else answer.feed.body
    if gzipped:
        headers["Content-Encoding"] = "gzip"
    headers["Content-Disposition"] = 'inline; filename="calendar.ics"'
    if request.head:
        headers["Content-Length"] = str(len(body))
        return FeedResponse(200, headers, b"", CONTENT_TYPE)
    return FeedResponse(200, headers, body, CONTENT_TYPE)


def answer_request(db: Database, runtime: FeedRuntime, request: FeedRequest) -> tuple[FeedResponse, FeedAnswer | None]:
    """Answer a feed request from the database, in one transaction committed before the response is sent."""
    try:
        with db.transaction() as session:
            answer = service.fetch_feed(
                session=session,
                settings=db.settings,
                runtime=runtime,
                token=request.token,
                client_has=client_has(request),
                user_agent=request.user_agent,
            )
    except NotFound as error:
        return not_found(error.message), None
    return respond(answer, request, db.settings), answer


def _raw(response: FeedResponse, *, length: int | None = None) -> RawHeaders:
    headers = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in response.headers.items()]
    if response.media_type is not None:
        headers.append((b"content-type", response.media_type.encode("latin-1")))
    if length is not None:
        headers.append((b"content-length", str(length).encode()))
    return headers


def served(answer: FeedAnswer, settings: Settings, as_of: int) -> Served | None:
    """The answer prepared to be sent from memory (every variant's headers built by `respond`), or None."""
    if answer.feed is None or answer.validators is None or answer.status is FeedStatus.GONE:
        return None
    feed, token = answer.feed, "unused"
    plain = respond(answer, FeedRequest(token), settings)
    gzipped = respond(answer, FeedRequest(token, accept_encoding="gzip"), settings)
    not_modified = respond(answer, FeedRequest(token, if_none_match="*"), settings)
    not_modified_gzipped = respond(answer, FeedRequest(token, if_none_match="*", accept_encoding="gzip"), settings)
    return Served(
        subscription_id=answer.subscription_id,
        calendar_id=answer.calendar_id,
        as_of=as_of,
        expires_at=answer.valid_until.timestamp() if answer.valid_until is not None else math.inf,
        feed=feed,
        quoted_etags=(plain.headers["ETag"].encode(), gzipped.headers["ETag"].encode()),
        last_modified=answer.validators.last_modified,
        last_modified_http=plain.headers["Last-Modified"].encode(),
        plain=_raw(plain, length=len(feed.body)),
        gzipped=_raw(gzipped, length=len(feed.gzip_body)),
        not_modified=_raw(not_modified),
        not_modified_gzipped=_raw(not_modified_gzipped),
    )


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

    Any Authorization header is ignored (Outlook sends one even to public calendars). The served app answers
    these requests before routing (`calcast.feeds.front`); this route documents them and answers when the
    application is mounted without that front.
    """
    headers = request.headers
    feed_request = FeedRequest(
        token=token.removesuffix(".ics"),
        if_none_match=headers.get("if-none-match"),
        if_modified_since=headers.get("if-modified-since"),
        accept_encoding=headers.get("accept-encoding"),
        user_agent=headers.get("user-agent"),
        head=request.method == "HEAD",
    )
    found, _ = answer_request(database(request), feed_runtime(request), feed_request)
    return Response(content=found.body, status_code=found.status, headers=found.headers, media_type=found.media_type)


# HEAD answers exactly like GET without the body; one OpenAPI operation documents both.
router.add_api_route("/webcal/{token}", webcal, methods=["HEAD"], include_in_schema=False)
