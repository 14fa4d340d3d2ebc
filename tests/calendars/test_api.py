"""GET /v1/calendar/{accountCode}/{calendarCode}/events: broadcast events, paged, in Rokt's shape."""

from __future__ import annotations

from fastapi.testclient import TestClient

from calcast.calendars import service as calendars
from calcast.core.db import Database
from tests.conftest import Persona
from tests.rokt_api import bearer


def add(database: Database, title: str, day: int, tags: tuple[str, ...] = ()) -> None:
    with database.transaction() as session:
        calendars.add_broadcast_event(
            session=session,
            account_code="owner",
            calendar_code="main",
            event=calendars.BroadcastEventInput(
                title=title,
                start=f"2030-01-{day:02d}T15:00",
                end=f"2030-01-{day:02d}T17:00",
                timezone="Eastern Standard Time",
                tags=tags,
                notify_before=30,
            ),
        )


def test_it_pages_the_calendars_events_by_start(client: TestClient, database: Database, owner: Persona) -> None:
    for day in (5, 3, 4, 1, 2):
        add(database, f"Match {day}", day, ("Team I",) if day == 1 else ())
    headers = bearer(client, owner)
    first = client.get("/v1/calendar/owner/main/events?pageSize=2", headers=headers).json()
    assert [event["title"] for event in first["events"]] == ["Match 1", "Match 2"]
    assert (first["page"], first["pageSize"], first["total"]) == (1, 2, 5)
    match = first["events"][0]
    assert match["startDateTimeLocal"] == "2030-01-01T15:00:00"
    assert match["startDateTimeUtc"].startswith("2030-01-01T20:00:00")
    assert match["timezoneIanaId"] == "America/New_York"
    assert match["timezoneBclId"] == "Eastern Standard Time"
    assert match["reminderMinutes"] == 30
    assert [tag["text"] for tag in match["calendarTags"]] == ["Team I"]
    last = client.get("/v1/calendar/owner/main/events?page=3&pageSize=2", headers=headers).json()
    assert [event["title"] for event in last["events"]] == ["Match 5"]


def test_another_accounts_calendar_is_403_and_an_unknown_one_404(
    client: TestClient, database: Database, owner: Persona, other: Persona
) -> None:
    headers = bearer(client, owner)
    assert client.get("/v1/calendar/other/main/events", headers=headers).status_code == 403
    assert client.get("/v1/calendar/owner/nope/events", headers=headers).status_code == 404
    assert client.get("/v1/calendar/owner/main/events?pageSize=0", headers=headers).status_code == 422
