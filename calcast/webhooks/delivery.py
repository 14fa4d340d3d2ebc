"""Delivering webhook rows: one signed POST each, a few in parallel, judged and logged attempt by attempt."""

from __future__ import annotations

import itertools
import json
import logging
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from calcast.core import outbound
from calcast.core.config import Settings
from calcast.core.db import utcnow
from calcast.core.security import Cipher
from calcast.outbox.delivery import LEASE_ENDING, Claimed, Result, backoff, lease_deadline
from calcast.webhooks import signing
from calcast.webhooks.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger("calcast.webhooks")

MAX_EXCERPT = 1000
PARALLEL_DELIVERIES = 8


def client(settings: Settings) -> outbound.OutboundClient:
    """The HTTP client a worker delivers webhooks with (https and public addresses only, unless allowed)."""
    return outbound.OutboundClient(
        allow_private=settings.allow_private_destinations,
        timeout=settings.webhook_timeout_seconds,
        user_agent="calcast-webhooks",
    )


@dataclass(frozen=True)
class _Attempt:
    row: Claimed
    endpoint_id: str
    event_id: str
    event_type: str
    status_code: int | None
    error: str | None
    excerpt: str | None
    duration_ms: int


def _post(http: outbound.OutboundClient, row: Claimed, url: str, secret: str, *, deadline: float) -> _Attempt | None:
    """One signed POST, over by `deadline`; None when the deadline had passed before it could start."""
    if time.monotonic() >= deadline:
        return None
    envelope = row.payload["envelope"]
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        signing.HEADER: signing.sign(secret, body),
        "Calcast-Event-Id": envelope["eventId"],
        "Calcast-Event-Type": envelope["eventType"],
    }
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    excerpt: str | None = None
    try:
        answer = http.post(url, content=body, headers=headers, deadline=deadline)
        status, excerpt = answer.status_code, answer.text[:MAX_EXCERPT]
    except outbound.OutboundError as failure:
        error = str(failure)
    return _Attempt(
        row=row,
        endpoint_id=row.payload["endpoint_id"],
        event_id=envelope["eventId"],
        event_type=envelope["eventType"],
        status_code=status,
        error=error,
        excerpt=excerpt,
        duration_ms=int((time.perf_counter() - started) * 1000),
    )


def _judge(attempt: _Attempt, *, settings: Settings, now: datetime) -> Result:
    row = attempt.row
    if attempt.status_code is not None and 200 <= attempt.status_code < 300:
        return Result(row.id, "done", attempt.status_code)
    reason = attempt.error or f"The endpoint answered {attempt.status_code}: {attempt.excerpt or ''}".rstrip(": ")
    deadline = row.created_at + timedelta(minutes=settings.webhook_retry_minutes)
    if now >= deadline:
        minutes = f"{settings.webhook_retry_minutes:g}"
        return Result(row.id, "failed", attempt.status_code, f"Gave up after {minutes} minutes. {reason}")
    wait = backoff(row.attempts, base=settings.outbox_backoff_base_seconds, cap=settings.outbox_backoff_max_seconds)
    return Result(row.id, "retry", attempt.status_code, reason, retry_at=min(now + wait, deadline))


def _log_entry(attempt: _Attempt) -> WebhookDelivery:
    return WebhookDelivery(
        endpoint_id=attempt.endpoint_id,
        outbox_id=attempt.row.id,
        event_id=attempt.event_id,
        event_type=attempt.event_type,
        attempt=attempt.row.attempts,
        status_code=attempt.status_code,
        error=attempt.error,
        response_excerpt=attempt.excerpt,
        duration_ms=attempt.duration_ms,
    )


def _log_attempts(attempts: Sequence[_Attempt], *, transaction: Callable[[], AbstractContextManager[Session]]) -> None:
    """Add the attempts to their endpoints' logs; one the database refuses is left out, never the others."""
    try:
        with transaction() as session:
            session.add_all(_log_entry(attempt) for attempt in attempts)
        return
    except Exception:
        log.exception("Logging %d webhook attempts at once failed; logging them one by one.", len(attempts))
    for attempt in attempts:
        try:
            with transaction() as session:
                session.add(_log_entry(attempt))
        except Exception:
            log.exception("The log entry of webhook delivery %d could not be stored.", attempt.row.id)


def _taking_turns(rows: Sequence[Claimed]) -> Iterator[Claimed]:
    """The rows with the accounts taking turns, so that one account's many deliveries never queue before another's."""
    by_account: dict[str, list[Claimed]] = {}
    for row in rows:
        by_account.setdefault(row.account_id, []).append(row)
    for turn in itertools.zip_longest(*by_account.values()):
        yield from (row for row in turn if row is not None)


def deliver(
    rows: Sequence[Claimed],
    *,
    settings: Settings,
    transaction: Callable[[], AbstractContextManager[Session]],
    http: outbound.OutboundClient,
) -> list[Result]:
    """POST each claimed webhook row, signed, a few in parallel, all within the worker's lease; log every attempt."""
    deadline = lease_deadline(settings.outbox_lease_seconds)
    cipher = Cipher(settings.secret_key)
    results: list[Result] = []
    targets: dict[str, tuple[str, str]] = {}
    with transaction() as session:
        for endpoint_id in {row.payload["endpoint_id"] for row in rows}:
            endpoint = session.get(WebhookEndpoint, endpoint_id)
            if endpoint is not None and endpoint.disabled_at is None:
                targets[endpoint_id] = (endpoint.url, cipher.decrypt(endpoint.secret_encrypted))
    sendable = list(_taking_turns([row for row in rows if row.payload["endpoint_id"] in targets]))
    for row in rows:
        if row.payload["endpoint_id"] not in targets:
            results.append(Result(row.id, "failed", None, "The webhook endpoint was removed or disabled."))

    def send(row: Claimed) -> _Attempt | None:
        return _post(http, row, *targets[row.payload["endpoint_id"]], deadline=deadline)

    with ThreadPoolExecutor(max_workers=PARALLEL_DELIVERIES) as pool:
        attempts = list(pool.map(send, sendable))
    made = [attempt for attempt in attempts if attempt is not None]
    _log_attempts(made, transaction=transaction)
    now = utcnow()
    results.extend(_judge(attempt, settings=settings, now=now) for attempt in made)
    results.extend(
        Result(row.id, "retry", None, LEASE_ENDING, retry_at=now)
        for row, attempt in zip(sendable, attempts, strict=True)
        if attempt is None
    )
    return results
