"""The numbers a marketer asks for: subscribers, growth, churn, reminders sent, engagement, and where subscribers
come from. `calcast stats` and the console's dashboard both ask here, for the same periods (`analytics.periods`),
so they always show the same numbers (docs/analytics.md).
"""

from __future__ import annotations

import heapq
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Date, Select, and_, case, distinct, exists, func, or_, select, tuple_
from sqlalchemy.ext.compiler import compiles
from sqlalchemy.orm import Session
from sqlalchemy.sql.functions import FunctionElement

from calcast.accounts import service as accounts
from calcast.analytics import counts as kept
from calcast.analytics import rollups
from calcast.analytics.dimensions import COLUMNS, counts_by_value, label
from calcast.analytics.periods import Filters, Period, day_start, last_days, period
from calcast.analytics.reminders import reminders_sent
from calcast.calendars import service as calendars
from calcast.calendars.models import BroadcastEvent, Calendar, Tag
from calcast.core.db import utcnow
from calcast.engagement.models import Click
from calcast.events.models import PersonalEvent
from calcast.feeds.models import FeedPoll
from calcast.subscriptions.models import Subscription, subscription_tags

TOP = 5


def _count(condition: ColumnElement[bool]) -> Any:
    # An aggregate FILTER (both databases): PostgreSQL counts a million rows a third faster than with SUM(CASE).
    return func.count().filter(condition)


def _share(part: int, whole: int) -> float | None:
    return round(part / whole, 4) if whole else None


# ---------------------------------------------------------------------------------------------- scope


@dataclass(frozen=True)
class Scope:
    """The subscriptions a question is about: an account's (one calendar's), narrowed by filters."""

    account_id: str
    calendar_ids: list[str]
    filters: Filters
    # The filters' conditions alone: for queries already within `calendar_ids` (the account's or the chosen
    # calendar), which then read the calendars' own indexes.
    narrowing: list[ColumnElement[bool]]
    # The one filter besides the calendar as the rollups and counts per value keep it (a tag by the ids of that name
    # in the scope's calendars); None for none, or for two and more.
    by_value: rollups.Narrowing | None = None
    # Under a tag and no other filter but the calendar: the tag's condition on a column that holds a subscription's
    # id (a click's), so that rows of other tables are narrowed without reading the subscriptions.
    tag_alone: Callable[[Any], ColumnElement[bool]] | None = None

    @property
    def where(self) -> list[ColumnElement[bool]]:
        """The account's subscriptions that meet the filters."""
        return [Subscription.account_id == self.account_id, *self.narrowing]


def _is(column: Any, value: str) -> ColumnElement[bool]:
    matched: ColumnElement[bool] = column.is_(None) if value == "unknown" else column == value
    return matched


def _tagged(session: Session, ids: list[str], name: str, subscription_id: Any = Subscription.id) -> ColumnElement[bool]:
    """The tag filter: the subscription (`subscription_id`: its id, or a column holding it such as a click's) has a
    tag of this name, one of `ids` (those of the scope's calendars).

    PostgreSQL is given the ids: with the tags joined by name it expects many rows and hashes every subscription's
    tag of the name, even to check the few thousand subscriptions of a week (four times as long); with the ids it
    looks those up and still hashes for a pass over all subscriptions. SQLite looks each subscription's tags up
    either way, and with the ids tries each id in turn (slower).
    """
    if session.get_bind().dialect.name == "postgresql":
        return (
            exists()
            .where(subscription_tags.c.subscription_id == subscription_id, subscription_tags.c.tag_id.in_(ids))
            .correlate(subscription_id.table)
        )
    return (
        exists()
        .where(
            subscription_tags.c.subscription_id == subscription_id,
            subscription_tags.c.tag_id == Tag.id,
            Tag.name == name,
        )
        .correlate(subscription_id.table)  # only the subscription: a query may join tags of its own (the tag top list)
    )


def scope(*, session: Session, account_code: str, filters: Filters | None = None) -> Scope:
    """The account's subscriptions that meet the filters; NotFound for an unknown account or calendar."""
    chosen = filters or Filters()
    account = accounts.get_account(session=session, code=account_code)
    if chosen.calendar is not None:
        calendar_ids = [calendars.get_calendar(session=session, account_code=account_code, code=chosen.calendar).id]
    else:
        calendar_ids = list(session.scalars(select(Calendar.id).where(Calendar.account_id == account.id)))
    narrowing: list[ColumnElement[bool]] = []
    if chosen.calendar is not None:
        narrowing.append(Subscription.calendar_id == calendar_ids[0])
    tag_ids: list[str] = []
    tag_calendars: list[str] = []
    tagged = None
    if chosen.tag is not None:
        for tag_id, calendar_id in session.execute(
            select(Tag.id, Tag.calendar_id).where(Tag.calendar_id.in_(calendar_ids), Tag.name == chosen.tag)
        ):
            tag_ids.append(tag_id)
            tag_calendars.append(calendar_id)
        tagged = partial(_tagged, session, tag_ids, chosen.tag)
        narrowing.append(tagged())
    for value, column in (
        (chosen.source, Subscription.source),
        (chosen.app, Subscription.client_family),
        (chosen.device, Subscription.device),
        (chosen.country, Subscription.country_code),
        (chosen.method, Subscription.method),
    ):
        if value is not None:
            narrowing.append(_is(column, value))
    by_value = None
    if (one := chosen.one_besides_calendar) is not None:
        name, value = one
        by_value = (
            rollups.Narrowing(dimension=name, values=tag_ids, calendars=tag_calendars)
            if name == "tag"
            else rollups.Narrowing(dimension=name, values=[value])
        )
    return Scope(
        account_id=account.id,
        calendar_ids=calendar_ids,
        filters=chosen,
        narrowing=narrowing,
        by_value=by_value,
        tag_alone=tagged if by_value is not None else None,  # a tag chosen, and no other filter but the calendar
    )


