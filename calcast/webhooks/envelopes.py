"""Rokt's webhook envelopes for subscription and personal-event changes, queued in the outbox per endpoint.

`on_subscription_change` and `on_personal_event_change` are the webhooks' consumers of the domain's
changes (registered in `calcast/assembly.py`).
"""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import bindparam, select
from sqlalchemy.orm import Session

from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.engagement.changes import EventClicked
from calcast.events.changes import EventAttached, EventChanged, EventDeleted, EventDetached, PersonalEventChange
from calcast.events.models import PersonalEvent
from calcast.outbox import service as outbox
from calcast.subscriptions.changes import (
    SubscriptionChange,
    SubscriptionChanged,
    SubscriptionCreated,
    SubscriptionEnded,
)
from calcast.subscriptions.models import Subscription
from calcast.webhooks.endpoints import get_endpoint
from calcast.webhooks.models import EVENT_TYPES, KIND, WebhookEndpoint

_SUBSCRIPTION_TYPES: dict[type[SubscriptionChange], str] = {
    SubscriptionCreated: "Subscribe",
    SubscriptionChanged: "SubscriptionDetailsUpdated",
    SubscriptionEnded: "Unsubscribe",
}
_EVENT_TYPES: dict[type[PersonalEventChange], str] = {
    EventAttached: "SubscriptionEventAdded",
    EventChanged: "SubscriptionEventUpdated",
    EventDetached: "SubscriptionEventRemoved",
    EventDeleted: "SubscriptionEventDeleted",
}


def iso(moment: datetime | None) -> str | None:
    return moment.isoformat().replace("+00:00", "Z") if moment else None


# Built once and run as Core (no ORM objects): every personal event and subscription change asks it.
_ACCOUNT_ENDPOINTS = select(WebhookEndpoint.id, WebhookEndpoint.event_types).where(
    WebhookEndpoint.account_id == bindparam("account_id"), WebhookEndpoint.disabled_at.is_(None)
)


def _listeners(*, session: Session, account_id: str, event_type: str) -> list[str]:
    """The ids of the account's active endpoints that asked for this event type."""
    rows = session.connection().execute(_ACCOUNT_ENDPOINTS, {"account_id": account_id})
    return [endpoint_id for endpoint_id, event_types in rows if event_type in event_types]


def _queue(
    *,
    session: Session,
    account_id: str,
    event_type: str,
    envelopes: Sequence[dict[str, Any]],
    endpoints: Sequence[str],
) -> list[int]:
    return outbox.enqueue(
        session=session,
        messages=[
            outbox.NewMessage(
                account_id=account_id,
                kind=KIND,
                topic=event_type,
                payload={"endpoint_id": endpoint_id, "envelope": envelope},
            )
            for endpoint_id in endpoints
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
        "createdDateTimeUtc": iso(subscription.created_at),
        "isActive": subscription.deactivated_at is None,
    }


def on_subscription_change(session: Session, change: SubscriptionChange) -> None:
    """Queue Subscribe / SubscriptionDetailsUpdated / Unsubscribe for every endpoint that asked for it."""
    subscription = change.subscription
    event_type = _SUBSCRIPTION_TYPES[type(change)]
    endpoints = _listeners(session=session, account_id=subscription.account_id, event_type=event_type)
    if not endpoints:
        return
    details: dict[str, Any] = {
        "actionType": subscription.action_type or "SubscriptionViaCalendarPage",
        "calendarSubscriptionId": subscription.id,
        **_account_details(session=session, account_id=subscription.account_id),
        "subscription": subscription_object(session=session, subscription=subscription),
    }
    if isinstance(change, SubscriptionEnded):
        details.update(
            removedDateTimeUtc=iso(subscription.deactivated_at),
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
        "startDateTimeUtc": iso(event.start_at),
        "endDateTimeUtc": iso(event.end_at),
        "timezoneIanaId": event.timezone,
        "allDayEvent": bool(event.all_day),
        "notifyBefore": event.notify_before,
        "visibleFromDateTimeUtc": iso(event.visible_from),
        "sequence": event.sequence,
    }


def on_personal_event_change(session: Session, change: PersonalEventChange) -> None:
    """Queue SubscriptionEventAdded/Updated/Removed/Deleted for the subscriptions the change reaches.

    A deleted event is gone from the database: its webhook carries only the eventId.
    """
    event = getattr(change, "event", None)
    queue_event_change(
        session=session,
        account_id=change.account_id,
        event_type=_EVENT_TYPES[type(change)],
        subscription_ids=change.subscription_ids,
        event=personal_event_object(event) if event is not None else {"eventId": change.event_id},
        action_type=event.action_type if event is not None else None,
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


def on_event_clicked(session: Session, change: EventClicked) -> None:
    """Queue EventClicked (calcast's addition to Rokt's types): a person's first click on an event's link."""
    endpoints = _listeners(session=session, account_id=change.account_id, event_type="EventClicked")
    if not endpoints:
        return
    calendar = calendars.get_calendar_by_id(session=session, calendar_id=change.calendar_id)
    envelope = {
        "eventId": str(uuid.uuid4()),
        "eventType": "EventClicked",
        "eventDetails": {
            "actionType": "EventClicked",
            "calendarSubscriptionId": change.subscription_id,
            **_account_details(session=session, account_id=change.account_id),
            "calendarId": calendar.id,
            "calendarCode": calendar.code,
            "calendarTitle": calendar.title,
            "event": {"eventId": change.event_id, "kind": change.event_kind, "title": change.title},
            "link": change.link,
            "clickedDateTimeUtc": iso(change.clicked_at),
        },
    }
    _queue(
        session=session,
        account_id=change.account_id,
        event_type="EventClicked",
        envelopes=[envelope],
        endpoints=endpoints,
    )


def queue_test(*, session: Session, endpoint_id: str, account_code: str | None = None) -> int:
    """Queue a `Test` event with dummy details for one endpoint; returns its outbox id."""
    endpoint = get_endpoint(session=session, endpoint_id=endpoint_id, account_code=account_code)
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
        session=session,
        account_id=endpoint.account_id,
        event_type="Test",
        envelopes=[envelope],
        endpoints=[endpoint.id],
    )
    return ids[0]
