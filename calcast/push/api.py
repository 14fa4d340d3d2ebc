"""`POST /v2/subscribe`: subscribe from the brand's own app, by feed or, with a Rokt-style `authCode` + `redirectTo`,
by push into the subscriber's Google or Microsoft calendar.

The route lives here rather than in `calcast.subscriptions` because push builds on subscriptions, not the reverse.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from fastapi.responses import JSONResponse

from calcast.accounts.auth import AccountClient
from calcast.core.config import Settings
from calcast.core.errors import FieldError, Invalid
from calcast.core.http import SessionDep, SettingsDep, error_response
from calcast.core.rest import ERROR_RESPONSES, JsonBodyRoute
from calcast.push import service
from calcast.push.models import Provider
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.capture import capture
from calcast.subscriptions.schemas import SubscribedOut, SubscribeIn

router = APIRouter(tags=["subscriptions"], route_class=JsonBodyRoute, responses=ERROR_RESPONSES)

CalendarCode = Annotated[str, Path(alias="calendarCode", max_length=64)]
# How long a caller waits before trying again when the provider could not be reached.
RETRY_SECONDS = "30"


def _details(body: SubscribeIn, settings: Settings) -> subscriptions.SubscriberDetails:
    return subscriptions.SubscriberDetails(
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


def _push_provider(body: SubscribeIn) -> Provider | None:
    """The provider to connect when the body carries an authorization code; None for a feed subscription."""
    if not body.auth_code and not body.redirect_to:
        return None
    if not body.auth_code or not body.redirect_to:
        message = "authCode and redirectTo go together: send both to subscribe by push, or neither."
        raise Invalid(message, [FieldError("authCode" if not body.auth_code else "redirectTo", message)])
    provider = service.PROVIDER_OF_METHOD.get(str(body.subscription_method or ""))
    if provider is None:
        message = "An authCode needs subscriptionMethod Google or Microsoft (the provider that issued it)."
        raise Invalid(message, [FieldError("subscriptionMethod", message)])
    return provider


@router.post("/v2/subscribe/{accountCode}/{calendarCode}", response_model=SubscribedOut)
def subscribe(
    body: SubscribeIn,
    calendar_code: CalendarCode,
    caller: AccountClient,
    session: SessionDep,
    settings: SettingsDep,
) -> SubscribedOut | JSONResponse:
    """Subscribe someone from the brand's own app; the same subscriber on the same calendar gets theirs back.

    With `subscriptionMethod` Google or Microsoft, `authCode` and `redirectTo`, calcast exchanges the code
    (redirect URI = `redirectTo`, which must be allowed by CALCAST_PUSH_REDIRECT_ORIGINS) and writes the events into
    a calendar of its own in the subscriber's account. A refused code (422) or an unreachable provider (503) stores
    nothing: neither the subscription nor the connection.
    """
    details = _details(body, settings)
    provider = _push_provider(body)
    if provider is None:
        done = subscriptions.subscribe(
            session=session,
            settings=settings,
            account_code=caller.account_code,
            calendar_code=calendar_code,
            details=details,
        )
    else:
        try:
            done = service.subscribe_with_code(
                session=session,
                settings=settings,
                account_code=caller.account_code,
                calendar_code=calendar_code,
                details=details,
                provider=provider,
                code=body.auth_code or "",
                redirect_to=body.redirect_to or "",
            )
        except service.ProviderUnavailable as error:
            return error_response(503, error.message, headers={"Retry-After": RETRY_SECONDS})
    return SubscribedOut(
        subscription_id=done.subscription.id,
        subscription_url=subscriptions.feed_url(settings, done.subscription),
        webcal_url=subscriptions.webcal_url(settings, done.subscription),
        manage_url=subscriptions.manage_url(settings, done.subscription),
        is_new_subscription=done.is_new,
        subscriber_id=done.subscription.subscriber_id,
        redirect_to=body.redirect_to if provider is not None else None,
        push_method=service.METHOD_OF[provider] if provider is not None else None,
    )
