"""/v1/subscriptionevent and /v2/.../subscriptionevent: personal events, answered 202 once committed."""

from __future__ import annotations

from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path

from calcast.accounts.auth import AccountClient
from calcast.core.http import SessionDep
from calcast.core.rest import ERROR_RESPONSES, JsonBodyRoute
from calcast.events import service
from calcast.events.schemas import EventChangeOut, PushEventIn, UpdateEventIn

router = APIRouter(tags=["personal events"], route_class=JsonBodyRoute, responses=ERROR_RESPONSES)

EventIdPath = Annotated[str, Path(alias="eventId", max_length=255)]


@router.post("/v1/subscriptionevent/{accountCode}", status_code=202, response_model=EventChangeOut)
def push_event(body: PushEventIn, caller: AccountClient, session: SessionDep) -> EventChangeOut:
    """Create or update the event by eventId and add it to the listed subscriptions' feeds."""
    event = body.event.to_input()
    if body.action_type and not event.action_type:
        event = replace(event, action_type=body.action_type)
    change = service.push_event(
        session=session, account_id=caller.account_id, event=event, subscription_ids=body.subscription_ids
    )
    return EventChangeOut.of(change)


@router.post("/v1/subscriptionevent/{accountCode}/update", status_code=202, response_model=EventChangeOut)
def update_event(body: UpdateEventIn, caller: AccountClient, session: SessionDep) -> EventChangeOut:
    """Change the event in every subscription that holds it (404 for an unknown eventId)."""
    change = service.update_event(session=session, account_id=caller.account_id, event=body.event.to_input())
    return EventChangeOut.of(change)


@router.delete("/v1/subscriptionevent/{accountCode}/{eventId}", status_code=202, response_model=EventChangeOut)
def delete_event(event_id: EventIdPath, caller: AccountClient, session: SessionDep) -> EventChangeOut:
    """Remove the event from every feed."""
    return EventChangeOut.of(service.delete_event(session=session, account_id=caller.account_id, event_id=event_id))


@router.delete(
    "/v2/subscription/{accountCode}/{subscriptionId}/subscriptionevent/{eventId}",
    status_code=202,
    response_model=EventChangeOut,
)
def remove_event(
    subscription_id: Annotated[str, Path(alias="subscriptionId", max_length=64)],
    event_id: EventIdPath,
    caller: AccountClient,
    session: SessionDep,
) -> EventChangeOut:
    """Remove the event from one subscription's feed."""
    change = service.remove_event(
        session=session, account_id=caller.account_id, subscription_id=subscription_id, event_id=event_id
    )
    return EventChangeOut.of(change)
