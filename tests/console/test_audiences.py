"""Single targeted event: upload a CSV audience, the exact match report, the event, the send by the worker."""

from __future__ import annotations

import gzip
import re
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from calcast.audiences import service
from calcast.audiences.models import Audience, AudienceStatus
from calcast.core.db import Database
from calcast.core.security import Cipher
from calcast.events import service as events
from calcast.events.models import PersonalEvent, PersonalEventTarget
from calcast.outbox.models import OutboxMessage
from calcast.subscriptions import service as subscriptions
from calcast.webhooks import endpoints as webhooks
from calcast.webhooks.models import KIND as WEBHOOK_KIND
from tests.conftest import Persona
from tests.console.conftest import ConsolePersona, act_as
from tests.support.braze_sync import drain, subscribe, unsubscribe

EVENT = {
    "event_id": "spring-sale",
    "title": "Spring sale opens",
    "start": "2030-03-01T09:00",
    "end": "2030-03-01T10:00",
    "timezone": "Europe/Berlin",
    "notify_before": "15",
    "location": "Online",
}


def upload(client: TestClient, persona: ConsolePersona, content: bytes, name: str = "audience.csv") -> Any:
    return client.post(
        "/console/owner/audiences",
        data={"csrf_token": persona.csrf_token},
        files={"file": (name, content, "text/csv")},
        follow_redirects=False,
    )


def audience_path(response: Any) -> str:
    assert response.status_code == 303, response.text[:500]
    location = str(response.headers["location"])
    assert re.fullmatch(r"/console/owner/audiences/[0-9a-f-]{36}", location)
    return location


def match(client: TestClient, persona: ConsolePersona, path: str, column: int, kind: str, header: bool = True) -> Any:
    data = {"csrf_token": persona.csrf_token, "column": str(column), "id_kind": kind}
    if header:
        data["has_header"] = "true"
    return client.post(f"{path}/match", data=data, follow_redirects=False)


def define(client: TestClient, persona: ConsolePersona, path: str, **changes: str) -> Any:
    return client.post(
        f"{path}/event", data={"csrf_token": persona.csrf_token, **EVENT, **changes}, follow_redirects=False
    )


def send(client: TestClient, persona: ConsolePersona, path: str) -> Any:
    return client.post(f"{path}/send", data={"csrf_token": persona.csrf_token}, follow_redirects=False)


def stored(database: Database, path: str) -> Audience:
    with database.sessions() as session:
        audience = session.get(Audience, path.rsplit("/", 1)[1])
        assert audience is not None
        session.expunge(audience)
        return audience


def feed_text(client: TestClient, feed_token: str) -> str:
    response = client.get(f"/webcal/{feed_token}")
    assert response.status_code == 200
    return response.text


@pytest.fixture
def people(database: Database, owner: Persona, other: Persona) -> dict[str, subscriptions.Subscribed]:
    """Subscribers of `owner` (three active, one ended) and one of `other` with an address that `owner` uploads."""
    made = {
        "ann": subscribe(database, subscriber_id="ext-ann", email="ann@example.com"),
        "bob": subscribe(database, subscriber_id="ext-bob", email="bob@example.com"),
        "cid": subscribe(database, subscriber_id="ext-cid", email="cid@example.com"),
        "dan": subscribe(database, subscriber_id="ext-dan", email="dan@example.com"),
        "eve": subscribe(database, account_code="other", subscriber_id="ext-eve", email="eve@example.com"),
    }
    unsubscribe(database, made["dan"].subscription.id)
    return made


REPORT_CSV = (
    "name;E-Mail\n"
    "Ann;ANN@example.com\n"  # matched (addresses compare in any case)
    "Bob; bob@example.com \n"  # matched (trimmed)
    "Dan;dan@example.com\n"  # inactive: ended
    "Eve;eve@example.com\n"  # unknown here: another account's subscriber is never matched
    "Zed;zed@example.com\n"  # unknown
    "Ann again;ann@example.com\n"  # duplicate
    "Bob again;BOB@EXAMPLE.COM\n"  # duplicate
    "Nobody;\n"  # blank
    "\n"  # an empty line is no row
)


def test_the_match_report_counts_each_identifier_exactly_once(
    client: TestClient, personas: dict[str, ConsolePersona], people: dict[str, Any], database: Database
) -> None:
    editor = personas["editor"]
    act_as(client, editor)
    path = audience_path(upload(client, editor, REPORT_CSV.encode()))
    page = client.get(path)
    assert "Column 2: E-Mail" in page.text  # the header is shown to pick the column
    assert match(client, editor, path, 1, "email").status_code == 303
    audience = stored(database, path)
    assert (audience.rows, audience.matched, audience.inactive, audience.unknown) == (8, 2, 1, 2)
    assert (audience.duplicates, audience.blank, audience.subscriptions) == (2, 1, 2)
    assert audience.examples == {
        "matched": ["ann@example.com", "bob@example.com"],
        "inactive": ["dan@example.com"],
        "unknown": ["eve@example.com", "zed@example.com"],
        "duplicates": ["ann@example.com", "bob@example.com"],
    }
    report = client.get(path).text
    assert "8 rows read; column 2 as E-mail addresses. Nothing is sent yet." in report
    assert "The event would reach 2 active subscriptions." in report
    assert "1 rows had an empty cell" in report


