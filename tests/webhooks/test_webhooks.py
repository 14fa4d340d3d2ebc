"""Outbound webhooks as a brand's receiver sees them: Rokt's envelope, a verifiable signature, retries, a log."""

from __future__ import annotations

import json
from collections.abc import Iterator
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from calcast.core.db import Database
from calcast.events import service as events
from calcast.outbox.models import OutboxMessage
from calcast.webhooks import signing
from tests.conftest import Cli, Persona
from tests.support.braze_sync import change_tags, drain, subscribe, unsubscribe
from tests.support.receivers import Receiver, running_receiver
from tests.support.webhooks import add_webhook


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    with running_receiver() as found:
        yield found


def test_a_subscribe_reaches_the_receiver_signed_in_rokts_envelope(
    database: Database, owner: Persona, cli: Cli, receiver: Receiver
) -> None:
    _, secret = add_webhook(cli, receiver.url, "Subscribe", "Unsubscribe")
    assert secret.startswith("whsec_")
    done = subscribe(database, subscriber_id="ext-1", email="fan@example.com", tags=["Team I"])
    drain(database)
    headers, body = receiver.received[0]
    assert signing.verify(secret, headers["calcast-signature"], body)
    assert not signing.verify(secret, headers["calcast-signature"], body.replace(b"Team I", b"Team X"))
    assert not signing.verify("whsec_someone-else", headers["calcast-signature"], body)
    envelope = json.loads(body)
    assert envelope["eventType"] == "Subscribe"
    assert headers["calcast-event-id"] == envelope["eventId"]
    details = envelope["eventDetails"]
    assert details["calendarSubscriptionId"] == done.subscription.id
    assert details["accountCode"] == "owner"
    assert details["subscription"]["calendarTags"] == ["Team I"]
    assert details["subscription"]["email"] == "fan@example.com"


def test_a_receiver_can_verify_with_the_documented_recipe(
    database: Database, owner: Persona, cli: Cli, receiver: Receiver
) -> None:
    import hashlib
    import hmac

    _, secret = add_webhook(cli, receiver.url, "Subscribe")
    subscribe(database, subscriber_id="ext-1")
    drain(database)
    headers, body = receiver.received[0]
    parts = dict(part.split("=", 1) for part in headers["calcast-signature"].split(","))
    expected = hmac.new(secret.encode(), f"{parts['t']}.".encode() + body, hashlib.sha256).hexdigest()
    assert hmac.compare_digest(expected, parts["v1"])


def test_only_the_chosen_event_types_are_sent(database: Database, owner: Persona, cli: Cli, receiver: Receiver) -> None:
    add_webhook(cli, receiver.url, "Unsubscribe", "SubscriptionDetailsUpdated")
    done = subscribe(database, subscriber_id="ext-1")
    change_tags(database, done.subscription.id, ["Team II"])
    unsubscribe(database, done.subscription.id, reason="Too many events")
    drain(database)
    # Deliveries run in parallel, so they may arrive in any order.
    envelopes = {e["eventType"]: e for e in receiver.envelopes()}
    assert sorted(envelopes) == ["SubscriptionDetailsUpdated", "Unsubscribe"]
    assert len(receiver.received) == 2
    assert envelopes["Unsubscribe"]["eventDetails"]["unsubscribeReasonText"] == "Too many events"
    assert envelopes["Unsubscribe"]["eventDetails"]["removedDateTimeUtc"]


