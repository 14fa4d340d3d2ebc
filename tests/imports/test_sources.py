"""A calendar's source URL: the worker's job polls it (conditionally), the feed follows, failures keep the events."""

from __future__ import annotations

from datetime import datetime, timedelta

import icalendar
import pytest
from fastapi.testclient import TestClient

from calcast import assembly
from calcast.core.config import Settings
from calcast.core.db import Database
from tests.conftest import Cli
from tests.feeds.conftest import Feed, World
from tests.imports.conftest import NEW_YEAR_2035, running_source, season, stored_events

pytestmark = pytest.mark.slow

RENAMED = season().replace(b"SUMMARY:Press conference", b"SUMMARY:Press conference (online)")


def poll(database: Database, minutes: int, settings: Settings | None = None) -> int:
    """Run the worker's source job `minutes` after New Year 2035 (the season's first poll); events it touched."""
    jobs = {job.name: job for job in assembly.periodic_jobs()}
    moment: datetime = NEW_YEAR_2035 + timedelta(minutes=minutes)
    return jobs["source-url-sync"].run(
        transaction=database.transaction, settings=settings or database.settings, now=moment
    )


def titles(client: TestClient, feed: Feed) -> set[str]:
    answer = client.get(feed.path)
    assert answer.status_code == 200, answer.text
    return {str(event["SUMMARY"]) for event in icalendar.Calendar.from_ical(answer.content).walk("VEVENT")}


def use_source(cli: Cli, url: str, *options: str) -> str:
    result = cli("calendar", "update", "owner", "main", "--source-url", url, *options)
    assert result.exit_code == 0, result.stderr
    return result.stdout


def test_the_feed_follows_the_source_url_and_an_unchanged_source_answers_304(
    cli: Cli, database: Database, world: World, client: TestClient
) -> None:
    with running_source(season()) as source:
        shown = use_source(cli, source.url, "--source-interval", "15", "--source-tag", "Team I")
        assert f"source URL: {source.url} every 15 min, events tagged 'Team I'; not synced yet" in shown
        fan, other = world.subscribe("fan-1", tags=("Team I",)), world.subscribe("fan-2", tags=("Team II",))

        assert poll(database, 0) == 10
        assert "Derby: Union – Hertha" in titles(client, fan)
        assert titles(client, other) == set()  # the source's events carry its tag
        assert poll(database, 10) == 0  # not due yet
        assert len(source.requests) == 1

        assert poll(database, 16) == 0
        assert source.answered == [200, 304]
        assert source.requests[1]["If-None-Match"] == source.etag
        assert source.requests[1]["If-Modified-Since"] == source.last_modified

        source.body = RENAMED
        assert poll(database, 32) == 1
        assert "Press conference (online)" in titles(client, fan)
        assert "Press conference" not in titles(client, fan)
        assert stored_events(database)["press@fixtures.example.com"].sequence == 1
        assert source.answered == [200, 304, 200]
        shown = cli("calendar", "show", "owner", "main").stdout
        assert "every 15 min, events tagged 'Team I'; last synced 2035-01-01 00:32 UTC" in shown


def test_a_failed_poll_keeps_the_events_says_why_and_is_tried_again_next_interval(
    cli: Cli, database: Database, world: World, client: TestClient
) -> None:
    with running_source(season()) as source:
        use_source(cli, source.url)
        fan = world.subscribe("fan-1")
        assert poll(database, 0) == 10

        source.status = 500
        assert poll(database, 61) == 0
        assert "Derby: Union – Hertha" in titles(client, fan)
        shown = cli("calendar", "show", "owner", "main").stdout
        assert (
            f"last poll failed: The source {source.url} answered HTTP 500, not 200 with events; check the URL." in shown
        )

        source.status, source.body = 200, b"this is no calendar"
        assert poll(database, 122) == 0
        assert len(stored_events(database)) == 10
        shown = cli("calendar", "show", "owner", "main").stdout
        assert "last poll failed: Nothing was imported: 1 row cannot be read." in shown

        source.body = RENAMED
        assert poll(database, 183) == 1
        assert "Press conference (online)" in titles(client, fan)
        assert "last poll failed" not in cli("calendar", "show", "owner", "main").stdout


def test_a_private_address_is_refused_when_set_and_when_polled(cli: Cli, database: Database, world: World) -> None:
    strict = {"CALCAST_ALLOW_PRIVATE_DESTINATIONS": "false"}
    loopback = cli("calendar", "update", "owner", "main", "--source-url", "https://127.0.0.1/season.ics", env=strict)
    plain = cli("calendar", "update", "owner", "main", "--source-url", "http://fixtures.example.com/s.ics", env=strict)
    imported = cli("event", "import", "owner", "main", "https://10.1.2.3/season.ics", env=strict)

    assert loopback.exit_code == 1
    assert loopback.stderr == (
        "Error: The source URL 'https://127.0.0.1/season.ics' cannot be used: calcast does not send to 127.0.0.1, "
        "a loopback address: destinations must be public addresses (CALCAST_ALLOW_PRIVATE_DESTINATIONS=true "
        "allows private ones for tests and on-premises receivers).\n"
    )
    assert plain.stderr.startswith("Error: The source URL 'http://fixtures.example.com/s.ics' must start with https://")
    assert "calcast does not send to 10.1.2.3, a private address" in imported.stderr
    with running_source(season()) as source:
        use_source(cli, source.url)
        strict_settings = database.settings.model_copy(update={"allow_private_destinations": False})
        assert poll(database, 0, strict_settings) == 0
        assert source.requests == []
        shown = cli("calendar", "show", "owner", "main").stdout
        assert (
            f"last poll failed: The source {source.url} could not be fetched: calcast does not send to http://" in shown
        )


def test_an_oversize_source_and_a_short_interval_are_refused(cli: Cli, database: Database, world: World) -> None:
    with running_source(season()) as source:
        too_big = cli("event", "import", "owner", "main", source.url, env={"CALCAST_SOURCE_MAX_BYTES": "1024"})
        too_often = cli("calendar", "update", "owner", "main", "--source-url", source.url, "--source-interval", "5")
        use_source(cli, source.url)
        small = database.settings.model_copy(update={"source_max_bytes": 1024})
        assert poll(database, 0, small) == 0

    assert too_big.exit_code == 1
    assert too_big.stderr == (
        f"Error: The source {source.url} is larger than 1024 bytes (CALCAST_SOURCE_MAX_BYTES); "
        "split it or raise the limit.\n"
    )
    assert too_often.stderr == (
        "Error: A source URL is polled at most every 15 minutes; give an interval of 15 or more, not 5.\n"
    )
    assert stored_events(database) == {}
    assert "is larger than 1024 bytes" in cli("calendar", "show", "owner", "main").stdout


def test_a_new_source_url_replaces_the_old_ones_events_and_no_source_stops_polling(
    cli: Cli, database: Database, world: World
) -> None:
    one_event = b"key,title,start,timezone\nsolo,Solo match,2035-05-01T18:00:00,Europe/Berlin\n"
    with running_source(season()) as first, running_source(one_event, path="/events.csv") as second:
        use_source(cli, first.url)
        assert poll(database, 0) == 10
        use_source(cli, second.url)
        assert poll(database, 1) == 11  # one added, ten removed
        assert sorted(stored_events(database)) == ["solo"]
        stopped = cli("calendar", "update", "owner", "main", "--no-source")
        assert "source URL: none" in stopped.stdout
        assert poll(database, 120) == 0
        assert len(second.requests) == 1
