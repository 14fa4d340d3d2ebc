"""Clicks on the tracked links in feeds, and the first click of each subscription on each event."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, Boolean, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from calcast.core.db import Base, UTCDateTime

# Why a click was set apart as not a person's: a HEAD request, a known bot or scanner User-Agent, or a click
# within seconds of a feed fetch by the same client family (a calendar app or scanner prefetching the link).
BOT_REASONS = ("head", "user-agent", "prefetch")


class Click(Base):
    """One request of a tracked link: who (subscription), what (event, link), when, from which client family."""

    __tablename__ = "clicks"
    __table_args__ = (
        Index("ix_clicks_calendar_id_clicked_at", "calendar_id", "clicked_at"),
        Index("ix_clicks_subscription_id", "subscription_id"),
        # The retention job deletes by age alone.
        Index("ix_clicks_clicked_at", "clicked_at"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    # The subscription's calendar, kept here so that per-calendar numbers need no join.
    calendar_id: Mapped[str] = mapped_column(ForeignKey("calendars.id", ondelete="CASCADE"))
    # "broadcast" (a calendar's event) or "personal"; the event's row id (no foreign key: two tables, and a
    # click stays counted after its event is deleted).
    event_kind: Mapped[str] = mapped_column(String(16))
    event_id: Mapped[str] = mapped_column(String(36))
    link: Mapped[str] = mapped_column(String(2048))
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime())
    client_family: Mapped[str] = mapped_column(String(16))
    is_bot: Mapped[bool] = mapped_column(Boolean, default=False)
    bot_reason: Mapped[str | None] = mapped_column(String(16))


class FirstClick(Base):
    """A person's (non-bot) first click on an event: at most one per subscription and event."""

    __tablename__ = "first_clicks"
    __table_args__ = (Index("ix_first_clicks_calendar_id_clicked_at", "calendar_id", "clicked_at"),)

    subscription_id: Mapped[str] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"), primary_key=True)
    event_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    calendar_id: Mapped[str] = mapped_column(ForeignKey("calendars.id", ondelete="CASCADE"))
    clicked_at: Mapped[datetime] = mapped_column(UTCDateTime())
