"""`calcast outbox retry`: a failed message never goes out after a newer delivered one for the same subscription."""

from __future__ import annotations

import json
import threading

from sqlalchemy import select

from calcast.braze import service as braze_sync
from calcast.core.db import Database, utcnow
from calcast.outbox.models import OutboxMessage
from calcast.subscriptions.models import Subscription
from tests.conftest import Cli
from tests.support.braze_sync import drain, subscribe, unsubscribe, worker
from tests.support.fake_braze import FakeBraze


def rows(database: Database) -> list[tuple[int, str, str]]:
    with database.sessions() as session:
        query = select(OutboxMessage.id, OutboxMessage.topic, OutboxMessage.status).order_by(OutboxMessage.id)
        return [(row.id, row.topic, row.status) for row in session.execute(query)]


def a_failed_subscribe_then_a_delivered_unsubscribe(database: Database, braze: FakeBraze) -> tuple[int, int]:
    """The review's case: the subscribe fails for good, the unsubscribe after it is delivered."""
    done = subscribe(database, subscriber_id="fan-1")
    braze.fail_next = [400]
    drain(database)
    unsubscribe(database, done.subscription.id)
    drain(database)
    (subscribe_id, _, first), (unsubscribe_id, _, second) = rows(database)
    assert (first, second) == ("failed", "done")
    return subscribe_id, unsubscribe_id


def test_retrying_all_failed_skips_a_subscribe_overtaken_by_a_delivered_unsubscribe(
    database: Database, braze: FakeBraze, cli: Cli
) -> None:
    failed, delivered = a_failed_subscribe_then_a_delivered_unsubscribe(database, braze)
    other = subscribe(database, subscriber_id="fan-2")
    braze.fail_next = [400]
    drain(database)  # fan-2's subscribe fails too, with nothing after it: that one is retried

    retried = cli("outbox", "retry", "--all-failed")
    assert retried.exit_code == 0
    assert retried.stdout.strip() == (
        "Queued 1 failed messages again. Skipped 1 superseded by a newer delivered message for the same "
        f"subscription (now marked superseded): {failed}."
    )
    drain(database)
    assert rows(database) == [
        (failed, "subscribe", "superseded"),
        (delivered, "unsubscribe", "done"),
        (delivered + 1, "subscribe", "done"),
    ]
    assert [event["name"] for event in braze.profile("fan-1").events] == ["unsubscribe"]
    assert braze.profile("fan-1").attributes["rokt:subscription_id"] == []
    assert braze.profile("fan-2").attributes["rokt:subscription_id"] == [other.subscription.id]

    listed = json.loads(cli("outbox", "list", "--status", "superseded", "--json").stdout)
    assert [(item["id"], item["status"]) for item in listed] == [(failed, "superseded")]
    assert f"{failed}\tbraze.track\tsubscribe\tsuperseded" in cli("outbox", "list").stdout


def test_retrying_one_overtaken_message_marks_it_superseded_and_says_so(
    database: Database, braze: FakeBraze, cli: Cli
) -> None:
    failed, delivered = a_failed_subscribe_then_a_delivered_unsubscribe(database, braze)
    refused = cli("outbox", "retry", str(failed))
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (
        f"Error: Outbox message {failed} was not queued: message {delivered} for the same subscription was "
        "delivered after it failed, and sending it now would undo that; it is marked superseded."
    )
    assert rows(database)[0] == (failed, "subscribe", "superseded")
    again = cli("outbox", "retry", str(failed))
    assert again.exit_code == 1
    assert f"Outbox message {failed} is superseded" in again.stderr
    drain(database)
    assert [event["name"] for event in braze.profile("fan-1").events] == ["unsubscribe"]


def test_a_delivered_message_is_not_sent_again_over_a_newer_delivered_one(
    database: Database, braze: FakeBraze, cli: Cli
) -> None:
    done = subscribe(database, subscriber_id="fan-1")
    drain(database)
    unsubscribe(database, done.subscription.id)
    drain(database)
    (subscribed, _, _), (unsubscribed, _, _) = rows(database)
    refused = cli("outbox", "retry", str(subscribed))
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (
        f"Error: Outbox message {subscribed} was delivered before message {unsubscribed} for the same "
        f"subscription; sending it again would undo message {unsubscribed}."
    )
    assert cli("outbox", "retry", str(unsubscribed)).exit_code == 0  # the newest may be sent again


def test_a_message_retried_while_a_newer_one_is_in_flight_waits_and_is_superseded_when_that_one_lands(
    database: Database, braze: FakeBraze, cli: Cli
) -> None:
    done = subscribe(database, subscriber_id="fan-1")
    braze.fail_next = [400]
    drain(database)
    unsubscribe(database, done.subscription.id)
    braze.delay_seconds = 1.0
    sending = worker(database, name="sending")
    in_flight = threading.Thread(target=sending.run_once)
    in_flight.start()
    try:
        assert braze.in_flight.wait(timeout=10)
        # The unsubscribe is on its way to Braze, not yet delivered: the operator's retry queues the subscribe.
        assert cli("outbox", "retry", "--all-failed").stdout.startswith("Queued 1 failed messages again.")
        other = worker(database, name="other")
        try:
            assert other.run_once() == 0, "the re-queued subscribe must wait for the unsubscribe in flight"
        finally:
            other.close()
    finally:
        in_flight.join(timeout=20)
        sending.close()
    braze.delay_seconds = 0.0
    drain(database)
    assert [status for _, _, status in rows(database)] == ["superseded", "done"]
    assert [event["name"] for event in braze.profile("fan-1").events] == ["unsubscribe"]


def test_a_delivered_event_report_does_not_supersede_a_failed_change(
    database: Database, braze: FakeBraze, cli: Cli
) -> None:
    """A click or lapse event reports what happened; it must not make a failed subscribe unsendable."""
    done = subscribe(database, subscriber_id="fan-1")
    braze.fail_next = [400]
    drain(database)
    with database.transaction() as session:
        subscription = session.get_one(Subscription, done.subscription.id)
        braze_sync.queue_custom_event(
            session=session, subscription=subscription, name="calendar_lapsed", topic="lapsed", at=utcnow(), extra={}
        )
    drain(database)
    (failed, _, first), (_event, _, second) = rows(database)
    assert (first, second) == ("failed", "done")

    retried = cli("outbox", "retry", "--all-failed")
    assert retried.exit_code == 0, retried.stderr
    drain(database)
    assert {row_id: status for row_id, _, status in rows(database)}[failed] == "done"
