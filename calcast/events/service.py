"""Personal (1:1) events: pushed by eventId to subscriptions, updated and deleted everywhere, removed from one feed.

Every change ends in `_announce`: the feeds it reaches move on, and the change is recorded for its consumers
(webhooks, …) in the same transaction.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import bindparam, delete, func, insert, select
from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from calcast.calendars.event_input import (
    DEFAULT_DURATION_MINUTES,
    EventInput,
    apply_changes,
    event_values,
    feed_visibility_note,
)
from calcast.calendars.models import Calendar
from calcast.core import changes
from calcast.core.db import new_uuid, rowcount, utcnow
from calcast.core.errors import FieldError, NotFound, invalid
from calcast.events.changes import EventAttached, EventChanged, EventDeleted, EventDetached, PersonalEventChange
from calcast.events.models import PersonalEvent, PersonalEventTarget
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription

CHUNK = 2000  # ids per IN (...) clause: well under SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True, kw_only=True)
class PersonalEventInput(EventInput):
    """A personal event as the API received it, identified by the brand's eventId."""

    event_id: str
    action_type: str | None = None


@dataclass
class EventChange:
    """What a request did: the summary the API answers with."""

    event_id: str
    status: str
    sequence: int | None = None
    attached: int = 0
    subscription_count: int = 0
    unknown_subscription_ids: list[str] = field(default_factory=list)
    inactive_subscription_ids: list[str] = field(default_factory=list)
    # Whether feeds show the event now, and if not, a sentence saying why (None: not judged, or no event left).
    visible_in_feeds: bool | None = None
    note: str | None = None


def _with_visibility(change: EventChange, row: PersonalEvent, feed_window_days: int | None) -> EventChange:
    """The change with what feeds make of the event now: a 202 alone does not say that nobody will see it."""
    if feed_window_days is None:
        return change
    change.note = feed_visibility_note(
        end_at=row.end_at, visible_from=row.visible_from, now=utcnow(), window_days=feed_window_days
    )
    change.visible_in_feeds = change.note is None
    return change


def _chunks(values: Sequence[str]) -> Iterable[Sequence[str]]:
    for start in range(0, len(values), CHUNK):
        yield values[start : start + CHUNK]


def clean_subscription_ids(ids: Sequence[str]) -> list[str]:
    """The ids without blanks and repeats, in order; Invalid when none is left (Braze renders [""] for nobody)."""
    cleaned = list(dict.fromkeys(value.strip() for value in ids if value and value.strip()))
    if not cleaned:
        raise invalid(
            "subscriptionIds",
            'subscriptionIds has no subscription id (Braze sends [""] for a user without a subscription); '
            "target users whose rokt:subscription_id is set.",
        )
    return cleaned


# The statements of a new personal event, built once (their construction cost more than running them).
_EVENT_EXISTS = select(PersonalEvent.id).where(
    PersonalEvent.account_id == bindparam("account_id"), PersonalEvent.event_id == bindparam("event_id")
)
_TARGET_STATE = (
    select(Subscription.id, Subscription.deactivated_at, Calendar.default_duration_minutes)
    .join(Calendar, Calendar.id == Subscription.calendar_id)
    .where(Subscription.id.in_(bindparam("ids", expanding=True)), Subscription.account_id == bindparam("account_id"))
)
_INSERT_EVENT = insert(PersonalEvent)
_INSERT_TARGETS = insert(PersonalEventTarget)


def _find_event(session: Session, account_id: str, event_id: str) -> PersonalEvent | None:
    query = select(PersonalEvent).where(PersonalEvent.account_id == account_id, PersonalEvent.event_id == event_id)
    return session.scalar(query)


def _event_exists(session: Session, account_id: str, event: PersonalEventInput) -> bool:
    """Whether the account has the event (a Core query: a new event, the usual case, needs no ORM load)."""
    parameters = {"account_id": account_id, "event_id": event.event_id}
    return session.connection().execute(_EVENT_EXISTS, parameters).first() is not None


def event_exists(*, session: Session, account_id: str, event_id: str) -> bool:
    """Whether the account has a personal event with this eventId."""
    query = select(PersonalEvent.id).where(PersonalEvent.account_id == account_id, PersonalEvent.event_id == event_id)
    return session.scalar(query) is not None


def _require_event(session: Session, account_id: str, event_id: str) -> PersonalEvent:
    event = _find_event(session, account_id, event_id)
    if event is None:
        raise NotFound(
            f"There is no event {event_id!r} in this account; create it with POST /v1/subscriptionevent first.",
            [FieldError("eventId", "unknown eventId")],
        )
    return event


