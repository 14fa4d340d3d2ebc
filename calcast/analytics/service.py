"""The numbers a marketer asks for: subscribers, growth, churn, engagement, and where subscribers come from."""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, Date, case, func, select
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.calendars.models import Calendar, Tag
from calcast.core.db import utcnow
from calcast.engagement import service as engagement
from calcast.subscriptions.models import Subscription, subscription_tags

TOP = 5


@dataclass
class CalendarStats:
    """One calendar's subscribers over a period that ends now."""

    calendar_code: str
    title: str
    days: int
    active: int = 0
    new: int = 0
    unsubscribed: int = 0
    lapsed: int = 0
    polled_last_day: int = 0
    opt_in1: int = 0
    opt_in2: int = 0
    unmatched_in_crm: int = 0
    by_tag: dict[str, int] = field(default_factory=dict)
    by_method: dict[str, int] = field(default_factory=dict)
    by_device: dict[str, int] = field(default_factory=dict)
    by_client: dict[str, int] = field(default_factory=dict)
    top_countries: dict[str, int] = field(default_factory=dict)
    top_sources: dict[str, int] = field(default_factory=dict)
    top_campaigns: dict[str, int] = field(default_factory=dict)
    # Clicks on the feed's tracked links in the period: people (distinct subscriptions, bots left out), their
    # clicks, and clicks set apart as bots or prefetching scanners; `clicked_share` = people / active.
    clicked_people: int = 0
    clicks: int = 0
    bot_clicks: int = 0
    clicked_share: float | None = None
    clicks_by_event: list[dict[str, Any]] = field(default_factory=list)


def _count(condition: ColumnElement[bool]) -> Any:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def _breakdown(session: Session, calendar_id: str, column: Any, *, limit: int | None = None) -> dict[str, int]:
    """Active subscriptions per value of `column` (unknown values as "unknown"), largest first."""
    label = func.coalesce(column, "unknown")
    query = (
        select(label, func.count())
        .where(Subscription.calendar_id == calendar_id, Subscription.deactivated_at.is_(None))
        .group_by(label)
        .order_by(func.count().desc(), label)
        .limit(limit)
    )
    return {str(value): int(count) for value, count in session.execute(query)}


def _by_tag(session: Session, calendar: Calendar) -> dict[str, int]:
    query = (
        select(Tag.name, func.count(Subscription.id))
        .select_from(Tag)
        .outerjoin(subscription_tags, subscription_tags.c.tag_id == Tag.id)
        .outerjoin(
            Subscription,
            (Subscription.id == subscription_tags.c.subscription_id) & Subscription.deactivated_at.is_(None),
        )
        .where(Tag.calendar_id == calendar.id)
        .group_by(Tag.id, Tag.name, Tag.position)
        .order_by(Tag.position)
    )
    return {str(name): int(count) for name, count in session.execute(query)}


def calendar_stats(
    *, session: Session, account_code: str, calendar_code: str, days: int = 30, now: datetime | None = None
) -> CalendarStats:
    """Subscriber numbers of one calendar: totals now and changes over the last `days` days."""
    calendar = calendars.get_calendar(session=session, account_code=account_code, code=calendar_code)
    moment = now or utcnow()
    since = moment - timedelta(days=days)
    active = Subscription.deactivated_at.is_(None)
    totals = session.execute(
        select(
            _count(active),
            _count(Subscription.created_at >= since),
            _count(Subscription.deactivated_at >= since),
            _count(active & Subscription.lapsed_at.is_not(None)),
            _count(active & (Subscription.last_polled_at >= moment - timedelta(days=1))),
            _count(active & Subscription.opt_in1),
            _count(active & Subscription.opt_in2),
            _count(active & (Subscription.crm_status == "unmatched")),
        ).where(Subscription.calendar_id == calendar.id)
    ).one()
    active_count, new, unsubscribed, lapsed, polled, opt_in1, opt_in2, unmatched = (int(value) for value in totals)
    stats = CalendarStats(
        calendar_code=calendar.code,
        title=calendar.title,
        days=days,
        active=active_count,
        new=new,
        unsubscribed=unsubscribed,
        lapsed=lapsed,
        polled_last_day=polled,
        opt_in1=opt_in1,
        opt_in2=opt_in2,
        unmatched_in_crm=unmatched,
    )
    stats.by_tag = _by_tag(session, calendar)
    stats.by_method = _breakdown(session, calendar.id, Subscription.method)
    stats.by_device = _breakdown(session, calendar.id, Subscription.device)
    stats.by_client = _breakdown(session, calendar.id, Subscription.client_family)
    stats.top_countries = _breakdown(session, calendar.id, Subscription.country_code, limit=TOP)
    stats.top_sources = _breakdown(session, calendar.id, Subscription.source, limit=TOP)
    stats.top_campaigns = _breakdown(session, calendar.id, Subscription.utm_campaign, limit=TOP)
    clicked = engagement.click_totals(session=session, calendar_id=calendar.id, since=since)
    stats.clicked_people, stats.clicks, stats.bot_clicks = clicked.people, clicked.clicks, clicked.bot_clicks
    stats.clicked_share = round(clicked.people / active_count, 4) if active_count else None
    stats.clicks_by_event = [
        asdict(item) for item in engagement.clicks_by_event(session=session, calendar_id=calendar.id, since=since)
    ]
    return stats


