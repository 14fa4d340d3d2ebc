"""CalDAV by push against a real Radicale: the account is checked before it is saved, calcast makes its own
calendar there, and the feed's events follow every change as `<UID>.ics` resources."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from calcast.core.db import Database
from calcast.push.models import ConnectionState, PushConnection, PushedEvent
from calcast.subscriptions.models import Subscription
from tests.conftest import Persona
from tests.push.conftest import braze_profile, connection, drain, local_time, manage_path, seed_send, tomorrow_at
from tests.support import braze_sync
from tests.support.radicale_server import Radicale, running_radicale

pytestmark = pytest.mark.slow

EXTERNAL_ID = "ext-77"
USER, PASSWORD = "anna@example.com", "app-password-1"


@pytest.fixture
def radicale(tmp_path: Path) -> Iterator[Radicale]:
    with running_radicale(tmp_path) as server:
        server.set_password(USER, PASSWORD)
        yield server


def connect_caldav(client: TestClient, path: str, server: Radicale, password: str = PASSWORD) -> tuple[int, str]:
    """The subscriber's walk: confirmation page → CalDAV form → Connect. The answer's status and text."""
    page = client.get(path + "/add")
    assert f'href="{path}/push/caldav"' in page.text
    form = client.get(path + "/push/caldav")
    assert form.status_code == 200
    token = re.search(r'name="form_token" value="([^"]+)"', form.text)
    assert token is not None
    answer = client.post(
        path + "/push/caldav",
        data={
            "form_token": token.group(1),
            "provider": "other",
            "server_url": server.url,
            "username": USER,
            "password": password,
        },
    )
    return answer.status_code, answer.text


def subscribed_by_caldav(database: Database, client: TestClient, server: Radicale) -> str:
    subscription_id = braze_sync.subscribe(database, subscriber_id=EXTERNAL_ID, tags=["Team I"]).subscription.id
    status, text = connect_caldav(client, manage_path(database.settings, subscription_id, database), server)
    assert status == 200, text
    assert "Your calendar is connected" in text
    return subscription_id


def the_collection(server: Radicale) -> Path:
    [collection] = server.collections(USER)
    return collection


def test_a_caldav_subscriber_gets_the_braze_event_and_every_change_in_calcasts_own_calendar(
    push_database: Database, owner: Persona, push_client: TestClient, radicale: Radicale
) -> None:
    subscription_id = subscribed_by_caldav(push_database, push_client, radicale)
    with push_database.sessions() as session:
        assert session.get_one(Subscription, subscription_id).method == "CalDAV"
    drain(push_database)
    collection = the_collection(radicale)
    assert radicale.items(collection) == {}
    assert "Owner Calendar" in (collection / ".Radicale.props").read_text(encoding="utf-8")

    profile = braze_profile(push_database, subscription_id, EXTERNAL_ID)
    start = tomorrow_at(15)
    end = local_time(start + timedelta(hours=1))
    seed_send(push_client, owner, profile, "new_event", eventStart=local_time(start), eventEnd=end)
    drain(push_database)
    [(name, text)] = radicale.items(collection).items()
    assert name.startswith("p-")
    assert name.endswith("@calcast.ics")
    assert "SUMMARY:Event Title" in text
    assert "TRIGGER:-PT15M" in text
    assert "Event Description" in text

    seed_send(
        push_client, owner, profile, "update_event",
        eventTitle="Sale moved", eventStart=local_time(start), eventEnd=end,
    )  # fmt: skip
    drain(push_database)
    [(same_name, text)] = radicale.items(collection).items()
    assert same_name == name
    assert "SUMMARY:Sale moved" in text

    braze_sync.change_tags(push_database, subscription_id, ["Team II"])
    drain(push_database)
    assert list(radicale.items(collection)) == [name]  # the personal event stays whatever the topics

    # A worker killed after the server stored an event and before calcast recorded it: the next sync writes the
    # same resource again (If-None-Match answers 412, the feed's version is put), never a second one.
    with push_database.transaction() as session:
        session.execute(delete(PushedEvent))
    braze_sync.change_tags(push_database, subscription_id, ["Team I"])
    drain(push_database)
    assert list(radicale.items(collection)) == [name]

    braze_sync.unsubscribe(push_database, subscription_id)
    drain(push_database)
    assert radicale.collections(USER) == []
    assert connection(push_database, subscription_id).state == ConnectionState.ENDED


def test_a_wrong_app_password_is_refused_before_anything_is_saved(
    push_database: Database, owner: Persona, push_client: TestClient, radicale: Radicale
) -> None:
    subscription_id = braze_sync.subscribe(push_database, subscriber_id=EXTERNAL_ID, tags=["Team I"]).subscription.id
    path = manage_path(push_database.settings, subscription_id, push_database)
    status, text = connect_caldav(push_client, path, radicale, password="not-the-password")
    assert status == 422
    assert "refused this user name and app password" in text
    with push_database.sessions() as session:
        assert session.scalar(select(PushConnection)) is None
        assert session.get_one(Subscription, subscription_id).method == "WebCal"


def test_a_revoked_app_password_ends_the_subscription(
    push_database: Database, owner: Persona, push_client: TestClient, radicale: Radicale
) -> None:
    subscription_id = subscribed_by_caldav(push_database, push_client, radicale)
    drain(push_database)
    radicale.set_password(USER, "a-new-password")
    profile = braze_profile(push_database, subscription_id, EXTERNAL_ID)
    start = tomorrow_at(9)
    seed_send(push_client, owner, profile, "new_event", eventStart=local_time(start), eventEnd=local_time(start))
    drain(push_database)
    with push_database.sessions() as session:
        subscription = session.get_one(Subscription, subscription_id)
        assert subscription.deactivation_reason_id == "push_access_revoked"
    stored = connection(push_database, subscription_id)
    assert stored.state == ConnectionState.ENDED
    assert stored.credential is None
