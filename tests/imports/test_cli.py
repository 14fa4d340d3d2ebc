"""`calcast event import`: CSV and JSON lines files, the dry run, bad rows, keys that belong to other events."""

from __future__ import annotations

import json
from pathlib import Path

from calcast.core.db import Database
from tests.conftest import Cli, Persona
from tests.imports.conftest import SEASON, stored_events

HEADER = "key,title,start,end,timezone,all_day,tags,description,location,url,notify_before\n"
FIXTURES = HEADER + (
    "m1,Union – Bayern,2035-03-03T15:30:00,2035-03-03T17:30:00,Europe/Berlin,,Team I,Matchday 24,"
    '"Stadion An der Alten Försterei, Berlin",https://tickets.example.com/m1,60\n'
    "m2,Union – Köln,2035-03-10T18:30:00,,W. Europe Standard Time,false,Team I;Team II,,,,\n"
    "cup,Cup final,2035-05-24,2035-05-25,Europe/Berlin,true,,,,,\n"
)


def write(tmp_path: Path, name: str, text: str) -> str:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return str(path)


def listed(cli: Cli) -> dict[str, dict[str, object]]:
    result = cli("event", "list", "owner", "main", "--json")
    assert result.exit_code == 0, result.stderr
    return {event["event_key"]: event for event in json.loads(result.stdout)}


def test_it_imports_a_csv_file_with_the_documented_columns(cli: Cli, owner: Persona, tmp_path: Path) -> None:
    result = cli("event", "import", "owner", "main", write(tmp_path, "fixtures.csv", FIXTURES))

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines()[-1] == "Imported: 3 added, 0 changed, 0 removed, 0 unchanged."
    events = listed(cli)
    assert sorted(events) == ["cup", "m1", "m2"]
    assert events["m1"]["location"] == "Stadion An der Alten Försterei, Berlin"
    assert events["m1"]["notify_before"] == 60
    assert events["m1"]["start_at"] == "2035-03-03T14:30:00Z"
    assert events["m2"]["tags"] == ["Team I", "Team II"]
    assert events["m2"]["timezone"] == "Europe/Berlin"
    assert events["m2"]["end_at"] == "2035-03-10T18:30:00Z"  # the calendar's default hour
    assert events["cup"]["all_day"] is True
    assert events["cup"]["tags"] == []


def test_it_imports_json_lines_with_the_same_fields(cli: Cli, owner: Persona, tmp_path: Path) -> None:
    lines: list[dict[str, object]] = [
        {"key": "j1", "title": "Fan meeting", "start": "2035-02-01T19:00:00", "timezone": "America/New_York"},
        {"key": "j2", "title": "Away day", "start": "2035-02-02", "timezone": "Europe/Berlin", "all_day": True},
    ]
    lines[1]["tags"] = ["Team II"]
    source = write(tmp_path, "events.jsonl", "\n".join(json.dumps(line) for line in lines) + "\n")

    result = cli("event", "import", "owner", "main", source, "--json")

    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout) == {
        "dry_run": False,
        "added": ["j1", "j2"],
        "changed": [],
        "removed": [],
        "unchanged": 0,
    }
    events = listed(cli)
    assert events["j1"]["start_at"] == "2035-02-02T00:00:00Z"
    assert events["j2"]["tags"] == ["Team II"]


def test_a_dry_run_prints_the_changes_and_writes_nothing(cli: Cli, owner: Persona, tmp_path: Path) -> None:
    source = write(tmp_path, "fixtures.csv", FIXTURES)
    assert cli("event", "import", "owner", "main", source).exit_code == 0
    before = listed(cli)
    edited = (
        FIXTURES.replace("Union – Köln", "Union – 1. FC Köln").replace(HEADER, "")
        + "m3,Union – Mainz,2035-03-17T15:30:00,,Europe/Berlin,,,,,,\n"
    )
    edited = HEADER + "\n".join(line for line in edited.splitlines() if not line.startswith("cup,")) + "\n"
    write(tmp_path, "fixtures.csv", edited)

    result = cli("event", "import", "owner", "main", source, "--dry-run")

    assert result.exit_code == 0, result.stderr
    assert result.stdout.splitlines() == [
        "+ m3\tUnion – Mainz",
        "~ m2\tUnion – 1. FC Köln",
        "- cup\tCup final",
        "Dry run, nothing was written: 1 to add, 1 to change, 1 to remove, 1 unchanged.",
    ]
    assert listed(cli) == before
    real = cli("event", "import", "owner", "main", source)
    assert real.stdout.splitlines()[-1] == "Imported: 1 added, 1 changed, 1 removed, 1 unchanged."
    assert sorted(listed(cli)) == ["m1", "m2", "m3"]


