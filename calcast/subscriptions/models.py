"""Subscriptions: one person subscribed to one calendar, with what was captured when they did."""

from __future__ import annotations

from sqlalchemy import Boolean, Column, ForeignKey, Index, Integer, String, Table, Text, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from calcast.calendars.models import Tag
from calcast.core.db import Base, created_at, updated_at, utc_datetime, uuid_pk

subscription_tags = Table(
    "subscription_tags",
    Base.metadata,
    Column("subscription_id", ForeignKey("subscriptions.id", ondelete="CASCADE"), primary_key=True),
    Column("tag_id", ForeignKey("tags.id", ondelete="CASCADE"), primary_key=True, index=True),
)


class Subscription(Base):
    __tablename__ = "subscriptions"
    __table_args__ = (
        Index("ix_subscriptions_calendar_id_subscriber_id", "calendar_id", "subscriber_id"),
        Index("ix_subscriptions_calendar_id_email", "calendar_id", "email"),
        # The dashboard's top lists: where a period's new subscribers came from, counted from this index alone (the
        # id: joined with the subscriptions' tags).
        Index(
            "ix_subscriptions_account_origins",
            "account_id",
            "created_at",
            "calendar_id",
            "source",
            "utm_campaign",
            "client_family",
            "device",
            "country_code",
            "method",
            "id",
        ),
        # The console's subscriber list (search within an account, a calendar's page by page) and its dashboard
        # (unsubscribes and lapses per day; reminders sent, counted per calendar from this index alone: it holds
        # every column the rule in `analytics.reminders` reads, and the values the rollups count them per).
        Index("ix_subscriptions_account_id_subscriber_id", "account_id", "subscriber_id"),
        Index("ix_subscriptions_account_id_email", "account_id", "email"),
        Index(
            "ix_subscriptions_calendar_reminders",
            "calendar_id",
            "created_at",
            "deactivated_at",
            "lapsed_at",
            "client_family",
            "source",
            "device",
            "country_code",
            "method",
            "id",
        ),
        Index("ix_subscriptions_account_id_deactivated_at", "account_id", "deactivated_at"),
        Index("ix_subscriptions_account_id_lapsed_at", "account_id", "lapsed_at"),
    )

    id: Mapped[uuid_pk]
    account_id: Mapped[str] = mapped_column(ForeignKey("accounts.id", ondelete="CASCADE"))
    calendar_id: Mapped[str] = mapped_column(ForeignKey("calendars.id", ondelete="CASCADE"))
    # 12 lowercase hex characters that make each subscription's Braze array entries unique.
    suffix: Mapped[str] = mapped_column(String(12), unique=True)
    # Which derived feed token is current (core.security.feed_token); bumped by rotation.
    feed_token_generation: Mapped[int] = mapped_column(Integer, default=1)
    # The brand's user id (Braze external_id): from the API, or from a landing link the calendar trusts.
    subscriber_id: Mapped[str | None] = mapped_column(String(255))
    # An external id a landing link carried without a valid signature: a note for the brand, never an identity
    # (not matched, not sent to Braze or webhooks).
    unverified_subscriber_id: Mapped[str | None] = mapped_column(String(255))
    email: Mapped[str | None] = mapped_column(String(320))
    # Whether the e-mail may identify the person in Braze: the brand's API vouches for it, and so does a calendar
    # whose links are unsigned (the original's behaviour); an address typed into a signed calendar's form does
    # not, or anybody could attach a subscription of their own to another person's Braze profile.
    email_identifies: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())
    method: Mapped[str] = mapped_column(String(32), default="WebCal")
    action_type: Mapped[str | None] = mapped_column(String(64))
    # The signed form (or request) that created it: submitting the same form twice finds this subscription again.
    request_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    device: Mapped[str | None] = mapped_column(String(64))
    user_agent: Mapped[str | None] = mapped_column(String(1024))
    ip_address: Mapped[str | None] = mapped_column(String(64))
    country_code: Mapped[str | None] = mapped_column(String(2))
    country_name: Mapped[str | None] = mapped_column(String(128))
    source: Mapped[str | None] = mapped_column(String(255))
    referrer: Mapped[str | None] = mapped_column(String(2048))
    utm_source: Mapped[str | None] = mapped_column(String(255))
    utm_medium: Mapped[str | None] = mapped_column(String(255))
    utm_campaign: Mapped[str | None] = mapped_column(String(255))
    utm_content: Mapped[str | None] = mapped_column(String(255))
    opt_in1: Mapped[bool] = mapped_column(Boolean, default=False)
    opt_in1_at: Mapped[utc_datetime | None]
    opt_in2: Mapped[bool] = mapped_column(Boolean, default=False)
    opt_in2_at: Mapped[utc_datetime | None]
    # Braze matching: "matched" (external id or e-mail or fallback) or "unmatched" (nothing to identify by).
    crm_status: Mapped[str | None] = mapped_column(String(16))
    created_at: Mapped[created_at]
    updated_at: Mapped[updated_at]
    deactivated_at: Mapped[utc_datetime | None]
    deactivation_reason_id: Mapped[str | None] = mapped_column(String(64))
    deactivation_reason_text: Mapped[str | None] = mapped_column(Text)
    # Poll telemetry, written on every feed fetch.
    last_polled_at: Mapped[utc_datetime | None]
    poll_count: Mapped[int] = mapped_column(Integer, default=0)
    client_family: Mapped[str | None] = mapped_column(String(32))
    lapsed_at: Mapped[utc_datetime | None]
    # Bumped whenever this subscription's own feed content changes (tags, personal events, state).
    feed_version: Mapped[int] = mapped_column(Integer, default=1)

    tags: Mapped[list[Tag]] = relationship(secondary=subscription_tags, order_by="Tag.position")

    @property
    def is_active(self) -> bool:
        return self.deactivated_at is None


class FeedToken(Base):
    """Digest of each feed token ever handed out; a retired one shows the unsubscribed calendar until grace ends."""

    __tablename__ = "feed_tokens"

    digest: Mapped[str] = mapped_column(String(64), primary_key=True)
    subscription_id: Mapped[str] = mapped_column(ForeignKey("subscriptions.id", ondelete="CASCADE"), index=True)
    generation: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[created_at]
    retired_at: Mapped[utc_datetime | None]
