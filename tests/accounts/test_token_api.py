"""POST /oauth2/token as Braze's Connected Content and other OAuth clients call it."""

from __future__ import annotations

import base64

from fastapi.testclient import TestClient

from calcast.core.db import Database
from tests.conftest import Persona
from tests.rokt_api import bearer, subscribe


def test_it_issues_a_five_minute_bearer_token_for_basic_credentials_and_a_form_body(
    client: TestClient, owner: Persona
) -> None:
    response = client.post("/oauth2/token", auth=owner.basic_auth, data={"grant_type": "client_credentials"})
    assert response.status_code == 200
    body = response.json()
    assert body["token_type"] == "bearer"
    assert body["expires_in"] == 300
    assert len(body["access_token"]) > 40
    assert response.headers["cache-control"] == "no-store"


def test_it_takes_credentials_as_form_fields_and_json_too(client: TestClient, owner: Persona) -> None:
    fields = {"grant_type": "client_credentials", "client_id": owner.client_id, "client_secret": owner.client_secret}
    assert client.post("/oauth2/token", data=fields).status_code == 200
    assert client.post("/oauth2/token", json=fields).status_code == 200


def test_the_token_it_issues_opens_the_api(client: TestClient, database: Database, owner: Persona) -> None:
    subscription_id = subscribe(database, owner, "ext-1")
    response = client.get(f"/v1/subscription/{subscription_id}", headers=bearer(client, owner))
    assert response.status_code == 200
    assert response.json()["subscriptionId"] == subscription_id


def test_a_wrong_secret_is_invalid_client_with_www_authenticate(client: TestClient, owner: Persona) -> None:
    response = client.post(
        "/oauth2/token", auth=(owner.client_id or "", "wrong"), data={"grant_type": "client_credentials"}
    )
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"
    assert response.headers["www-authenticate"].startswith("Basic")


def test_no_credentials_at_all_is_invalid_client(client: TestClient) -> None:
    response = client.post("/oauth2/token", data={"grant_type": "client_credentials"})
    assert response.status_code == 401
    assert response.json()["error"] == "invalid_client"


def test_garbage_in_the_basic_header_is_invalid_client_not_a_crash(client: TestClient) -> None:
    response = client.post(
        "/oauth2/token", headers={"Authorization": "Basic %%%not-base64"}, data={"grant_type": "client_credentials"}
    )
    assert response.status_code == 401
    encoded = base64.b64encode(b"no-colon-here").decode()
    response = client.post(
        "/oauth2/token", headers={"Authorization": f"Basic {encoded}"}, data={"grant_type": "client_credentials"}
    )
    assert response.status_code == 401


def test_another_grant_type_is_unsupported_grant_type(client: TestClient, owner: Persona) -> None:
    response = client.post("/oauth2/token", auth=owner.basic_auth, data={"grant_type": "password"})
    assert response.status_code == 400
    assert response.json()["error"] == "unsupported_grant_type"
    response = client.post("/oauth2/token", auth=owner.basic_auth, data={})
    assert response.status_code == 400
    assert response.json()["error"] == "invalid_request"


def test_a_revoked_client_gets_no_token(client: TestClient, owner: Persona, cli: object) -> None:
    result = cli("client", "revoke", owner.client_id or "")  # type: ignore[operator]
    assert result.exit_code == 0
    response = client.post("/oauth2/token", auth=owner.basic_auth, data={"grant_type": "client_credentials"})
    assert response.status_code == 401
