"""The daily rollups: feed polls per calendar, client family and day; reminders sent and clicks per calendar, event
and day; subscriptions made and ended per calendar and day, also per value of each filter's dimension. Kept by the
workers' periodic job `rollup_job`; read by `analytics.service` for whole past days, while the rest of a period
(today, a day not rolled up yet) is counted from the raw rows. Today's reminders are the exception: the job
`reminders_today_job` adds each event's reminders to today's rollups once they have triggered (`roll_up_today`),
so the dashboard counts only the last minutes.

The job writes each UTC day whole: in one transaction it deletes the day's rows of every table, inserts them
again from the raw rows and marks the day in `rollup_days`, so running it twice changes nothing. A day is rolled
up once it has ended; the last `CLOSE_AGAIN_DAYS` ended days are rolled up again at every run, because late raw
rows land there (a telemetry batch is written up to CALCAST_FEED_TELEMETRY_INTERVAL_SECONDS after its fetches, a
failed batch with the next one; a subscription ended or lapsed in the meantime changes the reminders of nothing
already sent). Older days are final; `calcast rollup --since DAY` rolls them up again after raw rows were
repaired or imported.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Sequence
from dataclasses import asdict, dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import Date, and_, case, delete, distinct, false, func, insert, literal, or_, select
from sqlalchemy.orm import Session

from calcast.accounts.models import Account
from calcast.analytics.dimensions import COLUMNS, FILTERED, counts_by_value, label
from calcast.analytics.models import (
    ClickDay,
    PollDay,
    ReminderDay,
    ReminderMark,
    ReminderValueDay,
    RollupDay,
    SubscriptionDay,
    SubscriptionFilterDay,
    SubscriptionValueDay,
)
from calcast.analytics.periods import Period, day_start
from calcast.analytics.reminders import reminders_by_value, reminders_sent, trigger_times
from calcast.calendars.models import Calendar
from calcast.core.config import Settings
from calcast.core.db import Transaction, utcnow
from calcast.engagement.models import Click
from calcast.feeds.models import FeedPoll
from calcast.subscriptions.models import Subscription

CLOSE_AGAIN_DAYS = 2


def _earliest(session: Session) -> date | None:
    """The first UTC day with any raw row: nothing before it has numbers."""
    found = [
        session.scalar(select(func.min(Subscription.created_at))),
        session.scalar(select(func.min(FeedPoll.polled_at))),
        session.scalar(select(func.min(Click.clicked_at))),
    ]
    known = [moment for moment in found if moment is not None]
    return min(known).astimezone(UTC).date() if known else None


def roll_up_day(*, session: Session, day: date, now: datetime | None = None) -> None:
    """Write one UTC day's rollups from the raw rows, replacing what was there."""
    since, until = day_start(day), day_start(day + timedelta(days=1))
    tables = (
        PollDay,
        ReminderDay,
        ReminderValueDay,
        ReminderMark,
        ClickDay,
        SubscriptionDay,
        SubscriptionValueDay,
        SubscriptionFilterDay,
    )
    for table in (*tables, RollupDay):
        session.execute(delete(table).where(table.day == day))
    the_day = literal(day, Date)
    session.execute(
        insert(PollDay).from_select(
            ["calendar_id", "day", "client_family", "polls", "subscriptions"],
            select(
                FeedPoll.calendar_id,
                the_day,
                FeedPoll.client_family,
                func.sum(FeedPoll.polls),
                func.count(distinct(FeedPoll.subscription_id)),
            )
            .where(FeedPoll.polled_at >= since, FeedPoll.polled_at < until)
            .group_by(FeedPoll.calendar_id, FeedPoll.client_family),
        )
    )
    person = Click.is_bot.is_(False)
    session.execute(
        insert(ClickDay).from_select(
            ["calendar_id", "day", "event_kind", "event_id", "people", "clicks", "bot_clicks"],
            select(
                Click.calendar_id,
                the_day,
                Click.event_kind,
                Click.event_id,
                func.count(distinct(case((person, Click.subscription_id)))),
                func.coalesce(func.sum(case((person, 1), else_=0)), 0),
                func.coalesce(func.sum(case((person, 0), else_=1)), 0),
            )
            .where(Click.clicked_at >= since, Click.clicked_at < until)
            .group_by(Click.calendar_id, Click.event_kind, Click.event_id),
        )
    )
    calendar_ids = list(session.scalars(select(Calendar.id)))
    # Each an index range: (calendar, creation time) of every calendar, (account, end time) of every account.
    account_ids = list(session.scalars(select(Account.id)))
    made = select(Subscription.calendar_id, func.count()).where(
        Subscription.calendar_id.in_(calendar_ids), Subscription.created_at >= since, Subscription.created_at < until
    )
    ended = select(Subscription.calendar_id, func.count()).where(
        Subscription.account_id.in_(account_ids),
        Subscription.deactivated_at >= since,
        Subscription.deactivated_at < until,
    )
    per_calendar: dict[str, list[int]] = {}
    for index, query in enumerate((made, ended)):
        for calendar_id, count in session.execute(query.group_by(Subscription.calendar_id)):
            per_calendar.setdefault(calendar_id, [0, 0])[index] = int(count)
    if per_calendar:
        session.execute(
            insert(SubscriptionDay),
            [
                {"calendar_id": calendar_id, "day": day, "new": new, "ended": ended}
                for calendar_id, (new, ended) in per_calendar.items()
            ],
        )
    _roll_up_values(session, day, account_ids)
    _roll_up_reminders(session, day, calendar_ids, since, until)
    session.add(RollupDay(day=day, computed_at=now or utcnow()))
    session.flush()


