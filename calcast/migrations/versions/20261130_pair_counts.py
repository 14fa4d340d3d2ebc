"""subscription pair counts: subscriptions made per calendar, value of a filter's dimension and value of another
top-list dimension, kept by triggers

Revision ID: 0018_pair_counts
Revises: 0017_filter_days
Create Date: 2026-11-30 23:55:00.000000

The dashboard's top lists of "all time" under one filter (a tag, an app, a country...) counted every subscription
the account ever made, under the filter, per value of each top list: seconds at a million subscriptions. Triggers
on `subscriptions` and `subscription_tags` now add each change of those counts to
`subscription_pair_count_changes` (insert only, as the counts of 0016), and the workers' job `subscription-counts`
folds them into `subscription_pair_counts` (docs/analytics.md, "Counts"). The counts start from the rows already
there. New tables and triggers only: no table with feed-change triggers (0006) is rebuilt.
"""

# ruff: noqa: S608 - the trigger SQL is put together from this file's constants, never from input

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0018_pair_counts"
down_revision = "0017_filter_days"
branch_labels = None
depends_on = None

# The subscription's columns a filter narrows by, and those the top lists count besides (a missing value is counted
# as 'unknown'). The tag is the other dimension of both, the calendar the counts' key.
FILTERED = {
    "source": "source",
    "app": "client_family",
    "device": "device",
    "country": "country_code",
    "method": "method",
}
LISTED = {**FILTERED, "campaign": "utm_campaign"}
KEY = "calendar_id, dimension, value, other, other_value"
CHANGES = f"INSERT INTO subscription_pair_count_changes ({KEY}, made)"


def _pair(calendar: str, dimension: str, value: str, other: str, other_value: str, sign: int, source: str) -> str:
    return (
        f"SELECT {calendar} AS calendar_id, {dimension} AS dimension, {value} AS value, {other} AS other, "
        f"{other_value} AS other_value, {sign} AS made {source}"
    )


def _value(row: str, column: str) -> str:
    return f"COALESCE({row}.{column}, 'unknown')"


def _columns(row: str, sign: int, source: str = "") -> list[str]:
    """The subscription `row`'s pairs of columns: each filtered column with each other column it is listed by."""
    return [
        _pair(f"{row}.calendar_id", f"'{name}'", _value(row, column), f"'{other}'", _value(row, listed), sign, source)
        for name, column in FILTERED.items()
        for other, listed in LISTED.items()
        if other != name
    ]


def _tag(row: str, tag: str, sign: int, source: str) -> list[str]:
    """A tag `tag` of the subscription `row` with each of its columns, both ways."""
    return [
        *(
            _pair(f"{row}.calendar_id", "'tag'", tag, f"'{other}'", _value(row, column), sign, source)
            for other, column in LISTED.items()
        ),
        *(
            _pair(f"{row}.calendar_id", f"'{name}'", _value(row, column), "'tag'", tag, sign, source)
            for name, column in FILTERED.items()
        ),
    ]


def _tags_of(row: str, sign: int) -> list[str]:
    """The subscription `row`'s tags with its columns and with one another (each also with itself)."""
    return [
        *_tag(row, "chosen.tag_id", sign, f"FROM subscription_tags AS chosen WHERE chosen.subscription_id = {row}.id"),
        _pair(
            f"{row}.calendar_id",
            "'tag'",
            "chosen.tag_id",
            "'tag'",
            "theirs.tag_id",
            sign,
            "FROM subscription_tags AS chosen JOIN subscription_tags AS theirs "
            f"ON theirs.subscription_id = chosen.subscription_id WHERE chosen.subscription_id = {row}.id",
        ),
    ]


def _tag_row(row: str, sign: int) -> list[str]:
    """A tag chosen (NEW) or dropped (OLD), before the row is written or deleted: with its subscription's columns,
    with itself, and both ways with the subscription's other tags (those written before, or not yet deleted, by
    the same statement included, which is why the triggers run before each row)."""
    subscription = f"FROM subscriptions AS chosen WHERE chosen.id = {row}.subscription_id"
    others = (
        "FROM subscriptions AS chosen JOIN subscription_tags AS theirs ON theirs.subscription_id = chosen.id "
        f"WHERE chosen.id = {row}.subscription_id AND theirs.tag_id <> {row}.tag_id"
    )
    tag = f"{row}.tag_id"
    return [
        *_tag("chosen", tag, sign, subscription),
        _pair("chosen.calendar_id", "'tag'", tag, "'tag'", tag, sign, subscription),
        _pair("chosen.calendar_id", "'tag'", tag, "'tag'", "theirs.tag_id", sign, others),
        _pair("chosen.calendar_id", "'tag'", "theirs.tag_id", "'tag'", tag, sign, others),
    ]


