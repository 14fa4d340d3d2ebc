"""GET /v1/timezones lists what the event API accepts."""

from __future__ import annotations

from fastapi.testclient import TestClient

from calcast.core.db import Database


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
