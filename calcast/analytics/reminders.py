"""Reminders sent: the one home of the rule (docs/analytics.md, "Reminders sent").

A reminder is *sent* at its trigger time, the event's start minus its `notify_before` minutes, once for each
subscription that has the event in its feed then and whose calendar client shows reminders:

- the event: a broadcast event of the subscription's calendar whose tags meet the subscription's (an untagged
  event: everyone), or a personal event sent to the subscription before the trigger time; with a reminder
  (`notify_before` set), visible by the trigger time (`visible_from` empty or not later), not deleted before it;
- the subscription: made before the trigger time, not ended by it, not lapsed by it (a lapsed client stopped
  fetching: the calendar is most likely gone from the device), fetched at least once (a feed never fetched is in
  nobody's calendar);
- the client: every family except Google Calendar, which drops the alarms (VALARM) of subscribed feeds
  (`NO_REMINDER_FAMILIES`); a subscription whose events are written into the person's calendar by a push method
  (a push connection: Google, Microsoft or CalDAV, docs/push.md) counts whether or not anything fetched its feed,
  because the reminder is part of the event written.

The client is the family that fetched the feed last (`subscriptions.client_family`); the calendar client cannot be
seen in the past. Trigger times in the future are not sent yet.
"""

from __future__ import annotations

from bisect import bisect_right
from collections import defaultdict
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import partial
from typing import Any

from sqlalchemy import ColumnElement, Select, String, and_, exists, func, literal, or_, select, union_all
from sqlalchemy.orm import Session

from calcast.analytics.dimensions import FILTERED, counts_by_value, label
from calcast.calendars.models import BroadcastEvent, broadcast_event_tags
from calcast.core.db import UTCDateTime
from calcast.events.models import PersonalEvent, PersonalEventTarget
from calcast.push.models import PushConnection
from calcast.subscriptions.models import Subscription, subscription_tags

# Client families whose subscribed calendars never ring an event's alarm.
NO_REMINDER_FAMILIES = ("google",)
# The longest `notify_before` an event may have (calendars.event_input.MAX_NOTIFY_BEFORE): a year of minutes.
LONGEST_NOTICE = timedelta(days=366)


@dataclass(frozen=True)
class EventReminders:
    """Reminders of one event sent to the subscriptions of one calendar, at one trigger time."""

    calendar_id: str
    event_kind: str  # "broadcast" or "personal"
    event_id: str  # the event's row id
    trigger_at: datetime
    reminders: int


def honours_reminders() -> ColumnElement[bool]:
    """Whether a subscription's client shows the reminders of its feed's events.

    The client family first, which answers for most subscriptions without a lookup; the push connections as one
    set, not a lookup per subscription (PostgreSQL hashes it once, and only then counts with parallel workers).
    """
    return or_(
        and_(Subscription.client_family.is_not(None), Subscription.client_family.not_in(NO_REMINDER_FAMILIES)),
        Subscription.id.in_(select(PushConnection.subscription_id)),
    )


def _receives_at(trigger_at: datetime | ColumnElement[datetime]) -> ColumnElement[bool]:
    return and_(
        Subscription.created_at <= trigger_at,
        or_(Subscription.deactivated_at.is_(None), Subscription.deactivated_at > trigger_at),
        or_(Subscription.lapsed_at.is_(None), Subscription.lapsed_at > trigger_at),
        honours_reminders(),
    )


def _triggered(start_at: datetime, notify_before: int | None, since: datetime, until: datetime) -> datetime | None:
    if notify_before is None:
        return None
    trigger_at = start_at - timedelta(minutes=notify_before)
    return trigger_at if since <= trigger_at < until else None


def trigger_times(session: Session, keys: set[tuple[str, str]]) -> dict[tuple[str, str], datetime]:
    """When the reminder of each of these events (kind, row id) triggers; events gone or without one left out."""
    found: dict[tuple[str, str], datetime] = {}
    for kind, model in (("broadcast", BroadcastEvent), ("personal", PersonalEvent)):
        ids = sorted(event_id for event_kind, event_id in keys if event_kind == kind)
        if not ids:
            continue
        rows = session.execute(
            select(model.id, model.start_at, model.notify_before).where(
                model.id.in_(ids), model.notify_before.is_not(None)
            )
        )
        for event_id, start_at, notify_before in rows:
            found[(kind, event_id)] = start_at - timedelta(minutes=notify_before or 0)
    return found


BATCH = 400  # events in one query (SQLite allows 500 SELECTs in one UNION ALL)
# Events per calendar from which one pass over the calendars' subscriptions costs less than joining each event.
SWEEP_FROM = 3