def _summed(parts: list[str]) -> str:
    """INSERT the parts' sums per calendar and pair of values, leaving out what sums to no change."""
    return (
        f"{CHANGES} SELECT {KEY}, SUM(made) FROM ("
        + " UNION ALL ".join(parts)
        + f") AS parts GROUP BY {KEY} HAVING SUM(made) <> 0"
    )


def _triggers(distinct: str) -> list[tuple[str, str, str, str, list[str]]]:
    """(name, timing, event and table, condition, statements) of each trigger. A subscription ending or lapsing
    changes no pair: it was made all the same."""
    watched = ("calendar_id", *LISTED.values())
    changed = " OR ".join(f"OLD.{column} {distinct} NEW.{column}" for column in watched)
    return [
        ("subscriptions_insert", "AFTER", "INSERT ON subscriptions", "", [_summed(_columns("NEW", 1))]),
        (
            "subscriptions_update",
            "AFTER",
            f"UPDATE OF {', '.join(watched)} ON subscriptions",
            changed,
            [_summed([*_columns("OLD", -1), *_columns("NEW", 1), *_tags_of("OLD", -1), *_tags_of("NEW", 1)])],
        ),
        # Its tags are taken away by their own trigger: the subscription's delete trigger of 0016 deletes them first.
        ("subscriptions_delete", "BEFORE", "DELETE ON subscriptions", "", [_summed(_columns("OLD", -1))]),
        ("subscription_tags_insert", "BEFORE", "INSERT ON subscription_tags", "", [_summed(_tag_row("NEW", 1))]),
        ("subscription_tags_delete", "BEFORE", "DELETE ON subscription_tags", "", [_summed(_tag_row("OLD", -1))]),
    ]


def _keys() -> list[sa.Column[str]]:
    return [
        sa.Column("calendar_id", sa.String(length=36), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("other", sa.String(length=16), nullable=False),
        sa.Column("other_value", sa.String(length=255), nullable=False),
    ]


def upgrade() -> None:
    op.create_table(
        "subscription_pair_counts",
        *_keys(),
        sa.Column("made", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint(*KEY.split(", "), name=op.f("pk_subscription_pair_counts")),
    )
    op.create_table(
        "subscription_pair_count_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        *_keys(),
        sa.Column("made", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_pair_count_changes")),
    )
    sqlite = _sqlite()
    for name, timing, event, condition, statements in _triggers("IS NOT" if sqlite else "IS DISTINCT FROM"):
        when = f" WHEN ({condition})" if condition else ""
        body = "; ".join(statements)
        if sqlite:
            op.execute(
                f"CREATE TRIGGER subscription_pair_count_{name} {timing} {event} FOR EACH ROW{when} BEGIN {body}; END"
            )
            continue
        result = {"AFTER": "NULL", "BEFORE": "OLD" if event.startswith("DELETE") else "NEW"}[timing]
        op.execute(
            f"CREATE FUNCTION calcast_subscription_pair_count_{name}() RETURNS trigger AS $$ "
            f"BEGIN {body}; RETURN {result}; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER subscription_pair_count_{name} {timing} {event} FOR EACH ROW{when} "
            f"EXECUTE FUNCTION calcast_subscription_pair_count_{name}()"
        )
    # The counts of the subscriptions already there.
    tagged = "FROM subscription_tags AS chosen JOIN subscriptions AS s ON s.id = chosen.subscription_id"
    every = [
        *_columns("s", 1, " FROM subscriptions AS s"),
        *_tag("s", "chosen.tag_id", 1, tagged),
        _pair(
            "s.calendar_id",
            "'tag'",
            "chosen.tag_id",
            "'tag'",
            "theirs.tag_id",
            1,
            f"{tagged} JOIN subscription_tags AS theirs ON theirs.subscription_id = s.id",
        ),
    ]
    op.execute(
        f"INSERT INTO subscription_pair_counts ({KEY}, made) SELECT {KEY}, SUM(made) FROM ("
        + " UNION ALL ".join(every)
        + f") AS parts GROUP BY {KEY}"
    )


def downgrade() -> None:
    sqlite = _sqlite()
    for name, _, event, *_ in _triggers(""):
        table = event.rsplit(" ", 1)[1]
        op.execute(f"DROP TRIGGER IF EXISTS subscription_pair_count_{name}" + ("" if sqlite else f" ON {table}"))
        if not sqlite:
            op.execute(f"DROP FUNCTION IF EXISTS calcast_subscription_pair_count_{name}()")
    op.drop_table("subscription_pair_count_changes")
    op.drop_table("subscription_pair_counts")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"
