"""Who a landing-page subscription belongs to: an anonymous form never reaches someone else's subscription, and an
external id from a link counts only when the brand signed it (on SQLite and PostgreSQL)."""

from __future__ import annotations

import html
import json
import re
from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from calcast import assembly
from calcast.accounts import service as accounts
from calcast.app import create_app
from calcast.calendars import service as calendars
from calcast.core.db import Database
from calcast.core.security import Cipher
from calcast.outbox.models import OutboxMessage
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription
from tests.conftest import Persona, make_settings

HIDDEN = r'<input type="hidden" name="(\w+)" value="([^"]*)">'


@pytest.fixture
def web(database: Database) -> Iterator[TestClient]:
    db = assembly.database(make_settings(database.settings.database_url, subscribe_rate_per_minute=1000))
    try:
        with TestClient(create_app(db.settings, db), raise_server_exceptions=False) as client:
            yield client
    finally:
        db.dispose()


@pytest.fixture
def brand(database: Database, owner: Persona) -> str:
    """The owner's account connected to Braze, with a link key (returned) and a calendar that captures e-mail."""
    with database.transaction() as session:
        cipher = Cipher(database.settings.secret_key)
        accounts.set_braze(
            session=session, cipher=cipher, code="owner", rest_endpoint="https://braze.example", api_key="k"
        )
        calendars.get_calendar(session=session, account_code="owner", code="main").email_capture = "optional"
        return accounts.create_link_key(session=session, cipher=cipher, code="owner")


@pytest.fixture
def victim(database: Database, brand: str) -> Subscription:
    """A subscriber the brand's app subscribed (trusted API path), with a personal event in their feed."""
    with database.transaction() as session:
        done = subscriptions.subscribe(
            session=session,
            settings=database.settings,
            account_code="owner",
            calendar_code="main",
            details=subscriptions.SubscriberDetails(subscriber_id="crm-7", email="victim@example.com", tags=["Team I"]),
        )
        return done.subscription


def signed_link(database: Database, external_id: str) -> str:
    with database.sessions() as session:
        url = calendars.landing_url(
            session=session, settings=database.settings, account_code="owner", code="main", external_id=external_id
        )
    return url.removeprefix(database.settings.base_url)


def submit(web: TestClient, path: str, **fields: Any) -> Any:
    """Open the landing page and send its form as a browser would: every hidden field, plus what the person chose."""
    page = web.get(path)
    assert page.status_code == 200
    hidden = {name: html.unescape(value) for name, value in re.findall(HIDDEN, page.text)}
    data: dict[str, Any] = {**hidden, "tags": ["All Teams"], **fields}
    return web.post(path.split("?")[0], data=data, follow_redirects=False)


def stored(database: Database) -> list[Subscription]:
    with database.sessions() as session:
        return list(session.scalars(select(Subscription).order_by(Subscription.created_at, Subscription.id)))


def the(database: Database, subscription_id: str) -> Subscription:
    with database.sessions() as session:
        subscription = session.get_one(Subscription, subscription_id)
        _ = subscription.tags
        return subscription


def braze_payloads(database: Database) -> list[dict[str, Any]]:
    with database.sessions() as session:
        query = select(OutboxMessage).where(OutboxMessage.kind == "braze.track").order_by(OutboxMessage.id)
        return [row.payload for row in session.scalars(query)]


def sent_for(database: Database, subscription_id: str) -> list[dict[str, Any]]:
    """Every users.track attribute object queued for this subscription."""
    return [
        item
        for payload in braze_payloads(database)
        for item in payload["attributes"]
        if subscription_id in json.dumps(item)
    ]


def assert_untouched(database: Database, victim: Subscription) -> None:
    now = the(database, victim.id)
    assert (now.email, now.subscriber_id, now.opt_in1, now.opt_in2) == ("victim@example.com", "crm-7", False, False)
    assert [tag.name for tag in now.tags] == ["Team I"]
    assert now.feed_version == victim.feed_version
    assert now.request_key is None


