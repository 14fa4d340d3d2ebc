"""console integrations: a session's recent password confirmation, the secret it is about to show once, and an
index for one account's outbox health

Revision ID: 0008_integrations
Revises: 0007_welcome
Create Date: 2026-11-30 12:00:00.000000

Plain ADD COLUMNs on console_sessions (nullable) and a CREATE INDEX on outbox, never a batch table copy.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import calcast.core.db

revision = "0008_integrations"
down_revision = "0007_welcome"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.add_column(
        "console_sessions", sa.Column("reauthenticated_at", calcast.core.db.UTCDateTime(timezone=True), nullable=True)
    )
    op.add_column("console_sessions", sa.Column("reveal_encrypted", sa.LargeBinary(), nullable=True))
    op.create_index("ix_outbox_account_id_status_id", "outbox", ["account_id", "status", "id"], unique=False)


def downgrade() -> None:
    op.drop_index("ix_outbox_account_id_status_id", table_name="outbox")
    op.drop_column("console_sessions", "reveal_encrypted")
    op.drop_column("console_sessions", "reauthenticated_at")
