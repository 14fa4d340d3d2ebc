"""Arranging webhook tests: an endpoint added through the CLI, a worker drained, an account's Test event queued."""

from __future__ import annotations

import json
from typing import Any

from calcast.core.db import Database
from calcast.webhooks import envelopes as webhooks
from tests.conftest import Cli
from tests.support.braze_sync import worker


def add_webhook(cli: Cli, url: str, *events: str, account: str = "owner") -> tuple[str, str]:
    """`calcast webhook add`; returns the endpoint's id and signing secret."""
    flags = [part for event in events for part in ("--event", event)]
    result = cli("webhook", "add", account, url, *flags, "--json")
    assert result.exit_code == 0, result.stderr
    created = json.loads(result.stdout)
    return created["id"], created["secret"]


def drain(database: Database, **overrides: Any) -> None:
    runner = worker(database, **overrides)
    try:
        runner.drain()
    finally:
        runner.close()


def queue_test_event(database: Database, endpoint_id: str) -> int:
    """A `Test` delivery to the endpoint in the outbox; returns its outbox id."""
    with database.transaction() as session:
        return webhooks.queue_test(session=session, endpoint_id=endpoint_id)
