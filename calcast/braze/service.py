"""Braze sync: queue a subscription's change as users.track objects, and deliver queued rows in batches."""

from __future__ import annotations

import math
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ThreadPoolExecutor
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import bindparam, inspect, select
from sqlalchemy.orm import Session

from calcast.accounts import service as accounts
from calcast.accounts.models import Account
from calcast.braze import payloads
from calcast.braze.client import BrazeClient, TrackAnswer
from calcast.calendars import service as calendars
from calcast.core.config import Settings
from calcast.core.db import utcnow
from calcast.core.errors import Invalid
from calcast.core.security import Cipher
from calcast.engagement.changes import EventClicked
from calcast.outbox import service as outbox
from calcast.outbox.delivery import LEASE_ENDING, Claimed, Result, lease_deadline
from calcast.subscriptions.changes import (
    SubscriptionChange,
    SubscriptionChanged,
    SubscriptionCreated,
    SubscriptionEnded,
    SubscriptionLapsed,
)
from calcast.subscriptions.models import Subscription
from calcast.subscriptions.service import get_subscription

KIND = "braze.track"
# Model field → the rokt:* attribute it feeds, for removing a changed value's old entry.
_SINGLE_VALUED = {
    "email": "rokt:subscriber_email",
    "method": "rokt:subscription_method",
    "device": "rokt:device_name",
    "country_code": "rokt:country_code",
    "country_name": "rokt:geo_country",
    "source": "rokt:source",
}
# The outbox topic of each change; "unsubscribe" removes the subscription's values, the others add them.
_TOPICS: dict[type[SubscriptionChange], str] = {
    SubscriptionCreated: "subscribe",
    SubscriptionChanged: "update",
    SubscriptionEnded: "unsubscribe",
}
# How long a 429 without X-RateLimit-Reset waits, and the most any X-RateLimit-Reset may make a delivery wait.
RATE_LIMIT_DEFAULT_WAIT = timedelta(seconds=60)
RATE_LIMIT_MAX_WAIT = timedelta(hours=1)
NOT_CONFIGURED = "Braze is not configured for this account; set it with `calcast account set-braze`, then retry."
# "Send a test" (the console): a profile of its own in the brand's Braze, with one attribute saying when.
TEST_EXTERNAL_ID = "calcast-test-user"
TEST_ATTRIBUTE = "calcast_test_sent_at"
UNREADABLE_KEY = (
    "The account's Braze key cannot be read ({reason}); "
    "set the Braze key again with `calcast account set-braze`, then `calcast outbox retry --all-failed`."
)


def _previous_values(subscription: Subscription) -> dict[str, str]:
    """Values this change replaced, read from the session's pending history (before it is flushed)."""
    state = inspect(subscription)
    previous = {}
    for column, attribute in _SINGLE_VALUED.items():
        deleted = state.attrs[column].history.deleted
        if deleted and deleted[0]:
            previous[attribute] = str(deleted[0])
    return previous


def facts_of(*, session: Session, subscription: Subscription) -> payloads.SubscriptionFacts:
    """The subscription as Braze sees it, with its account and calendar."""
    calendar = calendars.get_calendar_by_id(session=session, calendar_id=subscription.calendar_id)
    account = accounts.get_account_by_id(session=session, account_id=subscription.account_id)
    return payloads.SubscriptionFacts(
        subscription_id=subscription.id,
        suffix=subscription.suffix,
        account_code=account.code,
        account_id=account.id,
        account_name=account.name,
        calendar_code=calendar.code,
        calendar_id=calendar.id,
        calendar_title=calendar.title,
        subscription_method=subscription.method,
        tags=[tag.name for tag in subscription.tags],
        calendar_tags=[tag.name for tag in calendar.tags],
        opt_in1=bool(subscription.opt_in1),
        opt_in2=bool(subscription.opt_in2),
        country_code=subscription.country_code,
        device_name=subscription.device,
        geo_country=subscription.country_name,
        source=subscription.source,
        subscriber_email=subscription.email,
        external_id=subscription.subscriber_id,
        email_identifies=bool(subscription.email_identifies),
        action_type=subscription.action_type,
    )


def on_subscription_change(session: Session, change: SubscriptionChange) -> None:
    """Braze sync's consumer of subscription changes (registered in `calcast/assembly.py`)."""
    queue_subscription_change(session=session, subscription=change.subscription, change=_TOPICS[type(change)])


