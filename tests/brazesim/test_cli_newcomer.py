"""`calcast braze send` walked as docs/braze.md writes it, by someone trying calcast for the first time."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from calcast.core.db import Database
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription
from tests.brazesim.live_server import serve_calcast
from tests.brazesim.local_http import Answer, LocalServer, local_server
from tests.conftest import Cli, Persona
from tests.rokt_api import stored_event, subscribe

TOKEN = '{"access_token": "tok-123", "token_type": "bearer", "expires_in": 300}'


@pytest.fixture
def calcast_url(database: Database) -> Iterator[str]:
    with serve_calcast(database) as url:
        yield url


def write_profile(path: Path, external_id: str, account_code: str, subscription_ids: list[str]) -> Path:
    path.write_text(
        json.dumps(
            {
                "external_id": external_id,
                "custom_attributes": {
                    "rokt:account_code": [f"{account_code}/0123456789ab"],
                    "rokt:subscription_id": subscription_ids,
                },
            }
        )
    )
    return path


def send(cli: Cli, user: Path, url: str, credentials: str, *extra: str) -> Any:
    return cli(
        "braze", "send", "new-event", "--user", str(user), "--base-url", url,
        "--credentials", credentials, "--retry-delay", "0", *extra,
    )  # fmt: skip


def test_the_shipped_sample_event_appears_in_the_subscribers_feed(
    cli: Cli, database: Database, owner: Persona, calcast_url: str, tmp_path: Path
) -> None:
    subscription_id = subscribe(database, owner, "ext-50")
    user = write_profile(tmp_path / "ext-50.json", "ext-50", "owner", [subscription_id])
    result = send(cli, user, calcast_url, f"{owner.client_id}:{owner.client_secret}")
    assert result.exit_code == 0, result.stdout + result.stderr
    assert stored_event(database, "Event_0001_ext-50") is not None
    with database.sessions() as session:
        subscription = session.get(Subscription, subscription_id)
        assert subscription is not None
        feed = subscriptions.feed_url(database.settings, subscription).replace(database.settings.base_url, calcast_url)
    ics = httpx.get(feed).text
    # The partner page's 2019-02-21 sample is outside every feed's window: the event would never show.
    assert "SUMMARY:Event Title" in ics
    assert "note -" not in result.stdout


def test_sending_to_subscription_ids_calcast_does_not_know_says_so_and_fails(
    cli: Cli, database: Database, owner: Persona, calcast_url: str, tmp_path: Path
) -> None:
    unknown = "06423672-b6ba-4536-aa36-70788a7a0a36"
    user = write_profile(tmp_path / "ext-51.json", "ext-51", "owner", [unknown])
    result = send(cli, user, calcast_url, f"{owner.client_id}:{owner.client_secret}")
    assert result.exit_code == 1
    assert result.stdout.startswith("ext-51: delivered 202, but 0 of 1 subscriptions known to calcast")
    assert "--allow-unknown" in result.stderr

    allowed = send(cli, user, calcast_url, f"{owner.client_id}:{owner.client_secret}", "--allow-unknown")
    assert allowed.exit_code == 0
    assert "but 0 of 1 subscriptions known to calcast" in allowed.stdout


def test_one_known_subscription_of_two_is_reported_but_not_a_failure(
    cli: Cli, database: Database, owner: Persona, calcast_url: str, tmp_path: Path
) -> None:
    known = subscribe(database, owner, "ext-52")
    user = write_profile(tmp_path / "ext-52.json", "ext-52", "owner", [known, "1f6c6a5e-9f0a-4c43-9d6c-0d9a1c0b2e11"])
    result = send(cli, user, calcast_url, f"{owner.client_id}:{owner.client_secret}")
    assert result.exit_code == 0, result.stderr
    assert "delivered 202, but 1 of 2 subscriptions known to calcast" in result.stdout


@pytest.fixture
def answering() -> Iterator[LocalServer]:
    with local_server() as running:
        running.on("/oauth2/token", Answer(200, TOKEN))
        yield running


def test_calcasts_note_about_an_event_no_feed_shows_is_printed(
    cli: Cli, answering: LocalServer, tmp_path: Path
) -> None:
    note = "The event ended more than 30 days ago, so no feed shows it; check eventStart and eventEnd."
    summary = {
        "eventId": "Event_0001_ext-53",
        "status": "created",
        "attached": 1,
        "subscriptionCount": 1,
        "unknownSubscriptionIds": [],
        "inactiveSubscriptionIds": [],
        "visibleInFeeds": False,
        "note": note,
    }
    answering.on("/v1/subscriptionevent/brazetest", Answer(202, json.dumps(summary)))
    user = write_profile(tmp_path / "ext-53.json", "ext-53", "brazetest", ["06423672-b6ba-4536-aa36-70788a7a0a36"])
    result = send(cli, user, answering.url, "id:secret")
    assert result.exit_code == 0
    assert f"ext-53: note - {note}" in result.stdout.splitlines()
    as_json = send(cli, user, answering.url, "id:secret", "--json")
    assert json.loads(as_json.stdout)["note"] == note
