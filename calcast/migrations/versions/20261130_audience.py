"""audience: single targeted event uploads, and indexes for the console's subscriber list

Revision ID: 0010_audience
Revises: 0009_import
Create Date: 2026-11-30 05:30:00.000000

New tables and plain CREATE INDEX on subscriptions (never a batch table copy: on SQLite a copied
`subscriptions` table would lose the feed-change triggers of 0006).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import calcast.core.db

revision = "0010_audience"
down_revision = "0009_import"
branch_labels = None
depends_on = None

SUBSCRIPTION_INDEXES = {
    "ix_subscriptions_account_id_subscriber_id": ["account_id", "subscriber_id"],
    "ix_subscriptions_account_id_email": ["account_id", "email"],
    "ix_subscriptions_calendar_id_created_at": ["calendar_id", "created_at"],
}


def upgrade() -> None:
    op.create_table(
        "audiences",
        sa.Column("id", sa.String(length=36), nullable=False),
        sa.Column("account_id", sa.String(length=36), nullable=False),
        sa.Column("created_by", sa.String(length=320), nullable=True),
        sa.Column("created_at", calcast.core.db.UTCDateTime(), nullable=False),
        sa.Column("updated_at", calcast.core.db.UTCDateTime(), nullable=False),
        sa.Column("status", sa.String(length=16), nullable=False),
        sa.Column("file_name", sa.String(length=255), nullable=False),
        sa.Column("upload", sa.LargeBinary(), nullable=True),
        sa.Column("upload_bytes", sa.Integer(), nullable=False),
        sa.Column("delimiter", sa.String(length=1), nullable=False),
        sa.Column("preview", sa.JSON(), nullable=False),
        sa.Column("column_index", sa.Integer(), nullable=True),
        sa.Column("id_kind", sa.String(length=16), nullable=True),
        sa.Column("has_header", sa.Boolean(), nullable=False),
        sa.Column("rows", sa.Integer(), nullable=False),
        sa.Column("matched", sa.Integer(), nullable=False),
        sa.Column("unknown", sa.Integer(), nullable=False),
        sa.Column("inactive", sa.Integer(), nullable=False),
        sa.Column("duplicates", sa.Integer(), nullable=False),
        sa.Column("blank", sa.Integer(), nullable=False),
        sa.Column("subscriptions", sa.Integer(), nullable=False),
        sa.Column("examples", sa.JSON(), nullable=False),
        sa.Column("event", sa.JSON(), nullable=True),
        sa.Column("event_id", sa.String(length=255), nullable=True),
        sa.Column("sent", sa.Integer(), nullable=False),
        sa.Column("attached", sa.Integer(), nullable=False),
        sa.Column("ended_since", sa.Integer(), nullable=False),
        sa.Column("send_started_at", calcast.core.db.UTCDateTime(), nullable=True),
        sa.Column("sent_at", calcast.core.db.UTCDateTime(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["accounts.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    op.create_index("ix_audiences_account_id_created_at", "audiences", ["account_id", "created_at"], unique=False)
    op.create_table(
        "audience_members",
        sa.Column("audience_id", sa.String(length=36), nullable=False),
        sa.Column("position", sa.Integer(), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.ForeignKeyConstraint(["audience_id"], ["audiences.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("audience_id", "position"),
    )
    for name, columns in SUBSCRIPTION_INDEXES.items():
        op.create_index(name, "subscriptions", columns, unique=False)


def downgrade() -> None:
    for name in reversed(SUBSCRIPTION_INDEXES):
        op.drop_index(name, table_name="subscriptions")
    op.drop_table("audience_members")
    op.drop_index("ix_audiences_account_id_created_at", table_name="audiences")
    op.drop_table("audiences")
