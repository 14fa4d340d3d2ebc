"""A consumer registered at assembly hears every change the domain records, inside the change's transaction."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from calcast import assembly
from calcast.app import create_app
from calcast.core.changes import Change
from calcast.core.db import Database
from calcast.events.changes import EventAttached, EventChanged, EventDeleted, EventDetached
from calcast.outbox.models import OutboxMessage
from calcast.subscriptions.changes import SubscriptionChanged, SubscriptionCreated, SubscriptionEnded
from tests.conftest import Persona

EVENT = {
    "eventId": "kickoff",
    "title": "Kick-off",
    "start": "2031-05-01T18:00:00",
    "end": "2031-05-01T20:00:00",
    "timezone": "Europe/Berlin",
}


@pytest.fixture
def heard(database: Database) -> Iterator[tuple[list[Change], TestClient]]:
    """The application with one more consumer: a test's own, which records every change it hears."""
    changes: list[Change] = []
    consumers = assembly.consumers()
    consumers.on(Change, lambda _session, change: changes.append(change))
    listening = Database(database.settings, consumers)
    with TestClient(create_app(listening.settings, listening), raise_server_exceptions=False) as client:
        yield changes, client
    listening.dispose()


def test_it_tells_a_new_consumer_of_subscribe_event_changes_and_unsubscribe(
    heard: tuple[list[Change], TestClient], owner: Persona
) -> None:
    changes, client = heard
    subscribed = client.post(
        "/v2/subscribe/owner/main", json={"subscriberId": "fan-1", "tags": ["Team I"]}, auth=owner.basic_auth
    )
    assert subscribed.status_code == 200, subscribed.text
    subscription_id = subscribed.json()["subscriptionId"]
    pushed = client.post(
        "/v1/subscriptionevent/owner",
        json={"event": EVENT, "subscriptionIds": [subscription_id]},
        auth=owner.basic_auth,
    )
    assert pushed.status_code == 202, pushed.text
    moved = client.post(
        "/v1/subscriptionevent/owner/update",
        json={"event": {**EVENT, "title": "Kick-off, moved"}},
        auth=owner.basic_auth,
    )
    assert moved.status_code == 202, moved.text
    detached = client.delete(
        f"/v2/subscription/owner/{subscription_id}/subscriptionevent/kickoff", auth=owner.basic_auth
    )
    assert detached.status_code == 202, detached.text
    deleted = client.delete("/v1/subscriptionevent/owner/kickoff", auth=owner.basic_auth)
    assert deleted.status_code == 202, deleted.text
    ended = client.request("DELETE", "/v1/subscription/owner/main", json={"id": subscription_id}, auth=owner.basic_auth)
    assert ended.status_code == 202, ended.text

    assert [type(change) for change in changes] == [
        SubscriptionCreated,
        EventAttached,
        EventChanged,
        EventDetached,
        EventDeleted,
        SubscriptionEnded,
    ]
    attached = changes[1]
    assert isinstance(attached, EventAttached)
    assert attached.subscription_ids == (subscription_id,)
    assert attached.event.title == "Kick-off"
    created = changes[0]
    assert isinstance(created, SubscriptionCreated)
    assert created.subscription.id == subscription_id


def test_a_change_and_what_its_consumers_queued_are_rolled_back_together(database: Database, owner: Persona) -> None:
    consumers = assembly.consumers()

    def refuse(_session: object, change: SubscriptionCreated) -> None:
        raise RuntimeError("this consumer fails")

    consumers.on(SubscriptionCreated, refuse)
    failing = Database(database.settings, consumers)
    with TestClient(create_app(failing.settings, failing), raise_server_exceptions=False) as client:
        answer = client.post("/v2/subscribe/owner/main", json={"subscriberId": "fan-2"}, auth=owner.basic_auth)
    failing.dispose()
    assert answer.status_code == 500
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(OutboxMessage)) == 0


def test_changes_of_one_kind_reach_only_their_consumers(database: Database, owner: Persona) -> None:
    tags_changed: list[Change] = []
    consumers = assembly.consumers()
    consumers.on(SubscriptionChanged, lambda _session, change: tags_changed.append(change))
    listening = Database(database.settings, consumers)
    with TestClient(create_app(listening.settings, listening), raise_server_exceptions=False) as client:
        client.post("/v2/subscribe/owner/main", json={"subscriberId": "fan-3"}, auth=owner.basic_auth)
    listening.dispose()
    assert tags_changed == []