def _active_at(moment: datetime) -> ColumnElement[bool]:
    return and_(
        Subscription.created_at < moment,
        or_(Subscription.deactivated_at.is_(None), Subscription.deactivated_at >= moment),
    )


def _within(column: Any, since: datetime | None, until: datetime) -> ColumnElement[bool]:
    upper: ColumnElement[bool] = column < until
    return upper if since is None else (column >= since) & upper


# ---------------------------------------------------------------------------------------------- subscribers


@dataclass(frozen=True)
class SubscriberCounts:
    """Subscribers at the end of a period (active, lapsed) and what changed within it."""

    active: int
    new: int
    unsubscribed: int
    lapsed: int


def subscriber_counts(*, session: Session, scope: Scope, since: datetime | None, until: datetime) -> SubscriberCounts:
    """Active and lapsed subscribers at `until`; new and unsubscribed in [since, until).

    Lapsed at an earlier moment counts those lapsed then and still lapsed now: a subscription that polls again
    loses its lapse date.
    """
    if not scope.filters.by_calendar_only:
        return _filtered_subscriber_counts(session, scope, [(since, until)])[0]
    made, ended = made_and_ended(session=session, scope=scope, since=None, until=until)
    first = None if since is None else _first_subscription(session, scope.account_id)
    if since is None or first is None or since <= first:  # from before the first subscription: all of it
        new_count, gone_count = made, ended
    else:
        new_count, gone_count = made_and_ended(session=session, scope=scope, since=since, until=until)
    lapsed = (Subscription.lapsed_at < until) & _active_at(until)
    lapsed_count = int(session.scalar(select(func.count()).select_from(Subscription).where(*scope.where, lapsed)) or 0)
    return SubscriberCounts(active=made - ended, new=new_count, unsubscribed=gone_count, lapsed=lapsed_count)


def subscriber_counts_of(*, session: Session, scope: Scope, periods: list[Period]) -> list[SubscriberCounts]:
    """`subscriber_counts` of several periods (a period and the one before it): with a filter other than the
    calendar, in one pass over the account's subscriptions for all of them."""
    if scope.filters.by_calendar_only:
        return [
            subscriber_counts(session=session, scope=scope, since=chosen.since, until=chosen.until)
            for chosen in periods
        ]
    return _filtered_subscriber_counts(session, scope, [(chosen.since, chosen.until) for chosen in periods])


def _filtered_subscriber_counts(
    session: Session, scope: Scope, periods: list[tuple[datetime | None, datetime]]
) -> list[SubscriberCounts]:
    """`subscriber_counts` of these [since, until) under a filter other than the calendar alone.

    With one filter besides the calendar: from the subscriptions with its value now (`analytics.counts`), taking
    away those made and ended since the period's end (`made_and_ended`: the rollups per value, today's rows), and
    correcting the lapsed by the rows lapsed or ended since then (a subscription lapses after it was made). With
    more: one pass over the account's subscriptions, five counts per period.
    """
    narrowing = scope.by_value
    if narrowing is None:
        return _one_pass_subscriber_counts(session, scope, periods)
    now = kept.counted(
        session=session, calendar_ids=scope.calendar_ids, dimension=narrowing.dimension, values=narrowing.values
    )
    moment = max(utcnow(), *(until for _, until in periods))
    # A period from before the account's first subscription ("all time") is all of it up to its end.
    first = _first_subscription(session, scope.account_id)
    periods = [(None if since is None or first is None or since <= first else since, until) for since, until in periods]
    ended, lapsed = Subscription.deactivated_at, Subscription.lapsed_at
    columns = []
    for _, until in periods:
        # Lapsed now but not yet then; and ended since but lapsed then.
        columns += [_count(ended.is_(None) & (lapsed >= until)), _count((ended >= until) & (lapsed < until))]
    earliest = min(until for _, until in periods)
    recent = or_(lapsed >= earliest, ended >= earliest)
    row = [int(value) for value in session.execute(select(*columns).where(*scope.where, recent)).one()]
    found = []
    for index, (since, until) in enumerate(periods):
        lapsed_since, lapsed_then = row[2 * index : 2 * index + 2]
        made_since, ended_since = made_and_ended(session=session, scope=scope, since=until, until=moment)
        made = now.active + now.ended - made_since
        ended_before = now.ended - ended_since
        if since is None:
            new, gone = made, ended_before
        else:
            new, gone = made_and_ended(session=session, scope=scope, since=since, until=until)
        found.append(
            SubscriberCounts(
                active=made - ended_before,
                new=new,
                unsubscribed=gone,
                lapsed=now.lapsed - lapsed_since + lapsed_then,
            )
        )
    return found


