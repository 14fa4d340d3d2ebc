"""Property-based run over the OpenAPI document: no input a client can send yields a 5xx or breaks its schema.

schemathesis generates requests for every operation in /openapi.json (a few dozen each, a few hundred in all)
and sends them through the real app on both database backends, authenticated as the owner persona.
Only this API's operations (/v1, /v2, /oauth2) are generated from the document; a second run sends arbitrary text
to the pages (paths, queries, forms) and arbitrary bodies of any content type, which the document cannot describe.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from typing import Any
from urllib.parse import quote

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.core.errors import InvalidSchema
from schemathesis.core.result import Err, Ok
from schemathesis.generation.modes import GenerationMode
from schemathesis.schemas import APIOperation
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from calcast import assembly
from calcast.app import create_app
from calcast.core.db import Database
from tests.conftest import Persona, make_settings
from tests.rokt_api import subscribe

API_PREFIXES = ("/v1/", "/v2/", "/oauth2/")
EXAMPLES = 20
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance, response_schema_conformance]


@pytest.fixture
def credentials(database: Database, owner: Persona) -> dict[str, Any]:
    subscription_id = subscribe(database, owner, "ext-42")
    basic = base64.b64encode(f"{owner.client_id}:{owner.client_secret}".encode()).decode()
    return {"authorization": f"Basic {basic}", "subscription_id": subscription_id}


def aim(case: Any, subscription_id: str) -> None:
    """Let about half the generated events be storable, so the 202 answers are checked too."""
    body = case.body
    if isinstance(body, dict) and isinstance(body.get("event"), dict) and len(str(body["event"])) % 2 == 0:
        body["event"].update(timezone="UTC", timezoneIanaId=None, start="2030-01-01T10:00", end="2030-01-01T11:00")
        body["event"].pop("visibleFromDateTimeUtc", None)
        if isinstance(body.get("subscriptionIds"), list):
            body["subscriptionIds"].append(subscription_id)


def operation_of(result: Ok[APIOperation[Any, Any, Any, Any]] | Err[InvalidSchema]) -> APIOperation[Any, Any, Any, Any]:
    """An operation of the document; one schemathesis cannot read fails the run."""
    if isinstance(result, Err):
        raise result.err()
    return result.ok()


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_gets_a_5xx_or_an_off_schema_answer(
    database: Database, credentials: dict[str, Any], mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(database.settings, database))
    operations = [operation_of(result) for result in schema.get_all_operations()]
    mine = [operation for operation in operations if operation.path.startswith(API_PREFIXES)]
    assert len(mine) >= 11
    # Aim the account, calendar and subscription at real rows, so that cases reach the handlers, not a 403.
    real = {"accountCode": "owner", "calendarCode": "main", "subscriptionId": credentials["subscription_id"]}
    statuses: Counter[int] = Counter()
    for operation in mine:
        names = {parameter.name for parameter in operation.path_parameters}
        fixed = {name: value for name, value in real.items() if name in names}

        @given(case=operation.as_strategy(generation_mode=mode, path_parameters=fixed))
        @settings(
            max_examples=EXAMPLES,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
        )
        def check(case: Any) -> None:
            aim(case, credentials["subscription_id"])
            response = case.call_and_validate(headers={"Authorization": credentials["authorization"]}, checks=CHECKS)
            statuses[response.status_code] += 1

        try:
            check()
        except Unsatisfiable:
            # Nothing of this operation can be made invalid (e.g. GET /v1/timezones has no parameters).
            assert mode == GenerationMode.NEGATIVE, operation.path
    print(f"{mode} cases by status: {dict(sorted(statuses.items()))}")  # noqa: T201 - shows what the run covered
    assert sum(statuses.values()) >= 150
    assert all(status < 500 for status in statuses)


def test_the_openapi_document_is_served_at_docs(client: TestClient) -> None:
    assert client.get("/docs").status_code == 200
    paths = client.get("/openapi.json").json()["paths"]
    assert "/v1/subscriptionevent/{accountCode}" in paths
    assert "/oauth2/token" in paths


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(),
    lambda children: st.lists(children, max_size=4) | st.dictionaries(st.text(max_size=8), children, max_size=4),
    max_leaves=20,
)
# Values that broke parsers or the database before, mixed into what hypothesis generates.
HOSTILE_TEXT = st.sampled_from(["a\x00b", "\x00", "9" * 5000, "x\n", "%00", "\ud7ff\U0010ffff"])
HOSTILE_BODIES = st.sampled_from(
    [
        b'{"event": {"notifyBefore": ' + b"9" * 5000 + b"}}",
        b'{"event": ' + b"[" * 400 + b"]" * 400 + b"}",
        b'{"a": ' * 400 + b"1" + b"}" * 400,
        b'{"event": {"title": "\\u0000"}, "subscriptionIds": ["\\u0000"]}',
        b"grant_type=client_credentials&client_id=a%00&email=%00",
        b'--x\r\nContent-Disposition: form-data; name="email"\r\n\r\na\x00b\r\n--x--\r\n',
    ]
)
CONTENT_TYPES = st.sampled_from(
    ["application/json", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x", "text/plain", ""]
)


def test_no_page_or_body_a_client_can_send_gets_a_5xx(database: Database, owner: Persona) -> None:
    """What the OpenAPI document does not describe: page paths, queries and forms, and raw bodies of any type."""
    limits = {
        "subscribe_rate_per_minute": 100_000,
        "manage_rate_per_minute": 100_000,
        "token_failures_per_minute": 100_000,
    }
    db = assembly.database(make_settings(database.settings.database_url, **limits))
    basic = base64.b64encode(f"{owner.client_id}:{owner.client_secret}".encode()).decode()
    authorized = {"Authorization": f"Basic {basic}"}
    statuses: Counter[int] = Counter()
    with TestClient(create_app(db.settings, db), raise_server_exceptions=False) as client:
        page = client.get("/owner/main").text
        form_token = page.split('name="form_token" value="', 1)[1].split('"', 1)[0]
        manage = subscribe_page_link(client, form_token)

        @given(
            segment=st.text(min_size=1) | HOSTILE_TEXT,
            value=st.text() | HOSTILE_TEXT,
            json_value=JSON_VALUES,
            raw=st.binary(max_size=300) | HOSTILE_BODIES,
            content_type=CONTENT_TYPES,
        )
        @settings(
            max_examples=EXAMPLES * 4,
            deadline=None,
            database=None,
            suppress_health_check=[HealthCheck.too_slow],
        )
        def check(segment: str, value: str, json_value: Any, raw: bytes, content_type: str) -> None:
            quoted = quote(segment, safe="")
            body = json.dumps(json_value).encode() if len(raw) % 3 == 1 else raw
            headers = {"Content-Type": content_type}
            responses = [
                client.get(f"/{quoted}/main", params={"external_id": value, "tags": value}),
                client.get(f"/manage/{quoted}/{quoted}"),
                client.post("/owner/main", data={"form_token": form_token, "tags": value, "email": value}),
                client.post(f"{manage}/tags", data={"form_token": value, "tags": value}),
                client.post(f"{manage}/unsubscribe", data={"form_token": value, "reason_text": value}),
                client.post("/owner/main", content=body, headers=headers),
                client.post("/oauth2/token", content=body, headers=headers),
                client.post("/v1/subscriptionevent/owner", content=body, headers={**headers, **authorized}),
                client.post("/v2/subscribe/owner/main", content=body, headers=headers),
            ]
            for response in responses:
                statuses[response.status_code] += 1
                assert response.status_code < 500, (response.request.url, response.text)

        check()
    db.dispose()
    print(f"pages and raw bodies by status: {dict(sorted(statuses.items()))}")  # noqa: T201 - shows what the run covered
    assert len(statuses) >= 4


def subscribe_page_link(client: TestClient, form_token: str) -> str:
    """The manage path of a subscription made through the landing page."""
    response = client.post("/owner/main", data={"form_token": form_token, "tags": "All Teams"}, follow_redirects=False)
    assert response.status_code == 303
    return str(response.headers["location"]).removesuffix("/add")
