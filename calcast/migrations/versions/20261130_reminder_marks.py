"""today's reminders rolled up as they trigger: how far each day's reminder rollups reach before it ends

Revision ID: 0015_reminder_marks
Revises: 0014_value_rollups
Create Date: 2026-11-30 23:00:00.000000

The workers' job `reminders-today` writes the reminders of today's events whose reminder has triggered into
`reminder_days` and `reminder_value_days`, and how far it got into `reminder_marks`; the dashboard counts only
the rest of today from the raw rows (docs/analytics.md, "Today"). A new table only: no table with feed-change
triggers (0006) is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import calcast.core.db

revision = "0015_reminder_marks"
down_revision = "0014_value_rollups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "reminder_marks",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("until", calcast.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_reminder_marks")),
    )


def downgrade() -> None:
    op.drop_table("reminder_marks")