def test_personal_event_changes_are_sent_per_subscription(
    database: Database, owner: Persona, cli: Cli, receiver: Receiver
) -> None:
    add_webhook(cli, receiver.url, "SubscriptionEventAdded", "SubscriptionEventDeleted")
    first = subscribe(database, subscriber_id="ext-1")
    second = subscribe(database, subscriber_id="ext-2")
    with database.transaction() as session:
        events.push_event(
            session=session,
            account_id=first.calendar.account_id,
            event=events.PersonalEventInput(
                event_id="Sale_ext", title="Summer sale", start="2030-02-21T15:00:00", timezone="Europe/Berlin"
            ),
            subscription_ids=[first.subscription.id, second.subscription.id],
        )
    with database.transaction() as session:
        events.delete_event(session=session, account_id=first.calendar.account_id, event_id="Sale_ext")
    drain(database)
    seen = sorted((e["eventType"], e["eventDetails"]["calendarSubscriptionId"]) for e in receiver.envelopes())
    ids = sorted([first.subscription.id, second.subscription.id])
    assert seen == [("SubscriptionEventAdded", i) for i in ids] + [("SubscriptionEventDeleted", i) for i in ids]
    added = next(e for e in receiver.envelopes() if e["eventType"] == "SubscriptionEventAdded")
    assert added["eventDetails"]["subscriptionEvent"]["title"] == "Summer sale"


def test_a_failing_receiver_is_retried_and_every_attempt_is_logged(
    database: Database, owner: Persona, cli: Cli, receiver: Receiver
) -> None:
    endpoint_id, _ = add_webhook(cli, receiver.url, "Subscribe")
    receiver.status = 500
    subscribe(database, subscriber_id="ext-1")
    # A backoff longer than the drain: exactly one attempt now, however slow the machine.
    drain(database, outbox_backoff_base_seconds=600, outbox_backoff_max_seconds=600)
    with database.sessions() as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert (message.status, message.last_status_code) == ("pending", 500)
    receiver.status = 204
    with database.transaction() as session:
        session.execute(update(OutboxMessage).values(available_at=message.created_at))
    drain(database)
    log = cli("webhook", "log", endpoint_id, "--json")
    attempts = json.loads(log.stdout)
    assert [(a["attempt"], a["statusCode"]) for a in attempts] == [(2, 204), (1, 500)]
    assert len({a["eventId"] for a in attempts}) == 1  # the same event, so receivers can deduplicate


def test_after_thirty_minutes_of_failures_the_delivery_is_kept_as_failed(
    database: Database, owner: Persona, cli: Cli, receiver: Receiver
) -> None:
    add_webhook(cli, receiver.url, "Subscribe")
    receiver.status = 503
    subscribe(database, subscriber_id="ext-1")
    with database.transaction() as session:
        message = session.scalars(select(OutboxMessage)).one()
        message.created_at = message.created_at - timedelta(minutes=31)
    drain(database)
    failed = cli("outbox", "list", "--failed")
    assert "webhook\tSubscribe\tfailed" in failed.stdout
    assert "Gave up after 30 minutes" in failed.stdout


def test_webhook_test_sends_a_test_event_and_shows_the_answer(
    database: Database, owner: Persona, cli: Cli, receiver: Receiver
) -> None:
    endpoint_id, secret = add_webhook(cli, receiver.url, "Subscribe")
    result = cli("webhook", "test", endpoint_id)
    assert result.exit_code == 0, result.stderr
    assert "the endpoint answered 200" in result.stdout
    headers, body = receiver.received[0]
    assert json.loads(body)["eventType"] == "Test"
    assert signing.verify(secret, headers["calcast-signature"], body)
    receiver.status = 410
    refused = cli("webhook", "test", endpoint_id)
    assert refused.exit_code == 1
    assert "not accepted" in refused.stdout


def test_bad_webhook_input_gets_a_clear_sentence(database: Database, owner: Persona, cli: Cli) -> None:
    bad_url = cli("webhook", "add", "owner", "ftp://example.com", "--event", "Subscribe")
    assert bad_url.exit_code == 1
    assert "must be an https URL" in bad_url.stderr
    bad_event = cli("webhook", "add", "owner", "https://example.com/h", "--event", "Subscribed")
    assert bad_event.exit_code == 1
    assert "'Subscribed' is not one" in bad_event.stderr
    listed = cli("webhook", "list", "owner")
    assert listed.stdout.strip() == "No webhooks."
    secretless = cli("webhook", "add", "owner", "https://example.com/h", "--event", "Subscribe")
    assert secretless.stdout.count("whsec_") == 1
    assert "whsec_" not in cli("webhook", "list", "owner").stdout
