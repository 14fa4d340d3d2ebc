"""Calendars of an account, their tags, and broadcast events."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, UniqueConstraint, false, true
from sqlalchemy.orm import Mapped, mapped_column, relationship

from calcast.core.db import Base, UTCDateTime, created_at, updated_at, utc_datetime, uuid_pk
from calcast.core.event_columns import EventColumns

EMAIL_CAPTURE_MODES = ("off", "optional", "required")
LANGUAGES = ("en", "de")
# Whether an external id in a landing-page link must be signed with the account's link key to identify anybody.
IDENTITY_MODES = ("signed", "unsigned")


class Calendar(Base):
    __tablename__ = "calendars"
    __table_args__ = (UniqueConstraint("account_id", "code"),)

    id: Mapped[uuid_pk]
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"), index=True)
    code: Mapped[str] = mapped_column(String(64))
    name: Mapped[str] = mapped_column(String(255))
    subscription_title: Mapped[str | None] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    image_url: Mapped[str | None] = mapped_column(String(2048))
    language: Mapped[str] = mapped_column(String(8), default="en")
    default_duration_minutes: Mapped[int] = mapped_column(Integer, default=60)
    email_capture: Mapped[str] = mapped_column(String(16), default="off")
    opt_in1_label: Mapped[str | None] = mapped_column(String(500))
    opt_in2_label: Mapped[str | None] = mapped_column(String(500))
    merge_flag: Mapped[bool] = mapped_column(Boolean, default=True)
    subscriber_id_fallback: Mapped[bool] = mapped_column(Boolean, default=False)
    identity: Mapped[str] = mapped_column(String(16), default="signed", server_default="signed")
    # Event links in feeds go through calcast's /r/ redirect, which counts clicks (docs/security.md, Click tracking);
    # `track_text_links` extends this to the http(s) addresses written in descriptions and locations.
    click_tracking: Mapped[bool] = mapped_column(Boolean, default=True, server_default=true())
    track_text_links: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    # The welcome event, put into each new subscriber's feed `welcome_after_minutes` after subscribing (no title: none).
    welcome_title: Mapped[str | None] = mapped_column(String(255))
    welcome_description: Mapped[str | None] = mapped_column(Text)
    welcome_url: Mapped[str | None] = mapped_column(String(2048))
    welcome_after_minutes: Mapped[int] = mapped_column(Integer, default=5, server_default="5")
    welcome_duration_minutes: Mapped[int] = mapped_column(Integer, default=30, server_default="30")
    # Bumped by every change to the calendar, its tags or its broadcast events: part of each feed's ETag.
    feed_version: Mapped[int] = mapped_column(Integer, default=1)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]

    tags: Mapped[list[Tag]] = relationship(
        back_populates="calendar", order_by="Tag.position", cascade="all, delete-orphan"
    )

    @property
    def title(self) -> str:
        """What subscribers see: the subscription title, else the name."""
        return self.subscription_title or self.name


class Tag(Base):
    __tablename__ = "tags"
    __table_args__ = (UniqueConstraint("calendar_id", "name"),)

    id: Mapped[uuid_pk]
    calendar_id: Mapped[str] = mapped_column(ForeignKey("calendars.id", ondelete="CASCADE"), index=True)
    name: Mapped[str] = mapped_column(String(255))
    position: Mapped[int] = mapped_column(Integer, default=0)
    is_default: Mapped[bool] = mapped_column(Boolean, default=False)
    image_url: Mapped[str | None] = mapped_column(String(2048))
    created_at: Mapped[created_at]

    calendar: Mapped[Calendar] = relationship(back_populates="tags")


broadcast_event_tags = Table(
    "broadcast_event_tags",
    Base.metadata,
    Column("event_id", ForeignKey("broadcast_events.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class BroadcastEvent(EventColumns, Base):
    __tablename__ = "broadcast_events"
    __table_args__ = (
        UniqueConstraint("calendar_id", "event_key"),
        Index("ix_broadcast_events_calendar_id_end_at", "calendar_id", "end_at"),
    )

    id: Mapped[uuid_pk]
    calendar_id: Mapped[str] = mapped_column(ForeignKey("calendars.id", ondelete="CASCADE"))
    # Stable identity of the event inside its calendar (the feed UID is built from it).
    event_key: Mapped[str] = mapped_column(String(255))
    deleted_at: Mapped[utc_datetime | None]
    # Where an imported event came from (docs/import.md): the file name, the URL, or SOURCE_URL_SYNC for the
    # calendar's source URL; None for events added one by one. An import removes its source's events it no
    # longer lists, and never touches another source's.
    import_source: Mapped[str | None] = mapped_column(String(2048))

    tags: Mapped[list[Tag]] = relationship(secondary=broadcast_event_tags, order_by="Tag.position")


class CalendarSource(Base):
    """A calendar's source URL, polled by the worker, and what the last polls learnt (docs/import.md)."""

    __tablename__ = "calendar_sources"

    calendar_id: Mapped[str] = mapped_column(ForeignKey("calendars.id", ondelete="CASCADE"), primary_key=True)
    url: Mapped[str] = mapped_column(String(2048))
    interval_minutes: Mapped[int] = mapped_column(Integer)
    # The tag the source's events carry (None: everyone sees them).
    tag_name: Mapped[str | None] = mapped_column(String(255))
    # The validators of the last answer with a body, sent back as If-None-Match / If-Modified-Since.
    etag: Mapped[str | None] = mapped_column(String(1024))
    last_modified: Mapped[str | None] = mapped_column(String(255))
    # The next poll is due then; a worker claims it by moving this forward by one interval.
    next_sync_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    synced_at: Mapped[utc_datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
