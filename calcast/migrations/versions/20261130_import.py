"""event import: calendars' source URLs, the import source of broadcast events, an index for click retention

Revision ID: 0009_import
Revises: 0008_integrations
Create Date: 2026-11-30 12:00:00.000000

A new table and plain ADD COLUMNs only: on SQLite a copied `calendars` table would lose the triggers of 0006.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import calcast.core.db

revision = "0009_import"
down_revision = "0008_integrations"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_sources",
        sa.Column("calendar_id", sa.String(length=36), nullable=False),
        sa.Column("url", sa.String(length=2048), nullable=False),
        sa.Column("interval_minutes", sa.Integer(), nullable=False),
        sa.Column("tag_name", sa.String(length=255), nullable=True),
        sa.Column("etag", sa.String(length=1024), nullable=True),
        sa.Column("last_modified", sa.String(length=255), nullable=True),
        sa.Column("next_sync_at", calcast.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("synced_at", calcast.core.db.UTCDateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", calcast.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("updated_at", calcast.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"],
            ["calendars.id"],
            name=op.f("fk_calendar_sources_calendar_id_calendars"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("calendar_id", name=op.f("pk_calendar_sources")),
    )
    op.create_index(op.f("ix_calendar_sources_next_sync_at"), "calendar_sources", ["next_sync_at"], unique=False)
    op.add_column("broadcast_events", sa.Column("import_source", sa.String(length=2048), nullable=True))
    op.create_index("ix_clicks_clicked_at", "clicks", ["clicked_at"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_clicks_clicked_at", table_name="clicks")
    op.drop_column("broadcast_events", "import_source")
    op.drop_index(op.f("ix_calendar_sources_next_sync_at"), table_name="calendar_sources")
    op.drop_table("calendar_sources")