def queue_subscription_change(*, session: Session, subscription: Subscription, change: str) -> None:
    """Queue the users.track objects for a subscribe, update or unsubscribe, in the change's own transaction.

    Also records whether Braze can identify the person (`crm_status`): without an external id or an
    e-mail, and with the calendar's fallback flag off, nothing is sent and the subscription is `unmatched`.
    """
    previous = _previous_values(subscription)  # first: any query below may flush and forget the history
    calendar = calendars.get_calendar_by_id(session=session, calendar_id=subscription.calendar_id)
    account = accounts.get_account_by_id(session=session, account_id=subscription.account_id)
    facts = facts_of(session=session, subscription=subscription)
    who = payloads.identifier(facts, fallback=calendar.subscriber_id_fallback)
    subscription.crm_status = "matched" if who else "unmatched"
    if who is None or not account.braze_rest_endpoint or account.braze_api_key_encrypted is None:
        return
    now = utcnow()
    events: list[dict[str, Any]] = []
    if change == "unsubscribe":
        attributes = payloads.attributes_object(facts, who=who, mode="remove")
        reason = subscription.deactivation_reason_text or subscription.deactivation_reason_id
        events.append(
            payloads.event_object(facts, who=who, name=payloads.UNSUBSCRIBE_EVENT, at=now, extra={"reason": reason})
        )
    else:
        mode: payloads.Mode = "add" if calendar.merge_flag else "replace"
        attributes = payloads.attributes_object(facts, who=who, mode=mode, previous=previous)
        if change == "subscribe":
            events.append(payloads.event_object(facts, who=who, name=payloads.SUBSCRIBE_EVENT, at=now))
    message = outbox.NewMessage(
        account_id=account.id,
        kind=KIND,
        topic=change,
        payload={"attributes": [attributes], "events": events},
        ordering_key=subscription.id,
    )
    outbox.enqueue(session=session, messages=[message])


def on_event_clicked(session: Session, change: EventClicked) -> None:
    """Braze sync's consumer of a person's first click on an event: a `calendar_event_click` custom event."""
    if not _braze_configured(session=session, account_id=change.account_id):
        return  # on the redirect's path: no more reads than needed
    subscription = get_subscription(session=session, subscription_id=change.subscription_id)
    details: dict[str, str | None] = {
        "event_id": change.event_id,
        "event_kind": change.event_kind,
        "event_title": change.title,
        "link": change.link,
    }
    queue_custom_event(
        session=session,
        subscription=subscription,
        name=payloads.CLICK_EVENT,
        topic="click",
        at=change.clicked_at,
        extra=details,
    )


def on_subscription_lapsed(session: Session, change: SubscriptionLapsed) -> None:
    """Braze sync's consumer of lapse marking: a `calendar_lapsed` custom event."""
    subscription = get_subscription(session=session, subscription_id=change.subscription_id)
    queue_custom_event(
        session=session,
        subscription=subscription,
        name=payloads.LAPSED_EVENT,
        topic="lapsed",
        at=change.lapsed_at,
        extra={"client_family": subscription.client_family},
    )


# Built once and run as Core (no ORM object to load and forget): every change of every subscription asks it, and a
# batch of clicks once per first click.
_BRAZE_CONFIGURED = select(Account.id).where(
    Account.id == bindparam("account_id"),
    Account.braze_rest_endpoint.is_not(None),
    Account.braze_rest_endpoint != "",
    Account.braze_api_key_encrypted.is_not(None),
)


def _braze_configured(*, session: Session, account_id: str) -> bool:
    return session.connection().execute(_BRAZE_CONFIGURED, {"account_id": account_id}).first() is not None


def queue_custom_event(
    *,
    session: Session,
    subscription: Subscription,
    name: str,
    topic: str,
    at: datetime,
    extra: dict[str, str | None],
) -> None:
    """Queue one custom event about the subscription, identified like its attributes; nothing if Braze cannot."""
    if not _braze_configured(session=session, account_id=subscription.account_id):
        return
    calendar = calendars.get_calendar_by_id(session=session, calendar_id=subscription.calendar_id)
    facts = facts_of(session=session, subscription=subscription)
    who = payloads.identifier(facts, fallback=calendar.subscriber_id_fallback)
    if who is None:
        return
    event = payloads.event_object(facts, who=who, name=name, at=at, extra=extra)
    message = outbox.NewMessage(
        account_id=subscription.account_id,
        kind=KIND,
        topic=topic,
        payload={"events": [event]},
        # Keyed like the subscription's other Braze rows: it follows them, and an erasure finds it; it only
        # reports an event, so once delivered it supersedes no failed change of the subscription.
        ordering_key=subscription.id,
        supersedes=False,
    )
    outbox.enqueue(session=session, messages=[message])


