"""A push method is offered only when its settings are there; its pages refuse links that are not genuine."""

from __future__ import annotations

from fastapi.testclient import TestClient

from calcast.core.db import Database
from calcast.subscriptions import service as subscriptions
from tests.conftest import Persona
from tests.support import braze_sync


def test_without_google_or_microsoft_settings_only_caldav_is_offered(
    client: TestClient, database: Database, owner: Persona
) -> None:
    subscription = braze_sync.subscribe(database, subscriber_id="ext-1", tags=["Team I"]).subscription
    path = subscriptions.manage_url(database.settings, subscription).removeprefix(database.settings.base_url)
    page = client.get(path + "/add").text
    assert f'href="{path}/push/caldav"' in page
    assert "/push/google" not in page
    assert "/push/microsoft" not in page
    assert client.get(path + "/push/google", follow_redirects=False).status_code == 404
    assert client.get(path + "/push/microsoft", follow_redirects=False).status_code == 404
    assert client.get(path + "/push/caldav").status_code == 200


def test_a_forged_manage_link_or_state_gets_the_bad_link_page(
    client: TestClient, database: Database, owner: Persona
) -> None:
    subscription = braze_sync.subscribe(database, subscriber_id="ext-1", tags=["Team I"]).subscription
    forged = f"/manage/{subscription.id}/not-the-token/push/caldav"
    assert client.get(forged).status_code == 404
    assert client.post(forged, data={"username": "a", "password": "b"}).status_code == 404
    callback = client.get(f"/push/google/callback?code=x&state={subscription.id}.1.2.3")
    assert callback.status_code == 404
    assert "not valid" in callback.text