def _tags_of(session: Session, event_ids: list[str]) -> dict[str, set[str]]:
    """The tags of those of these broadcast events that have tags (an event without: everyone gets it)."""
    found: dict[str, set[str]] = {}
    for first in range(0, len(event_ids), BATCH):
        rows = session.execute(
            select(broadcast_event_tags.c.event_id, broadcast_event_tags.c.tag_id).where(
                broadcast_event_tags.c.event_id.in_(event_ids[first : first + BATCH])
            )
        )
        for event_id, tag_id in rows:
            found.setdefault(event_id, set()).add(tag_id)
    return found


@dataclass
class _Group:
    """Subscriptions of one calendar with the same tags: when each began and, sorted, when each stopped receiving."""

    starts: list[datetime]
    stops: list[datetime]

    def receiving_at(self, moment: datetime) -> int:
        # Made by `moment` and not stopped by it; a stop always follows its start (see `_broadcast_counts`).
        return bisect_right(self.starts, moment) - bisect_right(self.stops, moment)


def _batches(session: Session, event_ids: list[str]) -> Iterator[tuple[list[str], bool]]:
    """These broadcast events in batches of at most BATCH, each of events without tags or of events with (True)."""
    tagged = set(_tags_of(session, event_ids))
    for with_tags in (False, True):
        chosen = [event_id for event_id in event_ids if (event_id in tagged) == with_tags]
        for first in range(0, len(chosen), BATCH):
            yield chosen[first : first + BATCH], with_tags


def _joined(due: dict[str, tuple[str, datetime]], batch: list[str], tagged: bool) -> tuple[Select[Any], Any]:
    """A SELECT (for its FROM and WHERE) of the batch's broadcast events (of `due`: id → calendar id, trigger time;
    all without tags, or all with: `tagged`) as rows, each joined to its calendar's subscriptions that received its
    reminder; and the event id column.

    Events without tags and events with are never in one batch: without a lookup of each subscription's tags,
    PostgreSQL counts a batch with parallel workers."""
    # A UNION ALL of one-row SELECTs rather than VALUES: SQLite names no columns of a VALUES in FROM.
    rows = [
        select(
            literal(event_id, String()).label("event_id"),
            literal(due[event_id][0], String()).label("calendar_id"),
            literal(due[event_id][1], UTCDateTime()).label("trigger_at"),
        )
        for event_id in batch
    ]
    triggers = (union_all(*rows) if len(rows) > 1 else rows[0]).subquery("triggers")
    query = (
        select(triggers.c.event_id)
        .select_from(triggers)
        .join(
            Subscription,
            and_(Subscription.calendar_id == triggers.c.calendar_id, _receives_at(triggers.c.trigger_at)),
        )
    )
    if tagged:
        query = query.where(
            exists().where(
                broadcast_event_tags.c.event_id == triggers.c.event_id,
                broadcast_event_tags.c.tag_id == subscription_tags.c.tag_id,
                subscription_tags.c.subscription_id == Subscription.id,
            )
        )
    return query, triggers.c.event_id


def _joined_counts(
    session: Session, due: dict[str, tuple[str, datetime]], where: Sequence[ColumnElement[bool]]
) -> list[EventReminders]:
    """Reminders of these broadcast events (id → calendar id, trigger time), counted in one query per batch:
    the events as rows joined to their calendars' subscriptions (each event reads its calendar's subscriptions)."""
    found: list[EventReminders] = []
    for batch, tagged in _batches(session, list(due)):
        query, event_id_column = _joined(due, batch, tagged)
        counted = query.with_only_columns(event_id_column, func.count(Subscription.id)).where(*where)
        for event_id, count in session.execute(counted.group_by(event_id_column)):
            calendar_id, trigger_at = due[event_id]
            found.append(EventReminders(calendar_id, "broadcast", event_id, trigger_at, int(count)))
    return found


