"""The console's subscribers: search, filters and keyset pages, one subscriber's record, deactivation, the GDPR
export and erasure (owners only), and the CSV of the filtered list (formula-safe, readable by `csv`)."""

from __future__ import annotations

import csv
import io
import json
from datetime import timedelta
from typing import Any
from urllib.parse import quote

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from calcast.core.db import Database, utcnow
from calcast.subscribers import listing, privacy
from calcast.subscribers.listing import SubscriberFilter
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.capture import Capture
from calcast.subscriptions.models import Subscription
from tests.conftest import Persona
from tests.console.conftest import ConsolePersona, act_as
from tests.support.braze_sync import change_tags, subscribe, unsubscribe
from tests.support.fake_braze import FakeBraze

HOSTILE = Capture(source='=HYPERLINK("https://evil.example","click")', utm_campaign="+cmd|' /C calc'!A0")


@pytest.fixture
def people(database: Database, owner: Persona, other: Persona) -> dict[str, subscriptions.Subscribed]:
    made = {
        "ann": subscribe(database, subscriber_id="ext-ann", email="ann@example.com", tags=["Team I"]),
        "bob": subscribe(database, subscriber_id="-bob", email="bob@example.com", method="Google", capture=HOSTILE),
        "cid": subscribe(database, email="cid@example.com"),
        "eve": subscribe(database, account_code="other", subscriber_id="ext-eve", email="eve@example.com"),
    }
    unsubscribe(database, made["cid"].subscription.id)
    with database.transaction() as session:
        session.execute(
            update(Subscription)
            .where(Subscription.id == made["ann"].subscription.id)
            .values(client_family="google", last_polled_at=utcnow(), poll_count=7, lapsed_at=utcnow())
        )
    return made


def listed(client: TestClient, query: str = "") -> list[str]:
    """The subscription ids the list page shows, in order."""
    page = client.get(f"/console/owner/subscribers{query}")
    assert page.status_code == 200
    return [line.split('data-id="')[1].split('"')[0] for line in page.text.splitlines() if "<tr data-id=" in line]


def test_the_list_searches_and_filters_within_the_account(
    client: TestClient, personas: dict[str, ConsolePersona], people: dict[str, Any]
) -> None:
    ids = {name: made.subscription.id for name, made in people.items()}
    act_as(client, personas["viewer"])
    assert listed(client) == [ids["cid"], ids["bob"], ids["ann"]]  # newest first; never `other`'s eve
    assert listed(client, "?q=ANN@example.com") == [ids["ann"]]
    assert listed(client, "?q=-bob") == [ids["bob"]]
    assert listed(client, f"?q={ids['cid']}") == [ids["cid"]]
    assert listed(client, f"?q={ids['eve']}") == []
    assert listed(client, "?q=eve@example.com") == []
    assert listed(client, "?tag=Team+I") == [ids["ann"]]
    assert listed(client, "?status=ended") == [ids["cid"]]
    assert listed(client, "?status=active") == [ids["bob"], ids["ann"]]
    assert listed(client, "?status=lapsed") == [ids["ann"]]
    assert listed(client, "?method=Google") == [ids["bob"]]
    assert listed(client, "?app=google") == [ids["ann"]]
    assert listed(client, "?calendar=main&method=WebCal") == [ids["cid"], ids["ann"]]
    assert listed(client, "?calendar=nope") == []
    assert listed(client, "?after=not-a-cursor") == [ids["cid"], ids["bob"], ids["ann"]]


def test_the_search_finds_the_start_of_an_e_mail_address_or_external_id(
    client: TestClient, personas: dict[str, ConsolePersona], people: dict[str, Any]
) -> None:
    ids = {name: made.subscription.id for name, made in people.items()}
    act_as(client, personas["viewer"])
    assert listed(client, "?q=an") == [ids["ann"]]  # ann@example.com
    assert listed(client, "?q=ANN%40EX") == [ids["ann"]]  # e-mail addresses in any case
    assert listed(client, "?q=ext-") == [ids["ann"]]  # ext-ann; never `other`'s ext-eve
    assert listed(client, "?q=EXT-") == []  # external ids as the brand wrote them
    assert listed(client, "?q=-b") == [ids["bob"]]
    assert listed(client, "?q=b") == [ids["bob"]]  # bob@example.com
    # Another account's subscribers are never found, by any start of theirs.
    for term in ("e", "ev", "eve@", "eve@example.com", "ext-e", ids["eve"], ids["eve"][:8]):
        assert ids["eve"] not in listed(client, f"?q={quote(term)}"), term
    assert listed(client, f"?q={ids['cid'][:8]}") == []  # a subscription id is found whole only
    assert listed(client, "?q=example.com") == []  # the start, not the middle


