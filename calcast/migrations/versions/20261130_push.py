"""push: push connections and the events written into them

Revision ID: 0012_push
Revises: 0011_rollups
Create Date: 2026-11-30 13:00:00.000000

Two new tables; no existing table is rebuilt (on SQLite a copied `subscriptions` table would lose 0006's triggers).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012_push"
down_revision = "0011_rollups"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "push_connections",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("provider", sa.String(length=16), nullable=False),
        sa.Column("state", sa.String(length=16), nullable=False),
        sa.Column("ended_reason", sa.String(length=64), nullable=True),
        sa.Column("credential", sa.LargeBinary(), nullable=True),
        sa.Column("access_token", sa.LargeBinary(), nullable=True),
        sa.Column("access_token_expires_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("granted_scope", sa.String(length=1024), nullable=True),
        sa.Column("server_url", sa.String(length=2048), nullable=True),
        sa.Column("username", sa.String(length=320), nullable=True),
        sa.Column("remote_calendar_id", sa.String(length=2048), nullable=True),
        sa.Column("last_synced_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_reconciled_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["account_id"], ["accounts.id"], name=op.f("fk_push_connections_account_id_accounts"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_push_connections_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_push_connections")),
        sa.UniqueConstraint("subscription_id", name=op.f("uq_push_connections_subscription_id")),
    )
    op.create_index(op.f("ix_push_connections_account_id"), "push_connections", ["account_id"], unique=False)
    op.create_table(
        "pushed_events",
        sa.Column("connection_id", sa.String(length=36), nullable=False),
        sa.Column("uid", sa.String(length=255), nullable=False),
        sa.Column("remote_id", sa.String(length=2048), nullable=False),
        sa.Column("content_hash", sa.String(length=64), nullable=False),
        sa.Column("etag", sa.String(length=255), nullable=True),
        sa.Column("synced_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["connection_id"],
            ["push_connections.id"],
            name=op.f("fk_pushed_events_connection_id_push_connections"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("connection_id", "uid", name=op.f("pk_pushed_events")),
    )


def downgrade() -> None:
    op.drop_table("pushed_events")
    op.drop_index(op.f("ix_push_connections_account_id"), table_name="push_connections")
    op.drop_table("push_connections")