def _swept_counts(
    session: Session, due: dict[str, tuple[str, datetime]], where: Sequence[ColumnElement[bool]]
) -> list[EventReminders]:
    """Reminders of these broadcast events (id → calendar id, trigger time).

    One pass over the subscriptions of the calendars concerned that receive anything in the span of the trigger
    times (rather than one join of every event with its calendar's subscriptions): grouped by calendar and tags,
    each with its start and stop times sorted, so that an event's count is two binary searches per group.
    """
    if not due:
        return []
    tags = _tags_of(session, list(due))
    calendar_ids = sorted({calendar_id for calendar_id, _ in due.values()})
    earliest = min(trigger_at for _, trigger_at in due.values())
    latest = max(trigger_at for _, trigger_at in due.values())
    tagged = subscription_tags.alias("reminder_tags")  # not the one a tag filter in `where` asks about
    query = select(
        Subscription.id,
        Subscription.calendar_id,
        Subscription.created_at,
        Subscription.deactivated_at,
        Subscription.lapsed_at,
        tagged.c.tag_id if tags else literal(None, String()),
    )
    if tags:
        query = query.outerjoin(tagged, tagged.c.subscription_id == Subscription.id)
    query = query.where(
        Subscription.calendar_id.in_(calendar_ids),
        Subscription.created_at <= latest,
        or_(Subscription.deactivated_at.is_(None), Subscription.deactivated_at > earliest),
        or_(Subscription.lapsed_at.is_(None), Subscription.lapsed_at > earliest),
        honours_reminders(),
        *where,
    )
    # subscription id → (calendar id, start, stop or None, its tags)
    found_rows: dict[str, tuple[str, datetime, datetime | None, set[str]]] = {}
    for subscription_id, calendar_id, created_at, deactivated_at, lapsed_at, tag_id in session.execute(query):
        known = found_rows.get(subscription_id)
        if known is None:
            ends = [moment for moment in (deactivated_at, lapsed_at) if moment is not None]
            known = found_rows[subscription_id] = (calendar_id, created_at, min(ends) if ends else None, set())
        if tag_id is not None:
            known[3].add(tag_id)
    groups: dict[tuple[str, frozenset[str]], _Group] = {}
    for calendar_id, start, stop, its_tags in found_rows.values():
        if stop is not None and stop <= start:
            continue  # stopped before it began: receives nothing at any time
        group = groups.setdefault((calendar_id, frozenset(its_tags)), _Group([], []))
        group.starts.append(start)
        if stop is not None:
            group.stops.append(stop)
    for group in groups.values():
        group.starts.sort()
        group.stops.sort()
    per_calendar: dict[str, list[tuple[frozenset[str], _Group]]] = {}
    for (calendar_id, same_tags), group in groups.items():
        per_calendar.setdefault(calendar_id, []).append((same_tags, group))
    found: list[EventReminders] = []
    for event_id, (calendar_id, trigger_at) in due.items():
        wanted = tags.get(event_id)
        count = sum(
            group.receiving_at(trigger_at)
            for its_tags, group in per_calendar.get(calendar_id, [])
            if wanted is None or its_tags & wanted
        )
        if count:
            found.append(EventReminders(calendar_id, "broadcast", event_id, trigger_at, count))
    return found


def _broadcast_counts(
    session: Session, due: dict[str, tuple[str, datetime]], where: Sequence[ColumnElement[bool]]
) -> list[EventReminders]:
    """Reminders of these broadcast events (id → calendar id, trigger time): a few events per calendar (today, a
    short stretch) joined each with its calendar's subscriptions, many (a filtered month or year) in one pass."""
    calendars = {calendar_id for calendar_id, _ in due.values()}
    if len(due) >= SWEEP_FROM * len(calendars):
        return _swept_counts(session, due, where)
    return _joined_counts(session, due, where)


@dataclass(frozen=True)
class _Due:
    """The events whose reminders trigger in a stretch: broadcast (id → calendar id, trigger time) and personal
    (id, trigger time)."""

    broadcast: dict[str, tuple[str, datetime]]
    personal: list[tuple[str, datetime]]


def _due(session: Session, calendar_ids: Sequence[str], since: datetime, until: datetime) -> _Due:
    """The events of these calendars (personal events: sent to any of their subscriptions) whose reminder triggers
    in [since, until), visible by then and not deleted before."""
    # Events whose trigger can lie in [since, until): starting from `since` to `until` plus the longest notice
    # any of them has (a year at most).
    longest = session.scalar(
        select(func.max(BroadcastEvent.notify_before)).where(BroadcastEvent.calendar_id.in_(calendar_ids))
    )
    broadcast = session.execute(
        select(
            BroadcastEvent.id,
            BroadcastEvent.calendar_id,
            BroadcastEvent.start_at,
            BroadcastEvent.notify_before,
            BroadcastEvent.visible_from,
            BroadcastEvent.deleted_at,
        ).where(
            BroadcastEvent.calendar_id.in_(calendar_ids),
            BroadcastEvent.notify_before.is_not(None),
            BroadcastEvent.start_at >= since,
            BroadcastEvent.start_at < until + min(timedelta(minutes=longest or 0), LONGEST_NOTICE),
            BroadcastEvent.end_at >= since,  # implied (the end is not before the start); lets its index prune
        )
    ).all()
    due = _Due(broadcast={}, personal=[])
    for event_id, calendar_id, start_at, notify_before, visible_from, deleted_at in broadcast:
        trigger_at = _triggered(start_at, notify_before, since, until)
        if trigger_at is None or (visible_from is not None and visible_from > trigger_at):
            continue
        if deleted_at is not None and deleted_at <= trigger_at:
            continue
        due.broadcast[event_id] = (calendar_id, trigger_at)
    personal = session.execute(
        select(PersonalEvent.id, PersonalEvent.start_at, PersonalEvent.notify_before, PersonalEvent.visible_from)
        .where(
            PersonalEvent.notify_before.is_not(None),
            PersonalEvent.start_at >= since,
            PersonalEvent.start_at < until + LONGEST_NOTICE,
        )
        .where(
            exists().where(
                PersonalEventTarget.personal_event_id == PersonalEvent.id,
                PersonalEventTarget.subscription_id == Subscription.id,
                Subscription.calendar_id.in_(calendar_ids),
            )
        )
    ).all()
    for event_id, start_at, notify_before, visible_from in personal:
        trigger_at = _triggered(start_at, notify_before, since, until)
        if trigger_at is not None and (visible_from is None or visible_from <= trigger_at):
            due.personal.append((event_id, trigger_at))
    return due


