"""Outbound webhooks: endpoints per account, Rokt's envelope queued in the outbox, signed delivery with a log."""

from __future__ import annotations

import itertools
import json
import logging
import time
import uuid
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session

from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.core import outbound
from calcast.core.config import Settings
from calcast.core.db import utcnow
from calcast.core.errors import FieldError, Invalid, NotFound
from calcast.core.security import Cipher, random_secret
from calcast.events.models import PersonalEvent
from calcast.outbox import service as outbox
from calcast.outbox.delivery import LEASE_ENDING, Claimed, Result, backoff, lease_deadline
from calcast.subscriptions.models import Subscription
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
