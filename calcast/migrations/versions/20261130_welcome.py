"""welcome event: the calendars' welcome event columns

Revision ID: 0007_welcome
Revises: 0006_feed_changes
Create Date: 2026-11-30 12:00:00.000000

Plain ADD COLUMNs (nullable or with a server default), never a batch table copy: on SQLite a copied `calendars`
table would lose the feed-change triggers of 0006.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007_welcome"
down_revision = "0006_feed_changes"
branch_labels = None
depends_on = None

COLUMNS = ("welcome_title", "welcome_description", "welcome_url", "welcome_after_minutes", "welcome_duration_minutes")


def upgrade() -> None:
    op.add_column("calendars", sa.Column("welcome_title", sa.String(length=255), nullable=True))
    op.add_column("calendars", sa.Column("welcome_description", sa.Text(), nullable=True))
    op.add_column("calendars", sa.Column("welcome_url", sa.String(length=2048), nullable=True))
    op.add_column("calendars", sa.Column("welcome_after_minutes", sa.Integer(), server_default="5", nullable=False))
    op.add_column("calendars", sa.Column("welcome_duration_minutes", sa.Integer(), server_default="30", nullable=False))


def downgrade() -> None:
    # SQLite 3.35+ drops a column in place (ALTER TABLE … DROP COLUMN), so the triggers stay here too.
    for column in reversed(COLUMNS):
        op.drop_column("calendars", column)
