"""The welcome event: a new subscriber finds it in their feed right after subscribing, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Any

import icalendar
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from calcast.calendars import service as calendars
from calcast.core.db import Database
from calcast.events.models import PersonalEvent
from calcast.feeds import service as feeds
from calcast.feeds.cache import FeedRuntime
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription
from tests.conftest import Cli, Persona
from tests.rokt_api import bearer

WELCOME = calendars.WelcomeEvent(
    title="Welcome aboard!",
    description="Your match days will appear here.",
    url="https://brand.example/welcome",
    after_minutes=5,
    duration_minutes=30,
)


@pytest.fixture
def headers(client: TestClient, owner: Persona) -> dict[str, str]:
    return bearer(client, owner)


def set_welcome(database: Database, welcome: calendars.WelcomeEvent | None) -> None:
    with database.transaction() as session:
        calendars.set_welcome_event(session=session, account_code="owner", code="main", welcome=welcome)


def subscribe(client: TestClient, headers: dict[str, str], subscriber_id: str) -> dict[str, Any]:
    """Subscribe through the brand's API; the answer has subscriptionId and subscriptionUrl."""
    response = client.post("/v2/subscribe/owner/main", json={"subscriberId": subscriber_id}, headers=headers)
    assert response.status_code == 200, response.text
    return dict(response.json())


def token_of(answer: dict[str, Any]) -> str:
    return str(answer["subscriptionUrl"]).rsplit("/", 1)[1]


def events_in(client: TestClient, token: str) -> list[icalendar.cal.Component]:
    """The VEVENTs a calendar app gets when it polls the feed now."""
    response = client.get(f"/webcal/{token}")
    assert response.status_code == 200, response.text
    return icalendar.Calendar.from_ical(response.content).walk("VEVENT")


def summaries_at(database: Database, token: str, at: datetime) -> list[str]:
    """The event titles of the feed as it is rendered at the moment `at` (time is an input of the feed)."""
    with database.transaction() as session:
        answer = feeds.fetch_feed(
            session=session,
            settings=database.settings,
            runtime=FeedRuntime.create(1 << 20),
            token=token,
            now=at,
        )
    assert answer.feed is not None
    calendar = icalendar.Calendar.from_ical(answer.feed.body)
    return [str(event["SUMMARY"]) for event in calendar.walk("VEVENT")]


def subscribed_at(database: Database, subscription_id: str) -> datetime:
    with database.sessions() as session:
        subscription = session.get(Subscription, subscription_id)
        assert subscription is not None
        return subscription.created_at


def count_events(database: Database) -> int:
    with database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(PersonalEvent)) or 0)


