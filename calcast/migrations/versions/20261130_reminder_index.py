"""subscriptions: the index on (calendar, creation time) also holds what the reminder rule reads

Revision ID: 0013_reminder_index
Revises: 0012_push
Create Date: 2026-11-30 18:00:00.000000

`ix_subscriptions_calendar_id_created_at` is replaced by one that starts with the same two columns and adds the
end, lapse and client of each subscription and its id: counting who received an event's reminder (docs/analytics.md)
then reads the index alone instead of every subscription's row. Plain CREATE/DROP INDEX: no table with feed-change
triggers (0006) is rebuilt.
"""

from __future__ import annotations

from alembic import op

revision = "0013_reminder_index"
down_revision = "0012_push"
branch_labels = None
depends_on = None

COLUMNS = ["calendar_id", "created_at", "deactivated_at", "lapsed_at", "client_family", "id"]


def upgrade() -> None:
    op.create_index("ix_subscriptions_calendar_reminders", "subscriptions", COLUMNS, unique=False)
    op.drop_index("ix_subscriptions_calendar_id_created_at", table_name="subscriptions")


def downgrade() -> None:
    op.create_index(
        "ix_subscriptions_calendar_id_created_at", "subscriptions", ["calendar_id", "created_at"], unique=False
    )
    op.drop_index("ix_subscriptions_calendar_reminders", table_name="subscriptions")
