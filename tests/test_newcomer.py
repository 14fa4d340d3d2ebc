"""What someone trying calcast for the first time meets: the demo's printout, the start page, the profile command."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from calcast.braze import payloads
from calcast.braze.service import facts_of
from calcast.calendars import service as calendars
from calcast.core import cli as core_cli
from calcast.core.config import get_settings
from calcast.core.db import Database
from calcast.subscriptions import service as subscriptions
from tests.conftest import Cli, Persona

ROOT = Path(__file__).resolve().parents[1]
URL = re.compile(r"(?:https?|webcal)://[^\s'\"]+")


def printed_urls(text: str) -> list[str]:
    """Every address the text shows a person, leaving out the Liquid template (its URLs are Braze's to render)."""
    return [url for line in text.splitlines() if "{%" not in line and "{{" not in line for url in URL.findall(line)]


def test_the_demo_on_another_port_puts_that_port_in_every_url_it_prints(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    result = cli("demo", "--no-serve", "--port", "8300", env={"CALCAST_BASE_URL": None})
    assert result.exit_code == 0, result.stderr
    urls = printed_urls(result.stdout)
    assert len(urls) >= 8
    assert all(url.split("/")[2] == "127.0.0.1:8300" for url in urls), urls
    assert ":8000" not in result.stdout
    # The template the demo says to paste points at the same server.
    assert "http://127.0.0.1:8300/oauth2/token :method post" in result.stdout


def test_serve_derives_the_base_url_from_host_and_port_unless_it_is_set(
    cli: Cli, monkeypatch: pytest.MonkeyPatch, database: Database, client: TestClient
) -> None:
    started: dict[str, Any] = {}
    monkeypatch.setattr("calcast.server.uvicorn.run", lambda *args, **kwargs: started.update(kwargs))
    monkeypatch.setenv("CALCAST_BASE_URL", "unset below")
    monkeypatch.delenv("CALCAST_BASE_URL")
    cli("serve", "--port", "8301")
    assert started["port"] == 8301
    assert os.environ["CALCAST_BASE_URL"] == "http://127.0.0.1:8301"
    get_settings.cache_clear()
    assert get_settings().base_url == "http://127.0.0.1:8301"

    monkeypatch.setenv("CALCAST_BASE_URL", "https://calendar.example.com")
    cli("serve", "--port", "8302", env={"CALCAST_BASE_URL": "https://calendar.example.com"})
    assert os.environ["CALCAST_BASE_URL"] == "https://calendar.example.com"


def test_make_demo_passes_port_to_the_demo() -> None:
    dry_run = subprocess.run(
        ["make", "-n", "-o", ".venv/.installed", "demo", "PORT=8300"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    assert ".venv/bin/calcast demo --port 8300" in dry_run.stdout


def test_printed_commands_name_calcast_as_it_runs_here(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    script = Path(sys.prefix) / "bin" / "calcast"
    assert script.exists()
    monkeypatch.chdir(script.parents[2])  # the project folder, where `make demo` runs
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    assert core_cli.calcast_command() == ".venv/bin/calcast"
    monkeypatch.chdir(tmp_path)
    assert core_cli.calcast_command() == str(script.resolve())
    monkeypatch.setenv("PATH", f"{script.parent}:/usr/bin:/bin")
    assert core_cli.calcast_command() == "calcast"


def test_the_demo_without_calcast_on_path_prints_runnable_commands_and_how_to_activate(
    cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(Path(sys.prefix).parent)
    monkeypatch.setenv("PATH", "/usr/bin:/bin")
    printed = cli("demo", "--no-serve").stdout
    commands = [line.strip() for line in printed.splitlines() if line.startswith(("    .venv/", "    calcast "))]
    assert commands
    assert all(command.startswith(".venv/bin/calcast ") for command in commands), commands
    assert "`. .venv/bin/activate`" in printed


def test_the_demo_subscribes_fan_1_through_the_subscribe_service(cli: Cli, database: Database) -> None:
    first = cli("demo", "--no-serve").stdout
    again = cli("demo", "--no-serve").stdout
    with database.sessions() as session:
        found = subscriptions.find_by_subscriber(
            session=session, account_code="demo", calendar_code="season", subscriber_id="fan-1"
        )
        assert len(found) == 1
        subscription = found[0]
        assert subscription.is_active
        assert subscription.action_type == "SubscriptionViaCalendarPage"
        feed = subscriptions.feed_url(database.settings, subscription)
    for printed in (first, again):
        assert f'"subscriptionIds": ["{subscription.id}"]' in printed
        assert f"curl -s {feed}" in printed
        assert "braze profile demo fan-1 --output fan-1.json" in printed
        assert "--user fan-1.json" in printed
        assert "copy its id from the confirmation page" not in printed


def test_braze_profile_writes_what_the_sync_holds_for_the_persons_active_subscriptions(
    cli: Cli, database: Database, owner: Persona, tmp_path: Path
) -> None:
    with database.transaction() as session:
        calendars.create_calendar(
            session=session,
            account_code="owner",
            code="second",
            settings=calendars.CalendarSettings(title="Second"),
            tags=("News",),
        )
        ids = []
        for code in ("main", "second"):
            done = subscriptions.subscribe(
                session=session,
                settings=database.settings,
                account_code="owner",
                calendar_code=code,
                details=subscriptions.SubscriberDetails(subscriber_id="ext-60"),
            )
            ids.append(done.subscription.id)
        ended = subscriptions.subscribe(
            session=session,
            settings=database.settings,
            account_code="owner",
            calendar_code="main",
            details=subscriptions.SubscriberDetails(subscriber_id="ext-61"),
        ).subscription
        subscriptions.deactivate(session=session, subscription=ended)
        expected: dict[str, list[str]] = {}
        for subscription_id in ids:
            subscription = subscriptions.get_subscription(session=session, subscription_id=subscription_id)
            for name, values in payloads.attribute_values(facts_of(session=session, subscription=subscription)).items():
                expected.setdefault(name, []).extend(value for value in values if value not in expected[name])
    output = tmp_path / "ext-60.json"
    result = cli("braze", "profile", "owner", "ext-60", "--output", str(output))
    assert result.exit_code == 0, result.stderr
    written = json.loads(output.read_text())
    assert written["external_id"] == "ext-60"
    assert written["custom_attributes"] == {name: values for name, values in expected.items() if values}
    assert written["custom_attributes"]["rokt:subscription_id"] == ids

    nobody = cli("braze", "profile", "owner", "ext-61")
    assert nobody.exit_code == 1
    assert nobody.stderr.strip() == (
        "Error: 'ext-61' has no active subscription in account 'owner'; "
        "subscribe with that external id first (the landing page or POST /v2/subscribe)."
    )


def test_the_address_the_server_prints_is_a_start_page(cli: Cli, client: TestClient) -> None:
    before = client.get("/")
    assert before.status_code == 200
    assert before.headers["content-type"].startswith("text/html")
    assert 'href="/docs"' in before.text
    assert "calcast demo" in before.text
    assert 'href="/demo/season"' not in before.text
    cli("demo", "--no-serve")
    after = client.get("/")
    assert 'href="/demo/season"' in after.text
    assert client.get("/demo/season").status_code == 200
    assert client.get("/docs").status_code == 200
