"""Following a tracked link: find the stored link a token names, count the click, tell the consumers of a first one.

The redirect is on a person's way to the brand's page, so it costs one read (subscription, calendar and event in
one indexed query); the click is counted in memory and written with the others of the last second
(`engagement.recorder`), where a person's first click on an event adds one insert and the consumers' outbox
rows. Clicks by bots and link scanners are stored too, marked `is_bot`, and never count as a person's.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Any

from sqlalchemy import Boolean, Select, String, and_, bindparam, case, delete, distinct, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session
from ua_parser import parse

from calcast.calendars.models import BroadcastEvent, Calendar
from calcast.core import changes
from calcast.core.clicks import ClickTarget, event_links, link_digest, read_click_token
from calcast.core.clients import client_family
from calcast.core.config import Settings
from calcast.core.db import Transaction, UTCDateTime, delete_in_batches, utcnow
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
class PendingClick:
    """A counted click not yet written (`record_clicks`): what the click row and a first click's change hold."""

    account_id: str
    calendar_id: str
    subscription_id: str
    event_kind: str
    event_id: str  # the event's row id
    event_key: str  # the brand's id of the event (a broadcast event's key, a personal eventId)
    title: str
    link: str
    clicked_at: datetime
    client_family: str
    bot_reason: str | None


@dataclass(frozen=True)
class Followed:
    """Where the redirect goes, and the click to count (None when the calendar does not track clicks)."""

    link: str
    click: PendingClick | None


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


def resolve(
    *,
    session: Session,
    settings: Settings,
    token: str,
    method: str = "GET",
    user_agent: str | None = None,
    now: datetime | None = None,
) -> Followed:
    """Where a tracked link leads, and the click to count; NotFound for a forged token or a link no longer stored.

    Reads only: the click is written later with others (`record_clicks`, by the process's `ClickRecorder`).
    """
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
        return Followed(link=link, click=None)
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
    click = PendingClick(
        account_id=found.account_id,
        calendar_id=found.calendar_id,
        subscription_id=target.subscription_id,
        event_kind=target.event_kind,
        event_id=target.event_id,
        event_key=found.event_key,
        title=found.title,
        link=link[:2048],
        clicked_at=moment,
        client_family=family,
        bot_reason=reason,
    )
    return Followed(link=link, click=click)


# Built once: each batch's click rows, made from their subscription's row, so that a click on a subscription deleted
# since (its account removed) leaves nothing behind instead of failing the batch (first clicks: `_first_clicks`).
_CLICK_ROWS = insert(Click).from_select(
    [
        "subscription_id",
        "calendar_id",
        "event_kind",
        "event_id",
        "link",
        "clicked_at",
        "client_family",
        "is_bot",
        "bot_reason",
    ],
    select(
        Subscription.id,
        Subscription.calendar_id,
        bindparam("event_kind", type_=String()),
        bindparam("event_id", type_=String()),
        bindparam("link", type_=String()),
        bindparam("clicked_at", type_=UTCDateTime()),
        bindparam("client_family", type_=String()),
        bindparam("is_bot", type_=Boolean()),
        bindparam("bot_reason", type_=String()),
    ).where(Subscription.id == bindparam("subscription_id", type_=String())),
)


# First clicks checked and inserted per statement (five parameters each).
FIRST_CLICKS_PER_STATEMENT = 500


def _first_clicks(session: Session, clicks: Sequence[PendingClick]) -> list[PendingClick]:
    """Record people's first clicks on events (one per subscription and event, the earliest of `clicks`); the ones
    that went in. A click already recorded (also by another process) or of a subscription gone is left out."""
    earliest: dict[tuple[str, str, str], PendingClick] = {}
    for click in sorted(clicks, key=lambda item: item.clicked_at):
        if click.bot_reason is None:
            earliest.setdefault((click.subscription_id, click.event_kind, click.event_id), click)
    if not earliest:
        return []
    subscription_ids = sorted({subscription_id for subscription_id, _, _ in earliest})
    present = set(session.scalars(select(Subscription.id).where(Subscription.id.in_(subscription_ids))))
    rows = [
        {
            "subscription_id": click.subscription_id,
            "event_kind": click.event_kind,
            "event_id": click.event_id,
            "calendar_id": click.calendar_id,
            "clicked_at": click.clicked_at,
        }
        for click in earliest.values()
        if click.subscription_id in present
    ]
    if not rows:
        return []
    upsert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    # RETURNING says which rows went in (psycopg reports no rowcount for ON CONFLICT DO NOTHING); one statement
    # for many rows (SQLAlchemy's "insertmanyvalues").
    statement = (
        upsert(FirstClick)
        .on_conflict_do_nothing()
        .returning(FirstClick.subscription_id, FirstClick.event_kind, FirstClick.event_id)
    )
    inserted = {(row[0], row[1], row[2]) for row in session.connection().execute(statement, rows)}
    return [click for key, click in earliest.items() if key in inserted]


def record_clicks(*, session: Session, clicks: Sequence[PendingClick]) -> int:
    """Write counted clicks, and for each person's first click on an event its `EventClicked`; returns how many
    first clicks there were."""
    if not clicks:
        return 0
    session.connection().execute(
        _CLICK_ROWS,
        [
            {
                "subscription_id": click.subscription_id,
                "event_kind": click.event_kind,
                "event_id": click.event_id,
                "link": click.link,
                "clicked_at": click.clicked_at,
                "client_family": click.client_family,
                "is_bot": click.bot_reason is not None,
                "bot_reason": click.bot_reason,
            }
            for click in clicks
        ],
    )
    firsts = 0
    for chunk in range(0, len(clicks), FIRST_CLICKS_PER_STATEMENT):
        for click in _first_clicks(session, clicks[chunk : chunk + FIRST_CLICKS_PER_STATEMENT]):
            firsts += 1
            changes.record(
                session,
                EventClicked(
                    account_id=click.account_id,
                    calendar_id=click.calendar_id,
                    subscription_id=click.subscription_id,
                    event_kind=click.event_kind,
                    event_id=click.event_key,
                    title=click.title,
                    link=click.link,
                    clicked_at=click.clicked_at,
                ),
            )
    return firsts


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