def _target_ids(session: Session, personal_event_id: str) -> list[str]:
    query = select(PersonalEventTarget.subscription_id).where(
        PersonalEventTarget.personal_event_id == personal_event_id
    )
    return list(session.scalars(query))


def _attach(session: Session, personal_event_id: str, subscription_ids: Sequence[str]) -> list[str]:
    """Add the event to these feeds; the ids that did not hold it yet, in the given order.

    The database says which rows went in (ON CONFLICT DO NOTHING … RETURNING): an event held by 100,000 feeds,
    extended 1,000 at a time (the console's targeted send), is never read back to find out.
    """
    if not subscription_ids:
        return []
    upsert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    attached: set[str] = set()
    now = utcnow()
    for chunk in _chunks(subscription_ids):
        # One multi-row VALUES statement per chunk (an executemany with RETURNING would run row by row).
        rows = [
            {"personal_event_id": personal_event_id, "subscription_id": value, "created_at": now} for value in chunk
        ]
        statement = (
            upsert(PersonalEventTarget)
            .values(rows)
            .on_conflict_do_nothing()
            .returning(PersonalEventTarget.subscription_id)
        )
        attached.update(session.connection().execute(statement).scalars())
    return [value for value in subscription_ids if value in attached]


def _target_count(session: Session, personal_event_id: str) -> int:
    query = select(func.count()).where(PersonalEventTarget.personal_event_id == personal_event_id)
    return int(session.connection().execute(query).scalar_one())


@dataclass(frozen=True)
class _Targets:
    active: list[str]
    inactive: list[str]
    unknown: list[str]
    default_duration_minutes: int  # of the calendar of the first active subscription, else one hour


def _sort_targets(session: Session, account_id: str, ids: Sequence[str]) -> _Targets:
    """The ids sorted into active, inactive and unknown, with the default duration (one query per chunk).

    Another account's subscriptions count as unknown and are never touched.
    """
    state: dict[str, tuple[bool, int | None]] = {}
    for chunk in _chunks(ids):
        rows = session.connection().execute(_TARGET_STATE, {"ids": list(chunk), "account_id": account_id})
        for subscription_id, deactivated_at, duration in rows:
            state[subscription_id] = (deactivated_at is None, duration)
    active = [value for value in ids if value in state and state[value][0]]
    return _Targets(
        active=active,
        inactive=[value for value in ids if value in state and not state[value][0]],
        unknown=[value for value in ids if value not in state],
        default_duration_minutes=(state[active[0]][1] if active else None) or DEFAULT_DURATION_MINUTES,
    )


def _default_duration(session: Session, subscription_ids: Sequence[str]) -> int:
    """The default duration of the calendar the event goes to (its first target's), else one hour."""
    if not subscription_ids:
        return DEFAULT_DURATION_MINUTES
    query = (
        select(Calendar.default_duration_minutes)
        .join(Subscription, Subscription.calendar_id == Calendar.id)
        .where(Subscription.id == subscription_ids[0])
    )
    return session.scalar(query) or DEFAULT_DURATION_MINUTES


def _insert_event(
    session: Session, account_id: str, event: PersonalEventInput, values: dict[str, Any]
) -> PersonalEvent:
    """Store a new event with one INSERT (no unit-of-work flush); the returned row is what was written."""
    now = utcnow()
    columns = dict(
        values,
        id=new_uuid(),
        account_id=account_id,
        event_id=event.event_id,
        action_type=event.action_type,
        sequence=0,
        created_at=now,
        updated_at=now,
    )
    session.connection().execute(_INSERT_EVENT, [columns])
    return PersonalEvent(**columns)  # not added to the session: the INSERT above already wrote it


def _bump(session: Session, subscription_ids: Sequence[str]) -> None:
    for chunk in _chunks(subscription_ids):
        subscriptions.bump_feed_versions(session=session, subscription_ids=list(chunk))


def _announce(session: Session, change: PersonalEventChange) -> None:
    """Move the reached feeds' versions on and tell the consumers, in this transaction."""
    _bump(session, change.subscription_ids)
    changes.record(session, change)


