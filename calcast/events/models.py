"""Personal (1:1) events pushed by eventId to a list of subscriptions."""

from __future__ import annotations

from sqlalchemy import ForeignKey, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from calcast.core.db import Base, created_at, uuid_pk
from calcast.core.event_columns import EventColumns


class PersonalEvent(EventColumns, Base):
    __tablename__ = "personal_events"
    __table_args__ = (UniqueConstraint("account_id", "event_id"),)

    id: Mapped[uuid_pk]
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    event_id: Mapped[str] = mapped_column(String(255))
    action_type: Mapped[str | None] = mapped_column(String(64))


class PersonalEventTarget(Base):
    """One copy of a personal event in one subscription's feed."""

    __tablename__ = "personal_event_targets"

    personal_event_id: Mapped[str] = mapped_column(
        ForeignKey("personal_events.id", ondelete="CASCADE"), primary_key=True
    )
    subscription_id: Mapped[str] = mapped_column(
        ForeignKey("subscriptions.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[created_at]
