"""Every console route for each of the five personas: the expected status, and never another account's data."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.core.db import Database
from calcast.core.security import Cipher
from tests.conftest import Persona
from tests.console.conftest import ConsolePersona, act_as

# route → expected status for owner, editor, viewer, stranger (owner of `other`), anonymous
MATRIX: dict[tuple[str, str], tuple[int, int, int, int, int]] = {
    ("GET", "/console"): (200, 200, 200, 200, 302),
    ("GET", "/console/sign-in"): (200, 200, 200, 200, 200),
    ("GET", "/console/owner"): (200, 200, 200, 404, 302),
    ("GET", "/console/owner?range=all"): (200, 200, 200, 404, 302),
    ("GET", "/console/owner/calendars"): (200, 200, 200, 404, 302),
    ("POST", "/console/owner/calendars"): (303, 303, 403, 404, 302),
    ("GET", "/console/owner/people"): (200, 403, 403, 404, 302),
    ("GET", "/console/nobody"): (404, 404, 404, 404, 302),
    # calendars (console.calendars)
    ("GET", "/console/owner/calendars/main"): (200, 200, 200, 404, 302),
    ("GET", "/console/owner/calendars/nothing"): (404, 404, 404, 404, 302),
    ("GET", "/console/other/calendars/main"): (404, 404, 404, 200, 302),
    ("POST", "/console/owner/calendars/main"): (303, 303, 403, 404, 302),
    ("GET", "/console/owner/calendars/main/link?external_id=crm-1"): (200, 200, 403, 404, 302),
    ("POST", "/console/owner/calendars/main/welcome"): (303, 303, 403, 404, 302),
    ("POST", "/console/owner/calendars/main/tags"): (303, 303, 403, 404, 302),
    ("POST", "/console/owner/calendars/main/tags/{tag}"): (303, 303, 403, 404, 302),
    ("POST", "/console/owner/calendars/main/tags/{tag}/move"): (303, 303, 403, 404, 302),
    ("POST", "/console/owner/calendars/main/tags/order"): (303, 303, 403, 404, 302),
    ("POST", "/console/owner/calendars/main/tags/{other_tag}"): (404, 404, 403, 404, 302),
    # events (console.events); {event} is a new event of owner/main for each persona
    ("GET", "/console/owner/calendars/main/events"): (200, 200, 200, 404, 302),
    ("GET", "/console/owner/calendars/main/events?when=past&q=launch"): (200, 200, 200, 404, 302),
    ("GET", "/console/owner/calendars/main/events/new"): (200, 200, 403, 404, 302),
    ("GET", "/console/owner/calendars/main/events/{event}"): (200, 200, 200, 404, 302),
    ("GET", "/console/other/calendars/main/events/{event}"): (404, 404, 404, 404, 302),
    ("GET", "/console/owner/calendars/nothing/events"): (404, 404, 404, 404, 302),
    ("POST", "/console/owner/calendars/main/events"): (303, 303, 403, 404, 302),
    ("POST", "/console/owner/calendars/main/events/{event}"): (303, 303, 403, 404, 302),
    ("POST", "/console/owner/calendars/main/events/{event}/delete"): (303, 303, 403, 404, 302),
    ("POST", "/console/other/calendars/main/events/{event}/delete"): (404, 404, 404, 404, 302),
    ("POST", "/console/sign-out"): (303, 303, 303, 303, 302),
    ("POST", "/console/sign-out-everywhere"): (303, 303, 303, 303, 302),
}
NAMES = ("owner", "editor", "viewer", "stranger", "anonymous")
# What only `owner` pages may show, and what only `other` pages may show.
OWNER_DATA = ("Owner Calendar", "Owner Launch", "owner@example.com", "editor@example.com", "viewer@example.com")
OTHER_DATA = ("Other Calendar", "stranger@example.com")


def owner_event(database: Database) -> str:
    """A new upcoming broadcast event of owner/main (for everyone): its id."""
    with database.transaction() as session:
        event = calendars.add_broadcast_event(
            session=session,
            account_code="owner",
            calendar_code="main",
            event=calendars.BroadcastEventInput(
                title="Owner Launch", start="2031-05-01T19:00", timezone="Europe/Berlin"
            ),
        )
        return event.id


def tag_ids(database: Database, account_code: str) -> list[str]:
    with database.sessions() as session:
        calendar = calendars.get_calendar(session=session, account_code=account_code, code="main")
        return [tag.id for tag in calendar.tags]


def form_for(path: str, name: str, ids: list[str]) -> dict[str, str | list[str]]:
    """What each POST route's form sends (valid input: the answer depends on the persona alone)."""
    if path.endswith("/tags/order"):
        return {"tag_ids": list(reversed(ids))}
    if path.endswith("/move"):
        return {"step": "1"}
    if "/tags" in path:
        return {"name": f"Tag of {name}", "default": "1"}
    if path.endswith("/delete"):
        return {}
    if path.endswith("/welcome"):
        return {"welcome_title": f"Welcome by {name}"}
    if "/events" in path:
        return {"title": f"Event of {name}", "start": "2031-06-01T18:00", "timezone": "W. Europe Standard Time"}
    if path.endswith("/calendars"):
        return {"title": f"New {name}", "code": f"new-{name}", "tags": "One, Two"}
    if path.endswith("/calendars/main"):
        return {"name": "Owner Calendar", "title": f"Title by {name}", "language": "de", "email_capture": "optional"}
    return {}


