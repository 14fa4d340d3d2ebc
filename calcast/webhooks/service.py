"""Outbound webhooks: endpoints per account, Rokt's envelope queued in the outbox, signed delivery with a log."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

import httpx
from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.core.config import Settings
from calcast.core.db import utcnow
from calcast.core.errors import FieldError, Invalid, NotFound
from calcast.core.security import Cipher, random_secret
from calcast.events.models import PersonalEvent
from calcast.outbox import service as outbox
from calcast.outbox.delivery import Claimed, Result, backoff
from calcast.subscriptions.models import Subscription
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
_CHANGE_TYPES = {"subscribe": "Subscribe", "update": "SubscriptionDetailsUpdated", "unsubscribe": "Unsubscribe"}
MAX_EXCERPT = 1000
PARALLEL_DELIVERIES = 8


@dataclass(frozen=True)
class NewEndpoint:
    endpoint: WebhookEndpoint
    secret: str


def _iso(moment: datetime | None) -> str | None:
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


def _listeners(*, session: Session, account_id: str, event_type: str) -> list[WebhookEndpoint]:
    query = select(WebhookEndpoint).where(
        WebhookEndpoint.account_id == account_id, WebhookEndpoint.disabled_at.is_(None)
    )
    return [endpoint for endpoint in session.scalars(query) if event_type in endpoint.event_types]


def _queue(
    *, session: Session, account_id: str, event_type: str, envelopes: Sequence[dict[str, Any]], endpoints: Sequence[Any]
) -> list[int]:
    return outbox.enqueue(
        session=session,
        messages=[
            outbox.NewMessage(
                account_id=account_id,
                kind=KIND,
                topic=event_type,
                payload={"endpoint_id": endpoint.id, "envelope": envelope},
            )
            for endpoint in endpoints
            for envelope in envelopes
        ],
    )


def _account_details(*, session: Session, account_id: str) -> dict[str, Any]:
    account = accounts.get_account_by_id(session=session, account_id=account_id)
    return {"accountId": account.id, "accountName": account.name, "accountCode": account.code}


def subscription_object(*, session: Session, subscription: Subscription) -> dict[str, Any]:
    """Rokt's subscription details object."""
    calendar = calendars.get_calendar_by_id(session=session, calendar_id=subscription.calendar_id)
    return {
        "calendarSubscriptionId": subscription.id,
        "calendarId": calendar.id,
        "calendarTitle": calendar.title,
        "calendarCode": calendar.code,
        "subscriptionMethod": subscription.method,
        "calendarTags": [tag.name for tag in subscription.tags],
        "subscriberId": subscription.subscriber_id,
        "email": subscription.email,
        "optIn1": bool(subscription.opt_in1),
        "optIn2": bool(subscription.opt_in2),
        "countryCode": subscription.country_code,
        "geoCountry": subscription.country_name,
        "deviceName": subscription.device,
        "source": subscription.source,
        "createdDateTimeUtc": _iso(subscription.created_at),
        "isActive": subscription.deactivated_at is None,
    }


def queue_subscription_change(*, session: Session, subscription: Subscription, change: str) -> None:
    """Queue Subscribe / SubscriptionDetailsUpdated / Unsubscribe for every endpoint that asked for it."""
    event_type = _CHANGE_TYPES[change]
    endpoints = _listeners(session=session, account_id=subscription.account_id, event_type=event_type)
    if not endpoints:
        return
    details: dict[str, Any] = {
        "actionType": subscription.action_type or "SubscriptionViaCalendarPage",
        "calendarSubscriptionId": subscription.id,
        **_account_details(session=session, account_id=subscription.account_id),
        "subscription": subscription_object(session=session, subscription=subscription),
    }
    if change == "unsubscribe":
        details.update(
            removedDateTimeUtc=_iso(subscription.deactivated_at),
            unsubscribeReasonId=subscription.deactivation_reason_id,
            unsubscribeReasonText=subscription.deactivation_reason_text,
            remoteIpAddress=subscription.ip_address,
            countryCode=subscription.country_code,
            geoCountry=subscription.country_name,
            userAgent=subscription.user_agent,
        )
    envelope = {"eventId": str(uuid.uuid4()), "eventType": event_type, "eventDetails": details}
    _queue(
        session=session,
        account_id=subscription.account_id,
        event_type=event_type,
        envelopes=[envelope],
        endpoints=endpoints,
    )


def personal_event_object(event: PersonalEvent) -> dict[str, Any]:
    """Rokt's subscriptionEvent object for a personal event."""
    return {
        "eventId": event.event_id,
        "title": event.title,
        "description": event.description,
        "location": event.location,
        "url": event.url,
        "startDateTimeUtc": _iso(event.start_at),
        "endDateTimeUtc": _iso(event.end_at),
        "timezoneIanaId": event.timezone,
        "allDayEvent": bool(event.all_day),
        "notifyBefore": event.notify_before,
        "visibleFromDateTimeUtc": _iso(event.visible_from),
        "sequence": event.sequence,
    }


def queue_personal_event(
    *,
    session: Session,
    account_id: str,
    event_type: str,
    subscription_ids: Sequence[str],
    event: PersonalEvent | None = None,
    event_id: str | None = None,
) -> None:
    """Queue SubscriptionEventAdded/Updated/Removed/Deleted for the affected subscriptions.

    A deleted event is gone from the database: pass its `event_id` instead of the row.
    """
    details = personal_event_object(event) if event is not None else {"eventId": event_id}
    action_type = event.action_type if event is not None else None
    queue_event_change(
        session=session,
        account_id=account_id,
        event_type=event_type,
        subscription_ids=subscription_ids,
        event=details,
        action_type=action_type,
    )


def queue_event_change(
    *,
    session: Session,
    account_id: str,
    event_type: str,
    subscription_ids: Sequence[str],
    event: dict[str, Any],
    action_type: str | None = None,
) -> None:
    """Queue a personal-event webhook (SubscriptionEventAdded/Updated/Removed/Deleted), one per subscription.

    `event` is the subscriptionEvent object (eventId, title, start, …).
    """
    if event_type not in EVENT_TYPES:
        raise ValueError(f"unknown webhook event type {event_type!r}")
    endpoints = _listeners(session=session, account_id=account_id, event_type=event_type)
    if not endpoints or not subscription_ids:
        return
    account = _account_details(session=session, account_id=account_id)
    envelopes = [
        {
            "eventId": str(uuid.uuid4()),
            "eventType": event_type,
            "eventDetails": {
                "actionType": action_type or event_type,
                "calendarSubscriptionId": subscription_id,
                **account,
                "subscriptionEvent": event,
            },
        }
        for subscription_id in subscription_ids
    ]
    _queue(session=session, account_id=account_id, event_type=event_type, envelopes=envelopes, endpoints=endpoints)


def queue_test(*, session: Session, endpoint_id: str) -> int:
    """Queue a `Test` event with dummy details for one endpoint; returns its outbox id."""
    endpoint = get_endpoint(session=session, endpoint_id=endpoint_id)
    envelope = {
        "eventId": str(uuid.uuid4()),
        "eventType": "Test",
        "eventDetails": {
            "actionType": "Test",
            "calendarSubscriptionId": "00000000-0000-0000-0000-000000000000",
            **_account_details(session=session, account_id=endpoint.account_id),
        },
    }
    ids = _queue(
        session=session, account_id=endpoint.account_id, event_type="Test", envelopes=[envelope], endpoints=[endpoint]
    )
    return ids[0]


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
