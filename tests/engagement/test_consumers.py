"""A first click reaches Braze (`calendar_event_click`) and webhooks (`EventClicked`); a lapse reaches Braze."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from calcast.core.db import Database, utcnow
from calcast.feeds import telemetry
from calcast.subscriptions.models import Subscription
from tests.conftest import Cli
from tests.engagement.conftest import TICKETS, click, event_urls, fetch, path_of
from tests.feeds.conftest import World, in_days
from tests.support.braze_sync import drain
from tests.support.fake_braze import FakeBraze
from tests.support.receivers import running_receiver
from tests.support.webhooks import add_webhook


def named(braze: FakeBraze, name: str) -> list[dict[str, Any]]:
    return [event for event in braze.accepted_events() if event["name"] == name]


def test_two_clicks_send_one_calendar_event_click_to_braze_and_one_eventclicked_webhook(
    client: TestClient, cli: Cli, database: Database, world: World, braze: FakeBraze
) -> None:
    with running_receiver() as receiver:
        add_webhook(cli, receiver.url, "EventClicked")
        feed = world.subscribe("ext-1")
        key = world.broadcast("Match", in_days(3), url=TICKETS)
        path = path_of(event_urls(fetch(client, feed))["Match"])

        assert click(client, path).status_code == 302
        assert click(client, path).status_code == 302
        drain(database)

        [sent] = named(braze, "calendar_event_click")
        assert sent["external_id"] == "ext-1"
        properties = sent["properties"]
        assert properties["subscription_id"] == feed.subscription_id
        assert (properties["calendar_code"], properties["calendar_title"]) == ("main", "Owner Calendar")
        assert (properties["event_id"], properties["event_kind"]) == (key, "broadcast")
        assert (properties["event_title"], properties["link"]) == ("Match", TICKETS)
        assert [event["name"] for event in braze.profile("ext-1").events].count("calendar_event_click") == 1

        [envelope] = receiver.envelopes()
        assert envelope["eventType"] == "EventClicked"
        details = envelope["eventDetails"]
        assert details["calendarSubscriptionId"] == feed.subscription_id
        assert details["event"] == {"eventId": key, "kind": "broadcast", "title": "Match"}
        assert details["link"] == TICKETS


def test_clicks_by_bots_reach_neither_braze_nor_webhooks(
    client: TestClient, cli: Cli, database: Database, world: World, braze: FakeBraze
) -> None:
    with running_receiver() as receiver:
        add_webhook(cli, receiver.url, "EventClicked")
        feed = world.subscribe("ext-1")
        world.broadcast("Match", in_days(3), url=TICKETS)
        path = path_of(event_urls(fetch(client, feed))["Match"])

        click(client, path, method="HEAD")
        click(client, path, user_agent="Mozilla/5.0 (compatible; bingbot/2.0)")
        drain(database)

        assert named(braze, "calendar_event_click") == []
        assert receiver.envelopes() == []


def test_a_newly_lapsed_subscription_reaches_braze_as_calendar_lapsed_once(
    database: Database, world: World, braze: FakeBraze
) -> None:
    silent = world.subscribe("ext-1")
    world.subscribe("ext-2")  # polled recently: not lapsed
    now = utcnow()
    with database.transaction() as session:
        session.execute(
            update(Subscription)
            .where(Subscription.id == silent.subscription_id)
            .values(last_polled_at=now - timedelta(days=400), client_family="apple")
        )
        session.execute(
            update(Subscription).where(Subscription.id != silent.subscription_id).values(last_polled_at=now)
        )
    for _ in range(2):
        with database.transaction() as session:
            telemetry.mark_lapsed(session=session, settings=database.settings, now=now)
    drain(database)

    [lapsed] = named(braze, "calendar_lapsed")
    assert lapsed["external_id"] == "ext-1"
    assert lapsed["properties"]["subscription_id"] == silent.subscription_id
    assert lapsed["properties"]["client_family"] == "apple"
