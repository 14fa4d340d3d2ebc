"""Writing deliveries into the outbox (in the caller's transaction) and what the operator does with them."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.orm import Session

from calcast.core.db import utcnow
from calcast.core.errors import Invalid, NotFound
from calcast.outbox.models import STATUSES, OutboxMessage

KINDS = ("braze.track", "webhook")


@dataclass(frozen=True)
class NewMessage:
    account_id: str
    kind: str
    topic: str
    payload: dict[str, Any]
    ordering_key: str | None = None


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
            "status": "pending",
            "attempts": 0,
            "available_at": now,
            "created_at": now,
        }
        for message in messages
    ]
    return list(session.scalars(insert(OutboxMessage).returning(OutboxMessage.id, sort_by_parameter_order=True), rows))


def list_messages(
    *, session: Session, status: str | None = None, kind: str | None = None, limit: int = 100
) -> list[OutboxMessage]:
    """Messages newest first, optionally only one status or kind."""
    if status is not None and status not in STATUSES:
        raise Invalid(f"The status must be one of {', '.join(STATUSES)}, not {status!r}.")
    query = select(OutboxMessage).order_by(OutboxMessage.id.desc()).limit(limit)
    if status is not None:
        query = query.where(OutboxMessage.status == status)
    if kind is not None:
        query = query.where(OutboxMessage.kind == kind)
    return list(session.scalars(query))


def get_message(*, session: Session, message_id: int) -> OutboxMessage:
    message = session.get(OutboxMessage, message_id)
    if message is None:
        raise NotFound(f"There is no outbox message {message_id}; `calcast outbox list` shows them.")
    return message


def retry(*, session: Session, message_id: int) -> OutboxMessage:
    """Send a failed (or delivered) message again as soon as a worker is free."""
    message = get_message(session=session, message_id=message_id)
    if message.status == "pending":
        raise Invalid(f"Outbox message {message_id} is still pending; a worker will deliver it.")
    message.status = "pending"
    message.available_at = utcnow()
    message.claimed_by = None
    message.delivered_at = None
    session.flush()
    return message


def retry_all_failed(*, session: Session) -> int:
    """Put every failed message back in the queue; returns how many."""
    result = session.execute(
        update(OutboxMessage)
        .where(OutboxMessage.status == "failed")
        .values(status="pending", available_at=utcnow(), claimed_by=None)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def counts(*, session: Session) -> dict[tuple[str, str], int]:
    """How many messages there are per (status, kind)."""
    query = select(OutboxMessage.status, OutboxMessage.kind, func.count()).group_by(
        OutboxMessage.status, OutboxMessage.kind
    )
    found = {(status, kind): 0 for status in STATUSES for kind in KINDS}
    for status, kind, count in session.execute(query):
        found[(status, kind)] = int(count)
    return found


def oldest_pending_age_seconds(*, session: Session) -> float:
    """Age of the oldest undelivered message (0 when the queue is empty): the lag an operator watches."""
    query = (
        select(OutboxMessage.created_at).where(OutboxMessage.status == "pending").order_by(OutboxMessage.id).limit(1)
    )
    oldest = session.scalar(query)
    if oldest is None:
        return 0.0
    return max(0.0, (utcnow() - oldest).total_seconds())
