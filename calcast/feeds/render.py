"""Feeds as iCalendar bytes: pure rendering, content in and bytes out, no database.

Identical content gives identical bytes (no generation time, no calendar UID, stable order), so a feed's ETag
follows its content alone.
"""

from __future__ import annotations

import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from functools import lru_cache

from icalendar import Alarm, Event, Timezone
from icalendar import Calendar as ICalendar
from icalendar.prop import vDuration, vText

from calcast.core import clicks
from calcast.core.event_columns import span_fits, web_url
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


def labels(language: str) -> dict[str, str]:
    return _LABELS.get(language, _LABELS["en"])


def all_day_dates(event: FeedEvent) -> tuple[date, date]:
    """Local start date and exclusive end date: an end inside a day includes that day; at least one day."""
    tz = zone(event.timezone)
    start = event.start_at.astimezone(tz).date()
    end_local = event.end_at.astimezone(tz)
    end = end_local.date() + (timedelta(days=1) if end_local.time() != time(0) else timedelta(0))
    return start, max(end, start + timedelta(days=1))


def event_url(event: FeedEvent) -> str:
    """The event's link on one line, or "" when it has none (or none that is an http(s) address)."""
    return _uri(event.url) if event.url else ""


def event_description(event: FeedEvent, content: FeedContent) -> str | None:
    """The description every client shows: the event's text, its link, and the manage link."""
    url = event_url(event)
    parts = [clean_text(event.description)] if event.description else []
    if url:
        # Outlook hides URL; the link is repeated where every client shows it.
        parts.append(url)
    if content.manage_url:
        parts.append(f"{labels(content.language)['manage']}: {content.manage_url}")
    return "\n\n".join(parts) if parts else None


def _vevent(event: FeedEvent, content: FeedContent) -> Event:
    title = _text(event.title)
    start: date | datetime
    end: date | datetime | None
    if event.all_day:
        start, end = all_day_dates(event)
    else:
        tz = zone(event.timezone)
        start = event.start_at.astimezone(tz)
        end = event.end_at.astimezone(tz) if event.end_at != event.start_at else None
    url = event_url(event)
    description = event_description(event, content)
    stamp = event.updated_at.astimezone(UTC).replace(microsecond=0)
    vevent = Event.new(
        uid=event.uid,
        summary=title,
        start=start,
        end=end,
        stamp=stamp,
        last_modified=stamp,
        sequence=event.sequence,
        description=_text(description) if description else None,
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
