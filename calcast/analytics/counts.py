"""Subscriptions per calendar and value of a filter's dimension as they are now: active, ended, and active but
lapsed; and per calendar, value of such a dimension and value of another dimension a top list counts, the
subscriptions ever made. The dashboard's tiles under one filter start from the first, and its top lists of all
time under one filter are the second, instead of passing over all of an account's subscriptions
(`analytics.service`).

The database keeps them: triggers on `subscriptions` and `subscription_tags` (migrations `subscription_counts`
and `pair_counts`) write every change of a count as a row of `subscription_count_changes` (or
`subscription_pair_count_changes`), inserted only, so that subscribers arriving at once never wait on one another.
The workers' job `subscription-counts` folds those rows into `subscription_counts` (and `subscription_pair_counts`)
every minute. A count is read as both tables together, in one statement, so it is exact whether or not the job has
run.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, delete, func, select, true, union_all
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from calcast.analytics.models import (
    SubscriptionCount,
    SubscriptionCountChange,
    SubscriptionPairCount,
    SubscriptionPairCountChange,
)
from calcast.core.config import Settings
from calcast.core.db import Base, Transaction

_KEY = ("calendar_id", "dimension", "value")
_COUNTS = ("active", "ended", "lapsed")
_PAIR_KEY = (*_KEY, "other", "other_value")


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


def made_per_value(
    *,
    session: Session,
    calendar_ids: Sequence[str],
    dimension: str,
    values: Sequence[str] | None,
    others: Sequence[str],
) -> list[tuple[str, str, int]]:
    """(other dimension, its value, subscriptions) of the subscriptions of these calendars ever made, ended or not,
    with one of `values` in `dimension` now (None: any), per value of each of `others` (tags and calendars by id,
    "unknown": none captured)."""
    if not calendar_ids or values == []:
        return []

    def chosen(table: Any) -> list[Any]:
        conditions = [table.calendar_id.in_(calendar_ids), table.dimension == dimension]
        return conditions if values is None else [*conditions, table.value.in_(values)]

    found: list[tuple[str, str, int]] = []
    # Per calendar and per value of `dimension` itself, the counts per value answer; a tag with other tags is a pair.
    made = union_all(
        *(
            select(table.calendar_id, table.value, (table.active + table.ended).label("made")).where(*chosen(table))
            for table in (SubscriptionCount, SubscriptionCountChange)
        )
    ).subquery()
    for other, column in (("calendar", made.c.calendar_id), (dimension, made.c.value)):
        if other in others and other != "tag":
            per_value = select(column, func.sum(made.c.made)).group_by(column)
            found += [(other, str(value), int(count)) for value, count in session.execute(per_value)]
    paired = union_all(
        *(
            select(table.other, table.other_value, table.made).where(*chosen(table), table.other.in_(others))
            for table in (SubscriptionPairCount, SubscriptionPairCountChange)
        )
    ).subquery()
    per_pair = select(paired.c.other, paired.c.other_value, func.sum(paired.c.made)).group_by(
        paired.c.other, paired.c.other_value
    )
    found += [(str(other), str(value), int(count)) for other, value, count in session.execute(per_pair)]
    return [item for item in found if item[2]]


def fold(session: Session) -> int:
    """Add the changes written so far to the counts (`SubscriptionCount`, `SubscriptionPairCount`) and delete them;
    the counts changed."""
    return _fold(session, SubscriptionCount, SubscriptionCountChange, _KEY, _COUNTS) + _fold(
        session, SubscriptionPairCount, SubscriptionPairCountChange, _PAIR_KEY, ("made",)
    )


def _fold(session: Session, counts: type[Base], changes: type[Base], key: Sequence[str], summed: Sequence[str]) -> int:
    """Add the rows of `changes` to `counts` (per `key`, the columns `summed`) and delete them; the counts changed.

    On PostgreSQL the changes are deleted and added in one statement, so that a change committed meanwhile (ids
    are not given in commit order) stays for the next run; SQLite has one writer at a time, and takes the changes
    up to the last id it sees.
    """
    table, changed_rows = cast(Table, counts.__table__), cast(Table, changes.__table__)
    if session.get_bind().dialect.name == "postgresql":
        moved = delete(changed_rows).returning(*(changed_rows.c[name] for name in (*key, *summed))).cte("moved")
        source = moved.c
        upsert: postgresql.Insert | sqlite.Insert = postgresql.insert(table)
        last = None
    else:
        source = changed_rows.c
        upsert = sqlite.insert(table)
        last = session.scalar(select(func.max(changed_rows.c.id)))
        if last is None:
            return 0
    grouped = (
        select(*(source[name] for name in key), *(func.sum(source[name]) for name in summed))
        .where(true() if last is None else source.id <= last)  # a WHERE, which SQLite's upsert from a SELECT needs
        .group_by(*(source[name] for name in key))
        .order_by(*(source[name] for name in key))  # rows locked in one order by every run
    )
    statement = upsert.from_select([*key, *summed], grouped)
    statement = statement.on_conflict_do_update(
        index_elements=list(key),
        set_={name: table.c[name] + statement.excluded[name] for name in summed},
    )
    changed = len(session.execute(statement.returning(table.c[key[0]])).all())
    if last is not None:
        session.execute(delete(changed_rows).where(changed_rows.c.id <= last))
    session.execute(delete(table).where(*(table.c[name] == 0 for name in summed)))
    return changed


def counts_job(*, transaction: Transaction, settings: Settings, now: datetime) -> int:
    """`fold` as the workers' periodic job."""
    with transaction() as session:
        return fold(session)