def test_external_and_subscription_ids_match_too(
    client: TestClient, personas: dict[str, ConsolePersona], people: dict[str, Any], database: Database
) -> None:
    owner = personas["owner"]
    act_as(client, owner)
    ann, cid = people["ann"].subscription.id, people["cid"].subscription.id
    content = f"{ann.upper()},ext-cid\n{cid},ext-nobody\n{people['eve'].subscription.id},ext-ann\n".encode()
    path = audience_path(upload(client, owner, gzip.compress(content), name="ids.csv.gz"))
    match(client, owner, path, 0, "subscription_id", header=False)
    by_id = stored(database, path)
    assert (by_id.rows, by_id.matched, by_id.unknown, by_id.subscriptions) == (3, 2, 1, 2)
    match(client, owner, path, 1, "external_id", header=False)
    by_external = stored(database, path)
    assert (by_external.matched, by_external.unknown, by_external.examples["unknown"]) == (2, 1, ["ext-nobody"])


def test_an_audience_is_sent_through_the_personal_event_service_to_the_matched_feeds_only(
    client: TestClient, personas: dict[str, ConsolePersona], people: dict[str, Any], database: Database
) -> None:
    editor = personas["editor"]
    act_as(client, editor)
    path = audience_path(upload(client, editor, REPORT_CSV.encode()))
    match(client, editor, path, 1, "email")
    assert define(client, editor, path).status_code == 303
    confirm = client.get(path).text
    assert "Send “Spring sale opens” (2030-03-01T09:00, Europe/Berlin) to 2 subscriptions?" in confirm
    assert stored(database, path).status == AudienceStatus.READY
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PersonalEvent)) == 0  # nothing sent before confirming
    assert send(client, editor, path).status_code == 303
    progress = client.get(path)
    assert '<meta http-equiv="refresh" content="2">' in progress.text
    assert "0 of 2 subscriptions done" in progress.text
    drain(database)
    audience = stored(database, path)
    assert (audience.status, audience.sent, audience.attached, audience.upload) == (AudienceStatus.SENT, 2, 2, None)
    done = client.get(path).text
    assert "2 of 2 subscriptions done; the event was added to 2 feeds." in done
    assert 'http-equiv="refresh"' not in done
    for name, expected in (("ann", True), ("bob", True), ("cid", False), ("eve", False)):
        assert ("Spring sale opens" in feed_text(client, people[name].feed_token)) is expected, name
    with database.sessions() as session:
        event = session.scalar(select(PersonalEvent).where(PersonalEvent.event_id == "spring-sale"))
        assert event is not None
        assert (event.notify_before, event.location, event.timezone) == (15, "Online", "Europe/Berlin")
    assert send(client, editor, path).status_code == 409  # sent once, never twice


def test_the_event_follows_the_apis_rules_and_never_changes_an_existing_event(
    client: TestClient, personas: dict[str, ConsolePersona], people: dict[str, Any], database: Database
) -> None:
    owner = personas["owner"]
    act_as(client, owner)
    path = audience_path(upload(client, owner, REPORT_CSV.encode()))
    match(client, owner, path, 1, "email")
    bad_zone = define(client, owner, path, timezone="Mars/Olympus")
    assert bad_zone.status_code == 422
    assert "Mars/Olympus" in bad_zone.text
    backwards = define(client, owner, path, end="2030-03-01T08:00")
    assert backwards.status_code == 422
    assert "The event ends before it starts" in backwards.text
    untitled = define(client, owner, path, title="", notify_before="often")
    assert untitled.status_code == 422
    assert "The event is not complete: title: must not be empty; notifyBefore: must be a whole number" in untitled.text
    assert stored(database, path).status == AudienceStatus.MATCHED
    with database.transaction() as session:
        events.push_event(
            session=session,
            account_id=people["ann"].subscription.account_id,
            event=events.PersonalEventInput(
                event_id="taken", title="API event", start="2030-01-01T10:00", timezone="UTC"
            ),
            subscription_ids=[people["cid"].subscription.id],
        )
    taken = define(client, owner, path, event_id="taken")
    assert taken.status_code == 422
    assert "The account has an event &#39;taken&#39; already; choose another event id" in taken.text


def test_a_send_longer_than_one_chunk_resumes_where_it_stopped(
    client: TestClient, personas: dict[str, ConsolePersona], people: dict[str, Any], database: Database
) -> None:
    owner = personas["owner"]
    act_as(client, owner)
    path = audience_path(upload(client, owner, b"ext-ann\next-bob\next-cid\n"))
    match(client, owner, path, 0, "external_id", header=False)
    define(client, owner, path)
    send(client, owner, path)
    audience_id = path.rsplit("/", 1)[1]
    with database.transaction() as session:
        assert service.send_chunk(session=session, audience_id=audience_id, feed_window_days=30, chunk=2) is False
    assert (stored(database, path).sent, stored(database, path).status) == (2, AudienceStatus.SENDING)
    with database.transaction() as session:
        assert service.send_chunk(session=session, audience_id=audience_id, feed_window_days=30, chunk=2) is True
    drain(database)  # the queued row finds the audience sent and is done
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PersonalEventTarget)) == 3