def test_the_new_subscriber_finds_the_welcome_event_and_nobody_else_does(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    earlier = subscribe(client, headers, "fan-before")
    set_welcome(database, WELCOME)
    with database.transaction() as session:  # the link as given, not the click-counting redirect
        calendars.set_click_tracking(session=session, account_code="owner", code="main", click_tracking=False)
    answer = subscribe(client, headers, "fan-1")

    [event] = events_in(client, token_of(answer))
    start = subscribed_at(database, answer["subscriptionId"]) + timedelta(minutes=5)
    assert str(event["SUMMARY"]) == "Welcome aboard!"
    assert str(event["DESCRIPTION"]).startswith("Your match days will appear here.")
    assert str(event["URL"]) == "https://brand.example/welcome"
    assert abs(event.decoded("DTSTART") - start) < timedelta(seconds=1)
    assert event.decoded("DTEND") - event.decoded("DTSTART") == timedelta(minutes=30)
    assert events_in(client, token_of(earlier)) == []

    # Subscribing again returns the same subscription; its welcome event is not given twice.
    again = subscribe(client, headers, "fan-1")
    assert again["isNewSubscription"] is False
    assert len(events_in(client, token_of(answer))) == 1
    assert count_events(database) == 1


def test_a_calendar_without_a_welcome_event_adds_none(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    answer = subscribe(client, headers, "fan-1")
    assert events_in(client, token_of(answer)) == []
    assert count_events(database) == 0


def test_the_welcome_event_leaves_the_feed_a_window_after_its_end(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    set_welcome(database, WELCOME)
    answer = subscribe(client, headers, "fan-1")
    end = subscribed_at(database, answer["subscriptionId"]) + timedelta(minutes=35)
    window = timedelta(days=database.settings.feed_window_days)
    assert summaries_at(database, token_of(answer), end + window - timedelta(minutes=1)) == ["Welcome aboard!"]
    assert summaries_at(database, token_of(answer), end + window + timedelta(minutes=1)) == []


def test_the_welcome_event_survives_a_feed_token_rotation(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    set_welcome(database, WELCOME)
    answer = subscribe(client, headers, "fan-1")
    with database.transaction() as session:
        token = subscriptions.rotate_feed_token(
            session=session, settings=database.settings, subscription_id=answer["subscriptionId"]
        )
    assert [str(event["SUMMARY"]) for event in events_in(client, token)] == ["Welcome aboard!"]


def test_the_calendar_commands_set_show_and_switch_off_the_welcome_event(
    cli: Cli, client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    result = cli(
        "calendar", "update", "owner", "main",
        "--welcome-title", "Hello!", "--welcome-url", "https://brand.example/hi", "--welcome-after", "0",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    assert "welcome event 'Hello!', https://brand.example/hi: 0 min after subscribing, 30 min long" in result.stdout
    welcomed = subscribe(client, headers, "fan-1")
    [event] = events_in(client, token_of(welcomed))
    assert str(event["SUMMARY"]) == "Hello!"

    result = cli("calendar", "update", "owner", "main", "--no-welcome", "--json")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["welcome_title"] is None
    assert "welcome event off" in cli("calendar", "show", "owner", "main").stdout
    later = subscribe(client, headers, "fan-2")
    assert events_in(client, token_of(later)) == []
    # A welcome event already given stays until it leaves the feed like any event.
    assert len(events_in(client, token_of(welcomed))) == 1


def test_calendar_create_takes_the_welcome_event(cli: Cli, database: Database, owner: Persona) -> None:
    result = cli(
        "calendar", "create", "owner", "news", "--title", "News",
        "--welcome-title", "Welcome", "--welcome-description", "Hi", "--welcome-duration", "15", "--json",
    )  # fmt: skip
    assert result.exit_code == 0, result.stderr
    created = json.loads(result.stdout)
    assert (created["welcome_title"], created["welcome_description"]) == ("Welcome", "Hi")
    assert (created["welcome_after_minutes"], created["welcome_duration_minutes"]) == (5, 15)


@pytest.mark.parametrize(
    ("options", "sentence"),
    [
        (["--welcome-url", "javascript:alert(1)"], "must be a web address starting with http:// or https://"),
        (["--welcome-after", "-1"], "starts 0 to 1440 minutes (a day) after subscribing, not -1."),
        (["--welcome-after", "100000"], "starts 0 to 1440 minutes (a day) after subscribing, not 100000."),
        (["--welcome-duration", "0"], "lasts 1 to 1440 minutes (a day), not 0."),
        (["--welcome-title", "x" * 256], "title is at most 255 characters"),
    ],
)
def test_bad_welcome_input_is_refused_with_a_sentence(
    cli: Cli, database: Database, owner: Persona, options: list[str], sentence: str
) -> None:
    title = [] if "--welcome-title" in options else ["--welcome-title", "Hello"]
    result = cli("calendar", "update", "owner", "main", *title, *options)
    assert result.exit_code != 0
    assert sentence in result.stderr
    with database.sessions() as session:
        calendar = calendars.get_calendar(session=session, account_code="owner", code="main")
        assert calendar.welcome_title is None


def test_welcome_options_without_a_title_are_refused(cli: Cli, database: Database, owner: Persona) -> None:
    result = cli("calendar", "update", "owner", "main", "--welcome-after", "10")
    assert result.exit_code != 0
    assert "needs --welcome-title" in result.stderr
    both = cli("calendar", "update", "owner", "main", "--welcome-title", "Hi", "--no-welcome")
    assert both.exit_code != 0
    assert "not both" in both.stderr
