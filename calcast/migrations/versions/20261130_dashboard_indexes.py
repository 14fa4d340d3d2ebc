"""subscriptions: the indexes on creation time also hold what the dashboard counts

Revision ID: 0013_dashboard_indexes
Revises: 0012_push
Create Date: 2026-11-30 18:00:00.000000

Two indexes are replaced by ones that start with the same two columns and add what the dashboard reads, so that it
reads the index alone instead of every subscription's row:

- `(calendar_id, created_at)` gains the end, lapse and client of each subscription and its id: who received an
  event's reminder (docs/analytics.md);
- `(account_id, created_at)` gains the calendar, source, campaign, client, device, country, method and id: where
  a period's new subscribers came from (the top lists; the id for the tags').

Plain CREATE/DROP INDEX: no table with feed-change triggers (0006) is rebuilt.
"""

from __future__ import annotations

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


def downgrade() -> None:
    op.create_index("ix_subscriptions_account_id_created_at", "subscriptions", ["account_id", "created_at"])
    op.drop_index("ix_subscriptions_account_origins", table_name="subscriptions")
    op.create_index("ix_subscriptions_calendar_id_created_at", "subscriptions", ["calendar_id", "created_at"])
    op.drop_index("ix_subscriptions_calendar_reminders", table_name="subscriptions")
