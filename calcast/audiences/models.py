"""Audiences uploaded in the console for a single targeted event: the upload, its match report, the send."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, Boolean, ForeignKey, Index, Integer, LargeBinary, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from calcast.core.db import Base, created_at, updated_at, utc_datetime, uuid_pk


class AudienceStatus:
    """Where an audience stands, in order: each step needs the one before it."""

    UPLOADED = "uploaded"  # the file is stored; the marketer picks the column and what it holds
    MATCHED = "matched"  # the match report is ready; the event is to be defined
    READY = "ready"  # the event is defined; waiting for the confirmation
    SENDING = "sending"  # the worker attaches the event, chunk by chunk
    SENT = "sent"
    FAILED = "failed"


class Audience(Base):
    """One uploaded CSV file, what it matched, and the one event sent to the matched subscriptions."""

    __tablename__ = "audiences"
    __table_args__ = (Index("ix_audiences_account_id_created_at", "account_id", "created_at"),)

    id: Mapped[uuid_pk]
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    created_by: Mapped[str | None] = mapped_column(String(320))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
    status: Mapped[str] = mapped_column(String(16), default=AudienceStatus.UPLOADED)
    file_name: Mapped[str] = mapped_column(String(255))
    # The file as uploaded, gzip-compressed; dropped once the event is sent (the matched ids stay).
    upload: Mapped[bytes | None] = mapped_column(LargeBinary)
    upload_bytes: Mapped[int] = mapped_column(Integer, default=0)
    delimiter: Mapped[str] = mapped_column(String(1), default=",")
    # The first rows of the file as cells (the header, if there is one, first), shown to pick the column.
    preview: Mapped[list[list[str]]] = mapped_column(JSON, default=list)
    column_index: Mapped[int | None] = mapped_column(Integer)
    id_kind: Mapped[str | None] = mapped_column(String(16))
    has_header: Mapped[bool] = mapped_column(Boolean, default=True)
    # The match report: identifiers read, and how each was judged (each identifier counts once).
    rows: Mapped[int] = mapped_column(Integer, default=0)
    matched: Mapped[int] = mapped_column(Integer, default=0)
    unknown: Mapped[int] = mapped_column(Integer, default=0)
    inactive: Mapped[int] = mapped_column(Integer, default=0)
    duplicates: Mapped[int] = mapped_column(Integer, default=0)
    blank: Mapped[int] = mapped_column(Integer, default=0)
    # Active subscriptions the matched identifiers reach (an external id may have several).
    subscriptions: Mapped[int] = mapped_column(Integer, default=0)
    examples: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    # The event as the personal-event API takes it (events.schemas.EventIn, camelCase).
    event: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    event_id: Mapped[str | None] = mapped_column(String(255))
    # Progress of the send: members handed to the personal-event service, and what it attached.
    sent: Mapped[int] = mapped_column(Integer, default=0)
    attached: Mapped[int] = mapped_column(Integer, default=0)
    # Matched subscriptions that ended between the match report and the send (left out, as the API does).
    ended_since: Mapped[int] = mapped_column(Integer, default=0)
    send_started_at: Mapped[utc_datetime | None]
    sent_at: Mapped[utc_datetime | None]
    error: Mapped[str | None] = mapped_column(Text)


class AudienceMember(Base):
    """One matched active subscription of an audience, in file order."""

    __tablename__ = "audience_members"

    audience_id: Mapped[str] = mapped_column(ForeignKey("audiences.id", ondelete="CASCADE"), primary_key=True)
    position: Mapped[int] = mapped_column(Integer, primary_key=True)
    subscription_id: Mapped[str] = mapped_column(String(36))
