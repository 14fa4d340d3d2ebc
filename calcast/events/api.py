"""/v1/subscriptionevent and /v2/.../subscriptionevent: personal events, answered 202 once committed."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from typing import Annotated

from fastapi import APIRouter, Path, Request, Response
from sqlalchemy.orm import Session

from calcast.accounts.auth import AccountCode, Credentials, PresentedCredentials, account_caller
from calcast.core.http import database
from calcast.core.rest import ERROR_RESPONSES, JsonBodyRoute
from calcast.events import service
from calcast.events.schemas import EventChangeOut, PushEventIn, UpdateEventIn

router = APIRouter(tags=["personal events"], route_class=JsonBodyRoute, responses=ERROR_RESPONSES)

EventIdPath = Annotated[str, Path(alias="eventId", max_length=255)]


@contextmanager
def _account_transaction(
    request: Request, credentials: Credentials, account_code: str
) -> Iterator[tuple[Session, str]]:
    """The request's transaction and the caller's account id, authenticated inside it.

    These routes take no session dependency: authentication, the change and its commit run in the route's one
    worker-thread hop (as the feed route does), and the answer is sent only once the change is committed.
    """
    with database(request).transaction() as session:
        caller = account_caller(session=session, credentials=credentials, account_code=account_code)
        yield session, caller.account_id


def _answer(change: service.EventChange) -> Response:
    """202 with the summary, serialized once here (FastAPI would validate the returned model again)."""
    return Response(EventChangeOut.of(change).model_dump_json(), status_code=202, media_type="application/json")


@router.post("/v1/subscriptionevent/{accountCode}", status_code=202, response_model=EventChangeOut)
def push_event(
    body: PushEventIn, credentials: PresentedCredentials, account_code: AccountCode, request: Request
) -> Response:
    """Create or update the event by eventId and add it to the listed subscriptions' feeds."""
    event = body.event.to_input()
    if body.action_type and not event.action_type:
        event = replace(event, action_type=body.action_type)
    with _account_transaction(request, credentials, account_code) as (session, account_id):
        change = service.push_event(
            session=session,
            account_id=account_id,
            event=event,
            subscription_ids=body.subscription_ids,
            feed_window_days=database(request).settings.feed_window_days,
        )
    return _answer(change)


@router.post("/v1/subscriptionevent/{accountCode}/update", status_code=202, response_model=EventChangeOut)
def update_event(
    body: UpdateEventIn, credentials: PresentedCredentials, account_code: AccountCode, request: Request
) -> Response:
    """Change the event in every subscription that holds it (404 for an unknown eventId)."""
    with _account_transaction(request, credentials, account_code) as (session, account_id):
        change = service.update_event(
            session=session,
            account_id=account_id,
            event=body.event.to_input(),
            feed_window_days=database(request).settings.feed_window_days,
        )
    return _answer(change)


@router.delete("/v1/subscriptionevent/{accountCode}/{eventId}", status_code=202, response_model=EventChangeOut)
def delete_event(
    event_id: EventIdPath, credentials: PresentedCredentials, account_code: AccountCode, request: Request
) -> Response:
    """Remove the event from every feed."""
    with _account_transaction(request, credentials, account_code) as (session, account_id):
        change = service.delete_event(session=session, account_id=account_id, event_id=event_id)
    return _answer(change)


@router.delete(
    "/v2/subscription/{accountCode}/{subscriptionId}/subscriptionevent/{eventId}",
    status_code=202,
    response_model=EventChangeOut,
)
def remove_event(
    subscription_id: Annotated[str, Path(alias="subscriptionId", max_length=64)],
    event_id: EventIdPath,
    credentials: PresentedCredentials,
    account_code: AccountCode,
    request: Request,
) -> Response:
    """Remove the event from one subscription's feed."""
    with _account_transaction(request, credentials, account_code) as (session, account_id):
        change = service.remove_event(
            session=session, account_id=account_id, subscription_id=subscription_id, event_id=event_id
        )
    return _answer(change)
