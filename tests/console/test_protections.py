"""Each protection of the console has a test that fails without it: CSRF, session expiry, sign-in throttling, roles."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from fastapi.testclient import TestClient
from sqlalchemy import update

from calcast.calendars import service as calendars
from calcast.console.models import ConsoleSession
from calcast.core.db import Database, utcnow
from calcast.core.security import digest
from tests.conftest import Persona
from tests.console.conftest import ConsolePersona, act_as
from tests.console.test_sign_in import add_person, sign_in


def calendar_codes(database: Database) -> list[str]:
    with database.sessions() as session:
        return [calendar.code for calendar in calendars.list_calendars(session=session, account_code="owner")]


def create(client: TestClient, csrf_token: str, **headers: str) -> Any:
    data = {"csrf_token": csrf_token, "title": "Spring", "code": "spring", "tags": "A\nB"}
    return client.post("/console/owner/calendars", data=data, headers=headers, follow_redirects=False)


# ---------------------------------------------------------------------------------------------- CSRF


def test_a_form_without_the_sessions_token_changes_nothing(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    act_as(client, personas["owner"])
    for token in ("", "a-guessed-token", personas["editor"].csrf_token):  # another session's token does not do
        response = create(client, token)
        assert response.status_code == 403
        assert "reload the page and try again" in response.text
    assert calendar_codes(database) == ["main"]
    assert create(client, personas["owner"].csrf_token).status_code == 303
    assert calendar_codes(database) == ["main", "spring"]


def test_a_form_sent_from_another_site_changes_nothing_even_with_the_token(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    act_as(client, personas["owner"])
    assert create(client, personas["owner"].csrf_token, **{"Sec-Fetch-Site": "cross-site"}).status_code == 403
    assert create(client, personas["owner"].csrf_token, Origin="https://evil.example").status_code == 403
    assert calendar_codes(database) == ["main"]


def test_sign_out_needs_the_token_too(client: TestClient, personas: dict[str, ConsolePersona]) -> None:
    act_as(client, personas["owner"])
    assert client.post("/console/sign-out", data={"csrf_token": "x"}).status_code == 403
    assert client.post("/console/sign-out-everywhere", data={}).status_code == 403
    assert client.get("/console/owner").status_code == 200


# ---------------------------------------------------------------------------------------------- session expiry


def age_session(database: Database, persona: ConsolePersona, **ago: timedelta) -> None:
    values = {column: utcnow() - delta for column, delta in ago.items()}
    with database.transaction() as session:
        session.execute(
            update(ConsoleSession).where(ConsoleSession.token_digest == digest(persona.token or "")).values(**values)
        )


def test_a_session_idle_for_longer_than_the_setting_ends(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    idle = timedelta(minutes=database.settings.console_idle_minutes)
    owner = personas["owner"]
    age_session(database, owner, last_seen_at=idle - timedelta(minutes=2))
    assert act_as(client, owner).get("/console/owner").status_code == 200  # and the visit counts as activity
    age_session(database, owner, last_seen_at=idle + timedelta(minutes=1))
    response = act_as(client, owner).get("/console/owner", follow_redirects=False)
    assert response.status_code == 302
    assert response.headers["location"] == "/console/sign-in?next=/console/owner"
    assert 'calcast_console=""' in response.headers["set-cookie"]


def test_a_session_ends_at_its_absolute_limit_however_active(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    limit = timedelta(hours=database.settings.console_session_hours)
    owner = personas["owner"]
    age_session(database, owner, created_at=limit - timedelta(minutes=1), last_seen_at=timedelta(seconds=5))
    assert act_as(client, owner).get("/console/owner").status_code == 200
    age_session(database, owner, created_at=limit + timedelta(minutes=1), last_seen_at=timedelta(seconds=5))
    assert act_as(client, owner).get("/console/owner", follow_redirects=False).status_code == 302


def test_an_expired_session_is_deleted_when_it_is_next_presented(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    owner = personas["owner"]
    age_session(database, owner, last_seen_at=timedelta(days=2))
    assert act_as(client, owner).get("/console", follow_redirects=False).status_code == 302
    with database.sessions() as session:
        assert session.get(ConsoleSession, digest(owner.token or "")) is None


# ---------------------------------------------------------------------------------------------- sign-in throttling


def test_sign_ins_for_one_address_are_throttled_after_the_allowed_failures(
    app_with: Any, database: Database, owner: Persona
) -> None:
    add_person(database)
    client = app_with(console_sign_in_failures=3)
    for _ in range(3):
        assert sign_in(client, password="not the password").status_code == 401
    blocked = sign_in(client)  # even the right password waits now
    assert blocked.status_code == 429
    assert "wait 15 minutes" in blocked.text
    assert int(blocked.headers["retry-after"]) > 0
    assert "set-cookie" not in blocked.headers


def test_sign_ins_from_one_network_are_throttled_across_addresses(
    app_with: Any, database: Database, owner: Persona
) -> None:
    add_person(database)
    client = app_with(console_sign_in_failures=3)
    for number in range(3):
        assert sign_in(client, email=f"guess{number}@example.com").status_code == 401
    assert sign_in(client).status_code == 429


def test_successful_sign_ins_do_not_use_up_the_allowance(app_with: Any, database: Database, owner: Persona) -> None:
    add_person(database)
    client = app_with(console_sign_in_failures=2)
    for _ in range(3):
        assert sign_in(client).status_code == 303


# ---------------------------------------------------------------------------------------------- roles


def test_a_viewer_cannot_create_a_calendar_and_is_told_why(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    viewer = personas["viewer"]
    act_as(client, viewer)
    page = client.get("/console/owner/calendars")
    assert "Create calendar" not in page.text
    assert "As a viewer you can look at the calendars but not change them." in page.text
    response = create(client, viewer.csrf_token)
    assert response.status_code == 403
    assert "Your role in this account does not allow this" in response.text
    assert calendar_codes(database) == ["main"]


def test_only_owners_see_the_people_of_the_account(client: TestClient, personas: dict[str, ConsolePersona]) -> None:
    assert "viewer@example.com" in act_as(client, personas["owner"]).get("/console/owner/people").text
    assert 'href="/console/owner/people"' not in act_as(client, personas["editor"]).get("/console/owner").text
    assert act_as(client, personas["editor"]).get("/console/owner/people").status_code == 403


def test_a_role_change_or_removal_acts_on_the_open_session_at_once(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    from calcast.console import service

    editor = personas["editor"]
    with database.transaction() as session:
        service.add_member(session=session, email="editor@example.com", account_code="owner", role="viewer")
    assert create(act_as(client, editor), editor.csrf_token).status_code == 403
    with database.transaction() as session:
        service.remove_member(session=session, email="editor@example.com", account_code="owner")
    assert act_as(client, editor).get("/console/owner", follow_redirects=False).status_code == 302


def test_every_calendar_and_event_form_needs_the_token_and_our_own_origin(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    with database.transaction() as session:
        event = calendars.add_broadcast_event(
            session=session,
            account_code="owner",
            calendar_code="main",
            event=calendars.BroadcastEventInput(title="Launch", start="2031-05-01T19:00", timezone="UTC"),
        )
        calendar = calendars.get_calendar(session=session, account_code="owner", code="main")
        event_id, tag_ids, version = event.id, [tag.id for tag in calendar.tags], calendar.feed_version
    base = "/console/owner/calendars/main"
    forms: dict[str, dict[str, Any]] = {
        base: {"name": "Renamed", "title": "Renamed", "language": "de"},
        f"{base}/welcome": {"welcome_title": "Forged welcome"},
        f"{base}/tags": {"name": "New tag"},
        f"{base}/tags/{tag_ids[0]}": {"name": "Renamed tag"},
        f"{base}/tags/{tag_ids[0]}/move": {"step": "1"},
        f"{base}/tags/order": {"tag_ids": list(reversed(tag_ids))},
        f"{base}/events": {"title": "Forged", "start": "2031-06-01T10:00", "timezone": "UTC"},
        f"{base}/events/{event_id}": {"title": "Forged", "start": "2031-06-01T10:00", "timezone": "UTC"},
        f"{base}/events/{event_id}/delete": {},
    }
    owner = personas["owner"]
    act_as(client, owner)
    for path, form in forms.items():
        for token in ("", "a-guessed-token", personas["editor"].csrf_token):
            assert client.post(path, data={**form, "csrf_token": token}).status_code == 403, (path, token)
        for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}):
            response = client.post(path, data={**form, "csrf_token": owner.csrf_token}, headers=headers)
            assert response.status_code == 403, (path, headers)
    with database.sessions() as session:
        calendar = calendars.get_calendar(session=session, account_code="owner", code="main")
        assert (calendar.name, calendar.feed_version, calendar.welcome_title) == ("Owner Calendar", version, None)
        assert [tag.id for tag in calendar.tags] == tag_ids
        events = calendars.list_broadcast_events(session=session, account_code="owner", calendar_code="main")
        assert [(found.title, found.sequence) for found in events] == [("Launch", 0)]
