"""Arranging webhook tests: an endpoint added through the CLI, an account's Test event queued."""

from __future__ import annotations

import json

from calcast.core.db import Database
from calcast.webhooks import envelopes as webhooks
from tests.conftest import Cli


def add_webhook(cli: Cli, url: str, *events: str, account: str = "owner") -> tuple[str, str]:
    """`calcast webhook add`; returns the endpoint's id and signing secret."""
    flags = [part for event in events for part in ("--event", event)]
    result = cli("webhook", "add", account, url, *flags, "--json")
    assert result.exit_code == 0, result.stderr
    created = json.loads(result.stdout)
    return created["id"], created["secret"]


def queue_test_event(database: Database, endpoint_id: str) -> int:
    """A `Test` delivery to the endpoint in the outbox; returns its outbox id."""
    with database.transaction() as session:
        return webhooks.queue_test(session=session, endpoint_id=endpoint_id)