@pytest.fixture
def link_key(database: Database, owner: Persona) -> None:
    with database.transaction() as session:
        accounts.create_link_key(session=session, cipher=Cipher(database.settings.secret_key), code="owner")


@pytest.mark.parametrize(("method", "path"), list(MATRIX))
@pytest.mark.usefixtures("link_key")
def test_each_persona_gets_its_answer_and_only_its_own_data(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database, method: str, path: str
) -> None:
    for name, expected in zip(NAMES, MATRIX[(method, path)], strict=True):
        persona = personas[name]
        act_as(client, persona)
        ids = tag_ids(database, "owner")
        concrete = path.format(event=owner_event(database), tag=ids[1], other_tag=tag_ids(database, "other")[1])
        if method == "POST":
            data = {"csrf_token": persona.csrf_token, **form_for(path.split("?")[0], name, ids)}
            response = client.post(concrete, data=data, follow_redirects=False)
        else:
            response = client.get(concrete, follow_redirects=False)
        assert response.status_code == expected, (name, method, concrete, response.text[:300])
        if expected == 302:
            assert response.headers["location"].startswith("/console/sign-in?next=")
        hidden = OTHER_DATA if name in ("owner", "editor", "viewer") else OWNER_DATA
        for secret in hidden:
            assert secret not in response.text, (name, path, secret)
        if method == "GET" and expected == 200:
            assert response.headers["x-frame-options"] == "DENY"
            assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
            assert response.headers["cache-control"] == "no-store"


def test_the_account_list_shows_each_person_only_their_accounts(
    client: TestClient, personas: dict[str, ConsolePersona]
) -> None:
    own = act_as(client, personas["viewer"]).get("/console")
    assert 'href="/console/owner"' in own.text
    assert 'href="/console/other"' not in own.text
    theirs = act_as(client, personas["stranger"]).get("/console")
    assert 'href="/console/other"' in theirs.text
    assert 'href="/console/owner"' not in theirs.text


def test_a_stranger_gets_the_same_answer_for_a_foreign_and_a_missing_account(
    client: TestClient, personas: dict[str, ConsolePersona]
) -> None:
    act_as(client, personas["stranger"])
    foreign = client.get("/console/owner/calendars")
    missing = client.get("/console/no-such-account/calendars")
    assert foreign.status_code == missing.status_code == 404
    assert foreign.text == missing.text
