"""subscription counts: active, ended and lapsed subscriptions per calendar and value, kept by triggers

Revision ID: 0016_subscription_counts
Revises: 0015_reminder_marks
Create Date: 2026-11-30 23:30:00.000000

The dashboard's tiles under one filter (a tag, an app, a country...) need how many of the calendars'
subscriptions with that value are active, ended and lapsed now; counting them took one pass over all of an
account's subscriptions. Triggers on `subscriptions` and `subscription_tags` now add each change of those counts
to `subscription_count_changes` (insert only, so that subscribing at once never waits on a shared row), and the
workers' job `subscription-counts` folds them into `subscription_counts` (docs/analytics.md, "Counts"). The
counts start from the rows already there. New tables and triggers only: no table with feed-change triggers (0006)
is rebuilt.
"""

# ruff: noqa: S608 - the trigger SQL is put together from this file's constants, never from input

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0016_subscription_counts"
down_revision = "0015_reminder_marks"
branch_labels = None
depends_on = None

# The dimensions counted: the subscription's column of each (a missing value is counted as 'unknown'), and the tag.
COLUMNS = {
    "source": "source",
    "app": "client_family",
    "device": "device",
    "country": "country_code",
    "method": "method",
}
WATCHED = ("deactivated_at", "lapsed_at", "calendar_id", *COLUMNS.values())
CHANGES = "INSERT INTO subscription_count_changes (calendar_id, dimension, value, active, ended, lapsed)"


def _states(row: str, sign: int) -> str:
    """What a subscription row adds to the counts: active, ended, lapsed (active and marked lapsed)."""
    return (
        f"{sign} * CASE WHEN {row}.deactivated_at IS NULL THEN 1 ELSE 0 END AS active, "
        f"{sign} * CASE WHEN {row}.deactivated_at IS NULL THEN 0 ELSE 1 END AS ended, "
        f"{sign} * CASE WHEN {row}.deactivated_at IS NULL AND {row}.lapsed_at IS NOT NULL THEN 1 ELSE 0 END AS lapsed"
    )


def _columns(row: str, sign: int, source: str = "") -> list[str]:
    """One SELECT per column dimension of the subscription `row` (read from `source`, if given)."""
    return [
        f"SELECT {row}.calendar_id AS calendar_id, '{dimension}' AS dimension, "
        f"COALESCE({row}.{column}, 'unknown') AS value, {_states(row, sign)}{source}"
        for dimension, column in COLUMNS.items()
    ]


def _tags(row: str, sign: int, source: str) -> str:
    """The tags of subscriptions (`chosen`, read from `source`), each with the states of its subscription `row`."""
    return (
        f"SELECT {row}.calendar_id AS calendar_id, 'tag' AS dimension, chosen.tag_id AS value, {_states(row, sign)} "
        f"{source}"
    )


def _tags_of(row: str, sign: int) -> str:
    return _tags(row, sign, f"FROM subscription_tags AS chosen WHERE chosen.subscription_id = {row}.id")


def _summed(parts: list[str]) -> str:
    """INSERT the parts' sums per calendar and value, leaving out what sums to no change."""
    return (
        f"{CHANGES} SELECT calendar_id, dimension, value, SUM(active), SUM(ended), SUM(lapsed) FROM ("
        + " UNION ALL ".join(parts)
        + ") AS parts GROUP BY calendar_id, dimension, value "
        "HAVING SUM(active) <> 0 OR SUM(ended) <> 0 OR SUM(lapsed) <> 0"
    )


def _tag_row(sign: int, row: str) -> str:
    """A tag chosen (NEW) or dropped (OLD), with the states of its subscription."""
    return (
        f"{CHANGES} SELECT chosen.calendar_id, 'tag', {row}.tag_id, {_states('chosen', sign)} "
        f"FROM subscriptions AS chosen WHERE chosen.id = {row}.subscription_id"
    )


def _changed(distinct: str) -> str:
    return " OR ".join(
        [
            "(OLD.deactivated_at IS NULL) <> (NEW.deactivated_at IS NULL)",
            "(OLD.lapsed_at IS NULL) <> (NEW.lapsed_at IS NULL)",
            *(f"OLD.{column} {distinct} NEW.{column}" for column in ("calendar_id", *COLUMNS.values())),
        ]
    )


