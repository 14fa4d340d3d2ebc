"""Broadcast events in the console: list, search, add, preview, edit (SEQUENCE as the CLI), delete, bad input."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime

import pytest
from fastapi.testclient import TestClient

from calcast.calendars import service as calendars
from calcast.calendars.models import BroadcastEvent
from calcast.console import events as console_events
from calcast.core.db import Database
from tests.conftest import Cli
from tests.console.conftest import ConsolePersona, act_as

EVENTS = "/console/owner/calendars/main/events"
VISIBLE = ("title", "description", "location", "url", "start_at", "end_at", "timezone", "all_day", "notify_before")


def add(database: Database, title: str, start: str, **details: object) -> BroadcastEvent:
    with database.transaction() as session:
        return calendars.add_broadcast_event(
            session=session,
            account_code="owner",
            calendar_code="main",
            event=calendars.BroadcastEventInput(title=title, start=start, timezone="Europe/Berlin", **details),  # type: ignore[arg-type]
        )


def load(database: Database, event_id: str) -> BroadcastEvent:
    with database.sessions() as session:
        event = calendars.get_broadcast_event_by_id(
            session=session, account_code="owner", calendar_code="main", event_id=event_id
        )
        _ = event.tags
        return event


def tag_id(database: Database, name: str) -> str:
    with database.sessions() as session:
        calendar = calendars.get_calendar(session=session, account_code="owner", code="main")
        return next(tag.id for tag in calendar.tags if tag.name == name)


def event_form(csrf_token: str, **changes: object) -> dict[str, object]:
    form: dict[str, object] = {
        "csrf_token": csrf_token,
        "title": "Home match",
        "start": "2031-03-29T19:30",
        "end": "2031-03-29T21:30",
        "timezone": "W. Europe Standard Time",
        "notify_before": "60",
        "location": "Stadium",
        "description": "Kick-off 19:30.\r\nDoors open 18:00.",
        "url": "https://tickets.example/home",
        "visible_from": "",
    }
    return {**form, **changes}


def test_an_editor_adds_an_event_with_tags_and_a_windows_zone(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    editor = personas["editor"]
    act_as(client, editor)
    assert client.get(f"{EVENTS}/new").status_code == 200
    form = event_form(editor.csrf_token, tags=[tag_id(database, "Team I"), tag_id(database, "Team II")])
    response = client.post(EVENTS, data=form, follow_redirects=False)
    assert response.status_code == 303
    event_id = response.headers["location"].split("/")[-1].split("?")[0]
    event = load(database, event_id)
    assert event.timezone == "Europe/Berlin"
    assert event.start_at.replace(tzinfo=UTC) == datetime(
        2031, 3, 29, 18, 30, tzinfo=UTC
    )  # CET: summer time starts the day after
    assert [tag.name for tag in event.tags] == ["Team I", "Team II"]
    assert (event.notify_before, event.location, event.url) == (60, "Stadium", "https://tickets.example/home")
    assert event.description == "Kick-off 19:30.\nDoors open 18:00."
    assert event.sequence == 0
    page = client.get(response.headers["location"])
    assert "The event is added" in page.text
    assert "Sat 2031-03-29 19:30 – 21:30 (Europe/Berlin)" in page.text  # the preview, in the event's zone
    assert "60 minutes before" in page.text
    assert "For: Team I, Team II" in page.text
    listing = client.get(EVENTS)
    assert f'data-event-id="{event_id}"' in listing.text


def test_the_list_splits_upcoming_and_past_and_searches_titles(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    add(database, "Home match", "2031-03-01T19:00")
    add(database, "Away match", "2031-03-08T19:00")
    add(database, "Old home match", "2020-03-01T19:00")
    add(database, "100% fun", "2031-04-01T19:00")
    act_as(client, personas["viewer"])

    def titles(query: str) -> list[str]:
        page = client.get(f"{EVENTS}{query}")
        assert page.status_code == 200
        return [
            html.unescape(title)
            for title in re.findall(r'<tr data-event-id="[^"]+"><td><a [^>]+>([^<]+)</a>', page.text)
        ]

    assert titles("") == ["Home match", "Away match", "100% fun"]
    assert titles("?when=past") == ["Old home match"]
    assert titles("?q=HOME") == ["Home match"]
    assert titles("?when=past&q=home") == ["Old home match"]
    assert titles("?q=%25") == ["100% fun"]  # the wildcard is a plain character
    assert titles("?q=zzz") == []
    assert "No event title contains these words." in client.get(f"{EVENTS}?q=zzz").text
    assert "New event" not in client.get(EVENTS).text  # a viewer reads only


def test_the_preview_button_shows_the_event_and_stores_nothing(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    editor = personas["editor"]
    response = act_as(client, editor).post(EVENTS, data=event_form(editor.csrf_token, preview="1", all_day="1"))
    assert response.status_code == 200
    assert "In a calendar app" in response.text
    assert "Sat 2031-03-29 · All day" in response.text
    assert 'value="Home match"' in response.text
    with database.sessions() as session:
        assert calendars.list_broadcast_events(session=session, account_code="owner", calendar_code="main") == []


def test_bad_input_comes_back_on_the_form_with_a_sentence_and_the_values(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    editor = personas["editor"]
    act_as(client, editor)
    cases = {
        "title": ("   ", "The event needs a title."),
        "timezone": ("Mars/Olympus", "The time zone 'Mars/Olympus' is not known"),
        "start": ("tomorrow", "start 'tomorrow' is not a date and time"),
        "end": ("2031-03-29T18:00", "The event ends before it starts"),
        "url": ("javascript:alert(1)", "The url must be a web address"),
        "notify_before": ("soon", "The reminder is a whole number of minutes"),
        "visible_from": ("someday", "is not a date and time"),
        "tags": ("no-such-tag", "The calendar has no tag 'no-such-tag'"),
        "location": ("L" * 1025, "The location is at most 1024 characters"),
    }
    for field, (value, sentence) in cases.items():
        response = client.post(EVENTS, data=event_form(editor.csrf_token, **{field: value}))
        assert response.status_code == 422, (field, response.text[:300])
        assert sentence in html.unescape(response.text), field
        assert 'value="Stadium"' in response.text or field == "location"  # what was typed stays
        assert html.escape(str(value), quote=True) in response.text or field == "tags"
    for reminder in ("9999999", "9" * 5000, "²"):
        assert client.post(EVENTS, data=event_form(editor.csrf_token, notify_before=reminder)).status_code == 422
    long_title = client.post(EVENTS, data=event_form(editor.csrf_token, title="T" * 256))
    assert long_title.status_code == 422
    assert "The title is at most 255 characters" in long_title.text
    with database.sessions() as session:
        assert calendars.list_broadcast_events(session=session, account_code="owner", calendar_code="main") == []


def test_an_edit_bumps_sequence_exactly_as_the_command_line_does(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database, cli: Cli
) -> None:
    details = {"end": "2031-03-29T21:30", "notify_before": 60, "location": "Stadium", "tags": ["Team I"]}
    by_console = add(database, "Home match", "2031-03-29T19:30", **details)
    by_cli = add(database, "Home match", "2031-03-29T19:30", **details)
    editor = personas["editor"]
    act_as(client, editor)

    def edit_both(**changes: str) -> None:
        form = event_form(editor.csrf_token, tags=[tag_id(database, "Team I")], **changes)
        assert client.post(f"{EVENTS}/{by_console.id}", data=form, follow_redirects=False).status_code == 303
        args = ["event", "update", "owner", "main", by_cli.event_key, "--tag", "Team I"]
        for option, name in (("--title", "title"), ("--start", "start"), ("--end", "end"), ("--timezone", "timezone")):
            args += [option, str(form[name])]
        for option, name in (("--notify-before", "notify_before"), ("--location", "location")):
            args += [option, str(form[name])]
        args += ["--description", str(form["description"]).replace("\r\n", "\n"), "--url", str(form["url"])]
        assert cli(*args).exit_code == 0

    def same() -> int:
        console, command = load(database, by_console.id), load(database, by_cli.id)
        assert {name: getattr(console, name) for name in VISIBLE} == {name: getattr(command, name) for name in VISIBLE}
        assert [tag.name for tag in console.tags] == [tag.name for tag in command.tags]
        assert console.sequence == command.sequence
        return console.sequence

    edit_both()
    assert same() == 1  # description and url were added
    edit_both()
    assert same() == 1  # the same again changes nothing
    edit_both(title="Home match (moved)", start="2031-03-30T15:00", end="2031-03-30T17:00")
    assert same() == 2
    page = client.get(f"{EVENTS}/{by_console.id}")
    assert "Version 2" in page.text


def test_an_unchanged_form_saves_without_a_new_version_all_day_events_included(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    all_day = add(database, "Festival", "2031-07-01", end="2031-07-03", all_day=True, tags=["Team II"])
    timed = add(database, "Talk", "2031-07-01T09:15:30", visible_from="2031-06-01T08:00")
    editor = personas["editor"]
    act_as(client, editor)
    for event in (all_day, timed):
        page = client.get(f"{EVENTS}/{event.id}")
        form = {"csrf_token": editor.csrf_token}
        for name in ("title", "start", "end", "timezone", "notify_before", "location", "url", "visible_from"):
            found = re.search(rf'name="{name}"[^>]* value="([^"]*)"', page.text)
            form[name] = html.unescape(found.group(1)) if found else ""
        form["description"] = ""
        checked = re.findall(r'name="tags" value="([^"]+)" checked', page.text)
        if 'name="all_day" value="1" checked' in page.text:
            form["all_day"] = "1"
        response = client.post(f"{EVENTS}/{event.id}", data={**form, "tags": checked}, follow_redirects=False)
        assert response.status_code == 303, response.text[:300]
        assert load(database, event.id).sequence == 0, event.title
    festival = load(database, all_day.id)
    assert (festival.start_at.day, festival.end_at.day) == (30, 3)  # Berlin midnights in UTC: 1 to 3 July inclusive


def test_a_deleted_event_leaves_the_list(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    event = add(database, "Home match", "2031-03-29T19:30")
    owner = personas["owner"]
    act_as(client, owner)
    response = client.post(f"{EVENTS}/{event.id}/delete", data={"csrf_token": owner.csrf_token})
    assert response.status_code == 200
    assert "The event is deleted" in response.text
    assert "Home match" not in response.text
    assert client.get(f"{EVENTS}/{event.id}").status_code == 404
    assert client.post(f"{EVENTS}/{event.id}/delete", data={"csrf_token": owner.csrf_token}).status_code == 404


def test_the_time_zone_field_suggests_iana_and_windows_names(
    client: TestClient, personas: dict[str, ConsolePersona]
) -> None:
    page = act_as(client, personas["editor"]).get(f"{EVENTS}/new")
    options = re.findall(r'<option value="([^"]+)">', page.text)
    assert {"Europe/Berlin", "America/New_York", "W. Europe Standard Time", "Eastern Standard Time"} <= set(options)
    assert 'list="zone-names"' in page.text
    german = client.get(f"{EVENTS}/new", headers={"Accept-Language": "de"})
    assert "Termin anlegen" in german.text
    assert "Zeitzone" in german.text


def test_a_long_list_says_that_it_shows_only_the_first_events(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(console_events, "LIST_LIMIT", 2)
    for day in (1, 2, 3):
        add(database, f"Match {day}", f"2031-03-0{day}T19:00")
    page = act_as(client, personas["viewer"]).get(EVENTS)
    assert page.text.count("<tr data-event-id=") == 2
    assert "Only the first 2 are shown" in page.text
    assert "Only the first" not in client.get(f"{EVENTS}?q=Match 3").text