def assert_nothing_of_theirs_shown(web: TestClient, database: Database, response: Any, victim: Subscription) -> None:
    assert response.status_code == 303
    location = response.headers["location"]
    assert victim.id not in location
    assert "again=1" not in location
    page = web.get(location).text
    assert subscriptions.feed_url(database.settings, victim) not in page
    assert subscriptions.manage_url(database.settings, victim).removeprefix(database.settings.base_url) not in page
    assert "You were already subscribed" not in page


def test_a_form_naming_someones_external_id_makes_a_new_subscription_and_shows_nothing_of_theirs(
    web: TestClient, database: Database, victim: Subscription
) -> None:
    response = submit(web, "/owner/main?external_id=crm-7", email="attacker@example.com", tags=["Team II"], opt_in1="1")
    assert_nothing_of_theirs_shown(web, database, response, victim)
    assert_untouched(database, victim)
    _victim, mine = stored(database)
    assert mine.id != victim.id
    # Unsigned on a signed calendar: kept as a note, not as the subscriber's identity.
    assert (mine.subscriber_id, mine.unverified_subscriber_id) == (None, "crm-7")
    # Nor is the typed e-mail an identity: the attacker's subscription reaches no Braze profile at all.
    assert sent_for(database, mine.id) == []
    assert the(database, mine.id).crm_status == "unmatched"
    # Only the victim's own subscribe names crm-7.
    assert [payload for payload in braze_payloads(database) if "crm-7" in json.dumps(payload)] == braze_payloads(
        database
    )[:1]


def test_a_wrong_signature_binds_nothing(web: TestClient, database: Database, victim: Subscription) -> None:
    forged = "0" * 64
    for sig in (forged, "not hex at all", signed_link(database, "crm-8").split("sig=")[1]):
        response = submit(web, f"/owner/main?external_id=crm-7&sig={sig}")
        assert_nothing_of_theirs_shown(web, database, response, victim)
    assert_untouched(database, victim)
    mine = stored(database)[1:]
    assert [(s.subscriber_id, s.unverified_subscriber_id) for s in mine] == [(None, "crm-7")] * 3
    assert all(s.crm_status == "unmatched" for s in mine)  # no id, no e-mail, no fallback: nothing sent to Braze
    assert all(sent_for(database, s.id) == [] for s in mine)


def test_a_signed_link_binds_the_id_but_still_never_reaches_the_existing_subscription(
    web: TestClient, database: Database, victim: Subscription
) -> None:
    response = submit(web, signed_link(database, "crm-7"), email="other-device@example.com", tags=["Team II"])
    assert_nothing_of_theirs_shown(web, database, response, victim)
    assert_untouched(database, victim)
    _victim, mine = stored(database)
    assert (mine.subscriber_id, mine.unverified_subscriber_id) == ("crm-7", None)
    [sent] = sent_for(database, mine.id)
    assert sent["external_id"] == "crm-7"


def test_a_form_naming_someones_email_makes_a_new_subscription(web: TestClient, database: Database, brand: str) -> None:
    with database.transaction() as session:
        victim = subscriptions.subscribe(
            session=session,
            settings=database.settings,
            account_code="owner",
            calendar_code="main",
            details=subscriptions.SubscriberDetails(email="victim@example.com", tags=["Team I"]),
        ).subscription
    response = submit(web, "/owner/main", email="Victim@Example.com", tags=["Team II"], opt_in2="1")
    assert response.status_code == 303
    assert victim.id not in response.headers["location"]
    now = the(database, victim.id)
    assert [tag.name for tag in now.tags] == ["Team I"]
    assert (now.opt_in1, now.opt_in2, now.feed_version) == (False, False, victim.feed_version)
    assert len(stored(database)) == 2


def test_the_same_form_sent_twice_returns_the_subscription_it_created(
    web: TestClient, database: Database, victim: Subscription
) -> None:
    path = signed_link(database, "crm-7")
    page = web.get(path).text
    hidden = {name: html.unescape(value) for name, value in re.findall(HIDDEN, page)}
    first = web.post("/owner/main", data={**hidden, "tags": ["All Teams"]}, follow_redirects=False)
    second = web.post("/owner/main", data={**hidden, "tags": ["Team II"]}, follow_redirects=False)
    assert second.headers["location"] == first.headers["location"] + "?again=1"
    assert victim.id not in first.headers["location"]
    _victim, mine = stored(database)
    assert [tag.name for tag in the(database, mine.id).tags] == ["All Teams"]  # returned, not changed
    assert_untouched(database, victim)


