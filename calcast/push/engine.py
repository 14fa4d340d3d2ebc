"""The sync engine: make a push calendar hold exactly what the subscription's feed would show.

Desired state: the feed's own selection (`feeds.content.subscription_content`), turned into the provider's form by
its adapter. Last written state: one `PushedEvent` per event with the hash of the payload written and the remote
version. Only what differs is written: inserts, patches, deletes. The database is read in one short transaction
and written in another; no transaction stays open while a provider is called (on SQLite it would hold the one
write lock). What was written before a fault is recorded all the same, and a write repeated after a crash lands on
the same remote event (deterministic ids), so a sync can stop anywhere and be run again.
"""

from __future__ import annotations

import hashlib
import json
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from typing import Any, TypeVar

from sqlalchemy import delete, select

from calcast.calendars import service as calendars
from calcast.core.config import Settings
from calcast.core.db import Transaction, utcnow
from calcast.core.security import Cipher
from calcast.feeds.content import subscription_content
from calcast.push import service
from calcast.push.models import ConnectionState, PushConnection, PushedEvent
from calcast.push.providers import AccessExpired, Adapter, Credentials, Written
from calcast.subscriptions import service as subscriptions

log = logging.getLogger("calcast.push")
T = TypeVar("T")


def content_hash(payload: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode()).hexdigest()


@dataclass
class _Plan:
    connection_id: str
    subscription_active: bool
    calendar_id: str | None
    name: str
    description: str | None
    credentials: Credentials
    desired: dict[str, dict[str, Any]] = field(default_factory=dict)
    written: dict[str, PushedEvent] = field(default_factory=dict)


@dataclass
class _Outcome:
    upserted: dict[str, tuple[Written, str]] = field(default_factory=dict)
    deleted: set[str] = field(default_factory=set)


class _Session:
    """One sync's calls: refreshes the access token once on a 401 and stores every new token at once."""

    def __init__(self, *, adapter: Adapter, transaction: Transaction, cipher: Cipher, plan: _Plan) -> None:
        self.adapter = adapter
        self.transaction = transaction
        self.cipher = cipher
        self.plan = plan

    def start(self) -> None:
        fresh = self.adapter.fresh_credentials(self.plan.credentials)
        self._keep(fresh)

    def _keep(self, credentials: Credentials) -> None:
        if credentials == self.plan.credentials:
            return
        # Committed before anything else is done with it: a provider that rotates refresh tokens has already
        # invalidated the old one.
        with self.transaction() as session:
            connection = session.get_one(PushConnection, self.plan.connection_id)
            service.store_credentials(self.cipher, connection, credentials)
        self.plan.credentials = credentials

    def call(self, operation: Callable[[Credentials], T]) -> T:
        try:
            return operation(self.plan.credentials)
        except AccessExpired:
            self._keep(self.adapter.fresh_credentials(replace(self.plan.credentials, access_token=None)))
            return operation(self.plan.credentials)


def _plan(*, transaction: Transaction, settings: Settings, adapter: Adapter, connection_id: str) -> _Plan | None:
    cipher = Cipher(settings.secret_key)
    with transaction() as session:
        connection = session.get(PushConnection, connection_id)
        if connection is None or connection.state != ConnectionState.ACTIVE:
            return None
        subscription = subscriptions.get_subscription(session=session, subscription_id=connection.subscription_id)
        calendar = calendars.get_calendar_by_id(session=session, calendar_id=subscription.calendar_id)
        plan = _Plan(
            connection_id=connection.id,
            subscription_active=subscription.is_active,
            calendar_id=connection.remote_calendar_id,
            name=calendar.title,
            description=calendar.description,
            credentials=service.credentials_of(cipher, connection),
        )
        if not subscription.is_active:
            return plan
        content, _changes_at = subscription_content(
            session=session, settings=settings, subscription=subscription, calendar=calendar, now=utcnow()
        )
        for event in content.events:
            plan.desired[event.uid] = adapter.payload(connection_id=connection.id, event=event, content=content)
        rows = session.scalars(select(PushedEvent).where(PushedEvent.connection_id == connection.id))
        plan.written = {row.uid: row for row in rows}
        for row in plan.written.values():
            session.expunge(row)
        return plan


