"""The Rokt subscriptions API: subscribe from the brand's app, look subscriptions up, deactivate them."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy.orm import Session

from calcast.accounts.auth import AccountClient, CurrentClient
from calcast.calendars import service as calendars
from calcast.core.config import Settings
from calcast.core.errors import FieldError, Invalid, NotFound
from calcast.core.http import SessionDep, SettingsDep
from calcast.core.rest import ERROR_RESPONSES, JsonBodyRoute
from calcast.events import service as events
from calcast.subscriptions import service
from calcast.subscriptions.capture import capture
from calcast.subscriptions.models import Subscription
from calcast.subscriptions.schemas import (
    CalendarRef,
    EventRef,
    SubscribedOut,
    SubscribeIn,
    SubscriptionOut,
    TagRef,
    UnsubscribedOut,
    UnsubscribeIn,
)

router = APIRouter(tags=["subscriptions"], route_class=JsonBodyRoute, responses=ERROR_RESPONSES)

CalendarCode = Annotated[str, Path(alias="calendarCode", max_length=64)]


def subscription_out(session: Session, settings: Settings, subscription: Subscription) -> SubscriptionOut:
    calendar = calendars.get_calendar_by_id(session=session, calendar_id=subscription.calendar_id)
    held = events.events_of_subscription(session=session, subscription_id=subscription.id)
    return SubscriptionOut(
        subscription_id=subscription.id,
        calendar=CalendarRef(id=calendar.id, code=calendar.code, name=calendar.title),
        tags=[TagRef(id=tag.id, name=tag.name) for tag in subscription.tags],
        subscription_type=subscription.method,
        subscriber_id=subscription.subscriber_id,
        email_address=subscription.email,
        created_at=subscription.created_at,
        is_active=subscription.is_active,
        deactivated_date=subscription.deactivated_at,
        subscription_url=service.feed_url(settings, subscription),
        events=[EventRef(id=event.id, name=event.title, external_id=event.event_id) for event in held],
    )


@router.post("/v2/subscribe/{accountCode}/{calendarCode}", response_model=SubscribedOut)
def subscribe(
    body: SubscribeIn,
    calendar_code: CalendarCode,
    caller: AccountClient,
    session: SessionDep,
    settings: SettingsDep,
) -> SubscribedOut:
    """Subscribe someone from the brand's own app; the same subscriber on the same calendar gets theirs back."""
    details = service.SubscriberDetails(
        subscriber_id=body.subscriber_id or body.user_name,
        email=body.email_address,
        tags=body.tag_names(),
        opt_in1=body.marketing_allowed,
        opt_in2=body.additional_opt_in,
        method=str(body.subscription_method or "WebCal"),
        action_type=body.action_type or "SubscriptionViaWebApi",
        capture=capture(
            user_agent=body.user_agent,
            ip_address=body.ip_address,
            referrer=body.url_referrer,
            utm_source=body.utm_source,
            utm_medium=body.utm_medium,
            utm_campaign=body.utm_campaign,
            utm_content=body.utm_content,
            keep_full_ip=settings.keep_full_ip,
        ),
    )
    done = service.subscribe(
        session=session,
        settings=settings,
        account_code=caller.account_code,
        calendar_code=calendar_code,
        details=details,
    )
    return SubscribedOut(
        subscription_id=done.subscription.id,
        subscription_url=service.feed_url(settings, done.subscription),
        webcal_url=service.webcal_url(settings, done.subscription),
        manage_url=service.manage_url(settings, done.subscription),
        is_new_subscription=done.is_new,
        subscriber_id=done.subscription.subscriber_id,
    )


@router.get("/v1/subscription/{subscriptionId}", response_model=SubscriptionOut)
def get_subscription(
    subscription_id: Annotated[str, Path(alias="subscriptionId", max_length=64)],
    caller: CurrentClient,
    session: SessionDep,
    settings: SettingsDep,
) -> SubscriptionOut:
    """One subscription of the caller's account, with its calendar, tags and personal events."""
    subscription = service.get_subscription(
        session=session, subscription_id=subscription_id, account_id=caller.account_id
    )
    return subscription_out(session, settings, subscription)


@router.get("/v1/subscription/{accountCode}/{calendarCode}/{userName}", response_model=list[SubscriptionOut])
def subscriptions_of_subscriber(
    calendar_code: CalendarCode,
    user_name: Annotated[str, Path(alias="userName", max_length=320)],
    caller: AccountClient,
    session: SessionDep,
    settings: SettingsDep,
) -> list[SubscriptionOut]:
    """Every subscription (active or not) of a subscriber id or e-mail on the calendar, oldest first."""
    found = service.find_by_subscriber(
        session=session, account_code=caller.account_code, calendar_code=calendar_code, subscriber_id=user_name
    )
    return [subscription_out(session, settings, subscription) for subscription in found]


@router.delete("/v1/subscription/{accountCode}/{calendarCode}", status_code=202, response_model=UnsubscribedOut)
def unsubscribe(
    body: UnsubscribeIn, calendar_code: CalendarCode, caller: AccountClient, session: SessionDep
) -> UnsubscribedOut:
    """Deactivate one subscription (`id`) or every active one of a `userName` on the calendar."""
    calendar = calendars.get_calendar(session=session, account_code=caller.account_code, code=calendar_code)
    if body.id:
        targets = [service.get_subscription(session=session, subscription_id=body.id, account_id=caller.account_id)]
        if targets[0].calendar_id != calendar.id:
            raise NotFound(f"The calendar {calendar_code!r} has no subscription {body.id!r}.")
    elif body.user_name:
        found = service.find_by_subscriber(
            session=session,
            account_code=caller.account_code,
            calendar_code=calendar_code,
            subscriber_id=body.user_name,
        )
        targets = [subscription for subscription in found if subscription.is_active]
        if not found:
            raise NotFound(f"The calendar {calendar_code!r} has no subscription of {body.user_name!r}.")
    else:
        message = "Say which subscription to end: give its id, or the userName whose subscriptions should end."
        raise Invalid(message, [FieldError("id", message)])
    reason_id = None if body.unsubscribe_reason_id is None else str(body.unsubscribe_reason_id)
    for subscription in targets:
        service.deactivate(
            session=session,
            subscription=subscription,
            reason_id=reason_id,
            reason_text=body.unsubscribe_reason_text,
        )
    return UnsubscribedOut(deactivated_subscription_ids=[subscription.id for subscription in targets])
