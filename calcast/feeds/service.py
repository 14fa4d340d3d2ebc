"""Per-subscription iCalendar feeds: which events, rendered how, and the validators that keep polls cheap.

A fetch costs one indexed lookup (token digest → subscription, calendar and the stored validators). When the
stored validators belong to the current versions and no time-driven change has come due, a conditional request
is answered 304 from them and a plain one from the in-memory cache; only otherwise is the feed rendered, from
queries bounded by the calendar's and the subscription's own events.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import UTC, date, datetime, time, timedelta
from email.utils import parsedate_to_datetime
from enum import StrEnum
from functools import lru_cache
from typing import Any

from icalendar import Alarm, Event, Timezone
from icalendar import Calendar as ICalendar
from icalendar.prop import vDuration, vText
from sqlalchemy import exists, or_, select, update
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from calcast.calendars.models import BroadcastEvent, Calendar, broadcast_event_tags
from calcast.core import clicks
from calcast.core.config import Settings
from calcast.core.db import utcnow
from calcast.core.errors import NotFound
from calcast.core.event_columns import span_fits, web_url
from calcast.core.security import digest, feed_token
from calcast.events.models import PersonalEvent, PersonalEventTarget
from calcast.feeds import telemetry
from calcast.feeds.cache import FeedRuntime, RenderedFeed
from calcast.feeds.models import FeedState
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import FeedToken, Subscription, subscription_tags
from calcast.timezones.service import zone

# Bump when the rendered form changes, so that stored validators are recomputed instead of trusted.
FORMAT_VERSION = "1"
PRODID = "-//calcast//calcast feed//EN"
REFRESH = timedelta(hours=1)
# UIDs are built from identity, never from content, in separate namespaces for the two kinds of event.
UID_DOMAIN = "calcast"
_PERSONAL_NAMESPACE = uuid.UUID("6f1f6c1e-5d0a-4c55-9f0e-7a1c0b6f2a01")
_BROADCAST_NAMESPACE = uuid.UUID("0c8d7a52-3b9e-4f7d-8a61-2e5b9d4c7f02")
# Line breaks other than LF that some parsers and apps honour (CRLF, CR, NEL, LINE and PARAGRAPH SEPARATOR): each
# becomes LF, which TEXT escapes as \n, so that none can end a content line in a client that splits on it.
_LINE_BREAKS = re.compile("\r\n|[\r\x85\u2028\u2029]")
# Characters iCalendar TEXT cannot carry (C0 and C1 controls other than TAB and LF, lone surrogates).
_UNSAFE_TEXT = re.compile("[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")

log = logging.getLogger("calcast.feeds")

_LABELS = {
    "en": {
        "manage": "Manage or unsubscribe",
        "unsubscribed": "{title} (unsubscribed)",
        "unsubscribed_description": "You unsubscribed from this calendar; you can remove it from your calendar app.",
    },
    "de": {
        "manage": "Abonnement verwalten oder abbestellen",
        "unsubscribed": "{title} (abbestellt)",
        "unsubscribed_description": "Sie haben diesen Kalender abbestellt und können ihn aus Ihrer Kalender-App "
        "entfernen.",
    },
}


class FeedStatus(StrEnum):
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"  # deactivated or token retired: an empty calendar during the grace period
    GONE = "gone"  # grace period over: 410


@dataclass(frozen=True)
class FeedEvent:
    """What the feed shows of one event, whichever kind it is."""

    uid: str
    title: str
    start_at: datetime
    end_at: datetime
    timezone: str
    updated_at: datetime
    sequence: int = 0
    description: str | None = None
    location: str | None = None
    url: str | None = None
    all_day: bool = False
    notify_before: int | None = None
    # Which stored event this is (kind, row id): what a tracked link names.
    ref: tuple[clicks.EventKind, str] | None = None


@dataclass(frozen=True)
class FeedContent:
    name: str
    events: Sequence[FeedEvent]
    language: str = "en"
    description: str | None = None
    manage_url: str | None = None


@dataclass(frozen=True)
class Validators:
    etag: str
    last_modified: datetime


@dataclass(frozen=True)
class Conditions:
    """The request's validators, as sent."""

    if_none_match: str | None = None
    if_modified_since: str | None = None