def _roll_up_reminders(session: Session, day: date, calendar_ids: list[str], since: datetime, until: datetime) -> int:
    """Add the reminders triggered in [since, until), a stretch of the day, to its rollups; the events counted."""
    by_value = reminders_by_value(session=session, calendar_ids=calendar_ids, since=since, until=until)
    if by_value:
        session.execute(insert(ReminderValueDay), [{"day": day, **asdict(item)} for item in by_value])
    sent = reminders_sent(session=session, calendar_ids=calendar_ids, since=since, until=until)
    if sent:
        session.execute(
            insert(ReminderDay),
            [
                {
                    "calendar_id": item.calendar_id,
                    "day": day,
                    "event_kind": item.event_kind,
                    "event_id": item.event_id,
                    "reminders": item.reminders,
                }
                for item in sent
            ],
        )
    return len(sent)


def roll_up_today(*, transaction: Transaction, now: datetime | None = None) -> int:
    """Add the reminders triggered today since the last run to today's rollups (`ReminderMark`); the events counted.

    An event's reminders all trigger at one moment, so each event is counted once, right after its trigger time.
    The whole day is written again once it has ended (`roll_up`), with what changed since."""
    moment = now or utcnow()
    day = moment.astimezone(UTC).date()
    with transaction() as session:
        mark = session.get(ReminderMark, day, with_for_update=True)  # a second worker waits, then starts after it
        since = day_start(day) if mark is None else mark.until
        if since >= moment:
            return 0
        counted = _roll_up_reminders(session, day, list(session.scalars(select(Calendar.id))), since, moment)
        if mark is None:
            session.add(ReminderMark(day=day, until=moment))
        else:
            mark.until = moment
    return counted


def reminders_today_job(*, transaction: Transaction, settings: Settings, now: datetime) -> int:
    """`roll_up_today` as the workers' periodic job."""
    return roll_up_today(transaction=transaction, now=now)


