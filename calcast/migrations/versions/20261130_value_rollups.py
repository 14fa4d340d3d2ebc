"""rollups per value: subscriptions made per account, day and value of each top-list dimension; reminders sent per
calendar, event, day and value of each dimension a filter narrows by

Revision ID: 0014_value_rollups
Revises: 0013_dashboard_indexes
Create Date: 2026-11-30 21:00:00.000000

The dashboard's top lists and its views with one filter (an app, a country, a tag, …) read these for whole past
days instead of the rows (docs/analytics.md, "Daily rollups"). The days rolled up before they existed are marked
as not rolled up, so that the workers' next rollup run writes them again with them; until then the dashboard
counts those days from the raw rows (the same numbers, read more slowly).

The index that holds what the reminder rule reads (0013) also holds the values reminders are counted per, so that
the rollup job reads it alone. Plain CREATE/DROP INDEX: no table with feed-change triggers (0006) is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014_value_rollups"
down_revision = "0013_dashboard_indexes"
branch_labels = None
depends_on = None

REMINDERS = ["calendar_id", "created_at", "deactivated_at", "lapsed_at", "client_family"]
VALUES = ["source", "device", "country_code", "method"]


def upgrade() -> None:
    op.drop_index("ix_subscriptions_calendar_reminders", table_name="subscriptions")
    op.create_index("ix_subscriptions_calendar_reminders", "subscriptions", [*REMINDERS, *VALUES, "id"], unique=False)
    op.create_table(
        "subscription_value_days",
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("subscriptions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("account_id", "day", "dimension", "value", name=op.f("pk_subscription_value_days")),
    )
    op.create_table(
        "reminder_value_days",
        sa.Column("calendar_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("event_kind", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint(
            "calendar_id", "day", "event_kind", "event_id", "dimension", "value", name=op.f("pk_reminder_value_days")
        ),
    )
    op.execute("DELETE FROM rollup_days")


def downgrade() -> None:
    op.drop_table("reminder_value_days")
    op.drop_table("subscription_value_days")
    op.drop_index("ix_subscriptions_calendar_reminders", table_name="subscriptions")
    op.create_index("ix_subscriptions_calendar_reminders", "subscriptions", [*REMINDERS, "id"], unique=False)
