"""The periods numbers are asked for (today, yesterday, the last 7 or 30 days, this month, all time, custom days),
and the filters that narrow the subscriptions they count. Days are UTC days, here and in the rollups.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from datetime import UTC, date, datetime, time, timedelta

from calcast.core.errors import invalid

RANGES = ("today", "yesterday", "7d", "30d", "month", "all", "custom")
LONGEST_CUSTOM = timedelta(days=3660)  # ten years of days; a longer custom range is a typo


@dataclass(frozen=True)
class Period:
    """[since, until): a range of UTC days, the last of them up to now when it is today."""

    name: str
    since: datetime
    until: datetime

    @property
    def days(self) -> list[date]:
        """Every UTC day the period touches, oldest first."""
        first, last = self.since.date(), (self.until - timedelta(microseconds=1)).date()
        return [first + timedelta(days=offset) for offset in range((last - first).days + 1)]

    def previous(self) -> Period:
        """The period of the same length that ends where this one starts."""
        return Period(name=f"before {self.name}", since=self.since - (self.until - self.since), until=self.since)


def day_start(day: date) -> datetime:
    return datetime.combine(day, time(0), tzinfo=UTC)


def last_days(days: int, *, now: datetime) -> Period:
    """The last `days` UTC days, today (up to now) included."""
    today = now.astimezone(UTC).date()
    return Period(name=f"{days}d", since=day_start(today - timedelta(days=days - 1)), until=now)


def parse_day(text: str, field: str) -> date:
    try:
        return date.fromisoformat(text.strip())
    except ValueError:
        raise invalid(
            field, "{field} {text!r} is not a date; write it as YYYY-MM-DD, e.g. 2026-11-30.", field=field, text=text
        ) from None


def period(
    name: str,
    *,
    now: datetime,
    first: datetime | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Period:
    """The named range ending now; "all" starts on the day of `first` (the first subscription), "custom" runs from
    the day `start` to the day `end`, both included (cut at now)."""
    today = now.astimezone(UTC).date()
    if name == "today":
        return Period(name, day_start(today), now)
    if name == "yesterday":
        return Period(name, day_start(today - timedelta(days=1)), day_start(today))
    if name in ("7d", "30d"):
        return last_days(int(name[:-1]), now=now)
    if name == "month":
        return Period(name, day_start(today.replace(day=1)), now)
    if name == "all":
        return Period(name, day_start((first or now).astimezone(UTC).date()), now)
    if name == "custom":
        if start is None or end is None:
            raise invalid("start", "A custom range needs a first and a last day (start and end, YYYY-MM-DD).")
        if end < start:
            raise invalid("end", "The last day {end} is before the first day {start}; swap them.", end=end, start=start)
        if start > today:
            raise invalid(
                "start", "The first day {start} is in the future; there are no numbers for it yet.", start=start
            )
        if end - start > LONGEST_CUSTOM:
            raise invalid("end", "A custom range may span at most ten years; choose a shorter one.")
        return Period(name, day_start(start), min(day_start(end + timedelta(days=1)), now))
    ranges = ", ".join(RANGES)
    raise invalid("range", "The range {name!r} does not exist; use one of {ranges}.", name=name, ranges=ranges)


@dataclass(frozen=True)
class Filters:
    """Which subscriptions to count; None: all. "unknown" matches subscriptions where the value was not captured.

    `tag` is a tag name (any calendar's tag of that name), `app` a client family (`core.clients`), `calendar` a
    calendar code; the others are the subscription's captured values.
    """

    calendar: str | None = None
    tag: str | None = None
    source: str | None = None
    app: str | None = None
    device: str | None = None
    country: str | None = None
    method: str | None = None

    def chosen(self) -> dict[str, str]:
        """The filters that are set, by name."""
        return {item.name: value for item in fields(self) if (value := getattr(self, item.name)) is not None}

    @property
    def by_calendar_only(self) -> bool:
        """Whether the daily rollups (kept per calendar) can answer: no filter but the calendar."""
        return set(self.chosen()) <= {"calendar"}

    @property
    def one_besides_calendar(self) -> tuple[str, str] | None:
        """The one filter set besides the calendar, as (name, value), when exactly one is (the reminder rollups per
        value answer it)."""
        others = [(name, value) for name, value in self.chosen().items() if name != "calendar"]
        return others[0] if len(others) == 1 else None
