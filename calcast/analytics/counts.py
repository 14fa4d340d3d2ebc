"""Subscriptions per calendar and value of a filter's dimension as they are now: active, ended, and active but
lapsed. The dashboard's tiles under one filter start from them instead of passing over all of an account's
subscriptions (`analytics.service`).

The database keeps them: triggers on `subscriptions` and `subscription_tags` (migration `subscription_counts`)
write every change of a count as a row of `subscription_count_changes`, inserted only, so that subscribers
arriving at once never wait on one another. The workers' job `subscription-counts` folds those rows into
`subscription_counts` every minute. A count is read as both tables together, in one statement, so it is exact
whether or not the job has run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import delete, func, select, true, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from calcast.analytics.models import SubscriptionCount, SubscriptionCountChange
from calcast.core.config import Settings
from calcast.core.db import Transaction

_KEY = ("calendar_id", "dimension", "value")
_COUNTS = ("active", "ended", "lapsed")


@dataclass(frozen=True)
class Counted:
    active: int
    ended: int
    lapsed: int  # active and marked lapsed


def counted(*, session: Session, calendar_ids: Sequence[str], dimension: str, values: Sequence[str]) -> Counted:
    """The subscriptions of these calendars with one of `values` in `dimension` ("unknown": none captured; tags by
    id), now."""
    if not calendar_ids or not values:
        return Counted(0, 0, 0)
    both = union_all(
        *(
            select(table.active, table.ended, table.lapsed).where(
                table.calendar_id.in_(calendar_ids), table.dimension == dimension, table.value.in_(values)
            )
            for table in (SubscriptionCount, SubscriptionCountChange)
        )
    ).subquery()
    row = session.execute(select(*(func.coalesce(func.sum(both.c[name]), 0) for name in _COUNTS))).one()
    return Counted(*(int(value) for value in row))


def fold(session: Session) -> int:
    """Add the changes written so far to the counts and delete them; the counts changed.

    On PostgreSQL the changes are deleted and added in one statement, so that a change committed meanwhile (ids
    are not given in commit order) stays for the next run; SQLite has one writer at a time, and takes the changes
    up to the last id it sees.
    """
    changes = SubscriptionCountChange
    if session.get_bind().dialect.name == "postgresql":
        moved = delete(changes).returning(*(changes.__table__.c[name] for name in (*_KEY, *_COUNTS))).cte("moved")
        source = moved.c
        upsert: postgresql.Insert | sqlite.Insert = postgresql.insert(SubscriptionCount)
        last = None
    else:
        source = changes.__table__.c
        upsert = sqlite.insert(SubscriptionCount)
        last = session.scalar(select(func.max(changes.id)))
        if last is None:
            return 0
    summed = (
        select(*(source[name] for name in _KEY), *(func.sum(source[name]) for name in _COUNTS))
        .where(true() if last is None else source.id <= last)  # a WHERE, which SQLite's upsert from a SELECT needs
        .group_by(*(source[name] for name in _KEY))
        .order_by(*(source[name] for name in _KEY))  # rows locked in one order by every run
    )
    statement = upsert.from_select([*_KEY, *_COUNTS], summed)
    statement = statement.on_conflict_do_update(
        index_elements=list(_KEY),
        set_={name: SubscriptionCount.__table__.c[name] + statement.excluded[name] for name in _COUNTS},
    )
    changed = len(session.execute(statement.returning(SubscriptionCount.value)).all())
    if last is not None:
        session.execute(delete(changes).where(changes.id <= last))
    session.execute(
        delete(SubscriptionCount).where(
            SubscriptionCount.active == 0, SubscriptionCount.ended == 0, SubscriptionCount.lapsed == 0
        )
    )
    return changed


def counts_job(*, transaction: Transaction, settings: Settings, now: datetime) -> int:
    """`fold` as the workers' periodic job."""
    with transaction() as session:
        return fold(session)