@pytest.mark.parametrize(
    ("content", "sentence"),
    [
        (b"", "The file is empty"),
        ("müller@example.com\n".encode("latin-1"), "The file is not UTF-8 text"),
        (b"\x1f\x8b\x08\x00broken", "cannot be unpacked"),
    ],
)
def test_a_file_that_cannot_be_read_is_refused_with_a_sentence(
    client: TestClient, personas: dict[str, ConsolePersona], owner: Persona, content: bytes, sentence: str
) -> None:
    act_as(client, personas["owner"])
    response = upload(client, personas["owner"], content)
    assert response.status_code == 422
    assert sentence in response.text


def test_an_upload_over_the_limit_is_refused_before_it_is_read(
    app_with: Any, personas: dict[str, ConsolePersona], owner: Persona
) -> None:
    client = app_with(console_upload_max_bytes=4096)
    act_as(client, personas["owner"])
    assert upload(client, personas["owner"], b"x@example.com\n" * 100).status_code == 303
    assert upload(client, personas["owner"], b"x@example.com\n" * 1000).status_code == 413


def test_every_form_needs_the_sessions_token(
    client: TestClient, personas: dict[str, ConsolePersona], people: dict[str, Any], database: Database
) -> None:
    owner = personas["owner"]
    act_as(client, owner)
    path = audience_path(upload(client, owner, REPORT_CSV.encode()))
    bad = ConsolePersona("owner", owner.email, owner.token, "forged")
    assert upload(client, bad, REPORT_CSV.encode()).status_code == 403
    assert match(client, bad, path, 1, "email").status_code == 403
    assert stored(database, path).status == AudienceStatus.UPLOADED
    match(client, owner, path, 1, "email")
    assert define(client, bad, path).status_code == 403
    assert stored(database, path).event is None
    define(client, owner, path)
    assert send(client, bad, path).status_code == 403
    assert stored(database, path).status == AudienceStatus.READY
    cross = client.post(f"{path}/send", data={"csrf_token": owner.csrf_token}, headers={"Sec-Fetch-Site": "cross-site"})
    assert cross.status_code == 403
    assert stored(database, path).status == AudienceStatus.READY
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Audience)) == 1


def test_the_pages_speak_german_to_a_german_browser(
    client: TestClient, personas: dict[str, ConsolePersona], people: dict[str, Any]
) -> None:
    owner = personas["owner"]
    act_as(client, owner)
    path = audience_path(upload(client, owner, REPORT_CSV.encode()))
    match(client, owner, path, 1, "email")
    german = {"Accept-Language": "de-DE,de;q=0.9"}
    assert '<h2 id="upload">Zielgruppe hochladen</h2>' in client.get("/console/owner/audiences", headers=german).text
    report = client.get(path, headers=german).text
    assert "8 Zeilen gelesen; Spalte 2 als E-Mail-Adressen. Noch ist nichts gesendet." in report
    assert "Der Termin würde 2 aktive Abonnements erreichen." in report
    assert "Abonnenten suchen und filtern" in client.get("/console/owner/subscribers", headers=german).text
    client.headers.update(german)
    untitled = define(client, owner, path, title="", event_id="")
    assert "Der Termin ist nicht vollständig: eventId: darf nicht leer sein; title: darf nicht leer sein." in (
        untitled.text
    )


def test_the_send_queues_the_same_webhooks_as_the_personal_event_api(
    client: TestClient, personas: dict[str, ConsolePersona], people: dict[str, Any], database: Database
) -> None:
    with database.transaction() as session:
        webhooks.add_endpoint(
            session=session,
            cipher=Cipher(database.settings.secret_key),
            account_code="owner",
            url="http://127.0.0.1:9/hooks",
            event_types=["SubscriptionEventAdded"],
            allow_private_destinations=True,
        )
    owner = personas["owner"]
    act_as(client, owner)
    path = audience_path(upload(client, owner, b"ext-ann\next-bob\n"))
    match(client, owner, path, 0, "external_id", header=False)
    define(client, owner, path)
    send(client, owner, path)
    with database.transaction() as session:  # the worker's step, without delivering the webhooks it queues
        service.send_chunk(session=session, audience_id=path.rsplit("/", 1)[1], feed_window_days=30)
    with database.sessions() as session:
        rows = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == WEBHOOK_KIND)).all()
        envelopes = [row.payload["envelope"] for row in rows]
    assert sorted(envelope["eventDetails"]["calendarSubscriptionId"] for envelope in envelopes) == sorted(
        [people["ann"].subscription.id, people["bob"].subscription.id]
    )
    assert {envelope["eventType"] for envelope in envelopes} == {"SubscriptionEventAdded"}
    assert {envelope["eventDetails"]["subscriptionEvent"]["eventId"] for envelope in envelopes} == {"spring-sale"}
