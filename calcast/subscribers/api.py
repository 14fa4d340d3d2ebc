"""The Rokt API's subscription lookups: a subscription with its calendar, tags and personal events."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path
from sqlalchemy.orm import Session

from calcast.accounts.auth import AccountClient, CurrentClient
from calcast.calendars import service as calendars
from calcast.core.config import Settings
from calcast.core.http import SessionDep, SettingsDep
from calcast.core.rest import ERROR_RESPONSES, JsonBodyRoute
from calcast.events import service as events
from calcast.subscriptions import service
from calcast.subscriptions.models import Subscription
from calcast.subscriptions.schemas import CalendarRef, EventRef, SubscriptionOut, TagRef

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