@dataclass(frozen=True)
class FeedAnswer:
    status: int  # 200, 304 or 410
    validators: Validators | None = None
    feed: RenderedFeed | None = None


@dataclass(frozen=True)
class _FeedRow:
    """Everything one indexed lookup tells about a feed URL."""

    token_digest: str
    subscription_id: str
    calendar_id: str
    token_retired_at: datetime | None
    deactivated_at: datetime | None
    subscription_version: int
    calendar_version: int
    last_polled_at: datetime | None
    stored_version_key: str | None
    stored_etag: str | None
    stored_last_modified: datetime | None
    stored_valid_until: datetime | None


# ---------------------------------------------------------------------------------------------------------------
# Rendering (pure: content in, bytes out)


def clean_text(text: str) -> str:
    """Text as iCalendar can carry it: one kind of line break (LF), no control characters."""
    return _UNSAFE_TEXT.sub("", _LINE_BREAKS.sub("\n", text))


class _Text(vText):
    """TEXT escaped exactly as RFC 5545 §3.3.11 says.

    icalendar's own escaper first turns a literal backslash-N into a line break, so "C:\\New" would not
    survive; this one escapes backslash, semicolon, comma and LF and nothing else.
    """

    def to_ical(self) -> bytes:
        text = str(self).replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")
        return text.encode()


def _text(text: str) -> _Text:
    return _Text(clean_text(text))


def _uri(url: str) -> str:
    """A URL on one line, or "" for anything but an http(s) address (a row stored before that rule, say)."""
    return web_url("".join(clean_text(url).split())) or ""


def personal_uid(account_id: str, event_id: str) -> str:
    return f"p-{uuid.uuid5(_PERSONAL_NAMESPACE, f'{account_id}/{event_id}')}@{UID_DOMAIN}"


def broadcast_uid(calendar_id: str, event_key: str) -> str:
    return f"b-{uuid.uuid5(_BROADCAST_NAMESPACE, f'{calendar_id}/{event_key}')}@{UID_DOMAIN}"


def _labels(language: str) -> dict[str, str]:
    return _LABELS.get(language, _LABELS["en"])


def _all_day_dates(event: FeedEvent) -> tuple[date, date]:
    """Local start date and exclusive end date: an end inside a day includes that day; at least one day."""
    tz = zone(event.timezone)
    start = event.start_at.astimezone(tz).date()
    end_local = event.end_at.astimezone(tz)
    end = end_local.date() + (timedelta(days=1) if end_local.time() != time(0) else timedelta(0))
    return start, max(end, start + timedelta(days=1))


def _vevent(event: FeedEvent, content: FeedContent) -> Event:
    title = _text(event.title)
    start: date | datetime
    end: date | datetime | None
    if event.all_day:
        start, end = _all_day_dates(event)
    else:
        tz = zone(event.timezone)
        start = event.start_at.astimezone(tz)
        end = event.end_at.astimezone(tz) if event.end_at != event.start_at else None
    url = _uri(event.url) if event.url else ""
    parts = [clean_text(event.description)] if event.description else []
    if url:
        # Outlook hides URL; the link is repeated where every client shows it.
        parts.append(url)
    if content.manage_url:
        parts.append(f"{_labels(content.language)['manage']}: {content.manage_url}")
    stamp = event.updated_at.astimezone(UTC).replace(microsecond=0)
    vevent = Event.new(
        uid=event.uid,
        summary=title,
        start=start,
        end=end,
        stamp=stamp,
        last_modified=stamp,
        sequence=event.sequence,
        description=_text("\n\n".join(parts)) if parts else None,
        location=_text(event.location) if event.location else None,
        url=url or None,
    )
    if event.notify_before is not None:
        alarm = Alarm.new(description=title if title.strip() else _text("Reminder"))
        alarm.add("ACTION", "DISPLAY")
        alarm.add("TRIGGER", timedelta(minutes=-event.notify_before))
        vevent.add_component(alarm)
    return vevent