def _triggers(distinct: str) -> list[tuple[str, str, str, str, list[str]]]:
    """(name, timing, event and table, condition, statements) of each trigger."""
    return [
        ("subscriptions_insert", "AFTER", "INSERT ON subscriptions", "", [_summed(_columns("NEW", 1))]),
        (
            "subscriptions_update",
            "AFTER",
            f"UPDATE OF {', '.join(WATCHED)} ON subscriptions",
            _changed(distinct),
            [
                _summed(
                    [
                        *_columns("OLD", -1),
                        *_columns("NEW", 1),
                        _tags_of("OLD", -1),
                        _tags_of("NEW", 1),
                    ]
                )
            ],
        ),
        # Before the row goes: its tags are taken away first (each by the trigger below, while the subscription
        # can still be read), then its columns.
        (
            "subscriptions_delete",
            "BEFORE",
            "DELETE ON subscriptions",
            "",
            ["DELETE FROM subscription_tags WHERE subscription_id = OLD.id", _summed(_columns("OLD", -1))],
        ),
        ("subscription_tags_insert", "AFTER", "INSERT ON subscription_tags", "", [_tag_row(1, "NEW")]),
        ("subscription_tags_delete", "AFTER", "DELETE ON subscription_tags", "", [_tag_row(-1, "OLD")]),
    ]


def upgrade() -> None:
    op.create_table(
        "subscription_counts",
        sa.Column("calendar_id", sa.String(length=36), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("active", sa.BigInteger(), nullable=False),
        sa.Column("ended", sa.BigInteger(), nullable=False),
        sa.Column("lapsed", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("calendar_id", "dimension", "value", name=op.f("pk_subscription_counts")),
    )
    op.create_table(
        "subscription_count_changes",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), autoincrement=True, nullable=False),
        sa.Column("calendar_id", sa.String(length=36), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("active", sa.Integer(), nullable=False),
        sa.Column("ended", sa.Integer(), nullable=False),
        sa.Column("lapsed", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_subscription_count_changes")),
    )
    sqlite = _sqlite()
    for name, timing, event, condition, statements in _triggers("IS NOT" if sqlite else "IS DISTINCT FROM"):
        when = f" WHEN ({condition})" if condition else ""
        body = "; ".join(statements)
        if sqlite:
            op.execute(
                f"CREATE TRIGGER subscription_count_{name} {timing} {event} FOR EACH ROW{when} BEGIN {body}; END"
            )
            continue
        result = "OLD" if timing == "BEFORE" else "NULL"
        op.execute(
            f"CREATE FUNCTION calcast_subscription_count_{name}() RETURNS trigger AS $$ "
            f"BEGIN {body}; RETURN {result}; END $$ LANGUAGE plpgsql"
        )
        op.execute(
            f"CREATE TRIGGER subscription_count_{name} {timing} {event} FOR EACH ROW{when} "
            f"EXECUTE FUNCTION calcast_subscription_count_{name}()"
        )
    # The counts of the subscriptions already there.
    every = [
        *_columns("s", 1, " FROM subscriptions AS s"),
        _tags("s", 1, "FROM subscription_tags AS chosen JOIN subscriptions AS s ON s.id = chosen.subscription_id"),
    ]
    op.execute(
        "INSERT INTO subscription_counts (calendar_id, dimension, value, active, ended, lapsed) "
        "SELECT calendar_id, dimension, value, SUM(active), SUM(ended), SUM(lapsed) FROM ("
        + " UNION ALL ".join(every)
        + ") AS parts GROUP BY calendar_id, dimension, value"
    )


def downgrade() -> None:
    sqlite = _sqlite()
    for name, _, event, *_ in _triggers(""):
        table = event.rsplit(" ", 1)[1]
        op.execute(f"DROP TRIGGER IF EXISTS subscription_count_{name}" + ("" if sqlite else f" ON {table}"))
        if not sqlite:
            op.execute(f"DROP FUNCTION IF EXISTS calcast_subscription_count_{name}()")
    op.drop_table("subscription_count_changes")
    op.drop_table("subscription_counts")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"