def test_percent_and_underscore_are_plain_characters_in_the_search(
    client: TestClient, database: Database, personas: dict[str, ConsolePersona], owner: Persona
) -> None:
    made = {
        "sale": subscribe(database, subscriber_id="50%_off", email="a_b@example.com"),
        "fifty": subscribe(database, subscriber_id="50-x", email="axb@example.com"),
        "five": subscribe(database, subscriber_id="500", email="a%b@example.com"),
    }
    ids = {name: done.subscription.id for name, done in made.items()}
    act_as(client, personas["viewer"])
    assert listed(client, f"?q={quote('50%')}") == [ids["sale"]]
    assert listed(client, f"?q={quote('50%_')}") == [ids["sale"]]
    assert listed(client, f"?q={quote('50_')}") == []
    assert listed(client, f"?q={quote('5%')}") == []
    assert listed(client, f"?q={quote('%')}") == []
    assert listed(client, f"?q={quote('_')}") == []
    assert listed(client, f"?q={quote('a_')}") == [ids["sale"]]
    assert listed(client, f"?q={quote('a%')}") == [ids["five"]]
    assert listed(client, "?q=5") == [ids["five"], ids["fifty"], ids["sale"]]  # newest first


def test_keyset_pages_of_a_search_cover_every_match_once(database: Database, owner: Persona) -> None:
    for number in range(7):
        subscribe(database, subscriber_id=f"page-{number}")
        subscribe(database, subscriber_id=f"other-{number}", email=f"x-{number}@example.com")  # not found
    with database.transaction() as session:  # five share one instant: the id breaks the tie
        moment = utcnow() - timedelta(hours=1)
        session.execute(update(Subscription).where(Subscription.subscriber_id.like("page-%")).values(created_at=moment))
        account_id = session.scalar(select(Subscription.account_id).limit(1))
    assert account_id is not None
    seen: list[str] = []
    cursor = None
    with database.sessions() as session:
        for _ in range(10):
            page = listing.subscriber_page(
                session=session, account_id=account_id, wanted=SubscriberFilter(search="page-"), cursor=cursor, size=3
            )
            seen += [str(row.subscription.subscriber_id) for row in page.rows]
            cursor = page.next_cursor
            if cursor is None:
                break
    assert sorted(seen) == [f"page-{number}" for number in range(7)]


def test_keyset_pages_cover_every_subscription_once_even_with_equal_times(
    database: Database, people: dict[str, Any]
) -> None:
    for number in range(7):
        subscribe(database, subscriber_id=f"page-{number}")
    with database.transaction() as session:  # five share one instant: the id breaks the tie
        moment = utcnow() - timedelta(hours=1)
        session.execute(update(Subscription).where(Subscription.subscriber_id.like("page-%")).values(created_at=moment))
    account_id = people["ann"].subscription.account_id
    seen: list[str] = []
    cursor = None
    with database.sessions() as session:
        for _ in range(10):
            page = listing.subscriber_page(
                session=session, account_id=account_id, wanted=SubscriberFilter(), cursor=cursor, size=3
            )
            seen += [row.subscription.id for row in page.rows]
            cursor = page.next_cursor
            if cursor is None:
                break
    assert len(seen) == len(set(seen)) == 10


def test_the_record_shows_what_is_stored_and_where_it_was_sent(
    client: TestClient, personas: dict[str, ConsolePersona], people: dict[str, Any], braze: FakeBraze
) -> None:
    change_tags(client.app.state.database, people["ann"].subscription.id, ["All Teams"])  # type: ignore[attr-defined]
    act_as(client, personas["viewer"])
    page = client.get(f"/console/owner/subscribers/{people['ann'].subscription.id}")
    assert page.status_code == 200
    for shown in ("ann@example.com", "ext-ann", "All Teams", "google", "7 polls", "Lapsed", "braze.track"):
        assert shown in page.text, shown
    assert "End the subscription" not in page.text  # a viewer reads only
    assert "Erase the personal data" not in page.text
    foreign = client.get(f"/console/owner/subscribers/{people['eve'].subscription.id}")
    assert foreign.status_code == 404
    assert "eve@example.com" not in foreign.text


