"""subscriptions.email_identifies: whether a subscription's e-mail may identify the person in Braze

Revision ID: 0003_email_identity
Revises: 0002_identity
Create Date: 2026-11-30 12:00:00.000000

Subscriptions made before this revision keep being identified by their e-mail as before (true); from now on an
address typed into the form of a calendar with signed identity does not identify anybody in Braze.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003_email_identity"
down_revision = "0002_identity"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.add_column(sa.Column("email_identifies", sa.Boolean(), server_default=sa.false(), nullable=False))
    op.execute(sa.text("UPDATE subscriptions SET email_identifies = :yes").bindparams(yes=True))


def downgrade() -> None:
    with op.batch_alter_table("subscriptions", schema=None) as batch_op:
        batch_op.drop_column("email_identifies")