@lru_cache(maxsize=256)
def _vtimezone(tzid: str, first_year: int, last_year: int) -> Timezone:
    return Timezone.from_tzid(tzid, first_date=date(first_year, 1, 1), last_date=date(last_year + 1, 1, 1))


def render(content: FeedContent) -> bytes:
    """The feed as iCalendar bytes: identical for identical content (no generation time, no calendar UID)."""
    calendar = ICalendar.new(prodid=PRODID, method="PUBLISH", calscale="GREGORIAN", refresh_interval=REFRESH)
    # vdirsyncer collapses a feed with a calendar-level UID into a single item.
    del calendar["UID"]
    calendar["REFRESH-INTERVAL"].params["VALUE"] = "DURATION"
    # Added as TEXT explicitly: `Calendar.new(name=…)` writes these without escaping.
    calendar.add("NAME", _text(content.name))
    calendar.add("X-WR-CALNAME", _text(content.name))
    if content.description:
        calendar.add("DESCRIPTION", _text(content.description))
        calendar.add("X-WR-CALDESC", _text(content.description))
    calendar.add("X-PUBLISHED-TTL", vDuration(REFRESH))
    years: dict[str, tuple[int, int]] = {}
    for event in sorted(content.events, key=lambda event: (event.start_at, event.uid)):
        vevent = _renderable_vevent(event, content)
        if vevent is None:
            continue
        calendar.add_component(vevent)
        if not event.all_day:
            tzid = zone(event.timezone).key
            first, last = years.get(tzid, (event.start_at.year, event.end_at.year))
            years[tzid] = (min(first, event.start_at.year), max(last, event.end_at.year))
    # One VTIMEZONE per TZID used, first and in name order, covering in whole years (one more on each side, for
    # local dates across New Year) only the events shown in that zone.
    for position, tzid in enumerate(sorted(calendar.get_used_tzids())):
        first_year, last_year = years[tzid]
        calendar.subcomponents.insert(position, _vtimezone(tzid, first_year - 1, last_year + 1))
    body: bytes = calendar.to_ical()
    return body


def _renderable_vevent(event: FeedEvent, content: FeedContent) -> Event | None:
    """The event's VEVENT, or None (logged) for a stored event that cannot be shown.

    One bad row (stored before today's input rules, or written by hand) must not cost the subscriber the feed.
    """
    if not span_fits(event.start_at, event.end_at):
        log.warning("Left event %s out of a feed: its times are outside the accepted years or length.", event.uid)
        return None
    try:
        return _vevent(event, content)
    except Exception:  # any failure of one event's data; the others still render
        log.exception("Left event %s out of a feed: it could not be rendered.", event.uid)
        return None


# ---------------------------------------------------------------------------------------------------------------
# Selecting a feed's content


def _feed_event(row: BroadcastEvent | PersonalEvent, uid: str) -> FeedEvent:
    kind: clicks.EventKind = "broadcast" if isinstance(row, BroadcastEvent) else "personal"
    return FeedEvent(
        uid=uid,
        ref=(kind, row.id),
        title=row.title,
        description=row.description,
        location=row.location,
        url=row.url,
        start_at=row.start_at,
        end_at=row.end_at,
        timezone=row.timezone,
        all_day=row.all_day,
        notify_before=row.notify_before,
        sequence=row.sequence,
        updated_at=row.updated_at,
    )