def _roll_up_values(session: Session, day: date, account_ids: list[str]) -> None:
    """Subscriptions made on the day per account and value of each top-list dimension (tags by id); made and ended
    per calendar and value of each dimension a filter narrows by."""
    since, until = day_start(day), day_start(day + timedelta(days=1))
    accounts: dict[str, str] = dict(session.execute(select(Calendar.id, Calendar.account_id)).all())
    keys = [Subscription.calendar_id]

    def within(column: Any) -> Any:
        return select(Subscription.id).where(Subscription.account_id.in_(account_ids), column >= since, column < until)

    per_account: dict[tuple[str, str, str], int] = defaultdict(int)
    per_calendar: dict[tuple[str, str, str], list[int]] = defaultdict(lambda: [0, 0])
    made = counts_by_value(session, within(Subscription.created_at), [*COLUMNS, "tag"], keys)
    for (calendar_id,), dimension, value, count in made:
        per_account[(accounts[calendar_id], dimension, label(value))] += count  # a value "unknown" and none are one
        if dimension in FILTERED:
            per_calendar[(calendar_id, dimension, label(value))][0] += count
    ended = counts_by_value(session, within(Subscription.deactivated_at), FILTERED, keys)
    for (calendar_id,), dimension, value, count in ended:
        per_calendar[(calendar_id, dimension, label(value))][1] += count
    if per_account:
        session.execute(
            insert(SubscriptionValueDay),
            [
                {"account_id": account_id, "day": day, "dimension": dimension, "value": value, "subscriptions": count}
                for (account_id, dimension, value), count in per_account.items()
            ],
        )
    if per_calendar:
        session.execute(
            insert(SubscriptionFilterDay),
            [
                {
                    "calendar_id": calendar_id,
                    "dimension": dimension,
                    "value": value,
                    "day": day,
                    "new": new,
                    "ended": ended,
                }
                for (calendar_id, dimension, value), (new, ended) in per_calendar.items()
            ],
        )


def days_due(*, session: Session, now: datetime, since: date | None = None) -> list[date]:
    """The ended days to roll up: those never rolled up, the last CLOSE_AGAIN_DAYS, and every day from `since`."""
    today = now.astimezone(UTC).date()
    first = _earliest(session)
    if first is None:
        return []
    done = set(session.scalars(select(RollupDay.day).where(RollupDay.day >= first)))
    again = today - timedelta(days=CLOSE_AGAIN_DAYS)
    days = [first + timedelta(days=offset) for offset in range((today - first).days)]
    return [day for day in days if day not in done or day >= again or (since is not None and day >= since)]


def roll_up(*, transaction: Transaction, now: datetime | None = None, since: date | None = None) -> int:
    """Roll up every day due, one transaction per day (a failure keeps the days before it); the number of days."""
    moment = now or utcnow()
    with transaction() as session:
        due = days_due(session=session, now=moment, since=since)
    for day in due:
        with transaction() as session:
            roll_up_day(session=session, day=day, now=moment)
    return len(due)


def rollup_job(*, transaction: Transaction, settings: Settings, now: datetime) -> int:
    """`roll_up` as the workers' periodic job."""
    return roll_up(transaction=transaction, now=now)


@dataclass(frozen=True)
class Split:
    """A period cut into whole days read from the rollups and [since, until) stretches counted from raw rows.

    Every rolled-up day between the first and the last of `days` is one of them, so readers ask for that span.
    """

    days: list[date]
    raw: list[tuple[datetime, datetime]]


def split(*, session: Session, period: Period) -> Split:
    """Which days of the period the rollups answer (whole days already rolled up) and which stretches they do not.

    Asked once per session for the same [since, until): a dashboard asks for each of its numbers, and a year is
    365 days to look up.
    """
    key = ("rollups.split", period.since, period.until)
    if key not in session.info:
        session.info[key] = _split(session, period)
    found: Split = session.info[key]
    return found


def _split(session: Session, period: Period) -> Split:
    touched = period.days
    rolled = set(
        session.scalars(select(RollupDay.day).where(RollupDay.day >= touched[0], RollupDay.day <= touched[-1]))
    )
    days: list[date] = []
    raw: list[tuple[datetime, datetime]] = []
    for day in touched:
        start, end = day_start(day), day_start(day + timedelta(days=1))
        if day in rolled and period.since <= start and end <= period.until:
            days.append(day)
            continue
        piece = (max(start, period.since), min(end, period.until))
        if raw and raw[-1][1] == piece[0]:
            raw[-1] = (raw[-1][0], piece[1])
        else:
            raw.append(piece)
    return Split(days=days, raw=raw)


