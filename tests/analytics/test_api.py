"""GET /v2/stats: the same numbers as `calcast stats --json` and the console's dashboard, for every range and
filter; only the account's own client may ask, and a bad range gets a sentence."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from fastapi.testclient import TestClient

from calcast.analytics import rollups
from calcast.calendars import service as calendars
from calcast.core.db import Database
from tests.conftest import Cli, Persona
from tests.console.conftest import ConsolePersona, act_as
from tests.console.test_numbers import RANGES, World, account_view, tiles
from tests.rokt_api import bearer, subscribe

# The dashboard's filters, as GET parameters; `calendar` is the path's calendar for the API and the CLI.
FILTERS: list[dict[str, str]] = [
    {},
    {"app": "apple"},
    {"tag": "Team I"},
    {"calendar": "main"},
    {"calendar": "main", "app": "outlook"},
    {"device": "unknown"},
]


def _cli_arguments(parameters: dict[str, str]) -> list[str]:
    found = [parameters["calendar"]] if "calendar" in parameters else []
    for name, value in parameters.items():
        if name == "range":
            found += ["--range", value]
        elif name == "start":
            found += ["--from", value]
        elif name == "end":
            found += ["--to", value]
        elif name != "calendar":
            found += [f"--{name}", value]
    return found


def _without_now(entry: dict[str, Any]) -> dict[str, Any]:
    """An entry without its end, which is the moment it was asked for when the range ends now."""
    return {name: value for name, value in entry.items() if name != "until"}


def _api(client: TestClient, headers: dict[str, str], parameters: dict[str, str]) -> list[dict[str, Any]]:
    query = {name: value for name, value in parameters.items() if name != "calendar"}
    if "calendar" in parameters:
        response = client.get(f"/v2/stats/owner/{parameters['calendar']}?{urlencode(query)}", headers=headers)
        assert response.status_code == 200, response.text
        return [response.json()]
    response = client.get(f"/v2/stats/owner?{urlencode(query)}", headers=headers)
    assert response.status_code == 200, response.text
    found: list[dict[str, Any]] = response.json()
    return found


def _cli(cli: Cli, parameters: dict[str, str]) -> list[dict[str, Any]]:
    done = cli("stats", "owner", *_cli_arguments(parameters), "--json")
    assert done.exit_code == 0, done.stderr
    found: list[dict[str, Any]] = json.loads(done.stdout)
    return found


def test_the_api_answers_the_numbers_of_calcast_stats_and_the_dashboard_for_every_range_and_filter(
    client: TestClient,
    database: Database,
    cli: Cli,
    owner: Persona,
    personas: dict[str, ConsolePersona],
    world: World,
) -> None:
    rollups.roll_up(transaction=database.transaction)
    headers = bearer(client, owner)
    day = (world.today - timedelta(days=4)).date().isoformat()
    views = [{"range": name} for name in RANGES] + [{"range": "custom", "start": day, "end": day}]
    for view in views:
        for chosen in FILTERS if view["range"] in ("7d", "all") else FILTERS[:1]:
            parameters = {**view, **chosen}
            answered = _api(client, headers, parameters)
            printed = _cli(cli, parameters)
            assert [_without_now(entry) for entry in answered] == [_without_now(entry) for entry in printed], parameters
            page = act_as(client, personas["viewer"]).get(f"/console/owner?{urlencode(parameters)}")
            assert page.status_code == 200, parameters
            by_calendar = {str(entry["calendar_code"]): entry for entry in answered}
            assert tiles(page.text) == account_view(by_calendar), parameters


def test_the_numbers_are_exact_and_follow_the_filters(
    client: TestClient, database: Database, owner: Persona, other: Persona, world: World
) -> None:
    subscribe(database, other, "someone-else")  # another account's subscriber never counts here
    headers = bearer(client, owner)
    main = client.get("/v2/stats/owner/main?range=7d", headers=headers).json()
    assert (main["calendar_code"], main["period"], main["days"]) == ("main", "7d", 7)
    assert (main["active"], main["new"], main["unsubscribed"]) == (4, 1, 1)  # s5 new, s3 ended a day ago
    assert (main["reminders_sent"], main["clicked_people"], main["clicks"], main["bot_clicks"]) == (5, 2, 3, 1)
    assert main["engagement"] == 0.5
    assert main["polls"] == {"apple": 7, "google": 2, "outlook": 1}
    assert main["by_tag"] == {"All Teams": 0, "Team I": 3, "Team II": 1}
    # Apple's subscribers only: s1 and s5 on main (both clicked), s6 on the second calendar.
    apple = client.get("/v2/stats/owner?range=7d&app=apple", headers=headers).json()
    assert [(item["calendar_code"], item["active"], item["reminders_sent"]) for item in apple] == [
        ("main", 2, 3),
        ("second", 1, 1),
    ]
    assert apple[0]["polls"] == {"apple": 7}
    # Team I: s1, s4 and s5 active; feed fetches are not kept per tag, so they are not counted (null).
    team = client.get("/v2/stats/owner/main?range=7d&tag=Team+I", headers=headers).json()
    assert (team["active"], team["reminders_sent"], team["polls"]) == (3, 5, None)
    assert team["by_tag"] == {"All Teams": 0, "Team I": 3, "Team II": 0}
    # The dashboard's `calendar` parameter on the account's address: that calendar's entry alone.
    one = client.get("/v2/stats/owner?range=7d&calendar=main", headers=headers).json()
    assert [item["calendar_code"] for item in one] == ["main"]
    assert {**one[0], "until": None} == {**main, "until": None}
    missing = client.get("/v2/stats/owner?range=7d&calendar=nope", headers=headers)
    assert missing.status_code == 404
    assert "nope" in missing.json()["Reason"]
    nobody = client.get("/v2/stats/owner/main?range=7d&country=ZZ", headers=headers).json()
    assert (nobody["active"], nobody["reminders_sent"], nobody["engagement"]) == (0, 0, None)


def test_only_the_accounts_own_client_may_ask(
    client: TestClient, database: Database, owner: Persona, other: Persona, anonymous: Persona
) -> None:
    with database.transaction() as session:
        calendars.create_calendar(
            session=session, account_code="other", code="theirs", settings=calendars.CalendarSettings(title="Theirs")
        )
    for path in ("/v2/stats/owner", "/v2/stats/owner/main"):
        nobody = client.get(path)
        assert nobody.status_code == 401
        assert "Authorization" in nobody.json()["Reason"]
        stranger = client.get(path, headers=bearer(client, other))
        assert stranger.status_code == 403
        assert "'other', not 'owner'" in stranger.json()["Reason"]
    # The owner's client, asking for another account's calendar in its own account: there is none.
    missing = client.get("/v2/stats/owner/theirs", headers=bearer(client, owner))
    assert missing.status_code == 404
    assert "theirs" in missing.json()["Reason"]
    assert client.get("/v2/stats/other/theirs", headers=bearer(client, other)).status_code == 200


def test_a_bad_range_gets_a_sentence(client: TestClient, owner: Persona) -> None:
    headers = bearer(client, owner)
    cases = {
        "range=forever": "The range 'forever' does not exist; use one of today, yesterday",
        "range=custom": "A custom range needs a first and a last day",
        "range=custom&start=2026-02-10&end=2026-02-01": "is before the first day",
        "range=custom&start=tomorrow&end=2026-02-01": "start 'tomorrow' is not a date",
        "range=custom&start=2026-01-01&end=2040-01-01": "at most ten years",
        "range=custom&start=2999-01-01&end=2999-01-02": "is in the future",
        f"range=7d&tag={'x' * 300}": "tag",
    }
    for path in ("/v2/stats/owner", "/v2/stats/owner/main"):
        for query, sentence in cases.items():
            response = client.get(f"{path}?{query}", headers=headers)
            assert response.status_code == 422, (path, query, response.text)
            reason = response.json()["Reason"]
            assert sentence in reason, (query, reason)
            assert reason.endswith("."), reason
