"""Columns every calendar event has, whether broadcast to a calendar or pushed to one person.

Also the bounds every stored event keeps, however it arrived: the input rules refuse what lies outside them, and
the feed leaves out (and logs) a row that lies outside them anyway, e.g. one stored before the bounds existed.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlsplit

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from calcast.core.db import UTCDateTime, created_at, updated_at, utc_datetime
from calcast.core.errors import Invalid, invalid

# Calendar apps, time zone data and the feed's VTIMEZONE all work within these years; a time outside them is a
# typo (year 1, 9998) rather than a plan. An event lasts at most a year: a season, not an era.
EARLIEST_YEAR = 1970
LATEST_YEAR = 2200
MAX_EVENT_LENGTH = timedelta(days=366)
WEB_SCHEMES = frozenset({"http", "https"})


class EventColumns:
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(1024))
    url: Mapped[str | None] = mapped_column(String(2048))
    # Instants are stored in UTC; `timezone` is the IANA zone the event is shown in.
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64))
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_before: Mapped[int | None] = mapped_column(Integer)
    visible_from: Mapped[utc_datetime | None]
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


def within_years(instant: datetime) -> bool:
    """Whether a (UTC) instant lies in the years events may use."""
    return EARLIEST_YEAR <= instant.year <= LATEST_YEAR


def outside_years(field: str, text: str) -> Invalid:
    return invalid(
        field,
        "{field} {text!r} is outside the years {first} to {last} that events may use; check the year.",
        field=field,
        text=text,
        first=EARLIEST_YEAR,
        last=LATEST_YEAR,
    )


def span_fits(start_at: datetime, end_at: datetime) -> bool:
    """Whether an event's start and end lie in the accepted years and it lasts no longer than allowed."""
    return within_years(start_at) and within_years(end_at) and timedelta(0) <= end_at - start_at <= MAX_EVENT_LENGTH


def web_url(text: str) -> str | None:
    """The URL if it is an http(s) address with a host and no whitespace or control character, else None.

    Other schemes (javascript:, data:, file:) would be links a calendar app opens on the subscriber's behalf.
    """
    if not text or any(character.isspace() or not character.isprintable() for character in text):
        return None
    try:
        parts = urlsplit(text)
        host = parts.hostname
    except ValueError:
        return None
    if parts.scheme.lower() not in WEB_SCHEMES or not host:
        return None
    return text
