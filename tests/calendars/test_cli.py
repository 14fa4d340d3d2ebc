from __future__ import annotations

import hashlib
import hmac
import json
import re
from datetime import UTC, datetime
from urllib.parse import parse_qs, urlsplit

from fastapi.testclient import TestClient
from sqlalchemy import func, select

from calcast.calendars.models import BroadcastEvent, Calendar
from calcast.core.db import Database
from calcast.subscriptions.models import Subscription
from tests.conftest import Cli


def setup_account(cli: Cli) -> None:
    assert cli("account", "create", "brazetest", "--name", "Braze Test").exit_code == 0


def test_it_creates_a_calendar_with_tags_and_settings(cli: Cli) -> None:
    setup_account(cli)
    done = cli(
        "calendar",
        "create",
        "brazetest",
        "test-calendar-1",
        "--title",
        "Test Calendar 1",
        "--tag",
        "All Teams",
        "--tag",
        "Team I",
        "--email-capture",
        "required",
        "--language",
        "de",
        "--no-merge",
        "--subscriber-id-fallback",
        "--json",
    )
    assert done.exit_code == 0, done.stderr
    calendar = json.loads(done.stdout)
    assert calendar["title"] == "Test Calendar 1"
    assert [(t["name"], t["is_default"]) for t in calendar["tags"]] == [
        ("All Teams", True),
        ("Team I", False),
    ]
    assert calendar["email_capture"] == "required"
    assert calendar["language"] == "de"
    assert calendar["merge_flag"] is False
    assert calendar["subscriber_id_fallback"] is True
    shown = cli("calendar", "show", "brazetest", "test-calendar-1")
    assert "All Teams (default), Team I" in shown.stdout
    assert "e-mail capture required" in shown.stdout
    assert [c["code"] for c in json.loads(cli("calendar", "list", "brazetest", "--json").stdout)] == ["test-calendar-1"]


def test_a_calendar_of_an_unknown_account_is_refused(cli: Cli, database: Database) -> None:
    done = cli("calendar", "create", "ghost", "cal", "--title", "T")
    assert done.exit_code == 1
    assert "There is no account with the code 'ghost'" in done.stderr
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Calendar)) == 0


def test_a_bad_choice_is_refused_by_the_command(cli: Cli) -> None:
    setup_account(cli)
    done = cli("calendar", "create", "brazetest", "cal", "--title", "T", "--email-capture", "sometimes")
    assert done.exit_code == 2
    assert "sometimes" in done.stderr


def test_tag_add_appends_and_can_mark_default(cli: Cli) -> None:
    setup_account(cli)
    cli("calendar", "create", "brazetest", "cal", "--title", "T", "--tag", "A")
    tag = json.loads(cli("tag", "add", "brazetest", "cal", "B", "--default", "--json").stdout)
    assert tag["name"] == "B"
    assert tag["position"] == 1
    assert tag["is_default"] is True
    duplicate = cli("tag", "add", "brazetest", "cal", "B")
    assert duplicate.exit_code == 1
    assert "already has a tag 'B'" in duplicate.stderr
    assert cli("tag", "add", "brazetest", "nocal", "C").exit_code == 1


def test_event_add_reads_windows_zones_and_naive_local_times(cli: Cli) -> None:
    setup_account(cli)
    cli("calendar", "create", "brazetest", "cal", "--title", "T", "--tag", "All Teams", "--tag", "Team I")
    done = cli(
        "event",
        "add",
        "brazetest",
        "cal",
        "--title",
        "Kick-off",
        "--start",
        "2019-02-21T15:00:00",
        "--end",
        "2019-02-21T16:00",
        "--timezone",
        "Eastern Standard Time",
        "--tag",
        "Team I",
        "--notify-before",
        "15",
        "--json",
    )
    assert done.exit_code == 0, done.stderr
    event = json.loads(done.stdout)
    assert datetime.fromisoformat(event["start_at"]) == datetime(2019, 2, 21, 20, 0, tzinfo=UTC)
    assert datetime.fromisoformat(event["end_at"]) == datetime(2019, 2, 21, 21, 0, tzinfo=UTC)
    assert event["timezone"] == "America/New_York"
    assert event["tags"] == ["Team I"]
    assert event["notify_before"] == 15
    listed = cli("event", "list", "brazetest", "cal")
    when, key, title, tags = listed.stdout.strip().split("\t")
    assert (when, key, title, tags) == ("2019-02-21 20:00Z", event["event_key"], "Kick-off", "Team I")


