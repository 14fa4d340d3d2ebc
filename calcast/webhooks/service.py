"""Outbound webhooks: endpoints per account and signed delivery with a log (envelopes: `envelopes.py`)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib.parse import urlsplit

import httpx
from sqlalchemy import select
from sqlalchemy.orm import Session

from calcast.accounts import service as accounts
from calcast.core.config import Settings
from calcast.core.db import utcnow
from calcast.core.errors import FieldError, Invalid, NotFound
from calcast.core.security import Cipher, random_secret
from calcast.outbox.delivery import Claimed, Result, backoff
from calcast.webhooks import signing
from calcast.webhooks.models import WebhookDelivery, WebhookEndpoint

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
    *, session: Session, cipher: Cipher, account_code: str, url: str, event_types: Sequence[str]
) -> NewEndpoint:
    """Register an endpoint for the chosen event types; its signing secret is returned here only."""
    account = accounts.get_account(session=session, code=account_code)
    parts = urlsplit(url.strip())
    if parts.scheme not in ("https", "http") or not parts.netloc:
        message = f"The webhook URL {url!r} must be an http(s) URL such as https://example.com/calcast-hook."
        raise Invalid(message, [FieldError("url", message)])
    chosen = list(dict.fromkeys(event_types))
    unknown = [name for name in chosen if name not in EVENT_TYPES]
    if unknown or not chosen:
        message = f"Choose event types among {', '.join(EVENT_TYPES)}" + (
            f"; {', '.join(map(repr, unknown))} is not one." if unknown else "."
        )
        raise Invalid(message, [FieldError("event", message)])
    secret = "whsec_" + random_secret(32)
    endpoint = WebhookEndpoint(
        account_id=account.id, url=url.strip(), event_types=chosen, secret_encrypted=cipher.encrypt(secret)
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


# --- delivery -------------------------------------------------------------------------------------------


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


def _post(http: httpx.Client, row: Claimed, url: str, secret: str) -> _Attempt:
    envelope = row.payload["envelope"]
    body = json.dumps(envelope, ensure_ascii=False, separators=(",", ":")).encode()
    headers = {
        "Content-Type": "application/json",
        "User-Agent": "calcast-webhooks",
        signing.HEADER: signing.sign(secret, body),
        "Calcast-Event-Id": envelope["eventId"],
        "Calcast-Event-Type": envelope["eventType"],
    }
    started = time.perf_counter()
    status: int | None = None
    error: str | None = None
    excerpt: str | None = None
    try:
        response = http.post(url, content=body, headers=headers)
        status, excerpt = response.status_code, response.text[:MAX_EXCERPT]
    except httpx.TimeoutException:
        error = "the endpoint did not answer in time"
    except httpx.HTTPError as failure:
        error = f"{type(failure).__name__}: {failure}"
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


def deliver(
    rows: Sequence[Claimed],
    *,
    settings: Settings,
    transaction: Callable[[], AbstractContextManager[Session]],
    http: httpx.Client,
) -> list[Result]:
    """POST each claimed webhook row, signed, a few in parallel; log every attempt."""
    cipher = Cipher(settings.secret_key)
    results: list[Result] = []
    targets: dict[str, tuple[str, str]] = {}
    with transaction() as session:
        for endpoint_id in {row.payload["endpoint_id"] for row in rows}:
            endpoint = session.get(WebhookEndpoint, endpoint_id)
            if endpoint is not None and endpoint.disabled_at is None:
                targets[endpoint_id] = (endpoint.url, cipher.decrypt(endpoint.secret_encrypted))
    sendable = [row for row in rows if row.payload["endpoint_id"] in targets]
    for row in rows:
        if row.payload["endpoint_id"] not in targets:
            results.append(Result(row.id, "failed", None, "The webhook endpoint was removed or disabled."))
    with ThreadPoolExecutor(max_workers=PARALLEL_DELIVERIES) as pool:
        attempts = list(pool.map(lambda row: _post(http, row, *targets[row.payload["endpoint_id"]]), sendable))
    now = utcnow()
    with transaction() as session:
        for attempt in attempts:
            session.add(
                WebhookDelivery(
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
            )
            results.append(_judge(attempt, settings=settings, now=now))
    return results