def with_tracked_links(event: FeedEvent, *, settings: Settings, subscription_id: str, text_links: bool) -> FeedEvent:
    """The event with its URL (and, with `text_links`, the addresses in description and location) as tracked links."""
    if event.ref is None:
        return event
    kind, event_id = event.ref
    links = clicks.event_links(
        url=event.url, description=event.description, location=event.location, text_links=text_links
    )
    tracked = {
        link: clicks.tracked_url(
            base_url=settings.base_url,
            secret_key=settings.secret_key,
            subscription_id=subscription_id,
            event_kind=kind,
            event_id=event_id,
            link=link,
        )
        for link in links
    }
    if not tracked:
        return event
    return replace(
        event,
        url=tracked.get(event.url or "", event.url),
        description=clicks.replace_text_links(event.description, tracked) if text_links else event.description,
        location=clicks.replace_text_links(event.location, tracked) if text_links else event.location,
    )


def select_events(
    *, session: Session, settings: Settings, subscription_id: str, calendar_id: str, now: datetime
) -> tuple[list[FeedEvent], datetime | None]:
    """The subscription's events as shown now, and the next instant at which time alone changes that list.

    Broadcast events of its calendar whose tags meet its tags (untagged: everyone), plus its personal events;
    without deleted ones, hidden ones (visible from a later time) and those that ended more than the window ago.
    """
    window = timedelta(days=settings.feed_window_days)
    cutoff = now - window
    untagged = ~exists().where(broadcast_event_tags.c.event_id == BroadcastEvent.id)
    chosen = exists().where(
        broadcast_event_tags.c.event_id == BroadcastEvent.id,
        broadcast_event_tags.c.tag_id == subscription_tags.c.tag_id,
        subscription_tags.c.subscription_id == subscription_id,
    )
    broadcast = session.scalars(
        select(BroadcastEvent).where(
            BroadcastEvent.calendar_id == calendar_id,
            BroadcastEvent.deleted_at.is_(None),
            BroadcastEvent.end_at > cutoff,
            or_(untagged, chosen),
        )
    )
    personal = session.scalars(
        select(PersonalEvent)
        .join(PersonalEventTarget, PersonalEventTarget.personal_event_id == PersonalEvent.id)
        .where(PersonalEventTarget.subscription_id == subscription_id, PersonalEvent.end_at > cutoff)
    )
    candidates: list[tuple[FeedEvent, datetime | None]] = [
        (_feed_event(row, broadcast_uid(row.calendar_id, row.event_key)), row.visible_from) for row in broadcast
    ] + [(_feed_event(row, personal_uid(row.account_id, row.event_id)), row.visible_from) for row in personal]
    shown: list[FeedEvent] = []
    changes: list[datetime] = []
    for event, visible_from in candidates:
        if not span_fits(event.start_at, event.end_at):
            shown.append(event)  # rendering leaves it out and says so; it changes nothing over time
            continue
        if visible_from is not None and visible_from > now:
            changes.append(visible_from)
            continue
        shown.append(event)
        changes.append(event.end_at + window)
    return shown, min(changes, default=None)


# ---------------------------------------------------------------------------------------------------------------
# Serving a fetch


def _lookup(session: Session, token_digest: str) -> _FeedRow | None:
    query = (
        select(
            FeedToken.digest,
            FeedToken.subscription_id,
            Subscription.calendar_id,
            FeedToken.retired_at,
            Subscription.deactivated_at,
            Subscription.feed_version,
            Calendar.feed_version,
            Subscription.last_polled_at,
            FeedState.version_key,
            FeedState.etag,
            FeedState.last_modified,
            FeedState.valid_until,
        )
        .join(Subscription, Subscription.id == FeedToken.subscription_id)
        .join(Calendar, Calendar.id == Subscription.calendar_id)
        .outerjoin(FeedState, FeedState.token_digest == FeedToken.digest)
        .where(FeedToken.digest == token_digest)
    )
    row = session.execute(query).one_or_none()
    return None if row is None else _FeedRow(*tuple(row))


