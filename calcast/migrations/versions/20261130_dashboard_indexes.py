"""dashboard: the indexes on creation time hold what it counts; subscriptions made and ended per day

Revision ID: 0013_dashboard_indexes
Revises: 0012_push
Create Date: 2026-11-30 18:00:00.000000

Two indexes are replaced by ones that start with the same two columns and add what the dashboard reads, so that it
reads the index alone instead of every subscription's row:

- `(calendar_id, created_at)` gains the end, lapse and client of each subscription and its id: who received an
  event's reminder (docs/analytics.md);
- `(account_id, created_at)` gains the calendar, source, campaign, client, device, country, method and id: where
  a period's new subscribers came from (the top lists; the id for the tags').

A new rollup, `subscription_days` (subscriptions made and ended per calendar and day), for the subscriber counts
and charts. The days rolled up before it existed are marked as not rolled up, so that the workers' next rollup run
writes them again with it; until then the dashboard counts them from the raw rows (the same numbers, read more
slowly).

Plain CREATE/DROP INDEX: no table with feed-change triggers (0006) is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013_dashboard_indexes"
down_revision = "0012_push"
branch_labels = None
depends_on = None

REMINDERS = ["calendar_id", "created_at", "deactivated_at", "lapsed_at", "client_family", "id"]
ORIGINS = [
    "account_id",
    "created_at",
    "calendar_id",
    "source",
    "utm_campaign",
    "client_family",
    "device",
    "country_code",
    "method",
    "id",
]


def upgrade() -> None:
    op.create_index("ix_subscriptions_calendar_reminders", "subscriptions", REMINDERS, unique=False)
    op.drop_index("ix_subscriptions_calendar_id_created_at", table_name="subscriptions")
    op.create_index("ix_subscriptions_account_origins", "subscriptions", ORIGINS, unique=False)
    op.drop_index("ix_subscriptions_account_id_created_at", table_name="subscriptions")
    op.create_table(
        "subscription_days",
        sa.Column("calendar_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("new", sa.Integer(), nullable=False),
        sa.Column("ended", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("calendar_id", "day", name=op.f("pk_subscription_days")),
    )
    op.execute("DELETE FROM rollup_days")


def downgrade() -> None:
    op.drop_table("subscription_days")
    op.create_index("ix_subscriptions_account_id_created_at", "subscriptions", ["account_id", "created_at"])
    op.drop_index("ix_subscriptions_account_origins", table_name="subscriptions")
    op.create_index("ix_subscriptions_calendar_id_created_at", "subscriptions", ["calendar_id", "created_at"])
    op.drop_index("ix_subscriptions_calendar_reminders", table_name="subscriptions")