def test_an_editor_ends_a_subscription_as_its_manage_page_would(
    client: TestClient, personas: dict[str, ConsolePersona], people: dict[str, Any], database: Database
) -> None:
    editor = personas["editor"]
    act_as(client, editor)
    path = f"/console/owner/subscribers/{people['ann'].subscription.id}"
    assert client.post(f"{path}/deactivate", data={"csrf_token": "forged"}).status_code == 403
    done = client.post(f"{path}/deactivate", data={"csrf_token": editor.csrf_token}, follow_redirects=False)
    assert (done.status_code, done.headers["location"]) == (303, f"{path}?notice=ended")
    with database.sessions() as session:
        ended = subscriptions.get_subscription(session=session, subscription_id=people["ann"].subscription.id)
        assert ended.deactivated_at is not None
        assert ended.deactivation_reason_text == "Ended in the console"
    assert "The subscription has ended." in client.get(f"{path}?notice=ended").text
    viewer = personas["viewer"]
    act_as(client, viewer)
    bob = f"/console/owner/subscribers/{people['bob'].subscription.id}/deactivate"
    assert client.post(bob, data={"csrf_token": viewer.csrf_token}).status_code == 403


def test_owners_export_and_erase_a_person_as_the_command_line_does(
    client: TestClient, personas: dict[str, ConsolePersona], people: dict[str, Any], database: Database
) -> None:
    path = f"/console/owner/subscribers/{people['ann'].subscription.id}"
    editor = personas["editor"]
    act_as(client, editor)
    assert client.get(f"{path}/export").status_code == 403
    assert client.post(f"{path}/forget", data={"csrf_token": editor.csrf_token, "confirm": "true"}).status_code == 403
    owner = personas["owner"]
    act_as(client, owner)
    exported = client.get(f"{path}/export")
    assert exported.status_code == 200
    assert exported.headers["content-disposition"].startswith("attachment;")
    with database.sessions() as session:
        expected = privacy.export_person(session=session, account_code="owner", who="ext-ann")
    assert exported.json() == json.loads(json.dumps(expected, default=listing.plain_text))
    unconfirmed = client.post(f"{path}/forget", data={"csrf_token": owner.csrf_token})
    assert unconfirmed.status_code == 422
    assert client.post(f"{path}/forget", data={"csrf_token": "forged", "confirm": "true"}).status_code == 403
    with database.sessions() as session:
        assert subscriptions.get_subscription(session=session, subscription_id=people["ann"].subscription.id).email
    forgotten = client.post(f"{path}/forget", data={"csrf_token": owner.csrf_token, "confirm": "true"})
    assert forgotten.status_code == 200  # followed to the record, with the notice
    assert "The person&#39;s data is erased." in forgotten.text or "The person's data is erased." in forgotten.text
    assert "ann@example.com" not in forgotten.text
    with database.sessions() as session:
        erased = subscriptions.get_subscription(session=session, subscription_id=people["ann"].subscription.id)
        assert (erased.email, erased.subscriber_id, erased.is_active) == (None, None, False)
    assert client.get(f"{path}/export").status_code == 409  # nobody left to export


def test_the_csv_export_is_the_filtered_list_escaped_for_spreadsheets(
    client: TestClient, personas: dict[str, ConsolePersona], people: dict[str, Any]
) -> None:
    act_as(client, personas["viewer"])
    response = client.get("/console/owner/subscribers.csv?status=active")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/csv; charset=utf-8"
    assert response.headers["content-disposition"].startswith('attachment; filename="subscribers-owner-')
    rows = list(csv.DictReader(io.StringIO(response.text)))
    assert [row["subscription_id"] for row in rows] == [people["bob"].subscription.id, people["ann"].subscription.id]
    bob = rows[0]
    assert bob["subscriber_id"] == "'-bob"
    assert bob["source"] == '\'=HYPERLINK("https://evil.example","click")'
    assert bob["utm_campaign"] == "'+cmd|' /C calc'!A0"
    assert bob["email"] == "bob@example.com"
    for row in rows:
        for value in row.values():
            assert not value.startswith(("=", "+", "-", "@", "\t", "\r")), value
    everything = client.get("/console/owner/subscribers.csv")
    assert len(list(csv.DictReader(io.StringIO(everything.text)))) == 3  # ann, bob, cid; never eve
    assert "eve@example.com" not in everything.text
