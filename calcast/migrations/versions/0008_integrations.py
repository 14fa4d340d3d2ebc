"""console integrations: a session's recent password confirmation, and the secret it is about to show once

Revision ID: 0008_integrations
Revises: 0007_welcome
Create Date: 2026-11-30 12:00:00.000000

Plain ADD COLUMNs on console_sessions (nullable), never a batch table copy.
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


def downgrade() -> None:
    op.drop_column("console_sessions", "reveal_encrypted")
    op.drop_column("console_sessions", "reauthenticated_at")
