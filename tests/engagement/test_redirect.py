"""GET/HEAD /r/{token}: tracked feed links; clicks counted, bots set apart, nothing else ever followed."""

from __future__ import annotations

from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from calcast.core import clicks as tokens
from calcast.core.db import Database
from calcast.engagement.models import FirstClick
from calcast.feeds.models import FeedState
from tests.conftest import Cli
from tests.engagement.conftest import (
    APPLE_CALENDAR,
    TICKETS,
    click,
    clicks,
    event_descriptions,
    event_urls,
    fetch,
    fetch_within_a_second,
    path_of,
)
from tests.feeds.conftest import World, in_days

GOOGLEBOT = "Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"


def test_a_feed_link_redirects_to_the_stored_link_and_counts_the_click(
    client: TestClient, database: Database, world: World
) -> None:
    feed = world.subscribe("ext-1")
    world.broadcast("Match", in_days(3), url=TICKETS)
    tracked = event_urls(fetch(client, feed))["Match"]
    assert tracked != TICKETS
    assert len(tracked.rsplit("/", 1)[1]) == tokens.TOKEN_CHARS

    answer = click(client, path_of(tracked))

    assert answer.status_code == 302
    assert answer.headers["location"] == TICKETS
    assert answer.headers["cache-control"] == "no-store"
    [stored] = clicks(database)
    assert (stored.subscription_id, stored.event_kind, stored.link) == (feed.subscription_id, "broadcast", TICKETS)
    assert (stored.is_bot, stored.bot_reason, stored.client_family) == (False, None, "other")


def test_a_personal_events_link_is_tracked_per_subscriber(client: TestClient, database: Database, world: World) -> None:
    first, second = world.subscribe("ext-1"), world.subscribe("ext-2")
    world.personal([first, second], "offer-1", "Your offer", in_days(2), url="https://shop.example.com/offer")
    mine = event_urls(fetch(client, first))["Your offer"]
    theirs = event_urls(fetch(client, second))["Your offer"]
    assert mine != theirs

    assert click(client, path_of(theirs)).headers["location"] == "https://shop.example.com/offer"

    [stored] = clicks(database)
    assert (stored.subscription_id, stored.event_kind) == (second.subscription_id, "personal")


def test_links_in_description_and_location_are_tracked_when_the_calendar_says_so(
    client: TestClient, cli: Cli, database: Database, world: World
) -> None:
    feed = world.subscribe("ext-1")
    world.broadcast(
        "Match", in_days(3), description="Parking: https://parking.example.com/p1. See you!", location="Stadium"
    )
    assert "https://parking.example.com/p1." in event_descriptions(fetch(client, feed))["Match"]

    result = cli("calendar", "update", "owner", "main", "--track-text-links")
    assert result.exit_code == 0, result.stderr
    assert "click tracking on (event URLs and links in descriptions and locations)" in result.stdout

    body = fetch_within_a_second(client, feed, lambda body: b"parking.example.com" not in body.replace(b"\r\n ", b""))
    description = event_descriptions(body)["Match"]
    assert "parking.example.com" not in description
    assert description.startswith("Parking: https://calcast.test/r/")
    assert description.split(" ")[1].endswith(".")  # the sentence's full stop stays outside the link
    tracked = description.split(" ")[1].removesuffix(".")
    assert click(client, path_of(tracked)).headers["location"] == "https://parking.example.com/p1"


def test_a_forged_or_altered_token_is_refused_and_no_other_url_is_ever_followed(
    client: TestClient, database: Database, world: World
) -> None:
    feed = world.subscribe("ext-1")
    world.broadcast("Match", in_days(3), url=TICKETS)
    path = path_of(event_urls(fetch(client, feed))["Match"])
    token = path.removeprefix("/r/")
    altered = token[:-1] + ("A" if token[-1] != "A" else "B")
    forged = tokens.click_token(
        "another-servers-secret-key-long-enough",
        subscription_id=feed.subscription_id,
        event_kind="broadcast",
        event_id="00000000-0000-4000-8000-000000000000",
        link="https://evil.example.com/",
    )

    for attempt in (f"/r/{altered}", f"/r/{forged}", "/r/https:evil.example.com", "/r/x"):
        answer = click(client, attempt)
        assert answer.status_code == 404, attempt
        assert "location" not in answer.headers
        assert "This link is not valid" in answer.text
    assert click(client, "/r/https%3A%2F%2Fevil.example.com").status_code == 404
    # Anything added to a genuine link changes nothing about where it goes.
    answer = click(client, f"{path}?url=https://evil.example.com/&next=https://evil.example.com/")
    assert answer.headers["location"] == TICKETS
    assert len(clicks(database)) == 1


