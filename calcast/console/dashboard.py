"""The dashboard's numbers: the analytics service asked for a range, the range before it, and the filters."""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, fields
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from calcast.analytics import service as analytics
from calcast.analytics.periods import Filters, Period, parse_day
from calcast.analytics.service import EventNumbers, Numbers
from calcast.calendars import service as calendars
from calcast.console.charts import BarChart, LineChart, bar_chart, line_chart
from calcast.core.db import utcnow

DEFAULT_RANGE = "7d"
# The longest parts of a view, the people who clicked and the top lists, are counted alongside the rest, each in a
# session of its own; four at a time per process, so that many views at once take at most four more connections.
_ALONGSIDE = ThreadPoolExecutor(max_workers=4, thread_name_prefix="dashboard")
Counted = TypeVar("Counted")
TILES = ("active", "new", "unsubscribed", "lapsed", "reminders_sent", "engagement")
FILTERS = tuple(item.name for item in fields(Filters))
TOP_LISTS = ("calendar", "tag", "source", "campaign", "app", "device", "country", "method")


@dataclass(frozen=True)
class Tile:
    metric: str
    # A count, or for engagement a share (0.1234 = 12.34 %), or None when there is nothing to divide by.
    value: int | float | None
    # The change against the previous period of the same length (for engagement in percentage points as a share);
    # None for "all time", which has none, or when either share is missing.
    change: int | float | None

    @property
    def is_share(self) -> bool:
        return self.metric == "engagement"


@dataclass(frozen=True)
class Query:
    """What the dashboard was asked for: GET parameters, checked."""

    range: str
    start: date | None
    end: date | None
    filters: Filters

    def parameters(self, **changed: str | None) -> dict[str, str]:
        """The GET parameters of this view with some changed (None removes one): for links that keep the rest."""
        found: dict[str, str | None] = {"range": self.range, **self.filters.chosen()}
        if self.range == "custom":
            found["start"] = self.start.isoformat() if self.start else None
            found["end"] = self.end.isoformat() if self.end else None
        found.update(changed)
        return {name: value for name, value in found.items() if value}


def read_query(parameters: dict[str, str]) -> Query:
    """The view's range and filters from GET parameters; Invalid with a sentence for a malformed one."""
    name = parameters.get("range", "") or DEFAULT_RANGE
    start = parameters.get("start", "").strip()
    end = parameters.get("end", "").strip()
    filters = Filters(**{item: (parameters.get(item, "").strip()[:255] or None) for item in FILTERS})
    return Query(
        range=name,
        start=parse_day(start, "start") if start else None,
        end=parse_day(end, "end") if end else None,
        filters=filters,
    )


@dataclass(frozen=True)
class Dashboard:
    query: Query
    period: Period
    tiles: list[Tile]
    chart: BarChart
    line: LineChart
    tops: dict[str, dict[str, int]]
    polls: dict[str, int] | None
    events: list[EventNumbers]
    calendar_codes: list[str]


def _in_a_session(bind: Any, count: Callable[..., Counted], **arguments: Any) -> Counted:
    """`count(session=..., **arguments)` in a session of its own (on a thread of `_ALONGSIDE`)."""
    with Session(bind=bind) as session:
        return count(session=session, **arguments)


def _value(numbers: Numbers, metric: str) -> int | float | None:
    if metric == "reminders_sent":
        return numbers.reminders_sent
    if metric == "engagement":
        return numbers.engagement
    value: int = getattr(numbers.subscribers, metric)
    return value


def _change(current: int | float | None, previous: int | float | None, metric: str) -> int | float | None:
    if current is None or previous is None:
        return None
    if metric == "engagement":
        return round(current - previous, 4)
    return current - previous


def dashboard(*, session: Session, account_code: str, query: Query, now: datetime | None = None) -> Dashboard:
    """Tiles (each with its change against the previous period), charts, top lists and events of a view.

    Invalid for a range that does not exist or custom days out of order; NotFound for an unknown calendar.
    """
    period = analytics.account_period(
        session=session,
        account_code=account_code,
        name=query.range,
        now=now or utcnow(),
        start=query.start,
        end=query.end,
    )
    scope = analytics.scope(session=session, account_code=account_code, filters=query.filters)
    before = None if period.name == "all" else period.previous()
    # Reminders of both periods at once: with a filter other than the calendar, one count over both.
    periods = [period] if before is None else [period, before]
    # The people who clicked in both (per calendar and per event, one pass over the clicks) and the top lists,
    # alongside the rest.
    bind = session.get_bind()
    clicking = _ALONGSIDE.submit(_in_a_session, bind, analytics.clicked, scope=scope, periods=periods)
    listing = _ALONGSIDE.submit(
        _in_a_session,
        bind,
        analytics.tops,
        scope=scope,
        since=period.since,
        until=period.until,
        dimensions=TOP_LISTS,
    )
    reminders = analytics.reminder_counts_of(session=session, scope=scope, periods=periods)
    # And subscribers: with a filter other than the calendar, one pass over the subscriptions for both.
    subscribers = analytics.subscriber_counts_of(session=session, scope=scope, periods=periods)
    series = analytics.daily_counts(
        session=session,
        scope=scope,
        period=period,
        active_at_start=None if before is None else subscribers[1].active,
    )
    polls = analytics.polls_by_app(session=session, scope=scope, period=period)
    tops, clicked = listing.result(), clicking.result()
    counted = [
        analytics.numbers(
            session=session,
            scope=scope,
            period=chosen,
            reminders=reminders[index],
            subscribers=subscribers[index],
            clicks=clicked.by_calendar[index],
        )
        for index, chosen in enumerate(periods)
    ]
    current, previous = counted[0], (counted[1] if before is not None else None)
    tiles = [
        Tile(
            metric=metric,
            value=_value(current, metric),
            change=None if previous is None else _change(_value(current, metric), _value(previous, metric), metric),
        )
        for metric in TILES
    ]
    return Dashboard(
        query=query,
        period=period,
        tiles=tiles,
        chart=bar_chart(series),
        line=line_chart(series),
        tops=tops,
        polls=polls,
        events=analytics.events(
            session=session,
            scope=scope,
            period=period,
            active=current.subscribers.active,
            limit=5,
            reminders=current.reminders_by_event,
            clicks=clicked.by_event,
        ),
        calendar_codes=[item.code for item in calendars.list_calendars(session=session, account_code=account_code)],
    )
