"""Outbound webhooks: endpoints per account and signed delivery with a log (envelopes: `envelopes.py`)."""

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

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from calcast.accounts import service as accounts
from calcast.core import outbound
from calcast.core.config import Settings
from calcast.core.db import Transaction, utcnow
from calcast.core.errors import FieldError, Invalid, NotFound
from calcast.core.security import Cipher, random_secret
from calcast.outbox.delivery import LEASE_ENDING, Claimed, Result, backoff, lease_deadline
from calcast.outbox.service import PRUNE_BATCH
from calcast.webhooks import signing
from calcast.webhooks.models import WebhookDelivery, WebhookEndpoint

log = logging.getLogger("calcast.webhooks")

KIND = "webhook"
EVENT_TYPES = (
    "Subscribe",
    "Unsubscribe",
    "SubscriptionDetailsUpdated",
    "SubscriptionEventAdded",
    "SubscriptionEventUpdated",
    "SubscriptionEventRemoved",
    "SubscriptionEventDeleted",
    "Test",
    # Beyond the original's types: a person's first click on an event's tracked link.
    "EventClicked",
)
MAX_EXCERPT = 1000
PARALLEL_DELIVERIES = 8


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


def add_endpoint(
    *,
    session: Session,
    cipher: Cipher,
    account_code: str,
    url: str,
    event_types: Sequence[str],
    allow_private_destinations: bool = False,
) -> NewEndpoint:
    """Register an endpoint (https, public: core.outbound) for the chosen event types; its secret is shown once."""
    account = accounts.get_account(session=session, code=account_code)
    url = outbound.check_destination(url, allow_private=allow_private_destinations, what="webhook URL")
    chosen = list(dict.fromkeys(event_types))
    unknown = [name for name in chosen if name not in EVENT_TYPES]
    if unknown or not chosen:
        message = f"Choose event types among {', '.join(EVENT_TYPES)}" + (
            f"; {', '.join(map(repr, unknown))} is not one." if unknown else "."
        )
        raise Invalid(message, [FieldError("event", message)])
    secret = "whsec_" + random_secret(32)
    endpoint = WebhookEndpoint(
        account_id=account.id, url=url, event_types=chosen, secret_encrypted=cipher.encrypt(secret)
    )
    session.add(endpoint)
    session.flush()
    return NewEndpoint(endpoint=endpoint, secret=secret)


def list_endpoints(*, session: Session, account_code: str) -> list[WebhookEndpoint]:
    """The account's webhook endpoints, oldest first."""
    account = accounts.get_account(session=session, code=account_code)
    query = (
        select(WebhookEndpoint)
        .where(WebhookEndpoint.account_id == account.id)
        .order_by(WebhookEndpoint.created_at, WebhookEndpoint.id)
    )
    return list(session.scalars(query))


def get_endpoint(*, session: Session, endpoint_id: str) -> WebhookEndpoint:
    endpoint = session.get(WebhookEndpoint, endpoint_id)
    if endpoint is None:
        raise NotFound(f"There is no webhook {endpoint_id!r}; `calcast webhook list ACCOUNT` shows them.")
    return endpoint


def disable_endpoint(*, session: Session, endpoint_id: str) -> WebhookEndpoint:
    """Stop sending to an endpoint (its log stays); queued deliveries to it are dropped."""
    endpoint = get_endpoint(session=session, endpoint_id=endpoint_id)
    if endpoint.disabled_at is None:
        endpoint.disabled_at = utcnow()
    session.flush()
    return endpoint


def delivery_log(*, session: Session, endpoint_id: str, limit: int = 50) -> list[WebhookDelivery]:
    """The endpoint's latest delivery attempts, newest first."""
    get_endpoint(session=session, endpoint_id=endpoint_id)
    query = (
        select(WebhookDelivery)
        .where(WebhookDelivery.endpoint_id == endpoint_id)
        .order_by(WebhookDelivery.id.desc())
        .limit(limit)
    )
    return list(session.scalars(query))


def prune_delivery_log(*, session: Session, before: datetime, limit: int) -> int:
    """Delete up to `limit` delivery attempts logged before `before` (the outbox retention); returns how many."""
    query = select(WebhookDelivery.id).where(WebhookDelivery.created_at < before).order_by(WebhookDelivery.id)
    ids = list(session.scalars(query.limit(limit)))
    if ids:
        session.execute(delete(WebhookDelivery).where(WebhookDelivery.id.in_(ids)))
    return len(ids)


def erase_responses(*, session: Session, outbox_ids: Sequence[int]) -> None:
    """Forget what receivers answered to these deliveries: an answer may echo the personal data it was sent."""
    if outbox_ids:
        statement = update(WebhookDelivery).where(WebhookDelivery.outbox_id.in_(list(outbox_ids)))
        session.execute(statement.values(response_excerpt=None), execution_options={"synchronize_session": False})


# --- delivery -------------------------------------------------------------------------------------------


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


def prune_delivery_logs(*, transaction: Transaction, settings: Settings, now: datetime) -> int:
    """The periodic job: delete delivery logs older than `CALCAST_OUTBOX_RETENTION_DAYS`, in batches."""
    before = now - timedelta(days=settings.outbox_retention_days)
    pruned = 0
    while True:
        with transaction() as session:
            batch = prune_delivery_log(session=session, before=before, limit=PRUNE_BATCH)
        pruned += batch
        if batch < PRUNE_BATCH:
            return pruned
