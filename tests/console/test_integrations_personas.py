"""Every integrations and people route for each of the five personas: the expected status, never another account's data.

Owners of `owner` (confirmed with their password a moment ago) may do everything; editors and viewers are refused
with 403; the owner of `other` and a path naming another account's object get 404; anonymous goes to sign-in.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

import pytest
from fastapi.routing import APIRoute
from fastapi.testclient import TestClient

from calcast.console import integrations, service
from calcast.core.db import Database
from calcast.core.security import Cipher
from calcast.webhooks import endpoints
from tests.conftest import Persona
from tests.console.conftest import ConsolePersona, act_as, confirm_now

NAMES = ("owner", "editor", "viewer", "stranger", "anonymous")
OWNER_ONLY = (200, 403, 403, 404, 302)
# route → expected status for owner, editor, viewer, stranger (owner of `other`), anonymous
MATRIX: dict[tuple[str, str], tuple[int, int, int, int, int]] = {
    ("GET", "/console/owner/confirm"): OWNER_ONLY,
    ("GET", "/console/owner/integrations"): OWNER_ONLY,
    ("GET", "/console/owner/integrations/clients"): OWNER_ONLY,
    ("GET", "/console/owner/integrations/braze"): OWNER_ONLY,
    ("GET", "/console/owner/integrations/webhooks"): OWNER_ONLY,
    ("GET", "/console/owner/integrations/webhooks/{hook}"): OWNER_ONLY,
    ("GET", "/console/owner/integrations/webhooks/{other_hook}"): (404, 403, 403, 404, 302),
    ("GET", "/console/other/integrations/webhooks/{other_hook}"): (404, 404, 404, 200, 302),
    ("GET", "/console/owner/people"): OWNER_ONLY,
    ("POST", "/console/owner/confirm"): (401, 403, 403, 404, 302),  # the personas have no password
    ("POST", "/console/owner/integrations/clients"): (303, 403, 403, 404, 302),
    ("POST", "/console/owner/integrations/clients/{client}/revoke"): (303, 403, 403, 404, 302),
    ("POST", "/console/owner/integrations/clients/{other_client}/revoke"): (404, 403, 403, 404, 302),
    ("POST", "/console/owner/integrations/braze"): (303, 403, 403, 404, 302),
    # Braze was set up by the route before, at an address where nothing answers: the page says so (no 500).
    ("POST", "/console/owner/integrations/braze/test"): (200, 403, 403, 404, 302),
    ("POST", "/console/owner/integrations/braze/link-key"): (303, 403, 403, 404, 302),
    ("POST", "/console/owner/integrations/webhooks"): (303, 403, 403, 404, 302),
    ("POST", "/console/owner/integrations/webhooks/{hook}/test"): (303, 403, 403, 404, 302),
    ("POST", "/console/owner/integrations/webhooks/{hook}/disable"): (303, 403, 403, 404, 302),
    ("POST", "/console/owner/integrations/webhooks/{other_hook}/disable"): (404, 403, 403, 404, 302),
    ("POST", "/console/owner/integrations/webhooks/{hook}/deliveries/999999/retry"): (404, 403, 403, 404, 302),
    ("POST", "/console/owner/integrations/outbox/retry-failed"): (303, 403, 403, 404, 302),
    ("POST", "/console/owner/people"): (303, 403, 403, 404, 302),
    ("POST", "/console/owner/people/role"): (303, 403, 403, 404, 302),
    ("POST", "/console/owner/people/remove"): (303, 403, 403, 404, 302),
}
FORM = {
    "url": "http://127.0.0.1:9/hooks",
    "event": ["Subscribe"],
    "rest_endpoint": "http://127.0.0.1:9",
    "api_key": "braze-key-1234",
    "email": "extra@example.com",
    "role": "viewer",
    "password": "not anybody's password",
}
OVERRIDES = {"/console/owner/people": {"email": "new@example.com"}}
OWNER_DATA = ("Owner Calendar", "owner@example.com", "editor@example.com", "viewer@example.com", "owner.example/hook")
OTHER_DATA = ("Other Calendar", "stranger@example.com", "other.example/hook")


@dataclass
class Arranged:
    ids: dict[str, str]
    owner_data: tuple[str, ...]
    other_data: tuple[str, ...]


@pytest.fixture
def arranged(database: Database, personas: dict[str, ConsolePersona], owner: Persona, other: Persona) -> Arranged:
    confirm_now(database, personas["owner"])
    cipher = Cipher(database.settings.secret_key)
    with database.transaction() as session:
        hooks = {
            code: endpoints.add_endpoint(
                session=session,
                cipher=cipher,
                account_code=code,
                url=f"http://{code}.example/hook",
                event_types=["Subscribe"],
                allow_private_destinations=True,
            ).endpoint.id
            for code in ("owner", "other")
        }
        service.add_member(session=session, email="extra@example.com", account_code="owner", role="viewer")
    assert owner.client_id
    assert other.client_id
    return Arranged(
        ids={
            "hook": hooks["owner"],
            "other_hook": hooks["other"],
            "client": owner.client_id,
            "other_client": other.client_id,
        },
        owner_data=(*OWNER_DATA, owner.client_id),
        other_data=(*OTHER_DATA, other.client_id),
    )


def test_each_persona_gets_its_answer_and_only_its_own_data(
    client: TestClient, personas: dict[str, ConsolePersona], arranged: Arranged
) -> None:
    # One arrangement for all routes (in the matrix's order: a role is changed before the person is removed).
    for (method, path), answers in MATRIX.items():
        check_route(client, personas, arranged, method, path, answers)


def check_route(
    client: TestClient,
    personas: dict[str, ConsolePersona],
    arranged: Arranged,
    method: str,
    path: str,
    answers: tuple[int, ...],
) -> None:
    url = path.format(**arranged.ids)
    for name, expected in zip(NAMES, answers, strict=True):
        persona = personas[name]
        act_as(client, persona)
        if method == "POST":
            data = {**FORM, **OVERRIDES.get(path, {}), "csrf_token": persona.csrf_token}
            response = client.post(url, data=data, follow_redirects=False)
        else:
            response = client.get(url, follow_redirects=False)
        assert response.status_code == expected, (name, method, url, response.text[:400])
        if expected == 302:
            assert response.headers["location"].startswith("/console/sign-in?next=")
        if expected == 303:
            assert "/confirm" not in response.headers["location"]  # the owner had confirmed: the action was done
        mine = name in ("owner", "editor", "viewer")
        for secret in arranged.other_data if mine else arranged.owner_data:
            assert secret not in response.text, (name, url, secret)
        if method == "GET" and expected == 200:
            assert response.headers["x-frame-options"] == "DENY"
            assert response.headers["cache-control"] == "no-store"


def test_only_owners_see_the_integrations_link(client: TestClient, personas: dict[str, ConsolePersona]) -> None:
    assert 'href="/console/owner/integrations"' in act_as(client, personas["owner"]).get("/console/owner").text
    for name in ("editor", "viewer"):
        assert 'href="/console/owner/integrations"' not in act_as(client, personas[name]).get("/console/owner").text


def shape(path: str) -> str:
    """A path with every variable part (account, id, placeholder) as `{}`."""
    path = re.sub(r"^/console/(owner|other)(?=/|$)", "/console/{}", path)
    return re.sub(r"\{[a-z_]+\}|(?<=/)\d+(?=/|$)", "{}", path)


def test_every_route_of_the_integrations_module_is_in_the_matrix() -> None:
    covered = {(method, shape(path)) for method, path in MATRIX}
    for route in integrations.router.routes:
        assert isinstance(route, APIRoute)
        for method in route.methods or ():
            assert (method, shape(route.path)) in covered, f"{method} {route.path} has no row in MATRIX"
