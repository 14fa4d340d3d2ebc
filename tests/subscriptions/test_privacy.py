from __future__ import annotations

import csv
import io
import json
from typing import Any

from sqlalchemy import select

from calcast.core.db import Database
from calcast.events import service as events
from calcast.events.models import PersonalEventTarget
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.capture import capture
from calcast.subscriptions.models import Subscription
from tests.conftest import Persona


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


def test_the_subscriber_list_exports_as_csv_and_json_lines(cli: Any, database: Database, owner: Persona) -> None:
    subscribe(database, "owner", subscriber_id="u1", email="one@example.com", tags=["Team I", "Team II"])
    subscribe(database, "owner", email="two@example.com", capture=capture(utm_source="newsletter"))
    rows = list(csv.DictReader(io.StringIO(cli("export", "subscribers", "owner").stdout)))
    assert [row["email"] for row in rows] == ["one@example.com", "two@example.com"]
    assert rows[0]["tags"] == "Team I|Team II"
    assert rows[1]["source"] == "newsletter"
    lines = cli("export", "subscribers", "owner", "--calendar", "main", "--format", "jsonl").stdout.splitlines()
    assert [json.loads(line)["subscriber_id"] for line in lines] == ["u1", None]
    assert cli("export", "subscribers", "owner", "--calendar", "nope").exit_code == 1


def test_a_person_export_holds_everything_stored_about_them_and_nobody_else(
    cli: Any, database: Database, owner: Persona, other: Persona
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


def test_forget_unsubscribes_and_erases_identifying_data(cli: Any, database: Database, owner: Persona) -> None:
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


def test_forget_erases_an_unverified_external_id_too(cli: Any, database: Database, owner: Persona) -> None:
    with database.transaction() as session:
        done = subscriptions.subscribe_anonymously(
            session=session,
            settings=database.settings,
            account_code="owner",
            calendar_code="main",
            details=subscriptions.SubscriberDetails(email="two@example.com"),
            identity=subscriptions.LandingIdentity(external_id="crm-unsigned", signature="0" * 64),
        )
    assert done.subscription.unverified_subscriber_id == "crm-unsigned"
    assert cli("forget", "owner", "two@example.com", "--yes").exit_code == 0
    with database.sessions() as session:
        row = session.get_one(Subscription, done.subscription.id)
        assert (row.subscriber_id, row.unverified_subscriber_id, row.email) == (None, None, None)