@dataclass(frozen=True)
class Narrowing:
    """One filter besides the calendar, as the reminder rollups per value store it: a dimension
    (`analytics.dimensions.FILTERED`) and the values that meet it (a tag name's ids in the calendars, "unknown");
    for a tag, the calendar of each of its ids (a tag is one calendar's)."""

    dimension: str
    values: list[str]
    calendars: list[str] | None = None


def _narrowed(
    whole: Any, per_value: Any, calendar_ids: Sequence[str], narrowing: Narrowing | None, *, paired: bool = False
) -> tuple[Any, list[Any]]:
    """The rollup table to read and its conditions: `whole` for these calendars without a filter, `per_value`
    (keyed by dimension and value too) for the values that meet `narrowing`.

    `paired`: a tag's ids each with its calendar, for a table keyed by calendar, dimension and value first. Given
    the calendars and the ids apart, SQLite reads every row of the days asked through the index on the day (its
    guess for 50 calendars times 50 ids): a year of a tag's subscriptions took three times as long. The reminder
    rollups, keyed by calendar and day first, are read faster by calendar.
    """
    if narrowing is None:
        return whole, [whole.calendar_id.in_(calendar_ids)]
    chosen = [per_value.dimension == narrowing.dimension]
    if not paired or narrowing.calendars is None:
        return per_value, [*chosen, per_value.calendar_id.in_(calendar_ids), per_value.value.in_(narrowing.values)]
    wanted = set(calendar_ids)
    pairs = [
        and_(per_value.calendar_id == calendar_id, per_value.value == value)
        for calendar_id, value in zip(narrowing.calendars, narrowing.values, strict=True)
        if calendar_id in wanted
    ]
    return per_value, [*chosen, or_(false(), *pairs)]


def _reminder_rows(calendar_ids: Sequence[str], narrowing: Narrowing | None) -> Any:
    """(calendar id, event kind, event id, reminders, day) of the reminder rollups, all or those of one filter."""
    table, chosen = _narrowed(ReminderDay, ReminderValueDay, calendar_ids, narrowing)
    rows = select(table.calendar_id, table.event_kind, table.event_id, table.reminders, table.day).where(*chosen)
    return rows.subquery("reminder_rows")


def rolled_reminders(
    *, session: Session, calendar_ids: Sequence[str], days: Sequence[date], narrowing: Narrowing | None = None
) -> dict[tuple[str, str, str], int]:
    """Reminders sent per (calendar id, event kind, event id) on these rolled-up days (to the subscriptions that
    meet `narrowing`)."""
    if not days or not calendar_ids:
        return {}
    rows = _reminder_rows(calendar_ids, narrowing)
    found = session.execute(
        select(rows.c.calendar_id, rows.c.event_kind, rows.c.event_id, func.sum(rows.c.reminders))
        .where(rows.c.day >= min(days), rows.c.day <= max(days))
        .group_by(rows.c.calendar_id, rows.c.event_kind, rows.c.event_id)
    )
    return {(calendar_id, kind, event_id): int(count) for calendar_id, kind, event_id, count in found}


def reminders_rolled_until(session: Session, day: date) -> datetime | None:
    """Up to which moment the reminder rollups hold the day's reminders: its end once the day is rolled up, how far
    `roll_up_today` got before that, None when nothing of the day is rolled up."""
    if session.get(RollupDay, day) is not None:
        return day_start(day + timedelta(days=1))
    return session.scalar(select(ReminderMark.until).where(ReminderMark.day == day))