def test_bad_rows_are_named_by_line_and_nothing_is_imported(cli: Cli, owner: Persona, tmp_path: Path) -> None:
    bad = HEADER + (
        "ok,Fine,2035-03-03T15:30:00,,Europe/Berlin,,,,,,\n"
        "late,Ends early,2035-03-03T15:30:00,2035-03-03T14:00:00,Europe/Berlin,,,,,,\n"
        "odd,Odd tag,2035-03-03T15:30:00,,Europe/Berlin,,Team IX,,,,\n"
        "when,No date,next tuesday,,Europe/Berlin,,,,,,\n"
        ",No key,2035-03-03T15:30:00,,Europe/Berlin,,,,,,\n"
        "ok,Twice,2035-03-04T15:30:00,,Europe/Berlin,maybe,,,,,\n"
    )

    result = cli("event", "import", "owner", "main", write(tmp_path, "bad.csv", bad))

    assert result.exit_code == 1
    assert "Traceback" not in result.stderr
    assert result.stderr.splitlines() == [
        "Error: Nothing was imported: 5 rows cannot be read.",
        "line 3: The event ends before it starts; give an end at or after the start.",
        "line 4: The calendar has no tag 'Team IX'; its tags are: All Teams, Team I, Team II.",
        "line 5: start 'next tuesday' is not a date and time such as 2019-02-21T15:00:00.",
        "line 6: key is missing; every row needs one.",
        "line 7: all_day is true or false (or yes/no, 1/0), not 'maybe'.",
    ]
    assert listed(cli) == {}


def test_a_file_that_is_not_what_it_claims_gets_a_sentence(cli: Cli, owner: Persona, tmp_path: Path) -> None:
    broken_json = cli("event", "import", "owner", "main", write(tmp_path, "x.jsonl", '{"key": "a",\n[1]\n'))
    wrong_header = cli("event", "import", "owner", "main", write(tmp_path, "x.csv", "id,name\n1,A\n"))
    missing = cli("event", "import", "owner", "main", str(tmp_path / "nothing.ics"))

    assert broken_json.stderr.splitlines()[1:] == [
        "line 1: this is not a JSON object; each line holds one event as {...}.",
        "line 2: this is not a JSON object; each line holds one event as {...}.",
    ]
    assert wrong_header.stderr.splitlines()[1].startswith("line 1: the header row must name the columns key, title")
    assert missing.stderr.startswith(f"Error: The file {tmp_path / 'nothing.ics'} cannot be read (No such file")
    assert {broken_json.exit_code, wrong_header.exit_code, missing.exit_code} == {1}


def test_a_key_of_an_event_added_by_hand_is_not_taken_over(cli: Cli, owner: Persona, tmp_path: Path) -> None:
    added = cli(
        "event", "add", "owner", "main", "--title", "Mine", "--start", "2035-03-03T10:00", "--timezone", "UTC",
        "--key", "m1",
    )  # fmt: skip
    assert added.exit_code == 0, added.stderr

    result = cli("event", "import", "owner", "main", write(tmp_path, "fixtures.csv", FIXTURES))

    assert result.exit_code == 1
    assert result.stderr.splitlines()[1] == (
        "line 2: The calendar 'main' already has (or had) an event 'm1' added one by one (calcast event add or the "
        "API); give this event another key, or delete the other one."
    )
    assert sorted(listed(cli)) == ["m1"]


def test_it_imports_an_ics_file_from_the_command_line(
    cli: Cli, owner: Persona, database: Database, tmp_path: Path
) -> None:
    # Ten years ahead, so that the 2035 training series is expanded whenever this runs before 2035.
    horizon = {"CALCAST_IMPORT_HORIZON_DAYS": "3660"}

    first = cli("event", "import", "owner", "main", str(SEASON), "--tag", "Team I", env=horizon)
    again = cli("event", "import", "owner", "main", str(SEASON), "--tag", "Team I", env=horizon)

    assert first.stdout.splitlines()[-1] == "Imported: 10 added, 0 changed, 0 removed, 0 unchanged."
    assert again.stdout.splitlines() == ["Imported: 0 added, 0 changed, 0 removed, 10 unchanged."]
    events = stored_events(database)
    assert {event.import_source for event in events.values()} == {"season-2035.ics"}
    assert listed(cli)["derby-2035@fixtures.example.com"]["tags"] == ["Team I"]


def test_an_unknown_tag_option_is_one_sentence(cli: Cli, owner: Persona, tmp_path: Path) -> None:
    result = cli("event", "import", "owner", "main", write(tmp_path, "f.csv", FIXTURES), "--tag", "Team IX")

    assert (result.exit_code, result.stderr) == (
        1,
        "Error: The calendar has no tag 'Team IX'; its tags are: All Teams, Team I, Team II.\n",
    )
