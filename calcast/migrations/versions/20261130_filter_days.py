"""subscription filter days: subscriptions made and ended per calendar, day and value of each filter's dimension

Revision ID: 0017_filter_days
Revises: 0016_subscription_counts
Create Date: 2026-11-30 23:45:00.000000

The dashboard's views with one filter besides the calendar (a tag, an app, a country...) counted their daily
series and what changed since a moment from the subscriptions' rows; for a tag that matched every row of the
period to the tag's rows. The workers' rollup job now keeps those numbers per day (docs/analytics.md, "Daily
rollups"). The days rolled up before are marked as not rolled up, so that the next run writes them again with
the new table; until then the dashboard counts those days from the raw rows (the same numbers, read more slowly).
A new table only: no table with feed-change triggers (0006) is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0017_filter_days"
down_revision = "0016_subscription_counts"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "subscription_filter_days",
        sa.Column("calendar_id", sa.String(length=36), nullable=False),
        sa.Column("dimension", sa.String(length=16), nullable=False),
        sa.Column("value", sa.String(length=255), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("ended", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("calendar_id", "dimension", "value", "day", name=op.f("pk_subscription_filter_days")),
    )
    op.create_index("ix_subscription_filter_days_day", "subscription_filter_days", ["day"], unique=False)
    op.execute("DELETE FROM rollup_days")


def downgrade() -> None:
    op.drop_table("subscription_filter_days")
