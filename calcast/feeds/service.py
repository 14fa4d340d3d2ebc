"""Serving a fetch of a feed URL: look it up, and render only when neither the client nor this process has it.

A fetch costs one indexed lookup (token digest → subscription, calendar and the stored validators). When the
stored validators belong to the current versions and no time-driven change has come due, a client that already
has them needs no body, and any other gets the bytes from the in-memory cache; only otherwise is the feed rendered
(`render`), from queries bounded by the calendar's and the subscription's own events (`content`). HTTP (headers,
status codes) is the caller's: this module answers in the domain's words.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime

from sqlalchemy.orm import Session

from calcast.core.config import Settings
from calcast.core.db import utcnow
from calcast.core.errors import NotFound
from calcast.core.security import digest
from calcast.feeds import conditional, content, render, telemetry
from calcast.feeds.cache import FeedRuntime, RenderedFeed
from calcast.feeds.conditional import Validators, ValidatorsToStore
from calcast.feeds.content import FeedRow, FeedStatus


@dataclass(frozen=True)
class FeedAnswer:
    """A feed URL's answer: its status, and for a feed still shown its validators and (unless not needed) bytes."""

    status: FeedStatus
    subscription_id: str
    calendar_id: str
    validators: Validators | None = None  # None when GONE
    feed: RenderedFeed | None = None  # None when GONE, or when the client already has these validators
    # Until when this answer stays what the feed is, unless the subscription or its calendar change.
    valid_until: datetime | None = None


def _rendered(
    *,
    session: Session,
    settings: Settings,
    runtime: FeedRuntime,
    row: FeedRow,
    status: FeedStatus,
    grace_ends_at: datetime | None,
    now: datetime,
) -> tuple[RenderedFeed, datetime | None]:
    shown, valid_until = content.feed_content(
        session=session, settings=settings, row=row, status=status, grace_ends_at=grace_ends_at, now=now
    )
    body = render.render(shown)
    feed = RenderedFeed.of(hashlib.sha256(body).hexdigest(), body)
    runtime.cache.put(row.token_digest, feed)
    return feed, valid_until


def _answer(
    *,
    session: Session,
    settings: Settings,
    runtime: FeedRuntime,
    row: FeedRow,
    client_has: Callable[[Validators], bool],
    now: datetime,
) -> tuple[FeedAnswer, ValidatorsToStore | None]:
    """The answer to a fetch, read and rendered without writing; and the validators to store, if they changed."""
    status, grace_ends_at = content.feed_status(row, settings, now)
    answer = FeedAnswer(status=status, subscription_id=row.subscription_id, calendar_id=row.calendar_id)
    if status is FeedStatus.GONE:
        return answer, None
    key = conditional.version_key(row, status, settings)
    validators = conditional.stored_validators(row, key, now)
    if validators is not None:
        valid_until = row.stored_valid_until
        if client_has(validators):
            return replace(answer, validators=validators, valid_until=valid_until), None
        cached = runtime.cache.get(row.token_digest, validators.etag)
        if cached is not None:
            return replace(answer, validators=validators, feed=cached, valid_until=valid_until), None
    feed, valid_until = _rendered(
        session=session,
        settings=settings,
        runtime=runtime,
        row=row,
        status=status,
        grace_ends_at=grace_ends_at,
        now=now,
    )
    to_store = None
    if validators is None or validators.etag != feed.etag or row.stored_valid_until != valid_until:
        validators = conditional.new_validators(row, feed.etag, now)
        to_store = ValidatorsToStore(version_key=key, validators=validators, valid_until=valid_until)
    return replace(answer, validators=validators, feed=feed, valid_until=valid_until), to_store


def _nothing(_validators: Validators) -> bool:
    return False


def fetch_feed(
    *,
    session: Session,
    settings: Settings,
    runtime: FeedRuntime,
    token: str,
    client_has: Callable[[Validators], bool] = _nothing,
    user_agent: str | None = None,
    now: datetime | None = None,
) -> FeedAnswer:
    """Answer one fetch of a feed URL: the feed (or only its validators, when `client_has` them), or GONE.

    NotFound for an unknown URL. The feed is read and rendered before anything is written: on SQLite the first
    write of a transaction holds the database's only write lock until commit, and no other request's write should
    wait for a rendering.
    """
    now = now or utcnow()
    row = content.lookup(session=session, token_digest=digest(token))
    if row is None:
        raise NotFound("There is no calendar feed at this address; subscribe again to get a new link.")
    answer, to_store = _answer(
        session=session, settings=settings, runtime=runtime, row=row, client_has=client_has, now=now
    )
    telemetry.record_fetch(
        session=session,
        settings=settings,
        counter=runtime.fetches,
        subscription_id=row.subscription_id,
        last_polled_at=row.last_polled_at,
        user_agent=user_agent,
        now=now,
    )
    if to_store is not None:
        conditional.store_validators(session=session, token_digest=row.token_digest, stored=to_store)
    return answer