# --- delivery -------------------------------------------------------------------------------------------


@dataclass
class _Request:
    """One users.track body being packed, and which outbox row each object came from."""

    attributes: list[dict[str, Any]] = field(default_factory=list)
    events: list[dict[str, Any]] = field(default_factory=list)
    owners: dict[tuple[str, int], int] = field(default_factory=dict)
    rows: list[Claimed] = field(default_factory=list)

    def fits(self, row: Claimed, *, limit: int, per_array: bool) -> bool:
        attributes = len(row.payload.get("attributes", []))
        events = len(row.payload.get("events", []))
        if per_array:
            return len(self.attributes) + attributes <= limit and len(self.events) + events <= limit
        return len(self.attributes) + len(self.events) + attributes + events <= limit

    def add(self, row: Claimed) -> None:
        for array_name, target in (("attributes", self.attributes), ("events", self.events)):
            for item in row.payload.get(array_name, []):
                self.owners[(array_name, len(target))] = row.id
                target.append(item)
        self.rows.append(row)

    def body(self) -> dict[str, Any]:
        body: dict[str, Any] = {}
        if self.attributes:
            body["attributes"] = self.attributes
        if self.events:
            body["events"] = self.events
        return body


def pack(rows: Sequence[Claimed], *, limit: int, per_array: bool) -> list[_Request]:
    """Pack rows (in order) into as few users.track bodies as the object limit allows."""
    requests: list[_Request] = []
    current = _Request()
    for row in rows:
        if current.rows and not current.fits(row, limit=limit, per_array=per_array):
            requests.append(current)
            current = _Request()
        current.add(row)
    if current.rows:
        requests.append(current)
    return requests


@dataclass(frozen=True)
class _Target:
    rest_endpoint: str
    api_key: str


def _target(*, cipher: Cipher, account: Account) -> _Target | str:
    """Where the account's rows go, or the sentence saying why they cannot go anywhere."""
    try:
        key = accounts.braze_api_key(cipher=cipher, account=account)
    except ValueError as unreadable:  # the key was saved under another CALCAST_SECRET_KEY
        return UNREADABLE_KEY.format(reason=unreadable)
    endpoint = account.braze_rest_endpoint
    return _Target(endpoint, key) if endpoint and key else NOT_CONFIGURED


def _targets(
    *, transaction: Callable[[], AbstractContextManager[Session]], cipher: Cipher, account_ids: set[str]
) -> dict[str, _Target | str]:
    """Where each account's rows go, or the sentence saying why they cannot go anywhere."""
    with transaction() as session:
        found = {
            account_id: accounts.get_account_by_id(session=session, account_id=account_id) for account_id in account_ids
        }
        return {account_id: _target(cipher=cipher, account=account) for account_id, account in found.items()}


def send_test(*, session: Session, settings: Settings, account_code: str, now: datetime | None = None) -> TrackAnswer:
    """One users.track request for a test user (TEST_EXTERNAL_ID), with the account's endpoint and key and the
    worker's Braze client: Braze's answer, or the network problem (never raised). Invalid when Braze is not set."""
    account = accounts.get_account(session=session, code=account_code)
    target = _target(cipher=Cipher(settings.secret_key), account=account)
    if isinstance(target, str):
        raise Invalid(target)
    body = {
        "attributes": [
            {"external_id": TEST_EXTERNAL_ID, TEST_ATTRIBUTE: (now or utcnow()).isoformat(timespec="seconds")}
        ]
    }
    client = BrazeClient(timeout=settings.braze_timeout_seconds, allow_private=settings.allow_private_destinations)
    try:
        return client.track(rest_endpoint=target.rest_endpoint, api_key=target.api_key, body=body)
    finally:
        client.close()


def _reset_time(answer: TrackAnswer, now: datetime) -> datetime | None:
    """When a rate-limited request may go again: X-RateLimit-Reset (epoch seconds), at most an hour away.

    Without the header, in a minute; with one that is not a number (or not finite), None: the normal backoff.
    """
    if answer.rate_limit_reset is None:
        return now + RATE_LIMIT_DEFAULT_WAIT
    try:
        reset = float(answer.rate_limit_reset)
    except ValueError:
        return None
    if not math.isfinite(reset):
        return None
    wait = min(max(reset - now.timestamp(), 0.0), RATE_LIMIT_MAX_WAIT.total_seconds())
    return now + timedelta(seconds=wait)


