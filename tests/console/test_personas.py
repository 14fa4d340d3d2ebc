"""Every console route for each of the five personas: the expected status, and never another account's data."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

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
    ("POST", "/console/sign-out"): (303, 303, 303, 303, 302),
    ("POST", "/console/sign-out-everywhere"): (303, 303, 303, 303, 302),
}
NAMES = ("owner", "editor", "viewer", "stranger", "anonymous")
# What only `owner` pages may show, and what only `other` pages may show.
OWNER_DATA = ("Owner Calendar", "owner@example.com", "editor@example.com", "viewer@example.com")
OTHER_DATA = ("Other Calendar", "stranger@example.com")


@pytest.mark.parametrize(("method", "path"), list(MATRIX))
def test_each_persona_gets_its_answer_and_only_its_own_data(
    client: TestClient, personas: dict[str, ConsolePersona], method: str, path: str
) -> None:
    for name, expected in zip(NAMES, MATRIX[(method, path)], strict=True):
        persona = personas[name]
        act_as(client, persona)
        if method == "POST":
            code = f"new-{name}"
            data = {"csrf_token": persona.csrf_token, "title": f"New {name}", "code": code, "tags": "One, Two"}
            response = client.post(path, data=data, follow_redirects=False)
        else:
            response = client.get(path, follow_redirects=False)
        assert response.status_code == expected, (name, method, path, response.text[:300])
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
