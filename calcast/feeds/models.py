"""What the last rendering of each feed URL produced: enough to answer a conditional GET without rendering."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, String
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
