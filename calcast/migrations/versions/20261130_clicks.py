"""click tracking: the clicks and first_clicks tables, and the calendars' click-tracking options

Revision ID: 0004_clicks
Revises: 0003_email_identity
Create Date: 2026-11-30 12:00:00.000000

Existing calendars get click tracking on (the default for new ones) and text-link tracking off.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

import calcast.core.db

revision = "0004_clicks"
down_revision = "0003_email_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Rows that only report an event (a click, a lapse) supersede no older failed row of their key.
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("supersedes", sa.Boolean(), server_default=sa.true(), nullable=False))
    with op.batch_alter_table("calendars", schema=None) as batch_op:
        batch_op.add_column(sa.Column("click_tracking", sa.Boolean(), server_default=sa.true(), nullable=False))
        batch_op.add_column(sa.Column("track_text_links", sa.Boolean(), server_default=sa.false(), nullable=False))

    op.create_table(
        "clicks",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("calendar_id", sa.String(length=36), nullable=False),
        sa.Column("event_kind", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("link", sa.String(length=2048), nullable=False),
        sa.Column("clicked_at", calcast.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.Column("client_family", sa.String(length=16), nullable=False),
        sa.Column("is_bot", sa.Boolean(), nullable=False),
        sa.Column("bot_reason", sa.String(length=16), nullable=True),
        sa.ForeignKeyConstraint(
            ["calendar_id"], ["calendars.id"], name=op.f("fk_clicks_calendar_id_calendars"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_clicks_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_clicks")),
    )
    with op.batch_alter_table("clicks", schema=None) as batch_op:
        batch_op.create_index("ix_clicks_calendar_id_clicked_at", ["calendar_id", "clicked_at"], unique=False)
        batch_op.create_index("ix_clicks_subscription_id", ["subscription_id"], unique=False)

    op.create_table(
        "first_clicks",
        sa.Column("subscription_id", sa.String(length=36), nullable=False),
        sa.Column("event_kind", sa.String(length=16), nullable=False),
        sa.Column("event_id", sa.String(length=36), nullable=False),
        sa.Column("calendar_id", sa.String(length=36), nullable=False),
        sa.Column("clicked_at", calcast.core.db.UTCDateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["calendar_id"], ["calendars.id"], name=op.f("fk_first_clicks_calendar_id_calendars"), ondelete="CASCADE"
        ),
        sa.ForeignKeyConstraint(
            ["subscription_id"],
            ["subscriptions.id"],
            name=op.f("fk_first_clicks_subscription_id_subscriptions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("subscription_id", "event_kind", "event_id", name=op.f("pk_first_clicks")),
    )
    with op.batch_alter_table("first_clicks", schema=None) as batch_op:
        batch_op.create_index("ix_first_clicks_calendar_id_clicked_at", ["calendar_id", "clicked_at"], unique=False)


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_column("supersedes")
    with op.batch_alter_table("first_clicks", schema=None) as batch_op:
        batch_op.drop_index("ix_first_clicks_calendar_id_clicked_at")
    op.drop_table("first_clicks")
    with op.batch_alter_table("clicks", schema=None) as batch_op:
        batch_op.drop_index("ix_clicks_subscription_id")
        batch_op.drop_index("ix_clicks_calendar_id_clicked_at")
    op.drop_table("clicks")
    with op.batch_alter_table("calendars", schema=None) as batch_op:
        batch_op.drop_column("track_text_links")
        batch_op.drop_column("click_tracking")
