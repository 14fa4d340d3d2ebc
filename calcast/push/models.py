"""Push connections: a subscription served by writing into the subscriber's own calendar account."""

from __future__ import annotations

from enum import StrEnum

from sqlalchemy import Enum, ForeignKey, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from calcast.core.db import Base, created_at, updated_at, utc_datetime, uuid_pk


class Provider(StrEnum):
    GOOGLE = "google"
    MICROSOFT = "microsoft"
    CALDAV = "caldav"


class ConnectionState(StrEnum):
    """active: synced on every change; ended: the subscription ended or the grant was lost (see `ended_reason`)."""

    ACTIVE = "active"
    ENDED = "ended"


def _stored_as_value(enum: type[StrEnum]) -> Enum:
    return Enum(
        enum,
        native_enum=False,
        create_constraint=False,
        length=16,
        values_callable=lambda members: [member.value for member in members],
    )


class PushConnection(Base):
    """One subscription's calendar in the subscriber's account, and the grant calcast writes it with."""

    __tablename__ = "push_connections"

    id: Mapped[uuid_pk]
    subscription_id: Mapped[str] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"), unique=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    provider: Mapped[Provider] = mapped_column(_stored_as_value(Provider))
    state: Mapped[ConnectionState] = mapped_column(_stored_as_value(ConnectionState), default=ConnectionState.ACTIVE)
    ended_reason: Mapped[str | None] = mapped_column(String(64))
    # Encrypted at rest (core.security.Cipher): a Google refresh token, or a CalDAV app password.
    credential: Mapped[bytes | None] = mapped_column(LargeBinary)
    # Encrypted as well; refreshed before `access_token_expires_at`.
    access_token: Mapped[bytes | None] = mapped_column(LargeBinary)
    access_token_expires_at: Mapped[utc_datetime | None]
    granted_scope: Mapped[str | None] = mapped_column(String(1024))
    # CalDAV: the server (its calendar home once found) and the user name.
    server_url: Mapped[str | None] = mapped_column(String(2048))
    username: Mapped[str | None] = mapped_column(String(320))
    # The calendar calcast created: a Google calendar id, a CalDAV collection URL. Stored the moment it exists.
    remote_calendar_id: Mapped[str | None] = mapped_column(String(2048))
    last_synced_at: Mapped[utc_datetime | None]
    # When the remote calendar was last compared with what calcast wrote (drift, a calendar deleted by the user).
    last_reconciled_at: Mapped[utc_datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]


class PushedEvent(Base):
    """What calcast last wrote of one feed event into a push calendar: compared with the desired state on each sync."""

    __tablename__ = "pushed_events"

    connection_id: Mapped[str] = mapped_column(ForeignKey("push_connections.id", ondelete="CASCADE"), primary_key=True)
    # The feed's UID of the event.
    uid: Mapped[str] = mapped_column(String(255), primary_key=True)
    remote_id: Mapped[str] = mapped_column(String(2048))
    # SHA-256 of the payload last written; equal means nothing to do.
    content_hash: Mapped[str] = mapped_column(String(64))
    # The provider's version of the remote copy (Google etag, CalDAV ETag): a different one means edited by hand.
    etag: Mapped[str | None] = mapped_column(String(255))
    synced_at: Mapped[utc_datetime]
