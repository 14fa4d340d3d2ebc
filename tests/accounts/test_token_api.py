"""POST /oauth2/token as Braze's Connected Content and other OAuth clients call it."""

from __future__ import annotations

import base64
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient

from calcast import assembly
from calcast.app import create_app
from calcast.core.db import Database
from tests.conftest import Cli, Persona, make_settings
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


def test_a_revoked_client_gets_no_token(client: TestClient, owner: Persona, cli: Cli) -> None:
    result = cli("client", "revoke", owner.client_id or "")
    assert result.exit_code == 0
    response = client.post("/oauth2/token", auth=owner.basic_auth, data={"grant_type": "client_credentials"})
    assert response.status_code == 401


FORM = {"grant_type": "client_credentials"}


LimitedApp = Callable[..., Callable[[str], TestClient]]


@pytest.fixture
def limited_app(database: Database) -> Iterator[LimitedApp]:
    """limited_app(n): an app allowing n failed token requests a minute; its result opens a client at an address."""
    with ExitStack() as stack:

        def open_app(failures_per_minute: int = 3) -> Callable[[str], TestClient]:
            settings = make_settings(database.settings.database_url, token_failures_per_minute=failures_per_minute)
            db = assembly.database(settings)
            stack.callback(db.dispose)
            app = create_app(db.settings, db)
            return lambda ip: TestClient(app, client=(ip, 50000), raise_server_exceptions=False)

        yield open_app


def test_failed_token_requests_are_limited_per_network_with_retry_after(
    limited_app: LimitedApp, owner: Persona, other: Persona
) -> None:
    at = limited_app()
    attacker = at("203.0.113.7")
    statuses = [attacker.post("/oauth2/token", auth=(f"guess-{n}", "x"), data=FORM).status_code for n in range(4)]
    assert statuses == [401, 401, 401, 429]
    refused = attacker.post("/oauth2/token", auth=other.basic_auth, data=FORM)
    assert refused.status_code == 429
    assert 55 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["error"] == "temporarily_unavailable"
    assert refused.json()["Reason"].startswith("Too many failed token requests for this client or from this network")
    # Braze, calling from elsewhere, is not held back by these failures.
    assert at("198.51.100.9").post("/oauth2/token", auth=owner.basic_auth, data=FORM).status_code == 200


def test_failed_token_requests_are_limited_per_client_id_across_networks(
    limited_app: LimitedApp, owner: Persona, other: Persona
) -> None:
    at = limited_app()
    wrong = (owner.client_id or "", "wrong-secret")
    statuses = [at(f"192.0.2.{n}").post("/oauth2/token", auth=wrong, data=FORM).status_code for n in range(1, 5)]
    assert statuses == [401, 401, 401, 429]
    # The failures count for that client id only: another client from the same networks gets its token.
    assert at("192.0.2.1").post("/oauth2/token", auth=other.basic_auth, data=FORM).status_code == 200
    fields = {**FORM, "client_id": owner.client_id or "", "client_secret": "wrong"}
    assert at("192.0.2.9").post("/oauth2/token", data=fields).status_code == 429


def test_successful_token_requests_never_use_up_the_limit(limited_app: LimitedApp, owner: Persona) -> None:
    braze = limited_app(2)("198.51.100.9")
    assert {braze.post("/oauth2/token", auth=owner.basic_auth, data=FORM).status_code for _ in range(10)} == {200}


def test_requests_without_credentials_count_against_the_network(limited_app: LimitedApp) -> None:
    client = limited_app(2)("203.0.113.7")
    statuses = [client.post("/oauth2/token", data=FORM).status_code for _ in range(3)]
    assert statuses == [401, 401, 429]