def _one_pass_subscriber_counts(
    session: Session, scope: Scope, periods: list[tuple[datetime | None, datetime]]
) -> list[SubscriberCounts]:
    """`subscriber_counts` of these [since, until) under any filter: one pass over the account's subscriptions,
    five counts per period."""
    columns = []
    for since, until in periods:
        made_before = Subscription.created_at < until
        ended_before = Subscription.deactivated_at < until
        new = _within(Subscription.created_at, since, until) if since is not None else made_before
        gone = _within(Subscription.deactivated_at, since, until) if since is not None else ended_before
        lapsed = (Subscription.lapsed_at < until) & _active_at(until)
        columns += [_count(made_before), _count(ended_before), _count(new), _count(gone), _count(lapsed)]
    row = [int(value) for value in session.execute(select(*columns).where(*scope.where)).one()]
    found = []
    for first in range(0, len(row), 5):
        made, ended, new_count, gone_count, lapsed_count = row[first : first + 5]
        found.append(SubscriberCounts(active=made - ended, new=new_count, unsubscribed=gone_count, lapsed=lapsed_count))
    return found


def _raw_made_and_ended(session: Session, scope: Scope, since: datetime | None, until: datetime) -> tuple[int, int]:
    """Subscriptions made and ended in [since, until) from their rows: each a count of one index range."""

    def number(column: Any) -> int:
        condition = _within(column, since, until)
        return int(session.scalar(select(func.count()).select_from(Subscription).where(*scope.where, condition)) or 0)

    return number(Subscription.created_at), number(Subscription.deactivated_at)


def made_and_ended(*, session: Session, scope: Scope, since: datetime | None, until: datetime) -> tuple[int, int]:
    """Subscriptions made and ended in [since, until) (`since` None: ever before `until`): whole rolled-up days from
    the daily rollups (with one filter besides the calendar, those per value), the rest (today) from the rows."""
    if since is not None and since >= until:
        return 0, 0
    first = rollups.first_rolled_day(session)
    rolled_up, narrowing = _rollups_for(scope)
    if first is None or not rolled_up:
        return _raw_made_and_ended(session, scope, since, until)
    made = ended = 0
    if since is None:
        since = min(day_start(first), until)
        made, ended = _raw_made_and_ended(session, scope, None, since)  # before the first day rolled up: none, or few
    if since >= until:
        return made, ended
    cut = rollups.split(session=session, period=Period(name="", since=since, until=until))
    for new, gone in rollups.rolled_subscriptions(
        session=session, calendar_ids=scope.calendar_ids, days=cut.days, narrowing=narrowing
    ).values():
        made, ended = made + new, ended + gone
    for start, stop in cut.raw:
        new, gone = _raw_made_and_ended(session, scope, start, stop)
        made, ended = made + new, ended + gone
    return made, ended


def _made_within(session: Session, account_id: str, since: datetime, until: datetime) -> bool:
    """Whether every subscription of the account was made in [since, until)."""
    first = _first_subscription(session, account_id)
    if first is None:
        return True
    last = session.scalar(select(func.max(Subscription.created_at)).where(Subscription.account_id == account_id))
    return since <= first and last is not None and last < until


def _first_subscription(session: Session, account_id: str) -> datetime | None:
    found: datetime | None = session.scalar(
        select(func.min(Subscription.created_at)).where(Subscription.account_id == account_id)
    )
    return found


def first_subscription_at(*, session: Session, account_code: str) -> datetime | None:
    """When the account's first subscription was made (the start of "all time")."""
    return _first_subscription(session, accounts.get_account(session=session, code=account_code).id)


def account_period(
    *,
    session: Session,
    account_code: str,
    name: str,
    now: datetime | None = None,
    start: date | None = None,
    end: date | None = None,
) -> Period:
    """The named range (`analytics.periods.RANGES`) for this account: "all" starts with its first subscription."""
    first = first_subscription_at(session=session, account_code=account_code) if name == "all" else None
    return period(name, now=now or utcnow(), first=first, start=start, end=end)


@dataclass(frozen=True)
class DayCounts:
    day: date
    new: int
    unsubscribed: int
    active: int  # at the end of the day (or at the end of the period, for its last day)


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


def daily_counts(
    *, session: Session, scope: Scope, period: Period, active_at_start: int | None = None
) -> list[DayCounts]:
    """New, unsubscribed and active subscribers per UTC day of the period, every day listed.

    `active_at_start`: the active subscribers at the period's start when known (the period before's end).
    """
    per_day: dict[date, list[int]] = {}
    pieces: list[tuple[datetime, datetime]] = [(period.since, period.until)]
    rolled_up, narrowing = _rollups_for(scope)
    if rolled_up:
        cut = rollups.split(session=session, period=period)
        for rolled, (new, gone) in rollups.rolled_subscriptions(
            session=session, calendar_ids=scope.calendar_ids, days=cut.days, narrowing=narrowing
        ).items():
            per_day[rolled] = [new, gone]
        pieces = cut.raw
    for since, until in pieces:
        for column, index in ((Subscription.created_at, 0), (Subscription.deactivated_at, 1)):
            day_of = utc_day(column)
            query = select(day_of, func.count()).where(*scope.where, _within(column, since, until)).group_by(day_of)
            for found, count in session.execute(query):
                key = found if isinstance(found, date) else date.fromisoformat(str(found))
                per_day.setdefault(key, [0, 0])[index] += int(count)
    if active_at_start is None:
        made, ended = made_and_ended(session=session, scope=scope, since=None, until=period.since)
        active_at_start = made - ended
    active = active_at_start
    series = []
    for moment in period.days:
        new, gone = per_day.get(moment, [0, 0])
        active += new - gone
        series.append(DayCounts(day=moment, new=new, unsubscribed=gone, active=active))
    return series