def _judge(request: _Request, answer: TrackAnswer, now: datetime) -> Iterator[Result]:
    """One result per row of a request, from Braze's answer to it."""
    verdict = answer.verdict
    if verdict == "ok":
        refused: dict[int, list[str]] = {}
        for minor in answer.minor_errors:
            owner = request.owners.get((minor.input_array, minor.index))
            if owner is not None:
                refused.setdefault(owner, []).append(f"{minor.input_array}[{minor.index}]: {minor.type}")
        for row in request.rows:
            if row.id in refused:
                reason = "Braze refused " + "; ".join(refused[row.id])
                yield Result(row.id, "failed", answer.status, reason)
            else:
                yield Result(row.id, "done", answer.status)
        return
    for row in request.rows:
        if verdict == "rate_limited":
            yield Result(row.id, "retry", answer.status, answer.describe(), retry_at=_reset_time(answer, now))
        elif verdict == "transient":
            yield Result(row.id, "retry", answer.status, answer.describe())
        else:
            yield Result(row.id, "failed", answer.status, answer.describe())


def _not_sent(request: _Request) -> list[Result]:
    """The rows of a request left for the next claim: the worker's lease on them was ending."""
    return [Result(row.id, "retry", None, LEASE_ENDING, retry_at=utcnow()) for row in request.rows]


def _send(
    client: BrazeClient, target: _Target, request: _Request, *, deadline: float
) -> tuple[TrackAnswer, list[Result]]:
    answer = client.track(
        rest_endpoint=target.rest_endpoint, api_key=target.api_key, body=request.body(), deadline=deadline
    )
    now = utcnow()
    if answer.verdict == "permanent" and answer.status in (400, 413) and len(request.rows) > 1:
        # One bad object makes Braze refuse the whole request: send each row alone so only it is kept back.
        results: list[Result] = []
        for row in request.rows:
            alone = _Request()
            alone.add(row)
            if time.monotonic() >= deadline:
                results.extend(_not_sent(alone))
                continue
            single = client.track(
                rest_endpoint=target.rest_endpoint, api_key=target.api_key, body=alone.body(), deadline=deadline
            )
            results.extend(_judge(alone, single, utcnow()))
        return answer, results
    return answer, list(_judge(request, answer, now))


def _send_all(
    client: BrazeClient, target: _Target, requests: Sequence[_Request], *, concurrency: int, deadline: float
) -> list[Result]:
    """Send one account's requests, up to `concurrency` at a time, results in request order.

    After a 429 or an outage answer, requests not yet started are not sent: their rows wait with that answer's
    retry time. Requests already in flight finish and keep their own answers. Nothing is sent, and nothing runs,
    past `deadline` (time.monotonic: the end of the worker's lease, less a margin).
    """
    halted: list[Result] = []  # the first rate-limited or transient answer, once there is one
    lock = threading.Lock()

    def one(request: _Request) -> list[Result]:
        with lock:
            waiting = halted[0] if halted else None
        if waiting is not None:
            return [
                Result(row.id, "retry", waiting.status_code, waiting.error, waiting.retry_at) for row in request.rows
            ]
        if time.monotonic() >= deadline:
            return _not_sent(request)
        answer, judged = _send(client, target, request, deadline=deadline)
        if answer.verdict in ("rate_limited", "transient"):
            with lock:
                if not halted:
                    halted.append(judged[0])
        return judged

    if concurrency <= 1 or len(requests) <= 1:
        return [result for request in requests for result in one(request)]
    with ThreadPoolExecutor(max_workers=min(concurrency, len(requests)), thread_name_prefix="braze") as pool:
        return [result for judged in pool.map(one, requests) for result in judged]


def deliver(
    rows: Sequence[Claimed],
    *,
    settings: Settings,
    transaction: Callable[[], AbstractContextManager[Session]],
    client: BrazeClient,
) -> list[Result]:
    """Deliver claimed braze.track rows, batched per account; after a 429 or an outage the rest wait too.

    A claim holds at most one row per subscription (the oldest pending), so an account's requests may go out
    concurrently (`braze_concurrency`) without ever reordering one subscription's changes.
    """
    deadline = lease_deadline(settings.outbox_lease_seconds)
    cipher = Cipher(settings.secret_key)
    targets = _targets(transaction=transaction, cipher=cipher, account_ids={row.account_id for row in rows})
    results: list[Result] = []
    for account_id, target in targets.items():
        mine = [row for row in rows if row.account_id == account_id]
        if isinstance(target, str):
            results.extend(Result(row.id, "failed", None, target) for row in mine)
            continue
        requests = pack(mine, limit=settings.braze_batch_size, per_array=settings.braze_batch_scope == "per_array")
        results.extend(_send_all(client, target, requests, concurrency=settings.braze_concurrency, deadline=deadline))
    return results
