"""`calcast braze templates|render|send`: output a person pastes, and sending as Braze would (local server)."""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime
from pathlib import Path

import pytest
from typer.testing import CliRunner

from calcast.brazesim.sender import USER_AGENT, retry_after_seconds
from calcast.cli import app
from calcast.core.config import get_settings
from tests.brazesim.local_http import Answer, LocalServer, local_server

TOKEN = '{"access_token": "tok-123", "token_type": "bearer", "expires_in": 300}'
SUBSCRIPTION = "06423672-b6ba-4536-aa36-70788a7a0a36"


@dataclass
class Run:
    exit_code: int
    stdout: str
    stderr: str


# The `calcast` fixture: `calcast("render", …)` runs `calcast braze render …`.
Calcast = Callable[..., Run]


@pytest.fixture
def calcast(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Calcast]:
    """Run `calcast …` in-process; these commands need no database."""
    monkeypatch.setenv("CALCAST_BASE_URL", "https://calendar.brand.example")
    monkeypatch.setenv("CALCAST_DATABASE_URL", f"sqlite:///{tmp_path / 'unused.db'}")

    def run(*args: str) -> Run:
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["braze", *args], catch_exceptions=False)
        get_settings.cache_clear()
        return Run(result.exit_code, result.stdout, result.stderr)

    yield run
    get_settings.cache_clear()


@pytest.fixture
def server() -> Iterator[LocalServer]:
    with local_server() as running:
        running.on("/oauth2/token", Answer(200, TOKEN))
        yield running


@pytest.fixture
def user(tmp_path: Path) -> Path:
    path = tmp_path / "user.json"
    path.write_text(
        json.dumps(
            {
                "external_id": "ext-42",
                "email": "fan@example.com",
                "custom_attributes": {
                    "rokt:account_code": ["brazetest/f5733866ade2"],
                    "rokt:subscription_id": [SUBSCRIPTION],
                },
            }
        )
    )
    return path


def test_templates_prints_each_template_ready_to_paste_with_the_configured_url(calcast: Calcast) -> None:
    result = calcast()
    assert result.exit_code == 2  # no sub-command: help
    printed = calcast("templates")
    assert printed.exit_code == 0
    for name in ("== new-event ==", "== update-event ==", "== delete-event =="):
        assert name in printed.stdout
    assert "https://calendar.brand.example/v1/subscriptionevent/{{accountCode}}" in printed.stdout
    assert "https://calendar.brand.example/oauth2/token :method post :basic_auth calcast-api" in printed.stdout
    assert "calcast.example.com" not in printed.stdout
    assert "api.roktcalendar.com" not in printed.stdout
    assert 'credential named\n"calcast-api"' in printed.stdout
    assert "HTTP method: DELETE" in printed.stdout


def test_templates_takes_a_base_url_and_prints_json(calcast: Calcast) -> None:
    result = calcast("templates", "--base-url", "https://cal.other.example/", "--json")
    data = json.loads(result.stdout)
    assert data["credential"] == "calcast-api"
    new_event = data["templates"][0]
    assert new_event["url"].endswith("https://cal.other.example/v1/subscriptionevent/{{accountCode}}")
    assert new_event["headers"]["Content-Type"] == "application/json"
    assert "json_escape" in new_event["body"]


def test_render_prints_the_request_after_calling_the_token_endpoint(
    calcast: Calcast, server: LocalServer, user: Path
) -> None:
    result = calcast(
        "render", "new-event", "--user", str(user), "--base-url", server.url, "--credentials", "cid:csecret"
    )
    assert result.exit_code == 0, result.stderr
    head, _, body = result.stdout.partition("\n\n")
    assert head.splitlines() == [
        f"POST {server.url}/v1/subscriptionevent/brazetest",
        "Authorization: Bearer tok-123",
        "Content-Type: application/json",
    ]
    assert json.loads(body)["subscriptionIds"] == [SUBSCRIPTION]
    assert f"Connected Content: POST {server.url}/oauth2/token" in result.stderr
    assert [r.path for r in server.seen] == ["/oauth2/token"]  # render sends nothing else


def test_render_explains_what_is_missing(calcast: Calcast, server: LocalServer, user: Path, tmp_path: Path) -> None:
    no_user = calcast("render", "new-event", "--base-url", server.url)
    assert no_user.exit_code == 1
    assert "--user user.json" in no_user.stderr
    no_credentials = calcast("render", "new-event", "--user", str(user), "--base-url", server.url)
    assert no_credentials.exit_code == 1
    assert 'credential "calcast-api" is not defined' in no_credentials.stderr
    unknown = calcast("render", "nope", "--user", str(user))
    assert "neither a shipped template (new-event, update-event, delete-event)" in unknown.stderr
    bad_user = tmp_path / "bad.json"
    bad_user.write_text('{"external_id": ')
    broken = calcast("render", "new-event", "--user", str(bad_user), "--credentials", "a:b")
    assert broken.exit_code == 1
    assert "not JSON" in broken.stderr


def _send(calcast: Calcast, server: LocalServer, user: Path, *extra: str) -> Run:
    return calcast(
        "send", "new-event", "--user", str(user), "--base-url", server.url, "--credentials", "cid:csecret", *extra
    )