def top(
    *,
    session: Session,
    scope: Scope,
    until: datetime,
    dimension: str,
    limit: int | None = TOP,
    since: datetime | None = None,
) -> dict[str, int]:
    """Subscribers active at `until` per value of a dimension (`DIMENSIONS`), largest first; unknown as "unknown".

    With `since`: the subscriptions made in [since, until) instead (where a period's new subscribers came from),
    read through the index on the creation time, so that a short period costs little however many there are.
    """
    if dimension == "calendar":
        label: Any = Calendar.code
        query = (
            select(label, func.count())
            .select_from(Subscription)
            .join(Calendar, Calendar.id == Subscription.calendar_id)
        )
    elif dimension == "tag":
        label = Tag.name
        query = (
            select(label, func.count())
            .select_from(Subscription)
            .join(subscription_tags, subscription_tags.c.subscription_id == Subscription.id)
            .join(Tag, Tag.id == subscription_tags.c.tag_id)
        )
    else:
        label = func.coalesce(DIMENSIONS[dimension], "unknown")
        query = select(label, func.count())
    query = (
        query.where(
            *scope.where, _active_at(until) if since is None else _within(Subscription.created_at, since, until)
        )
        .group_by(label)
        .order_by(func.count().desc(), label)
        .limit(limit)
    )
    return {str(value): int(count) for value, count in session.execute(query)}


def tops(
    *,
    session: Session,
    scope: Scope,
    since: datetime,
    until: datetime,
    dimensions: Sequence[str],
    limit: int = TOP,
) -> dict[str, dict[str, int]]:
    """`top` of the subscriptions made in [since, until) for several dimensions, the same numbers and order.

    When every subscription of the account was made in the period ("all time"), the counts per pair of values
    answer under one filter besides the calendar or none (`analytics.counts`: the values subscriptions have now).
    Otherwise without filters, whole rolled-up days come from the rollups per value (`SubscriptionValueDay`: the
    values they had then). The rest is counted from the rows: a subscription column in one GROUP BY over the
    account's index on creation time, which holds the column (the index alone is read, not the subscriptions'
    rows); the tag by a join. Calendars and tags are counted by id, then named.
    """
    per: dict[str, dict[str, int]] = {dimension: defaultdict(int) for dimension in dimensions}
    pieces = [(since, until)]
    by = _kept_by(scope)
    if by is not None and _made_within(session, scope.account_id, since, until):
        for dimension, value, count in kept.made_per_value(
            session=session, calendar_ids=scope.calendar_ids, dimension=by[0], values=by[1], others=dimensions
        ):
            per[dimension][value] += count
        pieces = []
    elif not scope.filters.chosen():
        cut = rollups.split(session=session, period=Period(name="", since=since, until=until))
        for dimension, value, count in rollups.rolled_values(
            session=session, account_id=scope.account_id, days=cut.days
        ):
            if dimension in per:
                per[dimension][value] += count
        pieces = cut.raw
    for start, stop in pieces:
        made = select(Subscription.id).where(*scope.where, _within(Subscription.created_at, start, stop))
        for _, dimension, value, count in counts_by_value(session, made, dimensions):
            per[dimension][label(value)] += count  # as `top`: no value is "unknown"
    for dimension, model, name in (("calendar", Calendar, Calendar.code), ("tag", Tag, Tag.name)):
        if dimension in per:
            names = dict(session.execute(select(model.id, name).where(model.id.in_(list(per[dimension])))).all())
            named: dict[str, int] = defaultdict(int)
            for found, count in per[dimension].items():
                if found in names:  # a calendar or tag deleted since its day was rolled up is gone from the list
                    named[str(names[found])] += count
            per[dimension] = named
    return {
        dimension: dict(sorted(per[dimension].items(), key=lambda item: (-item[1], item[0]))[:limit])
        for dimension in dimensions
    }


def _kept_by(scope: Scope) -> tuple[str, list[str] | None] | None:
    """The scope as the counts per pair of values see it, a dimension and its values (None: any): the one filter
    besides the calendar; with none, any method (every subscription has one, or none: "unknown"). None for two
    filters or more."""
    if scope.by_value is not None:
        return scope.by_value.dimension, scope.by_value.values
    return ("method", None) if scope.filters.by_calendar_only else None


# What `top` groups by: the subscription's columns, the calendar by its code and the tag by its name.
DIMENSIONS: dict[str, Any] = {**COLUMNS, "calendar": Calendar.code, "tag": Tag.name}


# ---------------------------------------------------------------------------------------------- reminders, clicks


def _by_day(since: datetime, until: datetime) -> list[tuple[datetime, datetime]]:
    """[since, until) cut at UTC midnights."""
    pieces = []
    while since < until:
        midnight = day_start(since.astimezone(UTC).date() + timedelta(days=1))
        pieces.append((since, min(midnight, until)))
        since = midnight
    return pieces


def _rollups_for(scope: Scope) -> tuple[bool, rollups.Narrowing | None]:
    """Whether the rollups of subscriptions and reminders answer for the scope (no filter besides the calendar:
    those per calendar and event; one: those per value of its dimension, which it is then), or not (two filters or
    more)."""
    if scope.filters.by_calendar_only:
        return True, None
    return scope.by_value is not None, scope.by_value


