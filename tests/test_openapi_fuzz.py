"""Property-based run over the OpenAPI document: no input a client can send yields a 5xx or breaks its schema.

schemathesis generates requests for every operation in /openapi.json (a few dozen each, a few hundred in all)
and sends them through the real app on both database backends, authenticated as the owner persona.
Only this API's operations (/v1, /v2, /oauth2) are generated; the feeds and pages have their own tests.
"""

from __future__ import annotations

import base64
from collections import Counter
from typing import Any

import pytest
import schemathesis
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis.errors import Unsatisfiable
from schemathesis.checks import not_a_server_error
from schemathesis.generation.modes import GenerationMode
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from calcast.app import create_app
from calcast.core.db import Database
from tests.conftest import Persona
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


@pytest.mark.parametrize("mode", [GenerationMode.POSITIVE, GenerationMode.NEGATIVE])
def test_no_generated_request_gets_a_5xx_or_an_off_schema_answer(
    database: Database, credentials: dict[str, Any], mode: GenerationMode
) -> None:
    schema = schemathesis.openapi.from_asgi("/openapi.json", create_app(database.settings, database))
    operations = [result.ok() for result in schema.get_all_operations()]
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