def test_event_add_rejects_bad_input_and_stores_nothing(cli: Cli, database: Database) -> None:
    setup_account(cli)
    cli("calendar", "create", "brazetest", "cal", "--title", "T", "--tag", "All Teams")
    cases = [
        (["--timezone", "Mars Standard Time"], "The time zone 'Mars Standard Time' is not known"),
        (["--timezone", "UTC", "--tag", "Nope"], "The calendar has no tag 'Nope'"),
        (["--timezone", "UTC", "--end", "2030-01-01T09:00"], "The event ends before it starts"),
        (["--timezone", "UTC", "--start", "tomorrow"], "start 'tomorrow' is not a date and time"),
    ]
    for extra, message in cases:
        args = ["event", "add", "brazetest", "cal", "--title", "X", "--start", "2030-01-01T10:00"]
        if "--start" in extra:
            args = args[:-2]
        done = cli(*args, *extra)
        assert done.exit_code == 1, (extra, done.stdout)
        assert message in done.stderr
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BroadcastEvent)) == 0


def test_demo_is_idempotent_and_prints_what_to_do_next(cli: Cli) -> None:
    first = cli("demo", "--no-serve")
    second = cli("demo", "--no-serve")
    assert first.exit_code == 0, first.stderr
    assert first.stdout == second.stdout
    assert re.search(r"https://calcast\.test/demo/season\?external_id=fan-1&sig=[0-9a-f]{64}\n", first.stdout)
    assert "client_secret" in first.stdout
    calendar = json.loads(cli("calendar", "show", "demo", "season", "--json").stdout)
    assert len(calendar["tags"]) == 3
    titles = [event["title"] for event in json.loads(cli("event", "list", "demo", "season", "--json").stdout)]
    # The four events to look at, beside the past matchdays of the demo's 90 days of history.
    assert {"Season opener: Team Red vs Team Blue", "Team Red open training", "Team Blue fan evening"} < set(titles)
    assert "Ticket sale starts" in titles
    assert len(titles) == len(set(titles))
    assert len(json.loads(cli("client", "list", "demo", "--json").stdout)) == 1


def test_calendar_create_takes_the_landing_page_texts(cli: Cli) -> None:
    setup_account(cli)
    done = cli(
        "calendar",
        "create",
        "brazetest",
        "cal",
        "--title",
        "T",
        "--image-url",
        "https://img.example/cal.png",
        "--opt-in1-label",
        "Send me news",
        "--opt-in2-label",
        "Partner offers",
        "--default-duration",
        "90",
        "--json",
    )
    calendar = json.loads(done.stdout)
    assert calendar["image_url"] == "https://img.example/cal.png"
    assert (calendar["opt_in1_label"], calendar["opt_in2_label"]) == ("Send me news", "Partner offers")
    assert calendar["default_duration_minutes"] == 90


def test_event_update_replaces_in_place_and_bumps_the_sequence_only_on_change(cli: Cli) -> None:
    setup_account(cli)
    cli("calendar", "create", "brazetest", "cal", "--title", "T", "--tag", "All Teams", "--tag", "Team I")
    cli(
        "event",
        "add",
        "brazetest",
        "cal",
        "--key",
        "match-1",
        "--title",
        "Kick-off",
        "--start",
        "2030-05-01T18:00",
        "--timezone",
        "Europe/Berlin",
    )
    args = [
        "event",
        "update",
        "brazetest",
        "cal",
        "match-1",
        "--title",
        "Kick-off (moved)",
        "--start",
        "2030-05-01T20:00",
        "--timezone",
        "W. Europe Standard Time",
        "--tag",
        "Team I",
        "--json",
    ]
    first = json.loads(cli(*args).stdout)
    again = json.loads(cli(*args).stdout)
    assert first["event_key"] == "match-1"
    assert first["title"] == "Kick-off (moved)"
    assert datetime.fromisoformat(first["start_at"]) == datetime(2030, 5, 1, 18, 0, tzinfo=UTC)
    assert first["tags"] == ["Team I"]
    assert first["sequence"] == 1
    assert again["sequence"] == 1
    listed = cli("event", "list", "brazetest", "cal").stdout
    assert "match-1\tKick-off (moved)\tTeam I" in listed


def test_event_delete_removes_it_and_unknown_keys_fail_clearly(cli: Cli) -> None:
    setup_account(cli)
    cli("calendar", "create", "brazetest", "cal", "--title", "T")
    cli(
        "event",
        "add",
        "brazetest",
        "cal",
        "--key",
        "match-1",
        "--title",
        "Kick-off",
        "--start",
        "2030-05-01T18:00",
        "--timezone",
        "UTC",
    )
    assert cli("event", "delete", "brazetest", "cal", "match-1").exit_code == 0
    assert cli("event", "list", "brazetest", "cal").stdout.strip() == "No events."
    again = cli("event", "delete", "brazetest", "cal", "match-1")
    assert again.exit_code == 1
    assert "has no event 'match-1'" in again.stderr
    reused = cli(
        "event",
        "add",
        "brazetest",
        "cal",
        "--key",
        "match-1",
        "--title",
        "X",
        "--start",
        "2030-05-02T18:00",
        "--timezone",
        "UTC",
    )
    assert reused.exit_code == 1
    assert "already has (or had) an event 'match-1'" in reused.stderr