def reminder_counts(*, session: Session, scope: Scope, period: Period) -> list[tuple[str, str, str, int]]:
    """Reminders sent in the period as (calendar id, event kind, event id, reminders) (analytics.reminders):
    rollups for past days (also a part of one) and for today as far as they reach, raw rows for the rest; all raw
    with two filters or more besides the calendar (the rollups are kept per event and per value of one dimension)."""
    per: dict[tuple[str, str, str], int] = defaultdict(int)
    pieces = [(period.since, period.until)]
    rolled_up, narrowing = _rollups_for(scope)
    if rolled_up:
        cut = rollups.split(session=session, period=period)
        for key, count in rollups.rolled_reminders(
            session=session, calendar_ids=scope.calendar_ids, days=cut.days, narrowing=narrowing
        ).items():
            per[key] += count
        pieces = []
        for since, until in (piece for stretch in cut.raw for piece in _by_day(*stretch)):
            rolled_until = rollups.reminders_rolled_until(session, since.astimezone(UTC).date())
            if rolled_until is not None and since < rolled_until:
                for key, count in rollups.rolled_reminders_within(
                    session=session,
                    calendar_ids=scope.calendar_ids,
                    since=since,
                    until=min(until, rolled_until),
                    narrowing=narrowing,
                ).items():
                    per[key] += count
                since = min(until, rolled_until)
            if since < until:
                pieces.append((since, until))
    for since, until in pieces:
        for item in reminders_sent(
            session=session, calendar_ids=scope.calendar_ids, since=since, until=until, where=scope.narrowing
        ):
            per[(item.calendar_id, item.event_kind, item.event_id)] += item.reminders
    return [(calendar_id, kind, event_id, count) for (calendar_id, kind, event_id), count in per.items()]


def reminder_counts_of(
    *, session: Session, scope: Scope, periods: list[Period]
) -> list[list[tuple[str, str, str, int]]]:
    """`reminder_counts` of several periods (a period and the one before it): with filters the rollups cannot
    answer, one count over the span they cover, each reminder then given to the period of its trigger time."""
    if len(periods) < 2 or _rollups_for(scope)[0]:
        return [reminder_counts(session=session, scope=scope, period=chosen) for chosen in periods]
    per: list[dict[tuple[str, str, str], int]] = [defaultdict(int) for _ in periods]
    for item in reminders_sent(
        session=session,
        calendar_ids=scope.calendar_ids,
        since=min(chosen.since for chosen in periods),
        until=max(chosen.until for chosen in periods),
        where=scope.narrowing,
    ):
        for index, chosen in enumerate(periods):
            if chosen.since <= item.trigger_at < chosen.until:
                per[index][(item.calendar_id, item.event_kind, item.event_id)] += item.reminders
    return [
        [(calendar_id, kind, event_id, count) for (calendar_id, kind, event_id), count in found.items()]
        for found in per
    ]


@dataclass(frozen=True)
class ClickCounts:
    """Clicks in a period: people (distinct subscriptions that clicked, bots left out), their clicks, bots' clicks."""

    people: int = 0
    clicks: int = 0
    bot_clicks: int = 0


Selected = TypeVar("Selected", bound=Select[*tuple[Any, ...]])


def _clicks_in_scope(query: Selected, scope: Scope) -> Selected:
    """The clicks `query` finds (those of the scope's calendars) narrowed to the subscriptions that meet the filters.

    Under a tag alone the click's subscription id is matched to the tag's rows, and the subscriptions are not read:
    a few thousand clicks of a week each looked up their subscription first, twice as long.
    """
    if scope.filters.by_calendar_only:
        return query
    if scope.tag_alone is not None:
        return query.where(scope.tag_alone(Click.subscription_id))
    return query.join(Subscription, Subscription.id == Click.subscription_id).where(*scope.where)


def _clicks_query(scope: Scope, periods: Sequence[tuple[datetime, datetime]]) -> Any:
    """Per calendar and for each [since, until): people who clicked (bots left out), their clicks, bots' clicks;
    one pass over the click rows of the periods' span."""
    person = Click.is_bot.is_(False)
    columns = []
    for since, until in periods:
        within = (Click.clicked_at >= since) & (Click.clicked_at < until)
        columns += [
            func.count(distinct(case((person & within, Click.subscription_id)))),
            _count(person & within),
            _count(Click.is_bot.is_(True) & within),
        ]
    query = select(Click.calendar_id, *columns).where(
        Click.calendar_id.in_(scope.calendar_ids),
        Click.clicked_at >= min(since for since, _ in periods),
        Click.clicked_at < max(until for _, until in periods),
    )
    return _clicks_in_scope(query, scope).group_by(Click.calendar_id)


def _events_query(scope: Scope, period: Period) -> Any:
    """Per event (kind, id): people who clicked it in the period (bots left out), their clicks."""
    query = select(Click.event_kind, Click.event_id, func.count(distinct(Click.subscription_id)), func.count()).where(
        Click.calendar_id.in_(scope.calendar_ids),
        Click.clicked_at >= period.since,
        Click.clicked_at < period.until,
        Click.is_bot.is_(False),
    )
    return _clicks_in_scope(query, scope).group_by(Click.event_kind, Click.event_id)


@dataclass(frozen=True)
class Clicked:
    """The people who clicked and their clicks: per calendar id in each period asked (`ClickCounts`), and per
    event (kind, id) in the first of them (people, clicks)."""

    by_calendar: list[dict[str, ClickCounts]]
    by_event: dict[tuple[str, str], tuple[int, int]]


