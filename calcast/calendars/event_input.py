"""What every event is made of, however it arrives: the rules that turn given text into stored columns.

Broadcast events (calendars) and personal events (the Rokt API) share them, so an event means the same
whichever way it was created.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from calcast.core.errors import invalid
from calcast.core.event_columns import (
    LATEST_YEAR,
    MAX_EVENT_LENGTH,
    EventColumns,
    outside_years,
    web_url,
    within_years,
)
from calcast.timezones import service as timezones

DEFAULT_DURATION_MINUTES = 60
MAX_NOTIFY_BEFORE = 525_600  # one year of minutes


# The columns a subscriber can see; a change to any of them bumps SEQUENCE (Google ignores edits otherwise).
VISIBLE_FIELDS = (
    "title",
    "description",
    "location",
    "url",
    "start_at",
    "end_at",
    "timezone",
    "all_day",
    "notify_before",
    "visible_from",
)


@dataclass(frozen=True, kw_only=True)
class EventInput:
    """An event as given: times as text in `timezone`, zone as a Windows or IANA name."""

    title: str
    start: str
    end: str | None = None
    timezone: str | None = None
    timezone_iana_id: str | None = None
    description: str | None = None
    location: str | None = None
    url: str | None = None
    notify_before: int | None = None
    all_day: bool = False
    visible_from: str | None = None


def _zone(event: EventInput) -> str:
    if event.timezone_iana_id and event.timezone_iana_id.strip():
        return timezones.resolve(event.timezone_iana_id, field="timezoneIanaId")
    if not (event.timezone and event.timezone.strip()):
        raise invalid(
            "timezone",
            "The event needs a timezone, e.g. 'Eastern Standard Time' or 'America/New_York' "
            "(GET /v1/timezones lists them).",
        )
    return timezones.resolve(event.timezone, field="timezone")


def _instant(text: str, iana: str, field_name: str) -> datetime:
    """A given time as a UTC instant inside the years events may use."""
    instant = timezones.parse_instant(text, iana, field=field_name)
    if not within_years(instant):
        raise outside_years(field_name, text.strip())
    return instant


def _visible_from(text: str | None) -> datetime | None:
    """visibleFromDateTimeUtc: a time without offset is UTC, as its name says."""
    if not (text and text.strip()):
        return None
    return _instant(text, "UTC", "visibleFromDateTimeUtc")


def _url(text: str | None) -> str | None:
    """The event's link: an http or https address, since a calendar app opens it for the subscriber."""
    cleaned = (text or "").strip()
    if not cleaned:
        return None
    if web_url(cleaned) is None:
        raise invalid(
            "url",
            "The url must be a web address starting with http:// or https:// (no spaces); "
            "other kinds of link are not put into calendars.",
        )
    return cleaned


def _check_length(start_at: datetime, end_at: datetime) -> None:
    if end_at - start_at > MAX_EVENT_LENGTH:
        raise invalid(
            "end",
            "The event lasts longer than {days} days; give an end within a year of the start "
            "or split it into several events.",
            days=MAX_EVENT_LENGTH.days,
        )


def _all_day_span(start_at: datetime, end_at: datetime | None, end_text: str, iana: str) -> tuple[datetime, datetime]:
    """Local midnights: the start day, and the day after the last day.

    The end day is included when `end` is a date (2019-02-22) or a time after midnight; an end of exactly
    midnight (2019-02-22T00:00) is exclusive, as DTEND is in iCalendar. At least one day.
    """
    tz = timezones.zone(iana)
    first = start_at.astimezone(tz).date()
    last_local = (end_at or start_at).astimezone(tz)
    exclusive = last_local.time() == datetime.min.time() and "T" in end_text.upper()
    after = last_local.date() if exclusive else last_local.date() + timedelta(days=1)
    after = max(after, first + timedelta(days=1))

    def midnight(day: Any) -> datetime:
        return datetime(day.year, day.month, day.day, tzinfo=tz).astimezone(UTC)

    return midnight(first), midnight(after)


def event_values(event: EventInput, *, default_duration_minutes: int) -> dict[str, Any]:
    """The stored columns of an event: UTC instants, IANA zone, cleaned texts; Invalid for what cannot be stored."""
    if not event.title.strip():
        raise invalid("title", "The event needs a title.")
    if event.notify_before is not None and not 0 <= event.notify_before <= MAX_NOTIFY_BEFORE:
        raise invalid("notifyBefore", "notifyBefore is a number of minutes from 0 to 525600 (one year).")
    iana = _zone(event)
    start_at = _instant(event.start, iana, "start")
    end_at = _instant(event.end, iana, "end") if event.end and event.end.strip() else None
    if end_at is not None and end_at < start_at:
        raise invalid("end", "The event ends before it starts; give an end at or after the start.")
    if event.all_day:
        start_at, end_at = _all_day_span(start_at, end_at, event.end or "", iana)
    elif end_at is None:
        if default_duration_minutes > MAX_EVENT_LENGTH // timedelta(minutes=1):
            raise invalid("end", "The calendar's default event duration is over a year; give the event an end.")
        end_at = start_at + timedelta(minutes=default_duration_minutes)
    _check_length(start_at, end_at)
    if not within_years(end_at):
        raise invalid(
            "end", "The event would end after {year}; give an end in the years events may use.", year=LATEST_YEAR
        )
    return {
        "title": event.title.strip(),
        "description": event.description or None,
        "location": event.location or None,
        "url": _url(event.url),
        "start_at": start_at,
        "end_at": end_at,
        "timezone": iana,
        "all_day": event.all_day,
        "notify_before": event.notify_before,
        "visible_from": _visible_from(event.visible_from),
    }


def feed_visibility_note(
    *, end_at: datetime, visible_from: datetime | None, now: datetime, window_days: int
) -> str | None:
    """Why feeds do not show an event now, as a sentence for the one who sent it; None when they show it.

    The rule is the feeds' own: an event shows from its visibleFromDateTimeUtc until `window_days` after its end.
    """
    window = timedelta(days=window_days)
    days = f"{window_days} day{'' if window_days == 1 else 's'}"
    if end_at <= now - window:
        return f"The event ended more than {days} ago, so it is outside every feed's window."
    if visible_from is not None and visible_from > now:
        moment = visible_from.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")
        if end_at <= visible_from - window:
            return (
                f"The event is hidden until {moment} (visibleFromDateTimeUtc), when it will have ended more than "
                f"{days} before, so it never appears in a feed."
            )
        return f"The event is hidden from feeds until {moment} (visibleFromDateTimeUtc)."
    return None


def apply_changes(row: EventColumns, values: dict[str, Any]) -> bool:
    """Write the values that differ; bump SEQUENCE when a visible one did. True when anything changed."""
    changed = {name: value for name, value in values.items() if getattr(row, name) != value}
    for name, value in changed.items():
        setattr(row, name, value)
    if any(name in VISIBLE_FIELDS for name in changed):
        row.sequence = (row.sequence or 0) + 1
    return bool(changed)