def _status(row: _FeedRow, settings: Settings, now: datetime) -> tuple[FeedStatus, datetime | None]:
    ended = [moment for moment in (row.token_retired_at, row.deactivated_at) if moment is not None]
    if not ended:
        return FeedStatus.ACTIVE, None
    grace_ends_at = min(ended) + timedelta(days=settings.feed_grace_days)
    return (FeedStatus.GONE if now >= grace_ends_at else FeedStatus.UNSUBSCRIBED), grace_ends_at


@lru_cache(maxsize=8)
def _fingerprint(base_url: str, secret_key: str, window_days: int) -> str:
    """Settings the rendered bytes depend on (links, window): a change makes stored validators stale."""
    material = f"{FORMAT_VERSION}|{base_url}|{digest(secret_key)}|{window_days}"
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def _version_key(row: _FeedRow, status: FeedStatus, settings: Settings) -> str:
    fingerprint = _fingerprint(settings.base_url, settings.secret_key, settings.feed_window_days)
    return f"{fingerprint}.{status}.{row.calendar_version}.{row.subscription_version}"


def _stored_validators(row: _FeedRow, version_key: str, now: datetime) -> Validators | None:
    if row.stored_version_key != version_key or row.stored_etag is None or row.stored_last_modified is None:
        return None
    if row.stored_valid_until is not None and now >= row.stored_valid_until:
        return None
    return Validators(etag=row.stored_etag, last_modified=row.stored_last_modified)


def _etag_values(header: str) -> set[str]:
    values = set()
    for part in header.split(","):
        tag = part.strip().removeprefix("W/").strip('"')
        values.add(tag.removesuffix("-gzip"))
    return values


