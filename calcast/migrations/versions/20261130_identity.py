"""landing-link identity: account link keys, calendar identity mode, unverified external ids

Revision ID: 0002_identity
Revises: 0001
Create Date: 2026-11-30 10:00:00.000000

Existing calendars become `signed` (the server default): an external id in a landing link identifies a
subscriber only with the brand's signature. A brand whose links cannot be signed sets
`calcast calendar update ACCOUNT CALENDAR --identity unsigned` (docs/security.md).
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002_identity"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.add_column(sa.Column("link_key_encrypted", sa.LargeBinary(), nullable=True))
    with op.batch_alter_table("calendars", schema=None) as batch_op:
        batch_op.add_column(sa.Column("identity", sa.String(length=16), server_default="signed", nullable=False))
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("unverified_subscriber_id", sa.String(length=255), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("unverified_subscriber_id")
    with op.batch_alter_table("calendars", schema=None) as batch_op:
        batch_op.drop_column("identity")
    with op.batch_alter_table("accounts", schema=None) as batch_op:
        batch_op.drop_column("link_key_encrypted")
