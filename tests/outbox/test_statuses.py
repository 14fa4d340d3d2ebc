"""The outbox's statuses as an operator meets them, and its counts, which name only the kinds in the queue."""

from __future__ import annotations

import json

from fastapi.testclient import TestClient
from sqlalchemy import text

from calcast.accounts import service as accounts
from calcast.core.db import Database
from calcast.outbox import service as outbox
from tests.conftest import Cli, Persona

# A kind the queue has never heard of: it delivers whatever kinds the application registers handlers for.
KIND = "push.google"


def queue(database: Database, *, kind: str = KIND, count: int = 1) -> list[int]:
    with database.transaction() as session:
        account = accounts.get_account(session=session, code="owner")
        return outbox.enqueue(
            session=session,
            messages=[outbox.NewMessage(account.id, kind, "refresh", {"feed": number}) for number in range(count)],
        )


def test_metrics_count_every_status_of_the_kinds_queued_and_no_other_kind(
    database: Database, owner: Persona, client: TestClient
) -> None:
    queue(database, count=2)
    metrics = client.get("/metrics")
    assert metrics.status_code == 200
    counted = [line for line in metrics.text.splitlines() if line.startswith("calcast_outbox_messages{")]
    assert counted == [
        f'calcast_outbox_messages{{kind="{KIND}",status="{status}"}} {value}'
        for status, value in [("done", "0.0"), ("failed", "0.0"), ("pending", "2.0"), ("superseded", "0.0")]
    ]


def test_statuses_are_stored_listed_and_accepted_as_plain_words(database: Database, owner: Persona, cli: Cli) -> None:
    pending, withdrawn = queue(database, count=2)
    with database.transaction() as session:
        outbox.withdraw(message=outbox.get_message(session=session, message_id=withdrawn))
    with database.sessions() as session:
        stored = {row.id: row.status for row in session.execute(text("SELECT id, status FROM outbox"))}
    assert stored == {pending: "pending", withdrawn: "superseded"}

    listed = json.loads(cli("outbox", "list", "--status", "superseded", "--json").stdout)
    assert [(item["id"], item["status"]) for item in listed] == [(withdrawn, "superseded")]
    assert f"{pending}\t{KIND}\trefresh\tpending\tattempts=0" in cli("outbox", "list").stdout

    unknown = cli("outbox", "list", "--status", "sent")
    assert unknown.exit_code == 1
    assert "The status must be one of pending, done, failed, superseded, not 'sent'." in unknown.stderr
