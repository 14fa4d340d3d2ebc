"""Columns every calendar event has, whether broadcast to a calendar or pushed to one person."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Boolean, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from calcast.core.db import UTCDateTime, created_at, updated_at, utc_datetime


class EventColumns:
    title: Mapped[str] = mapped_column(String(255))
    description: Mapped[str | None] = mapped_column(Text)
    location: Mapped[str | None] = mapped_column(String(1024))
    url: Mapped[str | None] = mapped_column(String(2048))
    # Instants are stored in UTC; `timezone` is the IANA zone the event is shown in.
    start_at: Mapped[datetime] = mapped_column(UTCDateTime())
    end_at: Mapped[datetime] = mapped_column(UTCDateTime())
    timezone: Mapped[str] = mapped_column(String(64))
    all_day: Mapped[bool] = mapped_column(Boolean, default=False)
    notify_before: Mapped[int | None] = mapped_column(Integer)
    visible_from: Mapped[utc_datetime | None]
    sequence: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
