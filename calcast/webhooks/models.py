"""Outbound webhook endpoints of an account and the log of every delivery attempt."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, BigInteger, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from calcast.core.db import Base, created_at, utc_datetime, uuid_pk

# The outbox kind of webhook rows, and the Rokt event types an endpoint can ask for (WebhookEndpoint.event_types).
KIND = "webhook"
EVENT_TYPES = (
    "Subscribe",
    "Unsubscribe",
    "SubscriptionDetailsUpdated",
    "SubscriptionEventAdded",
    "SubscriptionEventUpdated",
    "SubscriptionEventRemoved",
    "SubscriptionEventDeleted",
    "Test",
    # Beyond the original's types: a person's first click on an event's tracked link.
    "EventClicked",
)


class WebhookEndpoint(Base):
    __tablename__ = "webhook_endpoints"

    id: Mapped[uuid_pk]
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    url: Mapped[str] = mapped_column(String(2048))
    # The Rokt event types this endpoint receives, e.g. ["Subscribe", "Unsubscribe"].
    event_types: Mapped[list[str]] = mapped_column(JSON)
    # The signing secret, encrypted with the server key: shown once, needed again for every signature.
    secret_encrypted: Mapped[bytes] = mapped_column(LargeBinary)
    created_at: Mapped[created_at]
    disabled_at: Mapped[utc_datetime | None]


class WebhookDelivery(Base):
    """One attempt to deliver one webhook event to one endpoint."""

    __tablename__ = "webhook_deliveries"
    __table_args__ = (Index("ix_webhook_deliveries_endpoint_id_id", "endpoint_id", "id"),)

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    endpoint_id: Mapped[str] = mapped_column(ForeignKey("webhook_endpoints.id", ondelete="CASCADE"))
    outbox_id: Mapped[int | None] = mapped_column(BigInteger().with_variant(Integer, "sqlite"))
    event_id: Mapped[str] = mapped_column(String(36))
    event_type: Mapped[str] = mapped_column(String(64))
    attempt: Mapped[int] = mapped_column(Integer)
    status_code: Mapped[int | None] = mapped_column(Integer)
    error: Mapped[str | None] = mapped_column(Text)
    response_excerpt: Mapped[str | None] = mapped_column(Text)
    duration_ms: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[created_at]

    @property
    def succeeded(self) -> bool:
        return self.status_code is not None and 200 <= self.status_code < 300

    def as_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "eventId": self.event_id,
            "eventType": self.event_type,
            "attempt": self.attempt,
            "statusCode": self.status_code,
            "error": self.error,
            "response": self.response_excerpt,
            "durationMs": self.duration_ms,
            "at": self.created_at.isoformat(),
        }
