"""Importing a hand-written real-world iCalendar file: zones, all-day and recurring events, through to the feed."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import icalendar
from fastapi.testclient import TestClient

from calcast.core.db import Database
from tests.feeds.conftest import World, parse_everywhere
from tests.imports.conftest import import_bytes, season, stored_events

TRAINING = "training@fixtures.example.com"
# Weekly from 5 March 2035, six times, without 19 March (EXDATE); 26 March moved to 20:00 (RECURRENCE-ID).
# Berlin's clocks go forward on 25 March, so the UTC hour of the recurrence ids changes from 18 to 17.
OCCURRENCES = [
    f"{TRAINING}/20350305T180000Z",
    f"{TRAINING}/20350312T180000Z",
    f"{TRAINING}/20350326T170000Z",
    f"{TRAINING}/20350402T170000Z",
    f"{TRAINING}/20350409T170000Z",
]
SINGLE = [
    "camp@fixtures.example.com",
    "derby-2035@fixtures.example.com",
    "easter@fixtures.example.com",
    "nyc-friendly@fixtures.example.com",
    "press@fixtures.example.com",
]


def utc(year: int, month: int, day: int, hour: int = 0, minute: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, tzinfo=UTC)


def value(component: icalendar.Component, name: str) -> Any:
    """A date, time or duration property's value (icalendar types every property alike)."""
    prop: Any = component[name]
    return prop.dt


def wall_clock(event: icalendar.Component) -> str:
    """An event's start as the clock on the wall shows it in the event's zone."""
    return str(value(event, "DTSTART").strftime("%Y-%m-%dT%H:%M"))


def feed_vevents(client: TestClient, world: World) -> list[icalendar.Component]:
    """The season as a subscriber's calendar app gets it, parsed by all three parsers."""
    feed = world.subscribe("fan-1")
    answer = client.get(feed.path)
    assert answer.status_code == 200, answer.text
    return list(parse_everywhere(answer.content).walk("VEVENT"))


def feed_events(client: TestClient, world: World) -> dict[str, icalendar.Component]:
    """The feed's events by title."""
    return {str(event["SUMMARY"]): event for event in feed_vevents(client, world)}


def test_it_imports_each_event_with_its_zone_and_expands_the_recurring_one(database: Database, world: World) -> None:
    report = import_bytes(database, season())

    assert sorted(key for key, _ in report.added) == sorted(SINGLE + OCCURRENCES)
    events = stored_events(database)
    assert sorted(events) == sorted(SINGLE + OCCURRENCES)  # the cancelled match is left out
    derby = events["derby-2035@fixtures.example.com"]
    assert (derby.start_at, derby.end_at, derby.timezone) == (
        utc(2035, 3, 17, 17, 30),
        utc(2035, 3, 17, 19, 30),
        "Europe/Berlin",
    )
    assert derby.title == "Derby: Union – Hertha"
    assert derby.description == "Gates open at 17:00, bring your scarf; tickets at the link."
    assert derby.location == "Stadion An der Alten Försterei, Berlin"
    assert derby.url == "https://tickets.example.com/derby?season=2035"
    assert derby.notify_before == 30
    friendly = events["nyc-friendly@fixtures.example.com"]
    assert (friendly.start_at, friendly.timezone) == (utc(2035, 3, 17, 0, 0), "America/New_York")  # EDT, UTC-4
    assert events["press@fixtures.example.com"].start_at == utc(2035, 1, 10, 9)
    easter = events["easter@fixtures.example.com"]
    assert (easter.all_day, easter.start_at, easter.end_at) == (True, utc(2035, 4, 4, 22), utc(2035, 4, 5, 22))
    camp = events["camp@fixtures.example.com"]
    assert camp.end_at - camp.start_at == timedelta(days=3)
    moved = events[f"{TRAINING}/20350326T170000Z"]
    assert (moved.title, moved.start_at) == ("Open training (late, with fans)", utc(2035, 3, 26, 18))
    assert events[f"{TRAINING}/20350402T170000Z"].start_at == utc(2035, 4, 2, 17)  # 19:00 in summer time
    assert all(event.sequence == 0 for event in events.values())


