"""Poll telemetry and lapse detection: who polls, how often, and who went silent."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from calcast.core.clients import client_family
from calcast.core.db import Database, utcnow
from calcast.feeds import service
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription
from tests.conftest import Cli
from tests.feeds.conftest import Feed, World


@pytest.mark.parametrize(
    ("user_agent", "family"),
    [
        ("Google-Calendar-Importer", "google"),
        ("Mac_OS_X/10.9.2 (13C64) CalendarAgent/176", "apple"),
        ("Mac+OS+X/10.15.7 (19H2) CalendarAgent/954", "apple"),
        ("macOS/14.4 (23E214) dataaccessd/1.0", "apple"),
        ("iOS/17.4 (21E219) dataaccessd/1.0", "apple"),
        ("Microsoft Office/16.0 (Windows NT 10.0; Microsoft Outlook 16.0.17328; Pro)", "outlook"),
        ("Mozilla/5.0 (X11; Linux x86_64; rv:128.0) Gecko/20100101 Thunderbird/128.3.0", "thunderbird"),
        ("Evolution/3.46.4", "evolution"),
        ("ICSx5/2.2.3-gplay (ws.xsoh.etar)", "icsx5"),
        ("vdirsyncer/0.21.0", "other"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 Chrome/126.0 Safari/537.36", "other"),
        (None, "other"),
    ],
)
def test_it_knows_the_calendar_client_families(user_agent: str | None, family: str) -> None:
    assert client_family(user_agent) == family


def subscription(database: Database, feed: Feed) -> Subscription:
    with database.sessions() as session:
        return subscriptions.get_subscription(session=session, subscription_id=feed.subscription_id)


def test_every_fetch_is_counted_and_304s_too(client: TestClient, database: Database, world: World) -> None:
    feed = world.subscribe("fan-1")
    assert subscription(database, feed).last_polled_at is None
    first = client.get(feed.path, headers={"User-Agent": "Google-Calendar-Importer"})
    polled = subscription(database, feed)
    assert (polled.poll_count, polled.client_family) == (1, "google")
    assert polled.last_polled_at is not None
    assert abs(polled.last_polled_at - utcnow()) < timedelta(seconds=30)
    # Within the write interval the next fetches are counted in memory and written with the next due write.
    for _ in range(3):
        assert client.get(feed.path, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
    assert subscription(database, feed).poll_count == 1
    app = client.app
    assert isinstance(app, FastAPI)
    runtime = app.state.feed_runtime
    with database.transaction() as session:
        service.fetch_feed(
            session=session,
            settings=database.settings,
            runtime=runtime,
            token=feed.token,
            user_agent="iOS/17.4 (21E219) dataaccessd/1.0",
            now=utcnow() + timedelta(seconds=database.settings.feed_telemetry_interval_seconds + 1),
        )
    polled = subscription(database, feed)
    assert (polled.poll_count, polled.client_family) == (5, "apple")


def test_a_poll_is_not_a_change_of_the_subscription(client: TestClient, database: Database, world: World) -> None:
    feed = world.subscribe("fan-1")
    before = subscription(database, feed).updated_at
    client.get(feed.path)
    assert subscription(database, feed).updated_at == before


def set_polled(database: Database, feed: Feed, *, days_ago: float | None, family: str | None, created: float) -> None:
    with database.transaction() as session:
        row = session.get_one(Subscription, feed.subscription_id)
        row.last_polled_at = None if days_ago is None else utcnow() - timedelta(days=days_ago)
        row.client_family = family
        row.created_at = utcnow() - timedelta(days=created)


def test_silent_subscriptions_are_marked_lapsed_per_client_family(
    client: TestClient, database: Database, world: World, cli: Cli
) -> None:
    google = world.subscribe("google-user")
    apple = world.subscribe("apple-user")
    never = world.subscribe("never-polled")
    fresh = world.subscribe("new-subscriber")
    gone = world.subscribe("unsubscribed")
    set_polled(database, google, days_ago=4, family="google", created=60)
    set_polled(database, apple, days_ago=4, family="apple", created=60)
    set_polled(database, never, days_ago=None, family=None, created=15)
    set_polled(database, fresh, days_ago=None, family=None, created=1)
    set_polled(database, gone, days_ago=40, family="google", created=60)
    with database.transaction() as session:
        row = subscriptions.get_subscription(session=session, subscription_id=gone.subscription_id)
        subscriptions.deactivate(session=session, subscription=row)

    result = cli("subscription", "mark-lapsed", "--json")
    assert result.exit_code == 0, result.stderr
    assert result.stdout.strip() == '{"lapsed": 2}'
    lapsed = {
        name: subscription(database, feed).lapsed_at is not None
        for name, feed in {"google": google, "apple": apple, "never": never, "fresh": fresh, "gone": gone}.items()
    }
    assert lapsed == {"google": True, "apple": False, "never": True, "fresh": False, "gone": False}
    again = cli("subscription", "mark-lapsed")
    assert "0 subscription(s) newly marked" in again.stdout

    client.get(google.path, headers={"User-Agent": "Google-Calendar-Importer"})
    assert subscription(database, google).lapsed_at is None, "a poll brings a lapsed subscription back"