def is_not_modified(validators: Validators, conditions: Conditions) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present; otherwise If-Modified-Since, compared as dates."""
    if conditions.if_none_match is not None:
        values = _etag_values(conditions.if_none_match)
        return "*" in values or validators.etag in values
    if conditions.if_modified_since:
        try:
            since = parsedate_to_datetime(conditions.if_modified_since)
        except (TypeError, ValueError, IndexError):
            return False
        if since.tzinfo is None:
            since = since.replace(tzinfo=UTC)
        return validators.last_modified <= since
    return False


def _content(
    *,
    session: Session,
    settings: Settings,
    row: _FeedRow,
    status: FeedStatus,
    grace_ends_at: datetime | None,
    now: datetime,
) -> tuple[FeedContent, datetime | None]:
    calendar = session.get_one(Calendar, row.calendar_id)
    labels = _labels(calendar.language)
    if status is FeedStatus.UNSUBSCRIBED:
        name = labels["unsubscribed"].format(title=calendar.title)
        return FeedContent(
            name=name, events=[], language=calendar.language, description=labels["unsubscribed_description"]
        ), grace_ends_at
    events, changes_at = select_events(
        session=session, settings=settings, subscription_id=row.subscription_id, calendar_id=row.calendar_id, now=now
    )
    subscription = session.get_one(Subscription, row.subscription_id)
    if calendar.click_tracking:
        events = [
            with_tracked_links(
                event, settings=settings, subscription_id=subscription.id, text_links=calendar.track_text_links
            )
            for event in events
        ]
    content = FeedContent(
        name=calendar.title,
        description=calendar.description,
        language=calendar.language,
        events=events,
        manage_url=subscriptions.manage_url(settings, subscription),
    )
    return content, changes_at


def _new_validators(row: _FeedRow, etag: str, now: datetime) -> Validators:
    """The validators of what was just rendered; Last-Modified moves only when the bytes changed."""
    if row.stored_etag == etag and row.stored_last_modified is not None:
        return Validators(etag=etag, last_modified=row.stored_last_modified)
    last_modified = now.replace(microsecond=0)
    if row.stored_last_modified is not None and last_modified <= row.stored_last_modified:
        # HTTP dates have whole seconds: a change must be visible to If-Modified-Since.
        last_modified = row.stored_last_modified.replace(microsecond=0) + timedelta(seconds=1)
    return Validators(etag=etag, last_modified=last_modified)


@dataclass(frozen=True)
class _ValidatorsToStore:
    version_key: str
    validators: Validators
    valid_until: datetime | None


def _store_validators(*, session: Session, row: _FeedRow, stored: _ValidatorsToStore) -> None:
    """Remember the validators of what was rendered, so that the next poll needs no rendering."""
    values: dict[str, Any] = {
        "version_key": stored.version_key,
        "etag": stored.validators.etag,
        "last_modified": stored.validators.last_modified,
        "valid_until": stored.valid_until,
    }
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    session.execute(
        insert(FeedState)
        .values(token_digest=row.token_digest, **values)
        .on_conflict_do_update(index_elements=[FeedState.token_digest], set_=values)
    )


def _answer(
    *,
    session: Session,
    settings: Settings,
    runtime: FeedRuntime,
    row: _FeedRow,
    conditions: Conditions,
    now: datetime,
) -> tuple[FeedAnswer, _ValidatorsToStore | None]:
    """The answer to a fetch, read and rendered without writing; and the validators to store, if they changed."""
    status, grace_ends_at = _status(row, settings, now)
    if status is FeedStatus.GONE:
        return FeedAnswer(status=410), None
    version_key = _version_key(row, status, settings)
    validators = _stored_validators(row, version_key, now)
    if validators is not None:
        if is_not_modified(validators, conditions):
            return FeedAnswer(status=304, validators=validators), None
        cached = runtime.cache.get(row.token_digest, validators.etag)
        if cached is not None:
            return FeedAnswer(status=200, validators=validators, feed=cached), None
    content, valid_until = _content(
        session=session, settings=settings, row=row, status=status, grace_ends_at=grace_ends_at, now=now
    )
    body = render(content)
    feed = RenderedFeed.of(hashlib.sha256(body).hexdigest(), body)
    runtime.cache.put(row.token_digest, feed)
    to_store = None
    if validators is None or validators.etag != feed.etag or row.stored_valid_until != valid_until:
        validators = _new_validators(row, feed.etag, now)
        to_store = _ValidatorsToStore(version_key=version_key, validators=validators, valid_until=valid_until)
    if is_not_modified(validators, conditions):
        return FeedAnswer(status=304, validators=validators), to_store
    return FeedAnswer(status=200, validators=validators, feed=feed), to_store


def fetch_feed(
    *,
    session: Session,
    settings: Settings,
    runtime: FeedRuntime,
    token: str,
    conditions: Conditions = Conditions(),
    user_agent: str | None = None,
    now: datetime | None = None,
) -> FeedAnswer:
    """Answer one fetch of a feed URL: 200 with the feed, 304, or 410 after the grace period; NotFound if unknown.

    The feed is read and rendered before anything is written: on SQLite the first write of a transaction holds
    the database's only write lock until commit, and no other request's write should wait for a rendering.
    """
    now = now or utcnow()
    row = _lookup(session, digest(token))
    if row is None:
        raise NotFound("There is no calendar feed at this address; subscribe again to get a new link.")
    answer, to_store = _answer(
        session=session, settings=settings, runtime=runtime, row=row, conditions=conditions, now=now
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
        _store_validators(session=session, row=row, stored=to_store)
    return answer


# ---------------------------------------------------------------------------------------------------------------
# Feed URLs


def rotate_feed_token(*, session: Session, settings: Settings, subscription_id: str) -> str:
    """Give the subscription a new feed token; the old URL shows the unsubscribed calendar, then 410."""
    subscription = subscriptions.get_subscription(session=session, subscription_id=subscription_id)
    session.execute(
        update(FeedToken)
        .where(FeedToken.subscription_id == subscription.id, FeedToken.retired_at.is_(None))
        .values(retired_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    subscription.feed_token_generation += 1
    token = feed_token(settings.secret_key, subscription.id, subscription.feed_token_generation)
    session.add(
        FeedToken(digest=digest(token), subscription_id=subscription.id, generation=subscription.feed_token_generation)
    )
    session.flush()
    return token