def push_event(
    *,
    session: Session,
    account_id: str,
    event: PersonalEventInput,
    subscription_ids: Sequence[str],
    feed_window_days: int | None = None,
) -> EventChange:
    """Create or update the event by eventId and attach it to the account's active subscriptions among the ids.

    Repeating the same request changes nothing (same rows, same SEQUENCE), so Braze's retries are harmless.
    Given the feeds' window, the summary also says whether feeds show the event now.
    """
    ids = clean_subscription_ids(subscription_ids)
    targets = _sort_targets(session, account_id, ids)
    values = event_values(event, default_duration_minutes=targets.default_duration_minutes)
    row = _find_event(session, account_id, event.event_id) if _event_exists(session, account_id, event) else None
    if row is None:
        row = _insert_event(session, account_id, event, values)
        status, held_before = "created", 0
    else:
        changed = apply_changes(row, values)
        session.flush()
        status = "updated" if changed else "unchanged"
        if changed:
            held = _target_ids(session, row.id)
            _announce(session, EventChanged(row.account_id, row.event_id, tuple(sorted(held)), row))
        held_before = _target_count(session, row.id)
    if status == "created":  # nothing holds a new event yet: one prepared insert, nothing to read back
        new_targets = targets.active
        if new_targets:
            session.connection().execute(
                _INSERT_TARGETS, [{"personal_event_id": row.id, "subscription_id": value} for value in new_targets]
            )
    else:
        new_targets = _attach(session, row.id, targets.active)
    if new_targets:
        _announce(session, EventAttached(row.account_id, row.event_id, tuple(new_targets), row))
    change = EventChange(
        event_id=row.event_id,
        status=status,
        sequence=row.sequence,
        attached=len(new_targets),
        subscription_count=held_before + len(new_targets),
        unknown_subscription_ids=targets.unknown,
        inactive_subscription_ids=targets.inactive,
    )
    return _with_visibility(change, row, feed_window_days)


def update_event(
    *, session: Session, account_id: str, event: PersonalEventInput, feed_window_days: int | None = None
) -> EventChange:
    """Change an existing event in every subscription that holds it; NotFound for an unknown eventId.

    Given the feeds' window, the summary also says whether feeds show the event now.
    """
    row = _require_event(session, account_id, event.event_id)
    targets = _target_ids(session, row.id)
    values = event_values(event, default_duration_minutes=_default_duration(session, targets))
    changed = apply_changes(row, values)
    session.flush()
    if changed:
        _announce(session, EventChanged(row.account_id, row.event_id, tuple(targets), row))
    change = EventChange(
        event_id=row.event_id,
        status="updated" if changed else "unchanged",
        sequence=row.sequence,
        subscription_count=len(targets),
    )
    return _with_visibility(change, row, feed_window_days)


def delete_event(*, session: Session, account_id: str, event_id: str) -> EventChange:
    """Remove the event from every feed and forget it; NotFound for an unknown eventId."""
    row = _require_event(session, account_id, event_id)
    targets = _target_ids(session, row.id)
    session.execute(delete(PersonalEventTarget).where(PersonalEventTarget.personal_event_id == row.id))
    session.execute(delete(PersonalEvent).where(PersonalEvent.id == row.id))
    session.expunge(row)
    _announce(session, EventDeleted(account_id, event_id, tuple(targets)))
    return EventChange(event_id=event_id, status="deleted", subscription_count=len(targets))


def remove_event(*, session: Session, account_id: str, subscription_id: str, event_id: str) -> EventChange:
    """Remove the event from one subscription's feed; NotFound for an unknown subscription or eventId."""
    subscription = subscriptions.get_subscription(
        session=session, subscription_id=subscription_id, account_id=account_id
    )
    row = _require_event(session, account_id, event_id)
    removed = session.execute(
        delete(PersonalEventTarget).where(
            PersonalEventTarget.personal_event_id == row.id,
            PersonalEventTarget.subscription_id == subscription.id,
        )
    )
    count = rowcount(removed)
    if count:
        _announce(session, EventDetached(row.account_id, row.event_id, (subscription.id,), row))
    return EventChange(
        event_id=event_id,
        status="removed" if count else "unchanged",
        sequence=row.sequence,
        subscription_count=len(_target_ids(session, row.id)),
    )


@dataclass(frozen=True)
class AttachedEvent:
    id: str
    event_id: str
    title: str


def events_of_subscription(*, session: Session, subscription_id: str) -> list[AttachedEvent]:
    """The personal events a subscription holds, by start time."""
    query = (
        select(PersonalEvent.id, PersonalEvent.event_id, PersonalEvent.title)
        .join(PersonalEventTarget, PersonalEventTarget.personal_event_id == PersonalEvent.id)
        .where(PersonalEventTarget.subscription_id == subscription_id)
        .order_by(PersonalEvent.start_at, PersonalEvent.event_id)
    )
    return [AttachedEvent(id=row[0], event_id=row[1], title=row[2]) for row in session.execute(query)]
