"""GET /v1/timezones lists what the event API accepts."""

from __future__ import annotations

from collections.abc import Iterator
from zoneinfo import available_timezones

import pytest
from fastapi.testclient import TestClient

from calcast.core.db import Database
from tests.conftest import Persona
from tests.rokt_api import bearer, count_events, event_body, subscribe


def test_it_lists_windows_names_with_iana_ids_and_offsets(client: TestClient, database: Database) -> None:
    response = client.get("/v1/timezones")
    assert response.status_code == 200
    zones = response.json()
    by_windows = {zone["windowsName"]: zone for zone in zones if zone["windowsName"]}
    assert by_windows["Eastern Standard Time"]["ianaId"] == "America/New_York"
    assert by_windows["Eastern Standard Time"]["utcOffsetMinutes"] in (-300, -240)
    assert by_windows["AUS Eastern Standard Time"]["ianaId"] == "Australia/Sydney"
    assert by_windows["India Standard Time"]["ianaId"] == "Asia/Kolkata"
    iana = {zone["ianaId"] for zone in zones}
    assert {"Europe/Berlin", "America/Argentina/Salta", "UTC"} <= iana
    assert len(zones) > 300


def test_every_listed_name_is_accepted_by_the_event_api(client: TestClient, database: Database) -> None:
    from calcast.timezones import service

    for zone in client.get("/v1/timezones").json():
        assert service.resolve(zone["windowsName"] or zone["ianaId"])


@pytest.fixture
def zone_tree_copies(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """A host whose zoneinfo directory also holds right/ and posix/ copies of the tree (as many Linux hosts do)."""
    from calcast.timezones import service

    real = available_timezones()
    copies = {"right/America/New_York", "posix/Europe/Berlin", "right/UTC"}
    monkeypatch.setattr(service, "available_timezones", lambda: real | copies)
    service._iana_names.cache_clear()
    service._lookup.cache_clear()
    yield
    service._iana_names.cache_clear()
    service._lookup.cache_clear()


@pytest.mark.usefixtures("zone_tree_copies")
@pytest.mark.parametrize(
    "name", ["localtime", "Factory", "posixrules", "right/America/New_York", "posix/Europe/Berlin", "right/UTC"]
)
@pytest.mark.parametrize("field", ["timezone", "timezoneIanaId"])
def test_host_files_and_copies_of_the_zone_tree_are_refused_as_time_zones(
    client: TestClient, database: Database, owner: Persona, name: str, field: str
) -> None:
    subscription_id = subscribe(database, owner, "ext-42")
    body = {"event": event_body(**{field: name}), "subscriptionIds": [subscription_id]}
    response = client.post("/v1/subscriptionevent/owner", json=body, headers=bearer(client, owner))
    assert response.status_code == 422, response.text
    assert "GET /v1/timezones" in response.json()["Reason"]
    assert count_events(database) == 0
    assert name not in {zone["ianaId"] for zone in client.get("/v1/timezones").json()}


@pytest.mark.usefixtures("zone_tree_copies")
def test_real_iana_names_and_windows_names_are_still_accepted(client: TestClient, database: Database) -> None:
    from calcast.timezones import service

    assert service.resolve("America/New_York") == "America/New_York"
    assert service.resolve("US/Eastern") == "US/Eastern"
    assert service.resolve("Etc/GMT+5") == "Etc/GMT+5"
    assert service.resolve("W. Europe Standard Time") == "Europe/Berlin"