def test_the_imported_season_round_trips_through_the_feed_and_the_strict_parsers(
    database: Database, world: World, client: TestClient
) -> None:
    import_bytes(database, season())

    vevents = feed_vevents(client, world)

    shown = {str(event["SUMMARY"]): event for event in vevents}
    derby = shown["Derby: Union – Hertha"]
    assert derby["DTSTART"].params["TZID"] == "Europe/Berlin"
    assert wall_clock(derby) == "2035-03-17T18:30"
    assert value(derby.walk("VALARM")[0], "TRIGGER") == timedelta(minutes=-30)
    friendly = shown["Friendly in New York"]
    assert friendly["DTSTART"].params["TZID"] == "America/New_York"
    assert wall_clock(friendly) == "2035-03-16T20:00"
    easter, camp = shown["Easter break"], shown["Summer camp"]
    assert (value(easter, "DTSTART"), value(easter, "DTEND")) == (date(2035, 4, 5), date(2035, 4, 6))
    assert (value(camp, "DTSTART"), value(camp, "DTEND")) == (date(2035, 7, 1), date(2035, 7, 4))
    assert "Charity match" not in shown
    trainings = sorted(
        (wall_clock(event), event["DTSTART"].params["TZID"], str(event["SUMMARY"]))
        for event in vevents
        if str(event["SUMMARY"]).startswith("Open training")
    )
    # Berlin wall-clock times, the same across the DST change; 19 March skipped, 26 March moved.
    assert trainings == [
        ("2035-03-05T19:00", "Europe/Berlin", "Open training"),
        ("2035-03-12T19:00", "Europe/Berlin", "Open training"),
        ("2035-03-26T20:00", "Europe/Berlin", "Open training (late, with fans)"),
        ("2035-04-02T19:00", "Europe/Berlin", "Open training"),
        ("2035-04-09T19:00", "Europe/Berlin", "Open training"),
    ]
    assert len(vevents) == 10


def test_a_reimport_changes_nothing_and_a_changed_title_bumps_sequence_once(database: Database, world: World) -> None:
    import_bytes(database, season())

    again = import_bytes(database, season())
    assert (again.added, again.changed, again.removed, again.unchanged) == ([], [], [], 10)
    assert {event.sequence for event in stored_events(database).values()} == {0}

    renamed = season().replace(b"SUMMARY:Press conference", b"SUMMARY:Press conference (moved online)")
    changed = import_bytes(database, renamed)
    assert changed.changed == [("press@fixtures.example.com", "Press conference (moved online)")]
    assert changed.unchanged == 9
    import_bytes(database, renamed)
    events = stored_events(database)
    assert events["press@fixtures.example.com"].sequence == 1
    assert events["press@fixtures.example.com"].title == "Press conference (moved online)"
    assert {event.sequence for key, event in events.items() if key != "press@fixtures.example.com"} == {0}


def test_an_event_gone_from_the_file_leaves_the_feed_and_comes_back_with_a_higher_sequence(
    database: Database, world: World, client: TestClient
) -> None:
    import_bytes(database, season())
    block_start = season().index(b"BEGIN:VEVENT\r\nUID:press@")
    block_end = season().index(b"END:VEVENT\r\n", block_start) + len(b"END:VEVENT\r\n")
    without_press = season()[:block_start] + season()[block_end:]

    report = import_bytes(database, without_press)

    assert report.removed == [("press@fixtures.example.com", "Press conference")]
    assert "Press conference" not in feed_events(client, world)
    back = import_bytes(database, season())
    assert back.added == [("press@fixtures.example.com", "Press conference")]
    assert stored_events(database)["press@fixtures.example.com"].sequence == 1


def test_a_cancelled_occurrence_and_an_extra_exdate_remove_single_occurrences(database: Database, world: World) -> None:
    import_bytes(database, season())
    skipped = season().replace(
        b"EXDATE;TZID=Europe/Berlin:20350319T190000",
        b"EXDATE;TZID=Europe/Berlin:20350319T190000,20350409T190000",
    )

    report = import_bytes(database, skipped)

    assert report.removed == [(f"{TRAINING}/20350409T170000Z", "Open training")]
    assert report.unchanged == 9
