"""The outbox: outbound deliveries written in the same transaction as the change that causes them."""

from __future__ import annotations

from enum import StrEnum
from typing import Any

from sqlalchemy import JSON, BigInteger, Boolean, Enum, ForeignKey, Index, Integer, String, Text, true
from sqlalchemy.orm import Mapped, mapped_column

from calcast.core.db import Base, created_at, utc_datetime


class OutboxStatus(StrEnum):
    """Where a message stands; stored, shown and accepted as its value ("pending")."""

    PENDING = "pending"
    DONE = "done"
    # Kept for the operator, who may retry it.
    FAILED = "failed"
    # Never to be sent, because a newer message with the same ordering key was delivered after it
    # failed (sending it now would undo that one), or because the subscriber's data was erased.
    SUPERSEDED = "superseded"


# Stored as its value in a VARCHAR(16), without a CHECK constraint: the column the schema always had.
_status_column = Enum(
    OutboxStatus,
    native_enum=False,
    create_constraint=False,
    length=16,
    values_callable=lambda statuses: [status.value for status in statuses],
)


class OutboxMessage(Base):
    __tablename__ = "outbox"
    __table_args__ = (
        Index("ix_outbox_status_available_at", "status", "available_at"),
        Index("ix_outbox_ordering_key_id", "ordering_key", "id"),
        # The console's outbox health of one account: its pending and failed messages, the oldest pending first.
        Index("ix_outbox_account_id_status_id", "account_id", "status", "id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    # Which handler delivers it: a consumer's own kind (see `calcast/assembly.py`), which also owns the payload's shape.
    kind: Mapped[str] = mapped_column(String(32))
    topic: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]] = mapped_column(JSON)
    # Rows with the same key are delivered one after the other, in the order they were written
    # (a subscription's Braze changes: an unsubscribe must never overtake its subscribe).
    ordering_key: Mapped[str | None] = mapped_column(String(64))
    # Whether this row, once delivered, makes older failed rows of its key obsolete (superseded): a change of
    # state does (a later unsubscribe overtakes a failed subscribe); a row that only reports something that
    # happened (a click, a lapse) does not.
    supersedes: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    status: Mapped[OutboxStatus] = mapped_column(_status_column, default=OutboxStatus.PENDING)
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    # Not before this instant: the next retry, or the end of a worker's lease on the row.
    available_at: Mapped[utc_datetime]
    claimed_by: Mapped[str | None] = mapped_column(String(64))
    last_status_code: Mapped[int | None] = mapped_column(Integer)
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created_at]
    delivered_at: Mapped[utc_datetime | None]
