"""The Rokt subscriptions API: deactivate (subscribing, which may connect a calendar by push: `calcast.push.api`;
lookups: `calcast.subscribers`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Path

from calcast.accounts.auth import AccountClient
from calcast.core.http import SessionDep
from calcast.core.rest import ERROR_RESPONSES, JsonBodyRoute
from calcast.subscriptions import service
from calcast.subscriptions.schemas import UnsubscribedOut, UnsubscribeIn

router = APIRouter(tags=["subscriptions"], route_class=JsonBodyRoute, responses=ERROR_RESPONSES)

CalendarCode = Annotated[str, Path(alias="calendarCode", max_length=64)]


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