def account_stats(*, session: Session, account_code: str, days: int = 30) -> list[CalendarStats]:
    """calendar_stats for every calendar of the account, by code."""
    return [
        calendar_stats(session=session, account_code=account_code, calendar_code=calendar.code, days=days)
        for calendar in calendars.list_calendars(session=session, account_code=account_code)
    ]


# ---------------------------------------------------------------------------------------------- account periods


@dataclass(frozen=True)
class SubscriberCounts:
    """An account's subscribers at the end of a period (active, lapsed) and what changed within it."""

    active: int
    new: int
    unsubscribed: int
    lapsed: int


@dataclass(frozen=True)
class DayCounts:
    day: date
    new: int
    unsubscribed: int


class utc_day(FunctionElement[date]):  # noqa: N801 - reads as the SQL function it renders
    """The UTC calendar day of a timestamp, the same on both databases."""

    type = Date()
    inherit_cache = True


@compiles(utc_day, "sqlite")
def _utc_day_sqlite(element: utc_day, compiler: Any, **kw: Any) -> str:
    return f"date({compiler.process(element.clauses, **kw)})"  # stored as naive UTC text


@compiles(utc_day, "postgresql")
def _utc_day_postgresql(element: utc_day, compiler: Any, **kw: Any) -> str:
    return f"CAST(({compiler.process(element.clauses, **kw)}) AT TIME ZONE 'UTC' AS DATE)"


def _within(column: Any, since: datetime | None, until: datetime) -> ColumnElement[bool]:
    upper: ColumnElement[bool] = column < until
    return upper if since is None else (column >= since) & upper


def account_counts(
    *, session: Session, account_code: str, since: datetime | None, until: datetime | None = None
) -> SubscriberCounts:
    """Active and lapsed subscribers at `until` (default now); new and unsubscribed in [since, until).

    With `until` now these are the sums of calendar_stats over the account's calendars (`calcast stats`).
    Lapsed at an earlier moment counts those lapsed then and still lapsed now: a subscription that polls again
    loses its lapse date.
    """
    account = accounts.get_account(session=session, code=account_code)
    end = until or utcnow()
    active = (Subscription.created_at < end) & (
        Subscription.deactivated_at.is_(None) | (Subscription.deactivated_at >= end)
    )
    row = session.execute(
        select(
            _count(active),
            _count(_within(Subscription.created_at, since, end)),
            _count(_within(Subscription.deactivated_at, since, end)),
            _count(active & (Subscription.lapsed_at < end)),
        ).where(Subscription.account_id == account.id)
    ).one()
    active_count, new, unsubscribed, lapsed = (int(value) for value in row)
    return SubscriberCounts(active=active_count, new=new, unsubscribed=unsubscribed, lapsed=lapsed)


def first_subscription_at(*, session: Session, account_code: str) -> datetime | None:
    """When the account's first subscription was made (the start of "all time")."""
    account = accounts.get_account(session=session, code=account_code)
    found: datetime | None = session.scalar(
        select(func.min(Subscription.created_at)).where(Subscription.account_id == account.id)
    )
    return found


def daily_counts(*, session: Session, account_code: str, since: datetime, until: datetime) -> list[DayCounts]:
    """New and unsubscribed per UTC day in [since, until), every day listed (days without any as zeros)."""
    account = accounts.get_account(session=session, code=account_code)
    per_day: dict[date, list[int]] = {}
    for column, index in ((Subscription.created_at, 0), (Subscription.deactivated_at, 1)):
        day = utc_day(column)
        query = (
            select(day, func.count())
            .where(Subscription.account_id == account.id, _within(column, since, until))
            .group_by(day)
        )
        for found, count in session.execute(query):
            key = found if isinstance(found, date) else date.fromisoformat(str(found))
            per_day.setdefault(key, [0, 0])[index] = int(count)
    first, last = since.astimezone(UTC).date(), (until - timedelta(microseconds=1)).astimezone(UTC).date()
    days = [first + timedelta(days=offset) for offset in range((last - first).days + 1)]
    return [DayCounts(day, *per_day.get(day, [0, 0])) for day in days]
