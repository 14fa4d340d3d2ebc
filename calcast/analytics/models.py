"""Daily rollups of the high-volume facts: feed polls, reminders sent, clicks (see `analytics.rollups`).

Each table holds one row per UTC day and dimension; a day is written whole by the rollup job (its rows deleted and
inserted again in one transaction) and listed in `rollup_days` once written.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import BigInteger, Date, Index, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from calcast.core.db import Base, UTCDateTime


class RollupDay(Base):
    """A UTC day whose rollups are written: the dashboard reads them instead of the raw rows."""

    __tablename__ = "rollup_days"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    computed_at: Mapped[datetime] = mapped_column(UTCDateTime())


class ReminderMark(Base):
    """How far today's reminders are rolled up: `reminder_days` and `reminder_value_days` hold the day's events
    whose reminder triggered before `until` (the job `reminders-today`). Gone once the whole day is rolled up."""

    __tablename__ = "reminder_marks"

    day: Mapped[date] = mapped_column(Date, primary_key=True)
    until: Mapped[datetime] = mapped_column(UTCDateTime())


class PollDay(Base):
    """Feed fetches per calendar, client family and day, and how many subscriptions fetched."""

    __tablename__ = "poll_days"

    calendar_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    client_family: Mapped[str] = mapped_column(String(16), primary_key=True)
    polls: Mapped[int] = mapped_column(BigInteger)
    subscriptions: Mapped[int] = mapped_column(Integer)


class ReminderDay(Base):
    """Reminders sent per calendar, event and day (the definition: `analytics.reminders`)."""

    __tablename__ = "reminder_days"

    calendar_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    event_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    reminders: Mapped[int] = mapped_column(Integer)


class ClickDay(Base):
    """Clicks per calendar, event and day: people (distinct subscriptions, bots left out), their clicks, bots'."""

    __tablename__ = "click_days"

    calendar_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    event_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    people: Mapped[int] = mapped_column(Integer)
    clicks: Mapped[int] = mapped_column(Integer)
    bot_clicks: Mapped[int] = mapped_column(Integer)


class SubscriptionDay(Base):
    """Subscriptions made and ended per calendar and day (both times are final once set)."""

    __tablename__ = "subscription_days"

    calendar_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    new: Mapped[int] = mapped_column(Integer)
    ended: Mapped[int] = mapped_column(Integer)


class SubscriptionValueDay(Base):
    """Subscriptions made per account, day and value of each top-list dimension (`analytics.dimensions`): the
    calendar's and tags' ids, the other columns' values ("unknown" when none was captured), as they were when the
    day was rolled up."""

    __tablename__ = "subscription_value_days"

    account_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)
    subscriptions: Mapped[int] = mapped_column(Integer)


class SubscriptionFilterDay(Base):
    """Subscriptions made and ended per calendar, day and value of each dimension a filter narrows by
    (`analytics.dimensions.FILTERED`): tags by id, the other columns' values ("unknown" when none was captured), as
    they were when the day was rolled up. The dashboard's views with one filter read them (`SubscriptionDay` with a
    value)."""

    __tablename__ = "subscription_filter_days"
    __table_args__ = (Index("ix_subscription_filter_days_day", "day"),)  # the rollup job writes a day again

    calendar_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    new: Mapped[int] = mapped_column(Integer)
    ended: Mapped[int] = mapped_column(Integer)


class ReminderValueDay(Base):
    """Reminders sent per calendar, event, day and value of each dimension a filter narrows by (tags by id), of the
    subscriptions as they were when the day was rolled up."""

    __tablename__ = "reminder_value_days"

    calendar_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    day: Mapped[date] = mapped_column(Date, primary_key=True)
    event_kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)
    reminders: Mapped[int] = mapped_column(Integer)


class SubscriptionCount(Base):
    """Subscriptions per calendar and value of each dimension a filter narrows by (tags by id, no value as "unknown"):
    active, ended, and active but lapsed, as the rows are now together with `SubscriptionCountChange`."""

    __tablename__ = "subscription_counts"

    calendar_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)
    active: Mapped[int] = mapped_column(BigInteger)
    ended: Mapped[int] = mapped_column(BigInteger)
    lapsed: Mapped[int] = mapped_column(BigInteger)


class SubscriptionCountChange(Base):
    """A change of `SubscriptionCount`, written by the database's triggers as the subscriptions change (migration
    `subscription_counts`) and folded into the counts by the job `subscription-counts`."""

    __tablename__ = "subscription_count_changes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    calendar_id: Mapped[str] = mapped_column(String(36))
    dimension: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255))
    active: Mapped[int] = mapped_column(Integer)
    ended: Mapped[int] = mapped_column(Integer)
    lapsed: Mapped[int] = mapped_column(Integer)


class SubscriptionPairCount(Base):
    """Subscriptions made (active or ended) per calendar, value of a dimension a filter narrows by and value of
    another dimension a top list counts (tags by id, no value as "unknown"), as the rows are now together with
    `SubscriptionPairCountChange`: the top lists of all time under one filter."""

    __tablename__ = "subscription_pair_counts"

    calendar_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    dimension: Mapped[str] = mapped_column(String(16), primary_key=True)
    value: Mapped[str] = mapped_column(String(255), primary_key=True)
    other: Mapped[str] = mapped_column(String(16), primary_key=True)
    other_value: Mapped[str] = mapped_column(String(255), primary_key=True)
    made: Mapped[int] = mapped_column(BigInteger)


class SubscriptionPairCountChange(Base):
    """A change of `SubscriptionPairCount`, written by the database's triggers as the subscriptions change
    (migration `pair_counts`) and folded into the counts by the job `subscription-counts`."""

    __tablename__ = "subscription_pair_count_changes"

    id: Mapped[int] = mapped_column(BigInteger().with_variant(Integer(), "sqlite"), primary_key=True)
    calendar_id: Mapped[str] = mapped_column(String(36))
    dimension: Mapped[str] = mapped_column(String(16))
    value: Mapped[str] = mapped_column(String(255))
    other: Mapped[str] = mapped_column(String(16))
    other_value: Mapped[str] = mapped_column(String(255))
    made: Mapped[int] = mapped_column(Integer)