def test_send_posts_as_braze_sender_with_only_the_templates_headers(
    calcast: Calcast, server: LocalServer, user: Path
) -> None:
    server.on("/v1/subscriptionevent/brazetest", Answer(202, '{"eventId": "Event_0001_ext-42"}'))
    result = _send(calcast, server, user)
    assert result.exit_code == 0
    assert result.stdout.startswith("ext-42: delivered 202")
    [webhook] = server.requests_to("/v1/subscriptionevent/brazetest")
    assert webhook.headers["user-agent"] == USER_AGENT
    assert USER_AGENT.startswith("Braze Sender ")
    assert webhook.headers["authorization"] == "Bearer tok-123"
    assert webhook.headers["content-type"] == "application/json"
    assert json.loads(webhook.body)["event"]["eventId"] == "Event_0001_ext-42"


def test_send_retries_408_429_and_5xx_rendering_again_each_time(
    calcast: Calcast, server: LocalServer, user: Path
) -> None:
    server.on(
        "/v1/subscriptionevent/brazetest",
        Answer(503, "busy"),
        Answer(429, "", {"Retry-After": "0"}),
        Answer(408, ""),
        Answer(202, "{}"),
    )
    result = _send(calcast, server, user, "--retry-delay", "0")
    assert result.stdout.startswith("ext-42: delivered 202 after 4 attempts")
    assert len(server.requests_to("/oauth2/token")) == 4  # each attempt renders, so a fresh token each time


def test_send_honours_retry_after(calcast: Calcast, server: LocalServer, user: Path) -> None:
    server.on("/v1/subscriptionevent/brazetest", Answer(503, "", {"Retry-After": "1"}), Answer(202, "{}"))
    started = time.monotonic()
    result = _send(calcast, server, user, "--retry-delay", "0")
    assert result.exit_code == 0
    assert time.monotonic() - started >= 1.0


def test_send_gives_up_after_five_retries(calcast: Calcast, server: LocalServer, user: Path) -> None:
    server.on("/v1/subscriptionevent/brazetest", Answer(500, '{"Reason": "The database is down."}'))
    result = _send(calcast, server, user, "--retry-delay", "0")
    assert result.exit_code == 1
    assert result.stdout.strip() == "ext-42: gave up 500 after 6 attempts - The database is down."
    assert "1 of 1 messages were not delivered" in result.stderr


def test_send_drops_other_4xx_and_redirects_without_retrying(calcast: Calcast, server: LocalServer, user: Path) -> None:
    server.on("/v1/subscriptionevent/brazetest", Answer(422, '{"Code": 422, "Reason": "No subscription id."}'))
    dropped = _send(calcast, server, user, "--retry-delay", "0")
    assert dropped.stdout.strip() == "ext-42: dropped 422 - No subscription id."
    server.on("/v1/subscriptionevent/brazetest", Answer(307, "", {"Location": "/elsewhere"}))
    moved = _send(calcast, server, user, "--retry-delay", "0")
    assert "dropped 307 - Redirect to /elsewhere not followed" in moved.stdout
    assert server.requests_to("/elsewhere") == []
    assert len(server.requests_to("/v1/subscriptionevent/brazetest")) == 2


def test_send_reports_an_unreachable_host(calcast: Calcast, user: Path, tmp_path: Path) -> None:
    with local_server() as gone:
        url = gone.url
    result = calcast(
        "send", "new-event", "--user", str(user), "--base-url", url, "--credentials", "a:b", "--retry-delay", "0"
    )
    # The token call fails (even after :retry's five retries), so Braze aborts the message.
    assert result.stdout.startswith("ext-42: aborted - Connected Content call to")
    assert "did not answer within 2 seconds after 5 retries" in result.stdout


def test_send_without_the_templates_credential_stops_before_sending(
    calcast: Calcast, server: LocalServer, user: Path
) -> None:
    result = calcast("send", "new-event", "--user", str(user), "--base-url", server.url)
    assert result.exit_code == 1
    assert 'credential "calcast-api" is not defined' in result.stderr
    assert server.seen == []


def test_send_json_prints_one_outcome_per_line(calcast: Calcast, server: LocalServer, user: Path) -> None:
    server.on("/v1/subscriptionevent/brazetest", Answer(202, "{}"))
    result = _send(calcast, server, user, "--json")
    assert json.loads(result.stdout) == {
        "external_id": "ext-42",
        "outcome": "delivered",
        "status": 202,
        "attempts": 1,
        "reason": "{}",
        "unknownSubscriptionIds": [],
        "note": None,
    }


def test_retry_after_is_read_as_seconds_or_an_http_date() -> None:
    now = datetime(2030, 1, 1, tzinfo=UTC)
    assert retry_after_seconds("7") == 7.0
    assert retry_after_seconds(format_datetime(now + timedelta(seconds=30), usegmt=True), now=now) == 30.0
    assert retry_after_seconds(format_datetime(now - timedelta(seconds=30), usegmt=True), now=now) == 0.0
    assert retry_after_seconds("soon") is None
    assert retry_after_seconds(None) is None
