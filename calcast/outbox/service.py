"""Writing deliveries into the outbox (in the caller's transaction) and what the operator does with them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import ColumnElement, case, delete, exists, func, insert, select, update
from sqlalchemy.orm import Session, aliased
from sqlalchemy.orm.util import AliasedClass

from calcast.core.config import Settings
from calcast.core.db import Transaction, delete_in_batches, rowcount, utcnow
from calcast.core.errors import Invalid, NotFound
from calcast.outbox.models import OutboxMessage, OutboxStatus

# The payload of a message whose personal data was erased: nothing is left to send.
ERASED = "erased"
ERASED_PAYLOAD = {ERASED: "Personal data erased on request."}
# The topic of a message queued by an erasure (Braze's removal of the person): sent with the data it needs;
# once it is delivered, it and the other messages with its key are erased.
ERASURE_TOPIC = "erasure"
PRUNE_BATCH = 5000


@dataclass(frozen=True)
class NewMessage:
    account_id: str
    kind: str
    topic: str
    payload: dict[str, Any]
    ordering_key: str | None = None
    # False for a row that only reports an event: delivered, it supersedes nothing (models.OutboxMessage).
    supersedes: bool = True


def enqueue(*, session: Session, messages: Sequence[NewMessage]) -> list[int]:
    """Queue deliveries; they become durable together with the change that caused them, or not at all."""
    if not messages:
        return []
    now = utcnow()
    rows = [
        {
            "account_id": message.account_id,
            "kind": message.kind,
            "topic": message.topic,
            "payload": message.payload,
            "ordering_key": message.ordering_key,
            "supersedes": message.supersedes,
            "status": OutboxStatus.PENDING,
            "attempts": 0,
            "available_at": now,
            "created_at": now,
        }
        for message in messages
    ]
    return list(session.scalars(insert(OutboxMessage).returning(OutboxMessage.id, sort_by_parameter_order=True), rows))


def supersede_waiting(*, session: Session, kind: str, ordering_keys: Sequence[str]) -> dict[str, list[str]]:
    """Mark the rows of these keys that no worker has taken yet superseded; returns their topics by key.

    For a kind whose rows each carry the whole state (a push sync): the row queued next covers them. A row being
    delivered, or waiting for its retry, stays; the next row waits behind it, so a provider's backoff holds.
    """
    found: dict[str, list[str]] = {}
    for start in range(0, len(ordering_keys), 500):
        statement = (
            update(OutboxMessage)
            .where(
                OutboxMessage.ordering_key.in_(list(ordering_keys[start : start + 500])),
                OutboxMessage.kind == kind,
                OutboxMessage.status == OutboxStatus.PENDING,
                OutboxMessage.claimed_by.is_(None),
            )
            .values(status=OutboxStatus.SUPERSEDED, available_at=utcnow())
            .returning(OutboxMessage.ordering_key, OutboxMessage.topic)
        )
        for key, topic in session.execute(statement, execution_options={"synchronize_session": False}):
            found.setdefault(str(key), []).append(topic)
    return found


def parse_status(value: str) -> OutboxStatus:
    """The status an operator named, or Invalid with the ones there are."""
    try:
        return OutboxStatus(value)
    except ValueError:
        raise Invalid(f"The status must be one of {', '.join(OutboxStatus)}, not {value!r}.") from None


def list_messages(
    *, session: Session, status: OutboxStatus | None = None, kind: str | None = None, limit: int = 100
) -> list[OutboxMessage]:
    """Messages newest first, optionally only one status or kind."""
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(session.scalars(query))


def get_message(*, session: Session, message_id: int, account_id: str | None = None) -> OutboxMessage:
    """The message (of `account_id`, when given: another account's is as unknown as a missing one)."""
    message = session.get(OutboxMessage, message_id)
    if message is not None and account_id is not None and message.account_id != account_id:
        message = None
    if message is None:
        raise NotFound(
            "There is no outbox message {message_id}; `calcast outbox list` shows them.", message_id=message_id
        )
    return message


def _newer_delivered(message: type[OutboxMessage] | AliasedClass[OutboxMessage]) -> ColumnElement[bool]:
    """A message with the same ordering key, written after `message` (an OutboxMessage or an alias), delivered."""
    later = aliased(OutboxMessage)
    return exists().where(
        later.ordering_key == message.ordering_key,
        later.id > message.id,
        later.status == OutboxStatus.DONE,
        later.supersedes.is_(True),
    )


def newer_delivered(*, session: Session, message: OutboxMessage) -> int | None:
    """The oldest message with the same ordering key that was written after this one and delivered."""
    if message.ordering_key is None:
        return None
    query = select(func.min(OutboxMessage.id)).where(
        OutboxMessage.ordering_key == message.ordering_key,
        OutboxMessage.id > message.id,
        OutboxMessage.status == OutboxStatus.DONE,
        OutboxMessage.supersedes.is_(True),
    )
    return session.scalar(query)


def supersede_overtaken(
    *, session: Session, status: OutboxStatus, ids: Sequence[int] | None = None, account_id: str | None = None
) -> list[int]:
    """Mark messages of `status` superseded where a newer message with the same ordering key was delivered.

    Such a message must never be sent: a subscribe that failed, sent after the unsubscribe that followed it
    was delivered, would put the person back into Braze.
    """
    statement = update(OutboxMessage).where(
        OutboxMessage.status == status, OutboxMessage.ordering_key.is_not(None), _newer_delivered(OutboxMessage)
    )
    if ids is not None:
        if not ids:
            return []
        statement = statement.where(OutboxMessage.id.in_(list(ids)))
    if account_id is not None:
        statement = statement.where(OutboxMessage.account_id == account_id)
    statement = statement.values(status=OutboxStatus.SUPERSEDED, available_at=utcnow(), claimed_by=None)
    found = session.scalars(statement.returning(OutboxMessage.id), execution_options={"synchronize_session": False})
    return sorted(found)


@dataclass(frozen=True)
class Retried:
    """What `retry` did: queued the message again, or found it superseded by `superseded_by` (and marked it)."""

    message: OutboxMessage
    superseded_by: int | None = None


def retry(*, session: Session, message_id: int, account_id: str | None = None) -> Retried:
    """Send a failed (or delivered) message again as soon as a worker is free, unless that would undo a newer one."""
    message = get_message(session=session, message_id=message_id, account_id=account_id)
    if ERASED in message.payload:
        raise Invalid(
            "Outbox message {id} held personal data that was erased on request; it cannot be sent.", id=message_id
        )
    if message.status == OutboxStatus.PENDING:
        raise Invalid("Outbox message {id} is still pending; a worker will deliver it.", id=message_id)
    if message.status == OutboxStatus.SUPERSEDED:
        raise Invalid(
            "Outbox message {id} is superseded: a newer message for the same subscription was delivered, "
            "and sending this one now would undo it.",
            id=message_id,
        )
    newer = newer_delivered(session=session, message=message)
    if newer is not None:
        if message.status == OutboxStatus.DONE:
            raise Invalid(
                "Outbox message {id} was delivered before message {newer} for the same subscription; "
                "sending it again would undo message {newer}.",
                id=message_id,
                newer=newer,
            )
        supersede_overtaken(session=session, status=OutboxStatus.FAILED, ids=[message.id])
        session.refresh(message)
        return Retried(message, superseded_by=newer)
    message.status = OutboxStatus.PENDING
    message.available_at = utcnow()
    message.claimed_by = None
    message.delivered_at = None
    session.flush()
    return Retried(message)


@dataclass(frozen=True)
class RetriedAll:
    requeued: int
    superseded: list[int] = field(default_factory=list)


def retry_all_failed(*, session: Session, account_id: str | None = None) -> RetriedAll:
    """Put every failed message (of one account, when given) back in the queue, except those a newer delivered
    message superseded."""
    superseded = supersede_overtaken(session=session, status=OutboxStatus.FAILED, account_id=account_id)
    statement = update(OutboxMessage).where(OutboxMessage.status == OutboxStatus.FAILED)
    if account_id is not None:
        statement = statement.where(OutboxMessage.account_id == account_id)
    result = session.execute(statement.values(status=OutboxStatus.PENDING, available_at=utcnow(), claimed_by=None))
    return RetriedAll(requeued=rowcount(result), superseded=superseded)


def prune(*, session: Session, before: datetime, limit: int = PRUNE_BATCH) -> int:
    """Delete up to `limit` delivered or superseded messages settled before `before`; returns how many.

    Failed and pending messages stay. Failed ones that a delivered message overtook are marked superseded
    first, while the delivered message that shows it still exists.
    """
    supersede_overtaken(session=session, status=OutboxStatus.FAILED)
    # A delivered message's `available_at` is the end of the lease it was delivered under; a superseded one's is
    # when it was superseded. Either way the (status, available_at) index finds them.
    settled = (
        select(OutboxMessage.id)
        .where(
            OutboxMessage.status.in_((OutboxStatus.DONE, OutboxStatus.SUPERSEDED)), OutboxMessage.available_at < before
        )
        .limit(limit)
    )
    ids = list(session.scalars(settled))
    if ids:
        session.execute(delete(OutboxMessage).where(OutboxMessage.id.in_(ids)))
    return len(ids)


def messages_with_key(*, session: Session, ordering_key: str) -> list[OutboxMessage]:
    """Every message with this ordering key, oldest first, locked for the caller's change."""
    query = (
        select(OutboxMessage)
        .where(OutboxMessage.ordering_key == ordering_key)
        .order_by(OutboxMessage.id)
        .with_for_update()
    )
    return list(session.scalars(query))


def messages_with_value(
    *, session: Session, account_id: str, kind: str, path: Sequence[str], value: str
) -> list[OutboxMessage]:
    """The account's messages of one kind whose payload holds `value` at `path`, oldest first, locked."""
    query = (
        select(OutboxMessage)
        .where(
            OutboxMessage.account_id == account_id,
            OutboxMessage.kind == kind,
            OutboxMessage.payload[tuple(path)].as_string() == value,
        )
        .order_by(OutboxMessage.id)
        .with_for_update()
    )
    return list(session.scalars(query))


def withdraw(*, message: OutboxMessage) -> None:
    """Erase a message's payload (and the answer kept with it); if it was still to be sent, it never will be."""
    if message.status in (OutboxStatus.PENDING, OutboxStatus.FAILED):
        message.status = OutboxStatus.SUPERSEDED
        message.available_at = utcnow()
    scrub(message=message, payload=dict(ERASED_PAYLOAD))


def scrub(*, message: OutboxMessage, payload: dict[str, Any]) -> None:
    """Replace a message's payload with one without personal data; the last answer, which may echo it, goes."""
    message.payload = payload
    if message.last_error:
        message.last_error = ERASED_PAYLOAD[ERASED]


def erase_after_delivery(*, message: OutboxMessage) -> None:
    """Mark a message that must still be sent with its personal data (a removal of the person).

    Once it is delivered, it and every other message with its ordering key are erased
    (`erase_delivered_erasures`).
    """
    message.topic = ERASURE_TOPIC


def erase_delivered_erasures(*, session: Session, since: datetime | None) -> int:
    """Erase the messages sharing a key with an erasure message delivered since `since` (None: ever).

    Failed ones among them are superseded: the erasure came after them.
    """
    erasure = aliased(OutboxMessage)  # its own alias: the subquery must not correlate to the UPDATE's row
    delivered = select(erasure.ordering_key).where(erasure.status == OutboxStatus.DONE, erasure.topic == ERASURE_TOPIC)
    if since is not None:
        # A delivered message's `available_at` is the end of the lease it was delivered under.
        delivered = delivered.where(erasure.available_at >= since)
    statement = (
        update(OutboxMessage)
        .where(
            OutboxMessage.ordering_key.in_(delivered.scalar_subquery()), OutboxMessage.status != OutboxStatus.PENDING
        )
        .values(
            payload=dict(ERASED_PAYLOAD),
            status=case(
                (OutboxMessage.status == OutboxStatus.FAILED, OutboxStatus.SUPERSEDED), else_=OutboxMessage.status
            ),
        )
    )
    result = session.execute(statement, execution_options={"synchronize_session": False})
    return rowcount(result)


def counts(*, session: Session, account_id: str | None = None) -> dict[tuple[OutboxStatus, str], int]:
    """How many messages there are per (status, kind), with every status of each kind present (0 if none)."""
    query = select(OutboxMessage.status, OutboxMessage.kind, func.count()).group_by(
        OutboxMessage.status, OutboxMessage.kind
    )
    if account_id is not None:
        query = query.where(OutboxMessage.account_id == account_id)
    present = {(status, kind): int(count) for status, kind, count in session.execute(query)}
    kinds = sorted({kind for _, kind in present})
    return {(status, kind): present.get((status, kind), 0) for kind in kinds for status in OutboxStatus}


def oldest_pending_age_seconds(*, session: Session, account_id: str | None = None) -> float:
    """Age of the oldest undelivered message (0 when the queue is empty): the lag an operator watches."""
    query = (
        select(OutboxMessage.created_at)
        .where(OutboxMessage.status == OutboxStatus.PENDING)
        .order_by(OutboxMessage.id)
        .limit(1)
    )
    if account_id is not None:
        query = query.where(OutboxMessage.account_id == account_id)
    oldest = session.scalar(query)
    if oldest is None:
        return 0.0
    return max(0.0, (utcnow() - oldest).total_seconds())


def statuses(*, session: Session, message_ids: Sequence[int]) -> dict[int, OutboxStatus]:
    """The current status of each of these messages that still exists (a delivery log names its message)."""
    if not message_ids:
        return {}
    query = select(OutboxMessage.id, OutboxMessage.status).where(OutboxMessage.id.in_(list(message_ids)))
    return {row.id: row.status for row in session.execute(query)}


class Retention:
    """The outbox's periodic job: erase what delivered erasures leave behind, then delete settled rows that are
    older than `CALCAST_OUTBOX_RETENTION_DAYS`, in batches (one short write transaction each)."""

    def __init__(self, interval: timedelta) -> None:
        self.interval = interval
        self.last_run: datetime | None = None

    def __call__(self, *, transaction: Transaction, settings: Settings, now: datetime) -> int:
        # Erasure messages delivered since the last run (with an interval's overlap), or ever on the first run.
        since = self.last_run - self.interval if self.last_run else None
        with transaction() as session:
            erase_delivered_erasures(session=session, since=since)
        self.last_run = now
        before = now - timedelta(days=settings.outbox_retention_days)
        return delete_in_batches(transaction, lambda session: prune(session=session, before=before), PRUNE_BATCH)