def _personal_receivers(event_id: str, trigger_at: datetime, calendar_ids: Sequence[str]) -> Select[Any]:
    """A SELECT (for its FROM and WHERE) of the subscriptions of these calendars that received the reminder of a
    personal event."""
    return (
        select(Subscription.calendar_id)
        .join(PersonalEventTarget, PersonalEventTarget.subscription_id == Subscription.id)
        .where(
            PersonalEventTarget.personal_event_id == event_id,
            PersonalEventTarget.created_at <= trigger_at,
            Subscription.calendar_id.in_(calendar_ids),
            _receives_at(trigger_at),
        )
    )


def reminders_sent(
    *,
    session: Session,
    calendar_ids: Sequence[str],
    since: datetime,
    until: datetime,
    where: Sequence[ColumnElement[bool]] = (),
) -> list[EventReminders]:
    """Reminders sent in [since, until) to subscriptions of these calendars (that also meet `where`), per event."""
    if not calendar_ids or since >= until:
        return []
    due = _due(session, calendar_ids, since, until)
    found = _broadcast_counts(session, due.broadcast, where)
    for event_id, trigger_at in due.personal:
        receivers = _personal_receivers(event_id, trigger_at, calendar_ids).where(*where)
        per_calendar = session.execute(
            receivers.with_only_columns(Subscription.calendar_id, func.count()).group_by(Subscription.calendar_id)
        )
        found.extend(
            EventReminders(calendar_id, "personal", event_id, trigger_at, int(count))
            for calendar_id, count in per_calendar
        )
    return found


@dataclass(frozen=True)
class ValueReminders:
    """Reminders of one event sent to the subscriptions of one calendar with one value of a dimension
    (`analytics.dimensions.FILTERED`; a tag by its id, no value as "unknown")."""

    calendar_id: str
    event_kind: str
    event_id: str
    dimension: str
    value: str
    reminders: int


def _personal_event(event_id: str, calendar_id: str) -> tuple[str, str, str]:
    return (calendar_id, "personal", event_id)


def reminders_by_value(
    *, session: Session, calendar_ids: Sequence[str], since: datetime, until: datetime
) -> list[ValueReminders]:
    """`reminders_sent` in [since, until) per event and value of each dimension a filter narrows by (what the
    rollups keep, so that a filtered view reads them): each event joined to its calendar's subscriptions."""
    if not calendar_ids or since >= until:
        return []
    due = _due(session, calendar_ids, since, until)
    per: dict[tuple[str, str, str, str, str], int] = defaultdict(int)

    def add(query: Select[Any], key: Any, event_of: Callable[[Any], tuple[str, str, str]]) -> None:
        """Count the subscriptions `query` finds per `key` (an event or a calendar) and value of each dimension."""
        for (found,), dimension, value, count in counts_by_value(session, query, FILTERED, keys=[key]):
            per[(*event_of(found), dimension, label(value))] += count

    for batch, tagged in _batches(session, list(due.broadcast)):
        query, event_id_column = _joined(due.broadcast, batch, tagged)
        add(query, event_id_column, lambda event_id: (due.broadcast[event_id][0], "broadcast", event_id))
    for event_id, trigger_at in due.personal:
        receivers = _personal_receivers(event_id, trigger_at, calendar_ids)
        add(receivers, Subscription.calendar_id, partial(_personal_event, event_id))
    return [ValueReminders(*key, count) for key, count in per.items()]