def test_a_link_that_changed_since_the_feed_was_fetched_is_gone(
    client: TestClient, database: Database, world: World
) -> None:
    feed = world.subscribe("ext-1")
    key = world.broadcast("Match", in_days(3), url=TICKETS)
    old = path_of(event_urls(fetch(client, feed))["Match"])
    world.change_broadcast(key, url="https://tickets.example.com/new")

    assert click(client, old).status_code == 404
    new = path_of(event_urls(fetch(client, feed))["Match"])
    assert click(client, new).headers["location"] == "https://tickets.example.com/new"
    world.delete_broadcast(key)
    assert click(client, new).status_code == 404
    assert [stored.link for stored in clicks(database)] == ["https://tickets.example.com/new"]


def test_a_prefetching_scanner_is_recorded_apart_and_not_counted_as_a_person(
    client: TestClient, database: Database, world: World
) -> None:
    feed = world.subscribe("ext-1")
    world.broadcast("Match", in_days(3), url=TICKETS)
    path = path_of(event_urls(fetch(client, feed, user_agent=APPLE_CALENDAR))["Match"])

    assert click(client, path, method="HEAD").status_code == 302
    assert click(client, path, user_agent=GOOGLEBOT).status_code == 302
    assert click(client, path, user_agent="").status_code == 302
    # The calendar app itself, seconds after fetching the feed: prefetching the link, not a person.
    assert click(client, path, user_agent=APPLE_CALENDAR).status_code == 302

    assert [(stored.is_bot, stored.bot_reason) for stored in clicks(database)] == [
        (True, "head"),
        (True, "user-agent"),
        (True, "user-agent"),
        (True, "prefetch"),
    ]
    with database.sessions() as session:
        assert list(session.scalars(select(FirstClick))) == []


def test_with_tracking_off_the_feed_has_the_plain_links_and_says_so(
    client: TestClient, cli: Cli, database: Database, world: World
) -> None:
    feed = world.subscribe("ext-1")
    world.broadcast("Match", in_days(3), url=TICKETS, description="More: https://example.com/more")
    tracked = path_of(event_urls(fetch(client, feed))["Match"])

    result = cli("calendar", "update", "owner", "main", "--no-click-tracking")
    assert result.exit_code == 0, result.stderr
    assert "click tracking off" in result.stdout

    body = fetch_within_a_second(client, feed, lambda body: b"/r/" not in body.replace(b"\r\n ", b""))
    assert event_urls(body)["Match"] == TICKETS
    assert b"/r/" not in body
    # A link from a feed fetched before still leads where it did, but counts nothing.
    assert click(client, tracked).headers["location"] == TICKETS
    assert clicks(database) == []


def test_the_feed_with_tracked_links_is_byte_identical_across_polls(
    client: TestClient, database: Database, world: World
) -> None:
    feed = world.subscribe("ext-1")
    world.broadcast("Match", in_days(3), url=TICKETS)
    world.personal([feed], "offer-1", "Your offer", in_days(2), url="https://shop.example.com/offer")
    first = fetch(client, feed)
    # Not from stored validators or the process's cache: rendered afresh.
    with database.transaction() as session:
        session.execute(delete(FeedState))
    client.app.state.feed_runtime = None  # type: ignore[attr-defined]
    second = fetch(client, feed)

    assert first == second
    assert len(event_urls(first)) == 2


def test_calendars_track_clicks_by_default_and_the_cli_shows_it(cli: Cli, owner: Any) -> None:
    shown = cli("calendar", "show", "owner", "main")
    assert "click tracking on (event URLs)" in shown.stdout
    created = cli("calendar", "create", "owner", "plain", "--title", "Plain", "--no-click-tracking", "--json")
    assert created.exit_code == 0, created.stderr
    assert '"click_tracking": false' in created.stdout.replace('":false', '": false')
    nothing = cli("calendar", "update", "owner", "main")
    assert nothing.exit_code != 0
    assert "Say what to change" in nothing.stderr


def test_r_cannot_be_an_account_code(cli: Cli, database: Database) -> None:
    result = cli("account", "create", "r", "--name", "R")
    assert result.exit_code != 0
    assert "reserved" in result.stderr.lower()
