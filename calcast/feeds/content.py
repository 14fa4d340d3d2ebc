"""What a feed contains: the feed URL's state, and the events a subscription shows now (queries, no rendering)."""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import exists, or_, select
from sqlalchemy.orm import Session

from calcast.calendars.models import BroadcastEvent, Calendar, broadcast_event_tags
from calcast.core import clicks
from calcast.core.config import Settings
from calcast.core.event_columns import span_fits
from calcast.events.models import PersonalEvent, PersonalEventTarget
from calcast.feeds.models import FeedState
from calcast.feeds.render import FeedContent, FeedEvent, broadcast_uid, labels, personal_uid
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import FeedToken, Subscription, subscription_tags


class FeedStatus(StrEnum):
    ACTIVE = "active"
    UNSUBSCRIBED = "unsubscribed"  # deactivated or token retired: an empty calendar during the grace period
    GONE = "gone"  # grace period over


@dataclass(frozen=True)
class FeedRow:
    """Everything one indexed lookup tells about a feed URL."""

    token_digest: str
    subscription_id: str
    calendar_id: str
    token_retired_at: datetime | None
    deactivated_at: datetime | None
    subscription_version: int
    calendar_version: int
    last_polled_at: datetime | None
    stored_version_key: str | None
    stored_etag: str | None
    stored_last_modified: datetime | None
    stored_valid_until: datetime | None


def lookup(*, session: Session, token_digest: str) -> FeedRow | None:
    """The feed URL's subscription, calendar, versions and stored validators, in one indexed query."""
    query = (
        select(
            FeedToken.digest,
            FeedToken.subscription_id,
            Subscription.calendar_id,
            FeedToken.retired_at,
            Subscription.deactivated_at,
            Subscription.feed_version,
            Calendar.feed_version,
            Subscription.last_polled_at,
            FeedState.version_key,
            FeedState.etag,
            FeedState.last_modified,
            FeedState.valid_until,
        )
        .join(Subscription, Subscription.id == FeedToken.subscription_id)
        .join(Calendar, Calendar.id == Subscription.calendar_id)
        .outerjoin(FeedState, FeedState.token_digest == FeedToken.digest)
        .where(FeedToken.digest == token_digest)
    )
    row = session.execute(query).one_or_none()
    return None if row is None else FeedRow(*tuple(row))


def feed_status(row: FeedRow, settings: Settings, now: datetime) -> tuple[FeedStatus, datetime | None]:
    """Active, unsubscribed (token retired or subscription ended) or gone; and when the grace period ends."""
    ended = [moment for moment in (row.token_retired_at, row.deactivated_at) if moment is not None]
    if not ended:
        return FeedStatus.ACTIVE, None
    grace_ends_at = min(ended) + timedelta(days=settings.feed_grace_days)
    return (FeedStatus.GONE if now >= grace_ends_at else FeedStatus.UNSUBSCRIBED), grace_ends_at


def _feed_event(row: BroadcastEvent | PersonalEvent, uid: str) -> FeedEvent:
    kind: clicks.EventKind = "broadcast" if isinstance(row, BroadcastEvent) else "personal"
    return FeedEvent(
        uid=uid,
        ref=(kind, row.id),
        title=row.title,
        description=row.description,
        location=row.location,
        url=row.url,
        start_at=row.start_at,
        end_at=row.end_at,
        timezone=row.timezone,
        all_day=row.all_day,
        notify_before=row.notify_before,
        sequence=row.sequence,
        updated_at=row.updated_at,
    )


def with_tracked_links(event: FeedEvent, *, settings: Settings, subscription_id: str, text_links: bool) -> FeedEvent:
    """The event with its URL (and, with `text_links`, the addresses in description and location) as tracked links."""
    if event.ref is None:
        return event
    kind, event_id = event.ref
    links = clicks.event_links(
        url=event.url, description=event.description, location=event.location, text_links=text_links
    )
    tracked = {
        link: clicks.tracked_url(
            base_url=settings.base_url,
            secret_key=settings.secret_key,
            subscription_id=subscription_id,
            event_kind=kind,
            event_id=event_id,
            link=link,
        )
        for link in links
    }
    if not tracked:
        return event
    return replace(
        event,
        url=tracked.get(event.url or "", event.url),
        description=clicks.replace_text_links(event.description, tracked) if text_links else event.description,
        location=clicks.replace_text_links(event.location, tracked) if text_links else event.location,
    )


