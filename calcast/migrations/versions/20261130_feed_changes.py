"""feed changes: triggers that announce what alters a feed, so that every process's feed cache follows within 1 s

Revision ID: 0006_feed_changes
Revises: 0005_console
Create Date: 2026-11-30 12:00:00.000000

A subscription's feed changes with its feed version, its end, its token's generation or retirement and its
calendar's feed version (the same inputs as the stored validators' version key), and when any of those rows is
deleted. On SQLite the triggers add a row to `feed_changes`, which every server process reads a few times a
second; on PostgreSQL they NOTIFY the `calcast_feed_changes` channel, delivered to every listening process at
commit, and the table stays empty.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006_feed_changes"
down_revision = "0005_console"
branch_labels = None
depends_on = None

CHANNEL = "calcast_feed_changes"
# (trigger name, table, event, condition on OLD/NEW, the changed thing: "s" subscription or "c" calendar, its id)
TRIGGERS = (
    (
        "subscriptions_update",
        "subscriptions",
        "UPDATE",
        "OLD.feed_version IS NOT NEW.feed_version OR OLD.deactivated_at IS NOT NEW.deactivated_at"
        " OR OLD.feed_token_generation IS NOT NEW.feed_token_generation OR OLD.calendar_id IS NOT NEW.calendar_id",
        "s",
        "NEW.id",
    ),
    ("subscriptions_delete", "subscriptions", "DELETE", None, "s", "OLD.id"),
    ("calendars_update", "calendars", "UPDATE", "OLD.feed_version IS NOT NEW.feed_version", "c", "NEW.id"),
    ("calendars_delete", "calendars", "DELETE", None, "c", "OLD.id"),
    (
        "feed_tokens_update",
        "feed_tokens",
        "UPDATE",
        "OLD.retired_at IS NOT NEW.retired_at",
        "s",
        "NEW.subscription_id",
    ),
    ("feed_tokens_delete", "feed_tokens", "DELETE", None, "s", "OLD.subscription_id"),
)


def upgrade() -> None:
    op.create_table(
        "feed_changes",
        sa.Column("seq", sa.Integer(), autoincrement=True, nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=True),
        sa.Column("calendar_id", sa.String(length=36), nullable=True),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_feed_changes")),
        sqlite_autoincrement=True,
    )
    if op.get_bind().dialect.name == "sqlite":
        for name, table, event, condition, kind, key in TRIGGERS:
            column = "subscription_id" if kind == "s" else "calendar_id"
            when = f" WHEN {condition}" if condition else ""
            op.execute(
                f"CREATE TRIGGER feed_change_{name} AFTER {event} ON {table} FOR EACH ROW{when} "  # noqa: S608
                f"BEGIN INSERT INTO feed_changes ({column}) VALUES ({key}); END"
            )
        return
    op.execute(
        f"""
        CREATE FUNCTION calcast_feed_change() RETURNS trigger AS $$
        BEGIN
            PERFORM pg_notify('{CHANNEL}', TG_ARGV[0] || ':' || CASE WHEN TG_OP = 'DELETE'
                THEN to_jsonb(OLD) ->> TG_ARGV[1] ELSE to_jsonb(NEW) ->> TG_ARGV[1] END);
            RETURN NULL;
        END
        $$ LANGUAGE plpgsql
        """
    )
    for name, table, event, condition, kind, key in TRIGGERS:
        when = f" WHEN ({condition.replace(' IS NOT ', ' IS DISTINCT FROM ')})" if condition else ""
        column = key.split(".", 1)[1]
        op.execute(
            f"CREATE TRIGGER feed_change_{name} AFTER {event} ON {table} FOR EACH ROW{when} "
            f"EXECUTE FUNCTION calcast_feed_change('{kind}', '{column}')"
        )


def downgrade() -> None:
    for name, table, *_ in TRIGGERS:
        op.execute(f"DROP TRIGGER IF EXISTS feed_change_{name}" + ("" if _sqlite() else f" ON {table}"))
    if not _sqlite():
        op.execute("DROP FUNCTION IF EXISTS calcast_feed_change()")
    op.drop_table("feed_changes")


def _sqlite() -> bool:
    return op.get_bind().dialect.name == "sqlite"
