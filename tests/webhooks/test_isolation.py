"""One tenant's receiver cannot hold back, or make calcast re-send, another tenant's webhooks."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from sqlalchemy import event, select, update

from calcast.core.db import Database, utcnow
from calcast.outbox.models import OutboxMessage
from calcast.webhooks.models import WebhookDelivery
from tests.conftest import Cli, Persona
from tests.support.braze_sync import drain, worker
from tests.support.receivers import Receiver, running_receiver
from tests.support.webhooks import add_webhook, queue_test_event

# A request may take 1 s in all; the worker owns its rows for 5 s.
TIGHT = {"webhook_timeout_seconds": 1.0, "outbox_lease_seconds": 5.0}


@pytest.fixture
def healthy() -> Iterator[Receiver]:
    with running_receiver() as receiver:
        yield receiver


def rows(database: Database) -> dict[int, OutboxMessage]:
    with database.sessions() as session:
        return {row.id: row for row in session.scalars(select(OutboxMessage))}


def logged(database: Database, outbox_id: int) -> list[WebhookDelivery]:
    with database.sessions() as session:
        return list(session.scalars(select(WebhookDelivery).where(WebhookDelivery.outbox_id == outbox_id)))


def make_everything_due(database: Database) -> None:
    with database.transaction() as session:
        session.execute(update(OutboxMessage).where(OutboxMessage.status == "pending").values(available_at=utcnow()))


@pytest.mark.parametrize("part", ["headers", "body"])
def test_a_trickling_receiver_cannot_hold_a_delivery_past_the_lease(
    database: Database, owner: Persona, other: Persona, cli: Cli, healthy: Receiver, part: str
) -> None:
    with running_receiver(trickle=part, trickle_interval=0.25, trickle_for=8.0) as slow:
        slow_endpoint, _ = add_webhook(cli, slow.url, "Test", account="owner")
        other_endpoint, _ = add_webhook(cli, healthy.url, "Test", account="other")
        slow_row = queue_test_event(database, slow_endpoint)
        other_row = queue_test_event(database, other_endpoint)
        runner = worker(database, **TIGHT)
        started = time.monotonic()
        try:
            runner.run_once()
        finally:
            runner.close()
        elapsed = time.monotonic() - started
    assert elapsed < 3.0, f"one claim took {elapsed:.1f} s, past the 5 s lease's margin"
    assert len(slow.received) == 1
    assert len(healthy.received) == 1
    assert healthy.received_at[0] - started < 0.5
    found = rows(database)
    assert found[other_row].status == "done"
    assert found[slow_row].status == "pending"
    assert found[slow_row].last_error == "the request timed out: no complete answer within 1 s"
    assert [entry.error for entry in logged(database, slow_row)] == [found[slow_row].last_error]


def test_one_accounts_many_slow_deliveries_do_not_queue_before_another_accounts(
    database: Database, owner: Persona, other: Persona, cli: Cli, healthy: Receiver
) -> None:
    with running_receiver(trickle="body", trickle_interval=0.25, trickle_for=4.0) as slow:
        slow_endpoint, _ = add_webhook(cli, slow.url, "Test", account="owner")
        other_endpoint, _ = add_webhook(cli, healthy.url, "Test", account="other")
        for _ in range(20):
            queue_test_event(database, slow_endpoint)
        other_row = queue_test_event(database, other_endpoint)  # written last, claimed with the others
        runner = worker(database, **TIGHT)
        started = time.monotonic()
        try:
            runner.run_once()
        finally:
            runner.close()
    assert len(healthy.received) == 1
    assert healthy.received_at[0] - started < 0.5, "the other account waited for the slow one's deliveries"
    assert rows(database)[other_row].status == "done"


@pytest.mark.parametrize(("status", "outcome"), [(200, "done"), (500, "pending")])
def test_a_receiver_answering_nul_bytes_is_logged_without_them_and_the_others_are_not_sent_again(
    database: Database, owner: Persona, other: Persona, cli: Cli, healthy: Receiver, status: int, outcome: str
) -> None:
    with running_receiver(status=status, body=b"ok\x00\x00 then more") as hostile:
        hostile_endpoint, _ = add_webhook(cli, hostile.url, "Test", account="owner")
        other_endpoint, _ = add_webhook(cli, healthy.url, "Test", account="other")
        hostile_row = queue_test_event(database, hostile_endpoint)
        other_row = queue_test_event(database, other_endpoint)
        drain(database)
        found = rows(database)
        assert found[other_row].status == "done"
        assert found[hostile_row].status == outcome
        make_everything_due(database)
        drain(database)
    assert len(healthy.received) == 1
    [first, *_] = logged(database, hostile_row)
    assert first.status_code == status
    assert first.response_excerpt == "ok then more"
    if status == 500:
        assert found[hostile_row].last_error == "The endpoint answered 500: ok then more"


def test_one_result_the_database_refuses_does_not_send_the_others_again(
    database: Database, owner: Persona, other: Persona, cli: Cli, healthy: Receiver
) -> None:
    def refuse_poison(_connection: Any, _cursor: Any, statement: str, parameters: Any, *_: Any) -> None:
        stored = "webhook_deliveries" in statement or statement.startswith("UPDATE outbox")
        if stored and "poison" in repr(parameters):
            raise RuntimeError("simulated: the database refuses this value")

    with running_receiver(status=500, body=b"poison") as poisoning, running_receiver() as second:
        poison_endpoint, _ = add_webhook(cli, poisoning.url, "Test", account="owner")
        second_endpoint, _ = add_webhook(cli, second.url, "Test", account="owner")
        other_endpoint, _ = add_webhook(cli, healthy.url, "Test", account="other")
        poison_row = queue_test_event(database, poison_endpoint)
        healthy_rows = [queue_test_event(database, second_endpoint), queue_test_event(database, other_endpoint)]
        event.listen(database.engine, "before_cursor_execute", refuse_poison)
        try:
            runner = worker(database)
            try:
                runner.run_once()
            finally:
                runner.close()
        finally:
            event.remove(database.engine, "before_cursor_execute", refuse_poison)
        found = rows(database)
        assert [found[row].status for row in healthy_rows] == ["done", "done"]
        assert [len(logged(database, row)) for row in healthy_rows] == [1, 1]
        # Only the refused row is left to its lease, and only it is sent again.
        assert found[poison_row].status == "pending"
        assert logged(database, poison_row) == []
        make_everything_due(database)
        runner = worker(database)
        try:
            runner.run_once()
        finally:
            runner.close()
        assert len(poisoning.received) == 2
        assert len(second.received) == 1
    assert len(healthy.received) == 1