def select_events(
    *, session: Session, settings: Settings, subscription_id: str, calendar_id: str, now: datetime
) -> tuple[list[FeedEvent], datetime | None]:
    """The subscription's events as shown now, and the next instant at which time alone changes that list.

    Broadcast events of its calendar whose tags meet its tags (untagged: everyone), plus its personal events;
    without deleted ones, hidden ones (visible from a later time) and those that ended more than the window ago.
    """
    window = timedelta(days=settings.feed_window_days)
    cutoff = now - window
    untagged = ~exists().where(broadcast_event_tags.c.event_id == BroadcastEvent.id)
    chosen = exists().where(
        broadcast_event_tags.c.event_id == BroadcastEvent.id,
        broadcast_event_tags.c.tag_id == subscription_tags.c.tag_id,
        subscription_tags.c.subscription_id == subscription_id,
    )
    broadcast = session.scalars(
        select(BroadcastEvent).where(
            BroadcastEvent.calendar_id == calendar_id,
            BroadcastEvent.deleted_at.is_(None),
            BroadcastEvent.end_at > cutoff,
            or_(untagged, chosen),
        )
    )
    personal = session.scalars(
        select(PersonalEvent)
        .join(PersonalEventTarget, PersonalEventTarget.personal_event_id == PersonalEvent.id)
        .where(PersonalEventTarget.subscription_id == subscription_id, PersonalEvent.end_at > cutoff)
    )
    candidates: list[tuple[FeedEvent, datetime | None]] = [
        (_feed_event(row, broadcast_uid(row.calendar_id, row.event_key)), row.visible_from) for row in broadcast
    ] + [(_feed_event(row, personal_uid(row.account_id, row.event_id)), row.visible_from) for row in personal]
    shown: list[FeedEvent] = []
    changes: list[datetime] = []
    for event, visible_from in candidates:
        if not span_fits(event.start_at, event.end_at):
            shown.append(event)  # rendering leaves it out and says so; it changes nothing over time
            continue
        if visible_from is not None and visible_from > now:
            changes.append(visible_from)
            continue
        shown.append(event)
        changes.append(event.end_at + window)
    return shown, min(changes, default=None)


def feed_content(
    *,
    session: Session,
    settings: Settings,
    row: FeedRow,
    status: FeedStatus,
    grace_ends_at: datetime | None,
    now: datetime,
) -> tuple[FeedContent, datetime | None]:
    """What the feed shows now, and the next instant at which time alone changes it.

    An unsubscribed feed is an empty calendar that says so, until its grace period ends.
    """
    calendar = session.get_one(Calendar, row.calendar_id)
    words = labels(calendar.language)
    if status is FeedStatus.UNSUBSCRIBED:
        name = words["unsubscribed"].format(title=calendar.title)
        return FeedContent(
            name=name, events=[], language=calendar.language, description=words["unsubscribed_description"]
        ), grace_ends_at
    return subscription_content(
        session=session,
        settings=settings,
        subscription=session.get_one(Subscription, row.subscription_id),
        calendar=calendar,
        now=now,
    )


def subscription_content(
    *, session: Session, settings: Settings, subscription: Subscription, calendar: Calendar, now: datetime
) -> tuple[FeedContent, datetime | None]:
    """What an active subscription's feed shows now (events, tracked links, manage link), and when time changes it.

    The one selection of a subscription's content: the feed renders it, push sync writes it into calendars.
    """
    events, changes_at = select_events(
        session=session, settings=settings, subscription_id=subscription.id, calendar_id=calendar.id, now=now
    )
    if calendar.click_tracking:
        events = [
            with_tracked_links(
                event, settings=settings, subscription_id=subscription.id, text_links=calendar.track_text_links
            )
            for event in events
        ]
    content = FeedContent(
        name=calendar.title,
        description=calendar.description,
        language=calendar.language,
        events=events,
        manage_url=subscriptions.manage_url(settings, subscription),
    )
    return content, changes_at
