"""Where webhooks may go: https and public addresses only, refused when configured and again when connecting."""

from __future__ import annotations

import json
from collections.abc import Iterator

import pytest
from sqlalchemy import select

from calcast.core.db import Database
from calcast.webhooks.models import WebhookDelivery
from tests.conftest import Cli, Persona
from tests.support.braze_sync import drain, worker
from tests.support.dns import resolving
from tests.support.receivers import Receiver, running_receiver
from tests.support.webhooks import add_webhook, queue_test_event

STRICT = {"CALCAST_ALLOW_PRIVATE_DESTINATIONS": "false"}


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver(body=b'{"internal": "service answer"}') as found:
        yield found


@pytest.mark.parametrize(
    ("url", "sentence"),
    [
        ("http://hooks.example.com/calcast", "must start with https://"),
        ("https://127.0.0.1/hook", "calcast does not send to 127.0.0.1, a loopback address"),
        ("https://localhost:8080/hook", "calcast does not send to localhost (127.0.0.1), a loopback address"),
        ("https://[::1]/hook", "calcast does not send to ::1, a loopback address"),
        ("https://10.0.0.7/hook", "calcast does not send to 10.0.0.7, a private address"),
        ("https://192.168.1.20/hook", "calcast does not send to 192.168.1.20, a private address"),
        ("https://169.254.169.254/latest/meta-data", "calcast does not send to 169.254.169.254, a link-local address"),
        ("https://[::ffff:127.0.0.1]/hook", "calcast does not send to ::ffff:127.0.0.1, a loopback address"),
        ("https://2130706433/hook", "calcast does not send to 2130706433 (127.0.0.1), a loopback address"),
        ("ftp://example.com/hook", "must be an https URL"),
    ],
)
def test_it_refuses_plain_http_and_private_addresses_when_a_webhook_is_added(
    database: Database, owner: Persona, cli: Cli, url: str, sentence: str
) -> None:
    refused = cli("webhook", "add", "owner", url, "--event", "Subscribe", env=STRICT)
    assert refused.exit_code == 1
    assert sentence in refused.stderr
    assert "CALCAST_ALLOW_PRIVATE_DESTINATIONS=true" in refused.stderr or "ftp" in url
    assert cli("webhook", "list", "owner").stdout.strip() == "No webhooks."


def test_a_public_https_url_is_accepted_and_a_name_that_does_not_resolve_yet_too(
    database: Database, owner: Persona, cli: Cli, monkeypatch: pytest.MonkeyPatch
) -> None:
    resolving(monkeypatch, {"hooks.brand.example": ["93.184.216.34"]})
    added = cli("webhook", "add", "owner", "https://hooks.brand.example/calcast", "--event", "Subscribe", env=STRICT)
    assert added.exit_code == 0, added.stderr
    later = cli("webhook", "add", "owner", "https://not-yet.brand.invalid/h", "--event", "Subscribe", env=STRICT)
    assert later.exit_code == 0, later.stderr


def test_the_setting_allows_a_local_receiver_over_http(
    database: Database, owner: Persona, cli: Cli, receiver: Receiver
) -> None:
    allowed = cli("webhook", "add", "owner", receiver.url, "--event", "Test", env={})
    assert allowed.exit_code == 0, allowed.stderr
    endpoint_id = allowed.stdout.split()[2]
    sent = cli("webhook", "test", endpoint_id)
    assert sent.exit_code == 0, sent.stderr
    assert len(receiver.received) == 1


def test_webhook_test_no_longer_shows_an_internal_services_answer(
    database: Database, owner: Persona, cli: Cli, receiver: Receiver
) -> None:
    # Stored while private destinations were allowed; the worker runs without that setting now.
    endpoint_id, _ = add_webhook(cli, receiver.url, "Test")
    tested = cli("webhook", "test", endpoint_id, "--json", env=STRICT)
    assert tested.exit_code == 1
    logged = json.loads(tested.stdout)
    assert logged["statusCode"] is None
    assert logged["response"] is None
    assert "calcast does not send to http:// URLs" in logged["error"]
    assert receiver.received == []
    assert "internal" not in tested.stdout


def test_a_name_rebound_to_a_loopback_address_is_refused_when_connecting(
    database: Database, owner: Persona, cli: Cli, receiver: Receiver, monkeypatch: pytest.MonkeyPatch
) -> None:
    port = receiver.url.split(":")[2].split("/")[0]
    url = f"https://hooks.brand.example:{port}/hooks/calcast"
    # Public when the webhook is added, the receiver's loopback address when the worker connects.
    asked = resolving(monkeypatch, {"hooks.brand.example": ["93.184.216.34", "127.0.0.1"]})
    added = cli("webhook", "add", "owner", url, "--event", "Test", "--json", env=STRICT)
    assert added.exit_code == 0, added.stderr
    endpoint_id = json.loads(added.stdout)["id"]
    queue_test_event(database, endpoint_id)
    runner = worker(database, allow_private_destinations=False)
    try:
        runner.run_once()
    finally:
        runner.close()
    assert len(asked) == 2
    assert receiver.received == []
    with database.sessions() as session:
        attempt = session.scalars(select(WebhookDelivery)).one()
    assert attempt.status_code is None
    assert attempt.error == (
        "calcast does not send to hooks.brand.example (127.0.0.1), a loopback address: destinations must be public "
        "addresses (CALCAST_ALLOW_PRIVATE_DESTINATIONS=true allows private ones for tests and on-premises receivers)."
    )


def test_a_redirect_is_not_followed(database: Database, owner: Persona, cli: Cli) -> None:
    with running_receiver() as elsewhere, running_receiver(status=307, location="") as redirecting:
        redirecting.location = elsewhere.url
        endpoint_id, _ = add_webhook(cli, redirecting.url, "Test")
        queue_test_event(database, endpoint_id)
        # A backoff far longer than the drain: one attempt, however slow the machine.
        drain(database, outbox_backoff_base_seconds=60, outbox_backoff_max_seconds=60)
        assert len(redirecting.received) == 1
        assert elsewhere.received == []
    log = json.loads(cli("webhook", "log", endpoint_id, "--json").stdout)
    assert log[0]["statusCode"] == 307
