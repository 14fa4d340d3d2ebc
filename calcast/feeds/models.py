"""What the last rendering of each feed URL produced: enough to answer a conditional GET without rendering."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import BigInteger, ForeignKey, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from calcast.core.db import Base, UTCDateTime, utc_datetime


class FeedState(Base):
    """One row per feed token that has been fetched; rewritten only when the feed's content changes."""

    __tablename__ = "feed_states"

    token_digest: Mapped[str] = mapped_column(ForeignKey("feed_tokens.digest", ondelete="CASCADE"), primary_key=True)
    # The calendar and subscription versions (and render settings) the validators below belong to.
    version_key: Mapped[str] = mapped_column(String(128))
    # SHA-256 of the identity-encoded body (quoted form is built by the HTTP layer).
    etag: Mapped[str] = mapped_column(String(64))
    last_modified: Mapped[datetime] = mapped_column(UTCDateTime())
    # The next instant at which time alone changes the content (an event becomes visible or leaves the
    # window, the grace period ends); NULL when no such instant is ahead.
    valid_until: Mapped[utc_datetime | None]


class FeedChange(Base):
    """A change that alters what some feeds show, written by database triggers (SQLite; see `feeds.watcher`).

    Every server process reads the rows after the last one it saw a few times a second and stops serving the
    feeds they name from its memory. On PostgreSQL the same triggers announce the change with NOTIFY instead and
    this table stays empty.
    """

    __tablename__ = "feed_changes"
    __table_args__ = {"sqlite_autoincrement": True}  # noqa: RUF012 - SQLAlchemy's declarative form

    # Never reused (AUTOINCREMENT): a reader that saw sequence n has seen every change up to n.
    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    subscription_id: Mapped[str | None] = mapped_column(String(36))
    calendar_id: Mapped[str | None] = mapped_column(String(36))


class FeedPoll(Base):
    """Fetches of one subscription's feed written in one telemetry batch: the raw rows of the daily poll rollups.

    One row per subscription per batch (CALCAST_FEED_TELEMETRY_INTERVAL_SECONDS), dated by the batch's latest
    fetch. The daily rollups (`analytics.rollups`) make these rows safe to trim after a few weeks.
    """

    __tablename__ = "feed_polls"
    __table_args__ = (
        Index("ix_feed_polls_polled_at", "polled_at"),
        Index("ix_feed_polls_subscription_id", "subscription_id"),
    )

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer, "sqlite"), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"))
    # The subscription's calendar, kept here so that the rollup needs no join (a calendar's deletion deletes its
    # subscriptions and so these rows).
    calendar_id: Mapped[str] = mapped_column(String(36))
    client_family: Mapped[str] = mapped_column(String(16))
    polled_at: Mapped[datetime] = mapped_column(UTCDateTime())
    polls: Mapped[int] = mapped_column(Integer)
