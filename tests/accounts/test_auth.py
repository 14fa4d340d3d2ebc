"""Who may call /v1 and /v2: tenant isolation with the three personas, and every way a token can be bad."""

from __future__ import annotations

import base64

import httpx2
import pytest
from fastapi.testclient import TestClient

from calcast.core.db import Database
from calcast.core.security import issue_access_token
from tests.conftest import Cli, Persona
from tests.rokt_api import bearer, count_events, event_body, subscribe, targets_of, token_of


def push(
    client: TestClient, account: str, headers: dict[str, str], ids: list[str], event_id: str = "e-1"
) -> httpx2.Response:
    return client.post(
        f"/v1/subscriptionevent/{account}",
        json={"event": event_body(event_id), "subscriptionIds": ids},
        headers=headers,
    )


def test_the_owners_token_on_the_other_accounts_path_is_403(
    client: TestClient, database: Database, owner: Persona, other: Persona
) -> None:
    theirs = subscribe(database, other, "ext-1")
    response = client.post(
        "/v1/subscriptionevent/other",
        json={"event": event_body(), "subscriptionIds": [theirs]},
        headers=bearer(client, owner),
    )
    assert response.status_code == 403
    assert "owner" in response.json()["Reason"]
    assert count_events(database) == 0


def test_other_accounts_subscription_ids_are_never_touched_and_are_reported(
    client: TestClient, database: Database, owner: Persona, other: Persona
) -> None:
    mine = subscribe(database, owner, "ext-1")
    theirs = subscribe(database, other, "ext-1")
    response = client.post(
        "/v1/subscriptionevent/owner",
        json={"event": event_body(), "subscriptionIds": [mine, theirs]},
        headers=bearer(client, owner),
    )
    assert response.status_code == 202
    assert response.json()["unknownSubscriptionIds"] == [theirs]
    assert targets_of(database, "Event_0001_ext-42") == {mine}
    lookup = client.get(f"/v1/subscription/{theirs}", headers=bearer(client, owner))
    assert lookup.status_code == 404


@pytest.mark.parametrize(
    "authorization",
    [
        None,
        "Bearer ",
        "Bearer garbage",
        "Bearer a.b.c.d",
        "Token abc",
        "Basic " + base64.b64encode(b"nobody:nothing").decode(),
    ],
)
def test_missing_and_garbage_credentials_are_401(
    client: TestClient, database: Database, owner: Persona, authorization: str | None
) -> None:
    headers = {"Authorization": authorization} if authorization is not None else {}
    response = push(client, "owner", headers, [subscribe(database, owner, "ext-1")])
    assert response.status_code == 401
    assert response.headers["www-authenticate"]
    assert response.json()["Reason"].endswith(".")
    assert count_events(database) == 0


def test_an_expired_token_is_401(client: TestClient, database: Database, owner: Persona) -> None:
    expired = issue_access_token(database.settings.secret_key, owner.client_id or "", 300, now=1_000_000)
    response = push(client, "owner", {"Authorization": f"Bearer {expired}"}, [subscribe(database, owner, "x")])
    assert response.status_code == 401
    assert "expired" in response.json()["Reason"]


def test_a_token_signed_with_another_key_is_401(client: TestClient, database: Database, owner: Persona) -> None:
    forged = issue_access_token("some-other-secret-key-entirely", owner.client_id or "", 300)
    response = push(client, "owner", {"Authorization": f"Bearer {forged}"}, [subscribe(database, owner, "x")])
    assert response.status_code == 401


def test_a_revoked_clients_tokens_stop_working_at_once(
    client: TestClient, database: Database, owner: Persona, cli: Cli
) -> None:
    headers = bearer(client, owner)
    subscription_id = subscribe(database, owner, "ext-1")
    assert push(client, "owner", headers, [subscription_id]).status_code == 202
    assert cli("client", "revoke", owner.client_id or "").exit_code == 0
    assert push(client, "owner", headers, [subscription_id], "e-2").status_code == 401


def test_basic_client_credentials_work_directly_like_moengage_sends_them(
    client: TestClient, database: Database, owner: Persona
) -> None:
    subscription_id = subscribe(database, owner, "ext-1")
    credentials = base64.b64encode(f"{owner.client_id}:{owner.client_secret}".encode()).decode()
    response = push(client, "owner", {"Authorisation": f"Basic {credentials}"}, [subscription_id])
    assert response.status_code == 202
    response = push(client, "other", {"Authorization": f"Basic {credentials}"}, [subscription_id], "e-2")
    assert response.status_code == 403


@pytest.mark.parametrize("scheme", ["Träger", "träger", "BEARER"])
def test_the_german_traeger_scheme_copied_from_the_seed_page_works_as_bearer(
    client: TestClient, database: Database, owner: Persona, scheme: str
) -> None:
    subscription_id = subscribe(database, owner, "ext-1")
    token = token_of(client, owner)
    # HTTP headers travel as bytes; Braze sends the template's UTF-8 text as it is.
    raw_headers = [(b"authorization", f"{scheme} {token}".encode())]
    response = client.post(
        "/v1/subscriptionevent/owner",
        json={"event": event_body(), "subscriptionIds": [subscription_id]},
        headers=raw_headers,
    )
    assert response.status_code == 202, response.text


def test_the_anonymous_persona_gets_401_everywhere(client: TestClient, owner: Persona, anonymous: Persona) -> None:
    paths = [
        ("post", "/v1/subscriptionevent/owner"),
        ("post", "/v1/subscriptionevent/owner/update"),
        ("delete", "/v1/subscriptionevent/owner/e-1"),
        ("delete", "/v2/subscription/owner/abc/subscriptionevent/e-1"),
        ("post", "/v2/subscribe/owner/main"),
        ("get", "/v1/subscription/abc"),
        ("get", "/v1/subscription/owner/main/ext-1"),
        ("delete", "/v1/subscription/owner/main"),
        ("get", "/v1/calendar/owner/main/events"),
        ("get", "/v2/stats/owner"),
        ("get", "/v2/stats/owner/main"),
    ]
    assert anonymous.client_id is None
    for method, path in paths:
        response = client.request(method, path, json={})
        assert response.status_code == 401, (method, path, response.status_code)