def _record(*, transaction: Transaction, plan: _Plan, outcome: _Outcome, reconciled: bool) -> None:
    now = utcnow()
    with transaction() as session:
        connection = session.get(PushConnection, plan.connection_id)
        if connection is None:
            return
        if outcome.deleted:
            session.execute(
                delete(PushedEvent).where(
                    PushedEvent.connection_id == plan.connection_id, PushedEvent.uid.in_(sorted(outcome.deleted))
                )
            )
        for uid, (written, digest) in outcome.upserted.items():
            row = session.get(PushedEvent, (plan.connection_id, uid))
            if row is None:
                row = PushedEvent(connection_id=plan.connection_id, uid=uid)
                session.add(row)
            row.remote_id, row.etag, row.content_hash, row.synced_at = written.remote_id, written.etag, digest, now
        connection.last_synced_at = now
        connection.last_error = None
        if reconciled:
            connection.last_reconciled_at = now


def _drifted(calls: _Session, plan: _Plan, calendar_id: str) -> set[str]:
    """Events whose remote copy was edited by hand (its version differs): written again, as the feed would show them.

    An event the subscriber deleted is left alone (docs/push.md): calcast does not fight its own subscriber.
    """
    remote = calls.call(lambda credentials: calls.adapter.remote_versions(credentials, calendar_id))
    return {
        uid
        for uid, row in plan.written.items()
        if row.remote_id in remote and row.etag is not None and remote[row.remote_id] != row.etag
    }


def sync(
    *, transaction: Transaction, settings: Settings, adapter: Adapter, connection_id: str, reconcile: bool = False
) -> None:
    """Make the connection's remote calendar match the subscription's feed; raises the provider's faults."""
    plan = _plan(transaction=transaction, settings=settings, adapter=adapter, connection_id=connection_id)
    if plan is None:
        return
    calls = _Session(adapter=adapter, transaction=transaction, cipher=Cipher(settings.secret_key), plan=plan)
    if not plan.subscription_active:
        _remove(calls=calls, transaction=transaction, plan=plan)
        return
    calls.start()
    calendar_id = plan.calendar_id
    if calendar_id is None:
        made = calls.call(
            lambda credentials: adapter.create_calendar(credentials, name=plan.name, description=plan.description)
        )
        calendar_id = made
        with transaction() as session:
            session.get_one(PushConnection, plan.connection_id).remote_calendar_id = made
    outcome = _Outcome()
    try:
        redo = _drifted(calls, plan, calendar_id) if reconcile and plan.written else set()
        for uid, payload in plan.desired.items():
            digest = content_hash(payload)
            known = plan.written.get(uid)
            if known is not None and known.content_hash == digest and uid not in redo:
                continue
            previous = Written(known.remote_id, known.etag) if known is not None else None
            written = calls.call(partial(adapter.put_event, calendar_id=calendar_id, payload=payload, known=previous))
            outcome.upserted[uid] = (written, digest)
        for uid, row in plan.written.items():
            if uid in plan.desired:
                continue
            calls.call(partial(adapter.delete_event, calendar_id=calendar_id, written=Written(row.remote_id)))
            outcome.deleted.add(uid)
    finally:
        _record(transaction=transaction, plan=plan, outcome=outcome, reconciled=reconcile)


def _remove(*, calls: _Session, transaction: Transaction, plan: _Plan) -> None:
    """The subscription ended: calcast's calendar goes, the grant is given back, the secrets forgotten."""
    if plan.calendar_id is not None and (plan.credentials.credential or plan.credentials.access_token):
        calls.start()
        calendar_id = plan.calendar_id
        calls.call(lambda credentials: calls.adapter.delete_calendar(credentials, calendar_id))
        revoke = getattr(calls.adapter, "revoke", None)
        if revoke is not None:
            revoke(calls.plan.credentials)
    with transaction() as session:
        connection = session.get(PushConnection, plan.connection_id)
        if connection is not None:
            service.end_connection(session=session, connection=connection, reason=service.UNSUBSCRIBED)
