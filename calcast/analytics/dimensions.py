"""The dimensions subscriptions are broken down by (the dashboard's top lists and filters): which column of the
subscription each is, and how rows are counted per value of several of them at once.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Select, func, tuple_
from sqlalchemy.orm import Session

from calcast.subscriptions.models import Subscription, subscription_tags

# The label of "no value captured", as the dashboard shows it and the rollups per value store it.
UNKNOWN = "unknown"
# The dimensions that are columns of the subscription (the calendar by its id). The tag is the other dimension:
# a subscription has any number of tags (`subscription_tags`).
COLUMNS: dict[str, Any] = {
    "calendar": Subscription.calendar_id,
    "source": Subscription.source,
    "campaign": Subscription.utm_campaign,
    "app": Subscription.client_family,
    "device": Subscription.device,
    "country": Subscription.country_code,
    "method": Subscription.method,
}
# The dimensions a filter narrows by besides the calendar (`analytics.periods.Filters`), which the reminder rollups
# are kept per value of.
FILTERED = ("tag", "source", "app", "device", "country", "method")


def label(value: Any) -> str:
    return UNKNOWN if value is None else str(value)


def counts_by_each(
    session: Session, query: Select[Any], columns: Mapping[str, Any], keys: Sequence[Any] = ()
) -> list[tuple[tuple[Any, ...], str, Any, int]]:
    """(key values, dimension, value, rows) of the rows `query` (a SELECT of anything, for its FROM and WHERE) finds,
    grouped by the keys and by each of `columns` (dimension → column) in turn.

    One pass either way: PostgreSQL counts with GROUPING SETS (GROUPING() telling which column a row is about, since
    a value may be NULL); SQLite, which has none, groups by all the columns together, added up per column here.
    """
    names, chosen = list(columns), list(columns.values())
    if not chosen:
        return []
    width = len(keys)
    if session.get_bind().dialect.name != "postgresql":
        per: dict[tuple[tuple[Any, ...], str, Any], int] = defaultdict(int)
        every = query.with_only_columns(*keys, *chosen, func.count()).group_by(*keys, *chosen)
        for row in session.execute(every):
            for index, name in enumerate(names):
                per[(tuple(row[:width]), name, row[width + index])] += int(row[-1])
        return [(found, name, value, count) for (found, name, value), count in per.items()]
    grouped = query.with_only_columns(
        *keys, *chosen, *(func.grouping(column) for column in chosen), func.count()
    ).group_by(*keys, func.grouping_sets(*(tuple_(column) for column in chosen)))
    # The one column a row is about: GROUPING() is 0 for it, and always for a column that is also a key (the calendar
    # per calendar), whose rows are then those with every other column's GROUPING() 1.
    keyed = next((place for place, column in enumerate(chosen) if any(column is key for key in keys)), -1)
    found = []
    for row in session.execute(grouped):
        values, flags = row[width : width + len(chosen)], row[width + len(chosen) : width + 2 * len(chosen)]
        index = next((place for place, flag in enumerate(flags) if flag == 0 and place != keyed), keyed)
        found.append((tuple(row[:width]), names[index], values[index], int(row[-1])))
    return found


def counts_by_value(
    session: Session, query: Select[Any], dimensions: Sequence[str], keys: Sequence[Any] = ()
) -> list[tuple[tuple[Any, ...], str, Any, int]]:
    """(key values, dimension, value, subscriptions) of the subscriptions `query` (a SELECT over `Subscription`, for
    its FROM and WHERE) finds, per key and value of each of these dimensions: `counts_by_each` of the columns among
    them and, with "tag" among them, one join with the subscriptions' tags (by tag id; a subscription counts once
    for each of its tags)."""
    found = counts_by_each(session, query, {name: COLUMNS[name] for name in dimensions if name in COLUMNS}, keys)
    if "tag" in dimensions:
        tags = subscription_tags.alias("value_tags")  # not one the query's own conditions may name
        by_tag = query.join(tags, tags.c.subscription_id == Subscription.id)
        rows = session.execute(
            by_tag.with_only_columns(*keys, tags.c.tag_id, func.count()).group_by(*keys, tags.c.tag_id)
        )
        found += [(tuple(row[: len(keys)]), "tag", row[len(keys)], int(row[-1])) for row in rows]
    return found