def clicked(*, session: Session, scope: Scope, periods: list[Period]) -> Clicked:
    """`clicks_by_calendar_of` the periods and the events' people and clicks of the first (`events`).

    On PostgreSQL both from one pass over the clicks (GROUPING SETS per calendar and per event): under a tag, each
    click is matched to the tag's rows once, not twice (a year under a tag, 50,000 clicks: 320 ms down to 175 ms).
    SQLite, which has no GROUPING SETS, counts them in two.
    """
    if not scope.calendar_ids:
        return Clicked(by_calendar=[{} for _ in periods], by_event={})
    per_calendar = _clicks_query(scope, [(chosen.since, chosen.until) for chosen in periods])
    rows: list[tuple[Any, ...]] = []
    by_event: dict[tuple[str, str], tuple[int, int]] = {}
    if session.get_bind().dialect.name != "postgresql":
        rows = [tuple(row) for row in session.execute(per_calendar)]
        by_event = _clicks_per_event(session, _events_query(scope, periods[0]))
    else:
        both = (
            per_calendar.add_columns(Click.event_kind, Click.event_id, func.grouping(Click.calendar_id))
            .group_by(None)
            .group_by(func.grouping_sets(tuple_(Click.calendar_id), tuple_(Click.event_kind, Click.event_id)))
        )
        for calendar_id, *counts, kind, event_id, of_event in session.execute(both):
            if not of_event:
                rows.append((calendar_id, *counts))
            elif counts[1]:  # clicked in the first period, not only in the one before
                by_event[(kind, event_id)] = (int(counts[0]), int(counts[1]))
    return Clicked(by_calendar=_per_calendar(session, scope, periods, rows), by_event=by_event)


def _clicks_per_event(session: Session, query: Any) -> dict[tuple[str, str], tuple[int, int]]:
    return {(kind, event_id): (int(people), int(clicks)) for kind, event_id, people, clicks in session.execute(query)}


def clicks_by_calendar_of(*, session: Session, scope: Scope, periods: list[Period]) -> list[dict[str, ClickCounts]]:
    """Clicks in each period per calendar id.

    People who clicked are counted from the click rows (a person who clicked on two days is one person, which
    daily counts cannot say), for all the periods in one pass; click totals come from the rollups for whole past
    days when they can (they outlast the rows' retention).
    """
    if not scope.calendar_ids:
        return [{} for _ in periods]
    rows = session.execute(_clicks_query(scope, [(chosen.since, chosen.until) for chosen in periods])).all()
    return _per_calendar(session, scope, periods, rows)


def _per_calendar(
    session: Session, scope: Scope, periods: list[Period], rows: Sequence[Any]
) -> list[dict[str, ClickCounts]]:
    """The rows of `_clicks_query` as `ClickCounts` per calendar id and period, totals from the rollups where they
    answer."""
    found = []
    for index, chosen in enumerate(periods):
        counted = {
            calendar_id: [int(count) for count in counts[3 * index : 3 * index + 3]] for calendar_id, *counts in rows
        }
        if scope.filters.by_calendar_only:
            _rolled_click_totals(session, scope, chosen, counted)
        found.append({calendar_id: ClickCounts(*counts) for calendar_id, counts in counted.items() if any(counts)})
    return found


def _rolled_click_totals(session: Session, scope: Scope, period: Period, counted: dict[str, list[int]]) -> None:
    """Replace the click totals in `counted` (calendar id → people, clicks, bot clicks) by those of the rollups for
    whole past days and of the rows for the rest."""
    for counts in counted.values():
        counts[1:] = [0, 0]
    cut = rollups.split(session=session, period=period)
    for calendar_id, (clicks, bots) in rollups.rolled_clicks(
        session=session, calendar_ids=scope.calendar_ids, days=cut.days
    ).items():
        counts = counted.setdefault(calendar_id, [0, 0, 0])
        counts[1] += clicks
        counts[2] += bots
    if cut.raw:
        for calendar_id, *per_stretch in session.execute(_clicks_query(scope, cut.raw)):
            counts = counted.setdefault(calendar_id, [0, 0, 0])
            for first in range(0, len(per_stretch), 3):
                counts[1] += int(per_stretch[first + 1])
                counts[2] += int(per_stretch[first + 2])


@dataclass(frozen=True)
class EventNumbers:
    kind: str
    event_id: str  # the brand's id: a broadcast event's key, a personal eventId ("" when the event is gone)
    title: str
    people: int  # who clicked its links in the period (bots left out)
    clicks: int
    engagement: float | None  # people / the active subscribers of its calendars
    reminders: int


def _event_names(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], tuple[str, str]]:
    names: dict[tuple[str, str], tuple[str, str]] = {}
    broadcast_ids = [event_id for kind, event_id in keys if kind == "broadcast"]
    personal_ids = [event_id for kind, event_id in keys if kind == "personal"]
    if broadcast_ids:
        rows = session.execute(
            select(BroadcastEvent.id, BroadcastEvent.event_key, BroadcastEvent.title).where(
                BroadcastEvent.id.in_(broadcast_ids)
            )
        )
        names.update((("broadcast", row.id), (row.event_key, row.title)) for row in rows)
    if personal_ids:
        rows = session.execute(
            select(PersonalEvent.id, PersonalEvent.event_id, PersonalEvent.title).where(
                PersonalEvent.id.in_(personal_ids)
            )
        )
        names.update((("personal", row.id), (row.event_id, row.title)) for row in rows)
    return names


