"""What the last rendering of each feed URL produced: enough to answer a conditional GET without rendering."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String
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