def rolled_reminders_within(
    *,
    session: Session,
    calendar_ids: Sequence[str],
    since: datetime,
    until: datetime,
    narrowing: Narrowing | None = None,
) -> dict[tuple[str, str, str], int]:
    """Reminders sent in [since, until), a stretch of one UTC day the rollups hold (`reminders_rolled_until`), per
    (calendar id, event kind, event id) (to the subscriptions that meet `narrowing`): the day's counts of the events
    whose reminder triggered within the stretch. An event's reminders all trigger at one moment, so the day's
    rollups answer for any part of it."""
    day = since.astimezone(UTC).date()
    rows = _reminder_rows(calendar_ids, narrowing)
    found = session.execute(
        select(rows.c.calendar_id, rows.c.event_kind, rows.c.event_id, func.sum(rows.c.reminders))
        .where(rows.c.day == day)
        .group_by(rows.c.calendar_id, rows.c.event_kind, rows.c.event_id)
    ).all()
    triggers = trigger_times(session, {(kind, event_id) for _, kind, event_id, _ in found})
    return {
        (calendar_id, kind, event_id): int(count)
        for calendar_id, kind, event_id, count in found
        if (kind, event_id) in triggers and since <= triggers[(kind, event_id)] < until
    }


def rolled_values(*, session: Session, account_id: str, days: Sequence[date]) -> list[tuple[str, str, int]]:
    """(dimension, value, subscriptions made) of the account on these rolled-up days, per top-list dimension
    (`SubscriptionValueDay`: calendars and tags by id)."""
    if not days:
        return []
    rows = session.execute(
        select(SubscriptionValueDay.dimension, SubscriptionValueDay.value, func.sum(SubscriptionValueDay.subscriptions))
        .where(
            SubscriptionValueDay.account_id == account_id,
            SubscriptionValueDay.day >= min(days),
            SubscriptionValueDay.day <= max(days),
        )
        .group_by(SubscriptionValueDay.dimension, SubscriptionValueDay.value)
    )
    return [(dimension, value, int(count)) for dimension, value, count in rows]


def rolled_clicks(*, session: Session, calendar_ids: Sequence[str], days: Sequence[date]) -> dict[str, tuple[int, int]]:
    """(person clicks, bot clicks) per calendar on these rolled-up days."""
    if not days or not calendar_ids:
        return {}
    rows = session.execute(
        select(ClickDay.calendar_id, func.sum(ClickDay.clicks), func.sum(ClickDay.bot_clicks))
        .where(ClickDay.calendar_id.in_(calendar_ids), ClickDay.day >= min(days), ClickDay.day <= max(days))
        .group_by(ClickDay.calendar_id)
    )
    return {calendar_id: (int(clicks), int(bots)) for calendar_id, clicks, bots in rows}


def rolled_polls(
    *, session: Session, calendar_ids: Sequence[str], days: Sequence[date], family: str | None = None
) -> dict[str, int]:
    """Feed fetches per client family on these rolled-up days."""
    if not days or not calendar_ids:
        return {}
    query = (
        select(PollDay.client_family, func.sum(PollDay.polls))
        .where(PollDay.calendar_id.in_(calendar_ids), PollDay.day >= min(days), PollDay.day <= max(days))
        .group_by(PollDay.client_family)
    )
    if family is not None:
        query = query.where(PollDay.client_family == family)
    return {name: int(count) for name, count in session.execute(query)}


def rolled_subscriptions(
    *, session: Session, calendar_ids: Sequence[str], days: Sequence[date], narrowing: Narrowing | None = None
) -> dict[date, tuple[int, int]]:
    """(subscriptions made, ended) per rolled-up day of these (of the subscriptions that meet `narrowing`); days
    without any are left out."""
    if not days or not calendar_ids:
        return {}
    table, chosen = _narrowed(SubscriptionDay, SubscriptionFilterDay, calendar_ids, narrowing, paired=True)
    rows = session.execute(
        select(table.day, func.sum(table.new), func.sum(table.ended))
        .where(*chosen, table.day >= min(days), table.day <= max(days))
        .group_by(table.day)
    )
    return {day: (int(new), int(ended)) for day, new, ended in rows}


def first_rolled_day(session: Session) -> date | None:
    """The earliest day rolled up."""
    found: date | None = session.scalar(select(func.min(RollupDay.day)))
    return found