def test_an_unsigned_calendar_binds_any_id_but_still_never_reaches_the_existing_subscription(
    web: TestClient, database: Database, victim: Subscription
) -> None:
    with database.transaction() as session:
        calendars.set_identity(session=session, account_code="owner", code="main", identity="unsigned")
    response = submit(web, "/owner/main?external_id=crm-7", email="attacker@example.com", tags=["Team II"])
    assert_nothing_of_theirs_shown(web, database, response, victim)
    assert_untouched(database, victim)
    _victim, mine = stored(database)
    assert (mine.subscriber_id, mine.unverified_subscriber_id) == ("crm-7", None)


def test_a_rotated_link_key_no_longer_identifies_anybody(web: TestClient, database: Database, brand: str) -> None:
    old_link = signed_link(database, "crm-9")
    with database.transaction() as session:
        accounts.create_link_key(
            session=session, cipher=Cipher(database.settings.secret_key), code="owner", rotate=True
        )
    assert submit(web, old_link).status_code == 303
    assert submit(web, signed_link(database, "crm-9")).status_code == 303
    old, new = stored(database)
    assert (old.subscriber_id, old.unverified_subscriber_id) == (None, "crm-9")
    assert (new.subscriber_id, new.unverified_subscriber_id) == ("crm-9", None)


def test_a_link_key_from_another_server_key_verifies_nothing_and_breaks_nothing(
    web: TestClient, database: Database, brand: str
) -> None:
    with database.transaction() as session:
        account = accounts.get_account(session=session, code="owner")
        account.link_key_encrypted = Cipher("another-server-key-" * 2).encrypt(brand)
    response = submit(web, f"/owner/main?external_id=crm-7&sig={accounts.link_signature(brand, 'crm-7')}")
    assert response.status_code == 303
    [mine] = stored(database)
    assert (mine.subscriber_id, mine.unverified_subscriber_id) == (None, "crm-7")


def test_a_form_naming_someones_email_attaches_nothing_to_their_braze_profile(
    web: TestClient, database: Database, victim: Subscription
) -> None:
    """Braze finds a profile by e-mail: a typed address must not put the attacker's subscription (and so the
    victim's 1:1 events) on the victim's profile."""
    response = submit(web, "/owner/main", email="victim@example.com", tags=["Team II"])
    assert_nothing_of_theirs_shown(web, database, response, victim)
    assert_untouched(database, victim)
    _victim, mine = stored(database)
    assert mine.email == "victim@example.com"
    assert not any(item.get("email") == "victim@example.com" for item in sent_for(database, mine.id))
    assert sent_for(database, mine.id) == []


def test_with_the_fallback_flag_a_typed_email_lands_on_a_profile_of_its_own(
    web: TestClient, database: Database, brand: str
) -> None:
    with database.transaction() as session:
        calendars.get_calendar(session=session, account_code="owner", code="main").subscriber_id_fallback = True
    submit(web, "/owner/main", email="new-fan@example.com")
    [mine] = stored(database)
    [sent] = sent_for(database, mine.id)
    assert sent["external_id"] == mine.id
    assert sent["rokt:subscriber_email"]["add"] == [f"new-fan@example.com/{mine.suffix}"] or (
        sent["rokt:subscriber_email"] == [f"new-fan@example.com/{mine.suffix}"]
    )


def test_on_an_unsigned_calendar_a_typed_email_identifies_the_person_as_before(
    web: TestClient, database: Database, brand: str
) -> None:
    with database.transaction() as session:
        calendars.get_calendar(session=session, account_code="owner", code="main").identity = "unsigned"
    submit(web, "/owner/main", email="fan@example.com")
    [mine] = stored(database)
    [sent] = sent_for(database, mine.id)
    assert sent["email"] == "fan@example.com"