def events(
    *,
    session: Session,
    scope: Scope,
    period: Period,
    active: int,
    limit: int = 10,
    reminders: list[tuple[str, str, str, int]] | None = None,
    clicks: dict[tuple[str, str], tuple[int, int]] | None = None,
) -> list[EventNumbers]:
    """Per event: people who clicked in the period, their clicks, engagement, reminders sent; most people first
    (`reminders`, `clicks`: the period's `reminder_counts` and `clicked(...).by_event` when already counted)."""
    if not scope.calendar_ids:
        return []
    clicked = _clicks_per_event(session, _events_query(scope, period)) if clicks is None else clicks
    reminded: dict[tuple[str, str], int] = defaultdict(int)
    if reminders is None:
        reminders = reminder_counts(session=session, scope=scope, period=period)
    for _, kind, event_id, count in reminders:
        reminded[(kind, event_id)] += count
    every = set(clicked) | set(reminded)

    def rank(key: tuple[str, str]) -> tuple[int, int]:
        return (-clicked.get(key, (0, 0))[0], -reminded.get(key, 0))

    # Names only for the events that can make the list: those ranking as the `limit`-th or better by people and
    # reminders (title and id only break ties), not every event a long period reminded of.
    ranked = {key: rank(key) for key in every}
    keys = every
    if len(ranked) > limit > 0:
        last = heapq.nsmallest(limit, ranked.values())[-1]
        keys = {key for key, place in ranked.items() if place <= last}
    names = _event_names(session, keys)
    found = [
        EventNumbers(
            kind=kind,
            event_id=names.get((kind, event_id), ("", ""))[0],
            title=names.get((kind, event_id), ("", "(deleted event)"))[1],
            people=clicked.get((kind, event_id), (0, 0))[0],
            clicks=clicked.get((kind, event_id), (0, 0))[1],
            engagement=_share(clicked.get((kind, event_id), (0, 0))[0], active),
            reminders=reminded.get((kind, event_id), 0),
        )
        for kind, event_id in keys
    ]
    found.sort(key=lambda item: (-item.people, -item.reminders, item.title, item.event_id))
    return found[:limit]


def polls_by_app(*, session: Session, scope: Scope, period: Period) -> dict[str, int] | None:
    """Feed fetches in the period per client family; None when a filter other than calendar or app applies (the
    fetches are kept per calendar and client family only)."""
    if not set(scope.filters.chosen()) <= {"calendar", "app"}:
        return None
    family = scope.filters.app
    cut = rollups.split(session=session, period=period)
    per: dict[str, int] = defaultdict(int)
    per.update(rollups.rolled_polls(session=session, calendar_ids=scope.calendar_ids, days=cut.days, family=family))
    for since, until in cut.raw:
        if not scope.calendar_ids:
            break
        query = (
            select(FeedPoll.client_family, func.sum(FeedPoll.polls))
            .where(
                FeedPoll.calendar_id.in_(scope.calendar_ids),
                FeedPoll.polled_at >= since,
                FeedPoll.polled_at < until,
            )
            .group_by(FeedPoll.client_family)
        )
        if family is not None:
            query = query.where(FeedPoll.client_family == family)
        for name, count in session.execute(query):
            per[name] += int(count)
    return dict(sorted(per.items(), key=lambda item: (-item[1], item[0])))


# ---------------------------------------------------------------------------------------------- one period


@dataclass(frozen=True)
class Numbers:
    """Everything counted for one scope and period: the dashboard's tiles and a `calcast stats` entry."""

    subscribers: SubscriberCounts
    reminders_sent: int
    clicks: ClickCounts
    # People who clicked in the period / active subscribers at its end (None without active subscribers).
    engagement: float | None
    # (calendar id, event kind, event id, reminders sent) behind `reminders_sent`.
    reminders_by_event: list[tuple[str, str, str, int]]


def numbers(
    *,
    session: Session,
    scope: Scope,
    period: Period,
    reminders: list[tuple[str, str, str, int]] | None = None,
    subscribers: SubscriberCounts | None = None,
    clicks: dict[str, ClickCounts] | None = None,
) -> Numbers:
    """The tiles' numbers of one period (`reminders`, `subscribers`, `clicks`: its `reminder_counts`,
    `subscriber_counts` and `clicks_by_calendar_of` when already counted)."""
    counts = subscribers or subscriber_counts(session=session, scope=scope, since=period.since, until=period.until)
    by_event = reminder_counts(session=session, scope=scope, period=period) if reminders is None else reminders
    if clicks is None:
        clicks = clicks_by_calendar_of(session=session, scope=scope, periods=[period])[0]
    total = ClickCounts(
        people=sum(item.people for item in clicks.values()),
        clicks=sum(item.clicks for item in clicks.values()),
        bot_clicks=sum(item.bot_clicks for item in clicks.values()),
    )
    return Numbers(
        subscribers=counts,
        reminders_sent=sum(count for *_, count in by_event),
        clicks=total,
        engagement=_share(total.people, counts.active),
        reminders_by_event=by_event,
    )


# ---------------------------------------------------------------------------------------------- calcast stats


