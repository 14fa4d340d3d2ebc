"""Click-tracking helpers: a subscription with an event link, its feed fetched by a calendar app, clicks."""

from __future__ import annotations

import time
from collections.abc import Callable
from typing import Any

import icalendar
import pytest
from fastapi.testclient import TestClient
from httpx2 import Response
from sqlalchemy import select

from calcast.core.db import Database
from calcast.engagement.models import Click
from tests.conftest import Persona
from tests.feeds.conftest import Feed, World

TICKETS = "https://tickets.example.com/match?id=7&utm_source=calendar"
# A calendar app fetching the feed, and a person's browser opening a link from it (another client family).
APPLE_CALENDAR = "iOS/17.4 (21E219) dataaccessd/1.0"
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
BASE = "https://calcast.test"


@pytest.fixture
def world(database: Database, owner: Persona) -> World:
    return World(database, owner)


def fetch(client: TestClient, feed: Feed, user_agent: str = APPLE_CALENDAR) -> bytes:
    answer = client.get(feed.path, headers={"User-Agent": user_agent})
    assert answer.status_code == 200, answer.text
    return answer.content


def fetch_within_a_second(client: TestClient, feed: Feed, changed: Callable[[bytes], bool]) -> bytes:
    """The feed once it shows a change committed elsewhere (the CLI): every server process serves it within 1 s."""
    deadline = time.monotonic() + 1.5
    while True:
        body = fetch(client, feed)
        if changed(body) or time.monotonic() > deadline:
            return body
        time.sleep(0.05)


def event_urls(body: bytes) -> dict[str, str]:
    """Each event's URL property, by title."""
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["SUMMARY"]): str(event["URL"]) for event in calendar.walk("VEVENT") if "URL" in event}


def event_descriptions(body: bytes) -> dict[str, str]:
    calendar = icalendar.Calendar.from_ical(body)
    return {str(event["SUMMARY"]): str(event.get("DESCRIPTION", "")) for event in calendar.walk("VEVENT")}


def path_of(tracked: str) -> str:
    assert tracked.startswith(f"{BASE}/r/"), tracked
    return tracked.removeprefix(BASE)


def click(client: TestClient, path: str, user_agent: str = SAFARI, method: str = "GET", **options: Any) -> Response:
    """Open a tracked link; the click is then written, as the server does within a second (`test_recorder`)."""
    answer = client.request(method, path, headers={"User-Agent": user_agent}, follow_redirects=False, **options)
    written(client)
    return answer


def written(client: TestClient) -> None:
    """Write the clicks the server counted and has not written yet."""
    assert client.app.state.clicks.flush()  # type: ignore[attr-defined]


def clicks(database: Database) -> list[Click]:
    with database.sessions() as session:
        return list(session.scalars(select(Click).order_by(Click.id)))
