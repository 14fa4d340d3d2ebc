"""Following a tracked link: find the stored link a token names, count the click, tell the consumers of a first one.

The redirect is on a person's way to the brand's page, so it costs one read (subscription, calendar and event
in one indexed query) and one insert; a person's first click on an event adds one insert and the consumers'
outbox rows. Clicks by bots and link scanners are stored too, marked `is_bot`, and never count as a person's.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Select, and_, case, delete, distinct, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from ua_parser import parse

from calcast.calendars.models import BroadcastEvent, Calendar
from calcast.core import changes
from calcast.core.clicks import ClickTarget, event_links, link_digest, read_click_token
from calcast.core.clients import client_family
from calcast.core.config import Settings
from calcast.core.db import Transaction, delete_in_batches, utcnow
from calcast.core.errors import NotFound
from calcast.engagement.changes import EventClicked
from calcast.engagement.models import Click, FirstClick
from calcast.events.models import PersonalEvent, PersonalEventTarget
from calcast.subscriptions.capture import PARSED_USER_AGENT_CHARS
from calcast.subscriptions.models import Subscription

GONE = "This link does not lead anywhere any more: the event or its link has changed. Open the event again."
# A click this soon after a feed fetch by the same client family is the client (or a scanner) prefetching.
PREFETCH_WINDOW = timedelta(seconds=10)
# Fragments of User-Agents that announce a robot, a link checker or a mail/chat link scanner (lower case).
BOT_FRAGMENTS = (
    "bot",
    "crawl",
    "spider",
    "slurp",
    "preview",
    "scanner",
    "headless",
    "python-",
    "curl/",
    "wget/",
    "go-http-client",
    "java/",
    "okhttp",
    "libwww",
    "httpclient",
    "facebookexternalhit",
    "whatsapp",
    "skypeuripreview",
    "proofpoint",
    "mimecast",
    "barracuda",
    "safelinks",
)


@dataclass(frozen=True)
class Followed:
    """Where the redirect goes, and how the click was counted."""

    link: str
    counted: bool  # False when the calendar does not track clicks
    is_bot: bool
    first: bool  # a person's first click on this event (EventClicked recorded)


@dataclass(frozen=True)
class _Found:
    account_id: str
    calendar_id: str
    last_polled_at: datetime | None
    subscription_family: str | None
    click_tracking: bool
    event_key: str
    title: str
    url: str | None
    description: str | None
    location: str | None


def _query(target: ClickTarget) -> Select[Any]:
    """Subscription, calendar and the event, in one indexed lookup; no row when the event is gone from the feed."""
    if target.event_kind == "broadcast":
        event_columns: tuple[Any, ...] = (
            BroadcastEvent.event_key,
            BroadcastEvent.title,
            BroadcastEvent.url,
            BroadcastEvent.description,
            BroadcastEvent.location,
        )
        event_join: Any = (
            BroadcastEvent,
            and_(
                BroadcastEvent.id == target.event_id,
                BroadcastEvent.calendar_id == Subscription.calendar_id,
                BroadcastEvent.deleted_at.is_(None),
            ),
        )
    else:
        event_columns = (
            PersonalEvent.event_id,
            PersonalEvent.title,
            PersonalEvent.url,
            PersonalEvent.description,
            PersonalEvent.location,
        )
        event_join = (PersonalEvent, PersonalEvent.id == target.event_id)
    query = (
        select(
            Subscription.account_id,
            Subscription.calendar_id,
            Subscription.last_polled_at,
            Subscription.client_family,
            Calendar.click_tracking,
            *event_columns,
        )
        .join(Calendar, Calendar.id == Subscription.calendar_id)
        .join(*event_join)
        .where(Subscription.id == target.subscription_id)
    )
    if target.event_kind == "personal":
        # Only while the event is still in this subscription's feed.
        query = query.join(
            PersonalEventTarget,
            and_(
                PersonalEventTarget.personal_event_id == PersonalEvent.id,
                PersonalEventTarget.subscription_id == Subscription.id,
            ),
        )
    return query


@lru_cache(maxsize=4096)
def _is_bot_user_agent(user_agent: str) -> bool:
    lowered = user_agent.lower()
    if any(fragment in lowered for fragment in BOT_FRAGMENTS):
        return True
    device = parse(user_agent).device
    return device is not None and device.family == "Spider"


def bot_reason(
    *,
    method: str,
    user_agent: str | None,
    family: str,
    last_polled_at: datetime | None,
    subscription_family: str | None,
    now: datetime,
) -> str | None:
    """Why a click is not a person's ("head", "user-agent", "prefetch"), or None for a person's click."""
    if method.upper() == "HEAD":
        return "head"
    if not user_agent or _is_bot_user_agent(user_agent[:PARSED_USER_AGENT_CHARS]):
        return "user-agent"
    if (
        last_polled_at is not None
        and family == subscription_family
        and timedelta(0) <= now - last_polled_at <= PREFETCH_WINDOW
    ):
        return "prefetch"
    return None


def _first_click(session: Session, click: dict[str, Any]) -> bool:
    """Record a person's first click on the event; False when there was one already (also a concurrent one)."""
    values = {key: click[key] for key in ("subscription_id", "event_kind", "event_id", "calendar_id", "clicked_at")}
    upsert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    # RETURNING says whether a row went in (psycopg reports no rowcount for ON CONFLICT DO NOTHING).
    statement = upsert(FirstClick).values(**values).on_conflict_do_nothing().returning(FirstClick.subscription_id)
    return session.execute(statement).first() is not None


