"""daily rollups: raw feed poll rows, the poll, reminder and click rollups, and the days rolled up

Revision ID: 0011_rollups
Revises: 0010_audience
Create Date: 2026-11-30 12:00:00.000000

New tables and indexes only: no table with feed-change triggers (0006) is rebuilt.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import calcast.core.db

revision = "0011_rollups"
down_revision = "0010_audience"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Plain CREATE INDEX: the subscriptions table (and its feed-change triggers) stays as it is.
    op.create_index(
        "ix_subscriptions_account_id_deactivated_at", "subscriptions", ["account_id", "deactivated_at"], unique=False
    )
    op.create_index("ix_subscriptions_account_id_lapsed_at", "subscriptions", ["account_id", "lapsed_at"], unique=False)
    op.create_table(
        "feed_polls",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("calendar_id", sa.String(length=36), nullable=False),
        sa.Column("client_family", sa.String(length=16), nullable=False),
        sa.Column("polled_at", calcast.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("polls", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_feed_polls_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feed_polls")),
    )
    op.create_index("ix_feed_polls_polled_at", "feed_polls", ["polled_at"], unique=False)
    op.create_index("ix_feed_polls_subscription_id", "feed_polls", ["subscription_id"], unique=False)
    op.create_table(
        "rollup_days",
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("computed_at", calcast.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("day", name=op.f("pk_rollup_days")),
    )
    op.create_table(
        "poll_days",
        sa.Column("calendar_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("client_family", sa.String(length=16), nullable=False),
        sa.Column("polls", sa.BigInteger(), nullable=False),
        sa.Column("subscriptions", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("calendar_id", "day", "client_family", name=op.f("pk_poll_days")),
    )
    op.create_table(
        "reminder_days",
        sa.Column("calendar_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("event_kind", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("reminders", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("calendar_id", "day", "event_kind", "event_id", name=op.f("pk_reminder_days")),
    )
    op.create_table(
        "click_days",
        sa.Column("calendar_id", sa.String(length=36), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("event_kind", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("people", sa.Integer(), nullable=False),
        sa.Column("clicks", sa.Integer(), nullable=False),
        sa.Column("bot_clicks", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("calendar_id", "day", "event_kind", "event_id", name=op.f("pk_click_days")),
    )


def downgrade() -> None:
    op.drop_table("click_days")
    op.drop_table("reminder_days")
    op.drop_table("poll_days")
    op.drop_table("rollup_days")
    op.drop_index("ix_feed_polls_subscription_id", table_name="feed_polls")
    op.drop_index("ix_feed_polls_polled_at", table_name="feed_polls")
    op.drop_table("feed_polls")
    op.drop_index("ix_subscriptions_account_id_lapsed_at", table_name="subscriptions")
    op.drop_index("ix_subscriptions_account_id_deactivated_at", table_name="subscriptions")
