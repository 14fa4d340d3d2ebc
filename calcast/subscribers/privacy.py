"""Personal data on request: a subscriber's export, their erasure, and the subscriber list a brand downloads."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.orm import Session, selectinload

from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.calendars.models import Calendar
from calcast.core.errors import NotFound
from calcast.events import service as events
from calcast.events.models import PersonalEventTarget
from calcast.outbox import service as outbox
from calcast.outbox.models import OutboxMessage, OutboxStatus
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription
from calcast.webhooks import endpoints as webhooks
from calcast.webhooks.models import KIND as WEBHOOK_KIND

# What identifies or locates a person; erased by `forget_person`. Tags, method, device class and the
# (anonymous) counts stay, so the brand's numbers do not change.
PERSONAL_FIELDS = (
    "subscriber_id", "unverified_subscriber_id", "email", "user_agent", "ip_address", "referrer", "request_key",
)  # fmt: skip
# The same in the webhook envelope (webhooks.envelopes.subscription_object and the Unsubscribe details), at any depth.
PERSONAL_WEBHOOK_DETAILS = frozenset({"subscriberId", "email", "remoteIpAddress", "userAgent"})
WEBHOOK_SUBSCRIPTION_PATH = ("envelope", "eventDetails", "calendarSubscriptionId")
# A queued message with this topic takes the person out of a system that holds them (Braze's removal):
# an erasure still sends it, with the values it must remove.
REMOVAL_TOPIC = "unsubscribe"

EXPORT_COLUMNS = (
    "subscription_id", "calendar_code", "subscriber_id", "email", "tags", "method", "device", "country_code",
    "country_name", "source", "utm_source", "utm_medium", "utm_campaign", "utm_content", "opt_in1", "opt_in1_at",
    "opt_in2", "opt_in2_at", "crm_status", "created_at", "deactivated_at", "deactivation_reason",
    "last_polled_at", "poll_count", "client_family", "lapsed_at",
)  # fmt: skip


def export_row(subscription: Subscription, calendar_code: str) -> dict[str, Any]:
    return {
        "subscription_id": subscription.id,
        "calendar_code": calendar_code,
        "subscriber_id": subscription.subscriber_id,
        "email": subscription.email,
        "tags": [tag.name for tag in subscription.tags],
        "method": subscription.method,
        "device": subscription.device,
        "country_code": subscription.country_code,
        "country_name": subscription.country_name,
        "source": subscription.source,
        "utm_source": subscription.utm_source,
        "utm_medium": subscription.utm_medium,
        "utm_campaign": subscription.utm_campaign,
        "utm_content": subscription.utm_content,
        "opt_in1": subscription.opt_in1,
        "opt_in1_at": subscription.opt_in1_at,
        "opt_in2": subscription.opt_in2,
        "opt_in2_at": subscription.opt_in2_at,
        "crm_status": subscription.crm_status,
        "created_at": subscription.created_at,
        "deactivated_at": subscription.deactivated_at,
        "deactivation_reason": subscription.deactivation_reason_text or subscription.deactivation_reason_id,
        "last_polled_at": subscription.last_polled_at,
        "poll_count": subscription.poll_count,
        "client_family": subscription.client_family,
        "lapsed_at": subscription.lapsed_at,
    }


def _of_person(session: Session, account_code: str, who: str) -> list[tuple[Subscription, str]]:
    account = accounts.get_account(session=session, code=account_code)
    cleaned = who.strip()
    query = (
        select(Subscription, Calendar.code)
        .join(Calendar, Calendar.id == Subscription.calendar_id)
        .where(
            Subscription.account_id == account.id,
            or_(Subscription.subscriber_id == cleaned, Subscription.email == cleaned.lower()),
        )
        .options(selectinload(Subscription.tags))
        .order_by(Subscription.created_at, Subscription.id)
    )
    found = [(subscription, str(code)) for subscription, code in session.execute(query)]
    if not found:
        raise NotFound(
            "The account {account_code!r} has no subscriber {subscriber!r} (by external id or e-mail).",
            account_code=account_code,
            subscriber=cleaned,
        )
    return found


def export_person(*, session: Session, account_code: str, who: str) -> list[dict[str, Any]]:
    """Everything stored about one person (external id or e-mail): each subscription with its personal events."""
    exported = []
    for subscription, calendar_code in _of_person(session, account_code, who):
        row = export_row(subscription, calendar_code)
        row["ip_address"] = subscription.ip_address
        row["user_agent"] = subscription.user_agent
        row["referrer"] = subscription.referrer
        row["personal_events"] = [
            {"event_id": event.event_id, "title": event.title}
            for event in events.events_of_subscription(session=session, subscription_id=subscription.id)
        ]
        exported.append(row)
    return exported


def _without_personal_details(value: Any) -> Any:
    if isinstance(value, dict):
        return {
            key: None if key in PERSONAL_WEBHOOK_DETAILS else _without_personal_details(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [_without_personal_details(item) for item in value]
    return value


def _removals(messages: list[OutboxMessage]) -> dict[str, int]:
    """Per kind, the newest message if it is a removal still to be sent (queued, or failed and retryable)."""
    newest: dict[str, OutboxMessage] = {}
    for message in messages:
        newest[message.kind] = message
    return {
        kind: message.id
        for kind, message in newest.items()
        if message.topic in (REMOVAL_TOPIC, outbox.ERASURE_TOPIC)
        and message.status in (OutboxStatus.PENDING, OutboxStatus.FAILED)
    }


def _erase_deliveries(session: Session, subscription: Subscription) -> None:
    """Take the person out of the outbox and the webhook log, keeping only what must still be sent.

    Of the messages keyed by the subscription (Braze's), the removal that takes the person out of Braze goes
    out with the values it removes, after the changes still queued before it (they remove stale values the
    removal does not name); once it is delivered, the worker erases them all. Everything else is erased now,
    and a failed message is never sent. Webhooks about the subscription are still delivered, without the
    personal details; receivers' answers, which may echo those details, are forgotten.
    """
    keyed = outbox.messages_with_key(session=session, ordering_key=subscription.id)
    removals = _removals(keyed)
    for message in keyed:
        if message.id == removals.get(message.kind):
            outbox.erase_after_delivery(message=message)
        elif not (message.status == OutboxStatus.PENDING and message.kind in removals):
            outbox.withdraw(message=message)
    about = outbox.messages_with_value(
        session=session,
        account_id=subscription.account_id,
        kind=WEBHOOK_KIND,
        path=WEBHOOK_SUBSCRIPTION_PATH,
        value=subscription.id,
    )
    for message in about:
        outbox.scrub(message=message, payload=_without_personal_details(message.payload))
    webhooks.erase_responses(session=session, outbox_ids=[message.id for message in about])


def forget_person(*, session: Session, account_code: str, who: str) -> int:
    """Unsubscribe one person everywhere (Braze gets the removal) and erase what identifies them; the count.

    The outbox and the webhook log keep nothing of theirs but the Braze messages still to be sent, and those
    only until they are delivered.
    """
    found = _of_person(session, account_code, who)
    for subscription, _code in found:
        subscriptions.deactivate(
            session=session, subscription=subscription, reason_text="Personal data erased on request"
        )
        _erase_deliveries(session, subscription)
        for name in PERSONAL_FIELDS:
            setattr(subscription, name, None)
        session.execute(delete(PersonalEventTarget).where(PersonalEventTarget.subscription_id == subscription.id))
    session.flush()
    return len(found)


def subscriber_rows(
    *, session: Session, account_code: str, calendar_code: str | None = None
) -> Iterator[dict[str, Any]]:
    """Every subscription of the account (or one calendar), oldest first, as export rows."""
    account = accounts.get_account(session=session, code=account_code)
    query = (
        select(Subscription, Calendar.code)
        .join(Calendar, Calendar.id == Subscription.calendar_id)
        .where(Subscription.account_id == account.id)
        .options(selectinload(Subscription.tags))
        .order_by(Subscription.created_at, Subscription.id)
        .execution_options(yield_per=1000)
    )
    if calendar_code is not None:
        calendar = calendars.get_calendar(session=session, account_code=account_code, code=calendar_code)
        query = query.where(Subscription.calendar_id == calendar.id)
    for subscription, code in session.execute(query):
        yield export_row(subscription, str(code))