def follow(
    *,
    session: Session,
    settings: Settings,
    token: str,
    method: str = "GET",
    user_agent: str | None = None,
    now: datetime | None = None,
) -> Followed:
    """Where a tracked link leads, counting the click; NotFound for a forged token or a link no longer stored."""
    target = read_click_token(settings.secret_key, token)
    if target is None:
        raise NotFound(GONE)
    row = session.execute(_query(target)).one_or_none()
    if row is None:
        raise NotFound(GONE)
    found = _Found(*tuple(row))
    # Any link stored with the event may be named, whatever the calendar tracks now: a feed fetched before a
    # setting changed keeps working. Nothing else is ever followed.
    links = event_links(url=found.url, description=found.description, location=found.location, text_links=True)
    link = next((candidate for candidate in links if link_digest(candidate) == target.link_digest), None)
    if link is None:
        raise NotFound(GONE)
    if not found.click_tracking:
        return Followed(link=link, counted=False, is_bot=False, first=False)
    moment = now or utcnow()
    family = client_family(user_agent[:PARSED_USER_AGENT_CHARS] if user_agent else None)
    reason = bot_reason(
        method=method,
        user_agent=user_agent,
        family=family,
        last_polled_at=found.last_polled_at,
        subscription_family=found.subscription_family,
        now=moment,
    )
    click: dict[str, Any] = {
        "subscription_id": target.subscription_id,
        "calendar_id": found.calendar_id,
        "event_kind": target.event_kind,
        "event_id": target.event_id,
        "link": link[:2048],
        "clicked_at": moment,
        "client_family": family,
        "is_bot": reason is not None,
        "bot_reason": reason,
    }
    session.execute(insert(Click).values(**click))
    first = reason is None and _first_click(session, click)
    if first:
        changes.record(
            session,
            EventClicked(
                account_id=found.account_id,
                calendar_id=found.calendar_id,
                subscription_id=target.subscription_id,
                event_kind=target.event_kind,
                event_id=found.event_key,
                title=found.title,
                link=link,
                clicked_at=moment,
            ),
        )
    return Followed(link=link, counted=True, is_bot=reason is not None, first=first)


# --- numbers -----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class ClickTotals:
    """Clicks on a calendar's links in a period: people (distinct subscriptions, bots left out), all, by bots."""

    people: int
    clicks: int
    bot_clicks: int


@dataclass(frozen=True)
class EventClicks:
    kind: str
    event_id: str  # the brand's id: a broadcast event's key, a personal eventId ("" when the event is gone)
    title: str
    people: int
    clicks: int


def click_totals(*, session: Session, calendar_id: str, since: datetime) -> ClickTotals:
    """People who clicked, person clicks and bot clicks on the calendar's links since `since`."""
    person = Click.is_bot.is_(False)
    row = session.execute(
        select(
            func.count(distinct(case((person, Click.subscription_id)))),
            func.coalesce(func.sum(case((person, 1), else_=0)), 0),
            func.coalesce(func.sum(case((person, 0), else_=1)), 0),
        ).where(Click.calendar_id == calendar_id, Click.clicked_at >= since)
    ).one()
    return ClickTotals(people=int(row[0]), clicks=int(row[1]), bot_clicks=int(row[2]))


def clicks_by_event(*, session: Session, calendar_id: str, since: datetime, limit: int = 10) -> list[EventClicks]:
    """Person clicks per event of the calendar since `since`, most people first."""
    people = func.count(distinct(Click.subscription_id))
    query = (
        select(Click.event_kind, Click.event_id, people, func.count())
        .where(Click.calendar_id == calendar_id, Click.clicked_at >= since, Click.is_bot.is_(False))
        .group_by(Click.event_kind, Click.event_id)
        .order_by(people.desc(), func.count().desc(), Click.event_id)
        .limit(limit)
    )
    counted = session.execute(query).all()
    names: dict[str, tuple[str, str]] = {}
    broadcast_ids = [event_id for kind, event_id, _, _ in counted if kind == "broadcast"]
    personal_ids = [event_id for kind, event_id, _, _ in counted if kind == "personal"]
    if broadcast_ids:
        names.update(
            (row.id, (row.event_key, row.title))
            for row in session.execute(
                select(BroadcastEvent.id, BroadcastEvent.event_key, BroadcastEvent.title).where(
                    BroadcastEvent.id.in_(broadcast_ids)
                )
            )
        )
    if personal_ids:
        names.update(
            (row.id, (row.event_id, row.title))
            for row in session.execute(
                select(PersonalEvent.id, PersonalEvent.event_id, PersonalEvent.title).where(
                    PersonalEvent.id.in_(personal_ids)
                )
            )
        )
    return [
        EventClicks(
            kind=kind,
            event_id=names.get(event_id, ("", ""))[0],
            title=names.get(event_id, ("", "(deleted event)"))[1],
            people=int(people_count),
            clicks=int(click_count),
        )
        for kind, event_id, people_count, click_count in counted
    ]


# Clicks deleted per transaction by the retention job (short transactions keep SQLite's write lock free).
PRUNE_BATCH = 5000


def prune_clicks(*, session: Session, before: datetime, limit: int = PRUNE_BATCH) -> int:
    """Delete up to `limit` clicks that happened before `before`; returns how many. First clicks stay."""
    ids = list(session.scalars(select(Click.id).where(Click.clicked_at < before).order_by(Click.id).limit(limit)))
    if ids:
        session.execute(delete(Click).where(Click.id.in_(ids)))
    return len(ids)


def click_retention(*, transaction: Transaction, settings: Settings, now: datetime) -> int:
    """The periodic job: delete clicks older than `CALCAST_CLICK_RETENTION_DAYS`, in batches."""
    before = now - timedelta(days=settings.click_retention_days)
    return delete_in_batches(transaction, lambda session: prune_clicks(session=session, before=before), PRUNE_BATCH)