@dataclass
class CalendarStats:
    """One calendar's subscribers over a period, narrowed by filters (`calcast stats`, GET /v2/stats)."""

    calendar_code: str
    title: str
    period: str
    since: str
    until: str
    days: int | None
    active: int = 0
    new: int = 0
    unsubscribed: int = 0
    lapsed: int = 0
    reminders_sent: int = 0
    # People who clicked a tracked link in the period (distinct subscriptions, bots left out) / active subscribers.
    engagement: float | None = None
    polled_last_day: int = 0
    # None: not counted, under a filter other than the app (feed fetches are kept per calendar and app only).
    polls: dict[str, int] | None = field(default_factory=dict)
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
    clicked_people: int = 0
    clicks: int = 0
    bot_clicks: int = 0
    clicked_share: float | None = None  # the same as engagement (the name of earlier versions)
    clicks_by_event: list[dict[str, Any]] = field(default_factory=list)

    def as_json(self) -> dict[str, Any]:
        """The entry `calcast stats --json` prints and GET /v2/stats answers: the fields above, by name."""
        return asdict(self)


def _by_tag(session: Session, calendar: Calendar, where: Scope, until: datetime) -> dict[str, int]:
    counted = and_(Subscription.id == subscription_tags.c.subscription_id, _active_at(until), *where.where)
    query = (
        select(Tag.name, func.count(Subscription.id))
        .select_from(Tag)
        .outerjoin(subscription_tags, subscription_tags.c.tag_id == Tag.id)
        .outerjoin(Subscription, counted)
        .where(Tag.calendar_id == calendar.id)
        .group_by(Tag.id, Tag.name, Tag.position)
        .order_by(Tag.position)
    )
    return {str(name): int(count) for name, count in session.execute(query)}


def calendar_stats(
    *,
    session: Session,
    account_code: str,
    calendar_code: str,
    days: int | None = 30,
    period: Period | None = None,
    now: datetime | None = None,
    filters: Filters | None = None,
) -> CalendarStats:
    """Subscriber numbers of one calendar over `period` (default: the last `days` days, today included), of the
    subscriptions that meet `filters` (their calendar, if any, is replaced by this one)."""
    calendar = calendars.get_calendar(session=session, account_code=account_code, code=calendar_code)
    moment = now or utcnow()
    chosen = period or last_days(days or 30, now=moment)
    narrowed = replace(filters or Filters(), calendar=calendar.code)
    where = scope(session=session, account_code=account_code, filters=narrowed)
    counted = numbers(session=session, scope=where, period=chosen)
    until = chosen.until
    active = _active_at(until)
    extra = session.execute(
        select(
            _count(active & (Subscription.last_polled_at >= until - timedelta(days=1))),
            _count(active & Subscription.opt_in1),
            _count(active & Subscription.opt_in2),
            _count(active & (Subscription.crm_status == "unmatched")),
        ).where(*where.where)
    ).one()
    polled, opt_in1, opt_in2, unmatched = (int(value) for value in extra)
    subscribers = counted.subscribers

    def breakdown(dimension: str, limit: int | None = None) -> dict[str, int]:
        return top(session=session, scope=where, until=until, dimension=dimension, limit=limit)

    return CalendarStats(
        calendar_code=calendar.code,
        title=calendar.title,
        period=chosen.name,
        since=chosen.since.isoformat(),
        until=until.isoformat(),
        days=len(chosen.days),
        active=subscribers.active,
        new=subscribers.new,
        unsubscribed=subscribers.unsubscribed,
        lapsed=subscribers.lapsed,
        reminders_sent=counted.reminders_sent,
        engagement=counted.engagement,
        polled_last_day=polled,
        polls=polls_by_app(session=session, scope=where, period=chosen),
        opt_in1=opt_in1,
        opt_in2=opt_in2,
        unmatched_in_crm=unmatched,
        by_tag=_by_tag(session, calendar, where, until),
        by_method=breakdown("method"),
        by_device=breakdown("device"),
        by_client=breakdown("app"),
        top_countries=breakdown("country", TOP),
        top_sources=breakdown("source", TOP),
        top_campaigns=breakdown("campaign", TOP),
        clicked_people=counted.clicks.people,
        clicks=counted.clicks.clicks,
        bot_clicks=counted.clicks.bot_clicks,
        clicked_share=counted.engagement,
        clicks_by_event=[
            {
                "kind": item.kind,
                "event_id": item.event_id,
                "title": item.title,
                "people": item.people,
                "clicks": item.clicks,
                "engagement": item.engagement,
                "reminders": item.reminders,
            }
            for item in events(
                session=session,
                scope=where,
                period=chosen,
                active=subscribers.active,
                reminders=counted.reminders_by_event,
            )
        ],
    )


def account_stats(
    *,
    session: Session,
    account_code: str,
    days: int | None = 30,
    period: Period | None = None,
    filters: Filters | None = None,
) -> list[CalendarStats]:
    """calendar_stats for every calendar of the account (the filter's calendar only, when it names one), by code,
    over the same period and with the same filters."""
    chosen = period or last_days(days or 30, now=utcnow())
    if filters is not None and filters.calendar is not None:
        codes = [calendars.get_calendar(session=session, account_code=account_code, code=filters.calendar).code]
    else:
        codes = [calendar.code for calendar in calendars.list_calendars(session=session, account_code=account_code)]
    return [
        calendar_stats(session=session, account_code=account_code, calendar_code=code, period=chosen, filters=filters)
        for code in codes
    ]
