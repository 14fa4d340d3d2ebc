"""Helpers for tests of the Rokt-compatible API: tokens, subscriptions, stored events."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import select

from calcast.core.db import Database
from calcast.events.models import PersonalEvent, PersonalEventTarget
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription
from tests.conftest import Persona


def token_of(client: TestClient, persona: Persona) -> str:
    """An access token fetched the way Braze's Connected Content does: Basic credentials, form body."""
    response = client.post("/oauth2/token", auth=persona.basic_auth, data={"grant_type": "client_credentials"})
    assert response.status_code == 200, response.text
    return str(response.json()["access_token"])


def bearer(client: TestClient, persona: Persona) -> dict[str, str]:
    return {"Authorization": f"Bearer {token_of(client, persona)}"}


def subscribe(database: Database, persona: Persona, subscriber_id: str) -> str:
    """A new subscription of the persona's calendar; returns its id."""
    with database.transaction() as session:
        done = subscriptions.subscribe(
            session=session,
            settings=database.settings,
            account_code=persona.account_code or "",
            calendar_code="main",
            details=subscriptions.SubscriberDetails(subscriber_id=subscriber_id),
        )
        return done.subscription.id


def event_body(event_id: str = "Event_0001_ext-42", **overrides: Any) -> dict[str, Any]:
    """The seed template's event as Braze renders it."""
    event: dict[str, Any] = {
        "eventId": event_id,
        "title": "Event Title",
        "description": "Event Description",
        "location": "Event Location",
        "start": "2019-02-21T15:00:00",
        "end": "2019-02-21T15:00:00",
        "timezone": "Eastern Standard Time",
        "notifyBefore": "15",
    }
    event.update(overrides)
    return event


def stored_event(database: Database, event_id: str) -> PersonalEvent | None:
    with database.sessions() as session:
        return session.scalar(select(PersonalEvent).where(PersonalEvent.event_id == event_id))


def targets_of(database: Database, event_id: str) -> set[str]:
    with database.sessions() as session:
        query = (
            select(PersonalEventTarget.subscription_id)
            .join(PersonalEvent, PersonalEvent.id == PersonalEventTarget.personal_event_id)
            .where(PersonalEvent.event_id == event_id)
        )
        return set(session.scalars(query))


def feed_version(database: Database, subscription_id: str) -> int:
    with database.sessions() as session:
        subscription = session.get(Subscription, subscription_id)
        assert subscription is not None
        return subscription.feed_version


def count_events(database: Database) -> int:
    with database.sessions() as session:
        return len(list(session.scalars(select(PersonalEvent.id))))
