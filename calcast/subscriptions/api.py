"""The Rokt subscriptions API: subscribe from the brand's app and deactivate (lookups: `calcast.subscribers`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from calcast.accounts.auth import AccountClient
from calcast.core.http import SessionDep, SettingsDep
from calcast.core.rest import ERROR_RESPONSES, JsonBodyRoute
from calcast.subscriptions import service
from calcast.subscriptions.capture import capture
from calcast.subscriptions.schemas import (
    SubscribedOut,
    SubscribeIn,
    UnsubscribedOut,
    UnsubscribeIn,
)

router = APIRouter(tags=["subscriptions"], route_class=JsonBodyRoute, responses=ERROR_RESPONSES)

CalendarCode = Annotated[str, Path(alias="calendarCode", max_length=64)]


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


@router.delete("/v1/subscription/{accountCode}/{calendarCode}", status_code=202, response_model=UnsubscribedOut)
def unsubscribe(
    body: UnsubscribeIn, calendar_code: CalendarCode, caller: AccountClient, session: SessionDep
) -> UnsubscribedOut:
    """Deactivate one subscription (`id`) or every active one of a `userName` on the calendar."""
    ended = service.unsubscribe(
        session=session,
        account_code=caller.account_code,
        calendar_code=calendar_code,
        subscription_id=body.id,
        subscriber_id=body.user_name,
        reason_id=None if body.unsubscribe_reason_id is None else str(body.unsubscribe_reason_id),
        reason_text=body.unsubscribe_reason_text,
    )
    return UnsubscribedOut(deactivated_subscription_ids=[subscription.id for subscription in ended])