def test_an_all_day_broadcast_event_spans_whole_local_days(cli: Cli) -> None:
    setup_account(cli)
    cli("calendar", "create", "brazetest", "cal", "--title", "T")
    done = cli(
        "event",
        "add",
        "brazetest",
        "cal",
        "--title",
        "Festival",
        "--start",
        "2030-07-04",
        "--end",
        "2030-07-05",
        "--timezone",
        "Eastern Standard Time",
        "--all-day",
        "--json",
    )
    event = json.loads(done.stdout)
    assert event["all_day"] is True
    assert datetime.fromisoformat(event["start_at"]) == datetime(2030, 7, 4, 4, 0, tzinfo=UTC)
    assert datetime.fromisoformat(event["end_at"]) == datetime(2030, 7, 6, 4, 0, tzinfo=UTC)


def test_new_calendars_trust_only_signed_links_and_the_mode_can_be_changed(cli: Cli) -> None:
    setup_account(cli)
    created = json.loads(cli("calendar", "create", "brazetest", "cal", "--title", "T", "--json").stdout)
    assert created["identity"] == "signed"
    done = cli("calendar", "update", "brazetest", "cal", "--identity", "unsigned")
    assert done.exit_code == 0, done.stderr
    assert "identity unsigned" in done.stdout
    assert json.loads(cli("calendar", "show", "brazetest", "cal", "--json").stdout)["identity"] == "unsigned"
    other = cli("calendar", "create", "brazetest", "cal2", "--title", "T", "--identity", "unsigned", "--json")
    assert json.loads(other.stdout)["identity"] == "unsigned"
    refused = cli("calendar", "update", "brazetest", "cal", "--identity", "sometimes")
    assert refused.exit_code == 2
    assert "sometimes" in refused.stderr


def test_calendar_link_signs_the_external_id_so_the_landing_page_trusts_it(
    cli: Cli, database: Database, client: TestClient
) -> None:
    setup_account(cli)
    cli("calendar", "create", "brazetest", "cal", "--title", "T", "--tag", "All Teams")
    assert cli("calendar", "link", "brazetest", "cal").stdout.strip() == "https://calcast.test/brazetest/cal"
    unkeyed = cli("calendar", "link", "brazetest", "cal", "--external-id", "crm 42/ä")
    assert unkeyed.exit_code == 1
    assert unkeyed.stderr.strip() == (
        "Error: The account 'brazetest' has no link key yet; create one with `calcast account link-key brazetest`."
    )
    key = json.loads(cli("account", "link-key", "brazetest", "--json").stdout)["link_key"]
    done = cli("calendar", "link", "brazetest", "cal", "--external-id", "crm 42/ä")
    assert done.exit_code == 0, done.stderr
    url = urlsplit(done.stdout.strip())
    assert f"{url.scheme}://{url.netloc}{url.path}" == "https://calcast.test/brazetest/cal"
    query = parse_qs(url.query)
    assert query["external_id"] == ["crm 42/ä"]
    assert query["sig"] == [hmac.new(key.encode(), "crm 42/ä".encode(), hashlib.sha256).hexdigest()]

    page = client.get(f"{url.path}?{url.query}")
    hidden = dict(re.findall(r'<input type="hidden" name="(\w+)" value="([^"]*)">', page.text))
    response = client.post(url.path, data={**hidden, "tags": ["All Teams"]}, follow_redirects=False)
    assert response.status_code == 303
    with database.sessions() as session:
        subscription = session.scalars(select(Subscription)).one()
        assert (subscription.subscriber_id, subscription.unverified_subscriber_id) == ("crm 42/ä", None)


def test_calendar_link_with_a_key_from_another_server_key_says_what_to_do(cli: Cli) -> None:
    setup_account(cli)
    cli("calendar", "create", "brazetest", "cal", "--title", "T")
    cli("account", "link-key", "brazetest")
    done = cli(
        "calendar", "link", "brazetest", "cal", "--external-id", "x", env={"CALCAST_SECRET_KEY": "another-key-" * 3}
    )
    assert done.exit_code == 1
    assert done.stderr.strip() == (
        "Error: The link key of 'brazetest' was stored under another CALCAST_SECRET_KEY; "
        "create a new one with `calcast account link-key brazetest --rotate`."
    )
