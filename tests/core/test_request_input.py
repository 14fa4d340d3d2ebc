"""Input no parser or database can take: a 4xx with a sentence on every route, never a 500 with a traceback."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from typing import Any

import anyio
import httpx
import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from calcast.accounts import service as accounts
from calcast.accounts.models import Account
from calcast.core.db import Database
from calcast.core.http import NUL_REASON, SessionDep
from calcast.core.rest import MAX_JSON_DEPTH
from calcast.subscriptions.models import Subscription
from tests.conftest import Persona
from tests.rokt_api import bearer, subscribe

JSON = {"Content-Type": "application/json"}


def count(database: Database, model: Any) -> int:
    with database.sessions() as session:
        return int(session.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.parametrize("digits", [5000, 4000, 101])
def test_a_number_with_thousands_of_digits_is_a_400_with_a_sentence(
    client: TestClient, database: Database, owner: Persona, digits: int
) -> None:
    subscription_id = subscribe(database, owner, "ext-1")
    number = "9" * digits
    body = f'{{"event": {{"eventId": "e1", "notifyBefore": {number}}}, "subscriptionIds": ["{subscription_id}"]}}'
    for headers in ({}, bearer(client, owner)):  # refused before authentication as well as after
        response = client.post("/v1/subscriptionevent/owner", content=body, headers={**JSON, **headers})
        assert response.status_code == 400, response.text
        assert response.json()["Reason"] == (
            "The request body holds a number longer than 100 digits; no field takes one."
        )


@pytest.mark.parametrize("opening", ["[", '{"a":'])
def test_json_nested_hundreds_of_levels_is_a_400_even_unauthenticated(
    client: TestClient, owner: Persona, opening: str
) -> None:
    closing = "]" if opening == "[" else "}"
    for depth in (400, 900, MAX_JSON_DEPTH + 1):
        body = '{"event": ' + opening * depth + "1" + closing * depth + "}"
        response = client.post("/v1/subscriptionevent/owner", content=body, headers=JSON)
        assert response.status_code == 400, (depth, response.text)
        assert "more than 32 levels deep" in response.json()["Reason"]
        response = client.post("/v2/subscribe/owner/main", content=body, headers={**JSON, **bearer(client, owner)})
        assert response.status_code == 400


def test_ordinary_nesting_still_reaches_validation(client: TestClient, owner: Persona) -> None:
    body = '{"event": ' + "[" * 20 + "]" * 20 + "}"
    response = client.post("/v1/subscriptionevent/owner", content=body, headers={**JSON, **bearer(client, owner)})
    assert response.status_code == 422


def test_the_token_endpoint_takes_deep_or_huge_json_calmly(client: TestClient, owner: Persona) -> None:
    for body in ('{"grant_type": ' + "9" * 5000 + "}", '{"a": ' + "[" * 400 + "]" * 400 + "}"):
        response = client.post("/oauth2/token", content=body, headers=JSON)
        assert response.status_code == 401
        assert response.json()["error"] == "invalid_client"


def test_a_content_length_of_thousands_of_digits_is_a_413(client: TestClient) -> None:
    response = client.post("/oauth2/token", content=b"x", headers={"Content-Length": "9" * 5000})
    assert response.status_code == 413


@pytest.mark.parametrize(
    "path",
    [
        "/owner%00/main",
        "/owner/ma%00in",
        "/manage/abc%00/token",
        "/manage/abc/tok%00en/add",
        "/webcal/abc%00",
        "/owner/main?external_id=a%00b",
        "/v1/subscription/abc%00",
    ],
)
def test_a_nul_character_in_a_page_path_or_query_is_a_422_on_both_backends(
    client: TestClient, owner: Persona, path: str
) -> None:
    response = client.get(path)
    assert response.status_code == 422
    assert response.json()["Reason"] == NUL_REASON


def _landing_form(client: TestClient) -> dict[str, str]:
    page = client.get("/owner/main")
    token = re.search(r'name="form_token" value="([^"]+)"', page.text)
    assert token
    return {"form_token": token.group(1), "tags": "All Teams"}


@pytest.mark.parametrize("field", ["external_id", "email", "utm_source", "referrer", "tags"])
def test_a_nul_character_in_a_form_field_is_a_422_and_nothing_is_stored(
    client: TestClient, database: Database, owner: Persona, field: str
) -> None:
    data = {**_landing_form(client), field: "a\x00b"}
    response = client.post("/owner/main", data=data, follow_redirects=False)
    assert response.status_code == 422
    assert response.json()["Reason"] == NUL_REASON
    assert count(database, Subscription) == 0
    # The same form without the NUL goes through.
    response = client.post("/owner/main", data=_landing_form(client), follow_redirects=False)
    assert response.status_code == 303


def test_a_nul_split_across_two_chunks_of_a_streamed_form_is_still_seen(
    client: TestClient, database: Database, owner: Persona
) -> None:
    form = _landing_form(client)
    encoded = f"form_token={form['form_token']}&tags=All+Teams&external_id=a%0"

    async def chunks() -> AsyncIterator[bytes]:
        yield encoded.encode()
        yield b"0b"

    async def post() -> httpx.Response:
        transport = httpx.ASGITransport(app=client.app)
        async with httpx.AsyncClient(transport=transport, base_url="https://calcast.test") as streaming:
            headers = {"Content-Type": "application/x-www-form-urlencoded"}
            return await streaming.post("/owner/main", content=chunks(), headers=headers)

    # In a thread of its own: a browser test's Playwright may keep an event loop running in this one.
    with ThreadPoolExecutor(max_workers=1) as thread:
        response = thread.submit(anyio.run, post).result()
    assert response.status_code == 422
    assert response.json()["Reason"] == NUL_REASON
    assert count(database, Subscription) == 0


@pytest.mark.parametrize("backend", ["postgresql"])
def test_text_with_a_nul_that_reaches_postgresql_is_a_422_not_a_500(
    client: TestClient, database: Database, backend: str
) -> None:
    """The last line of defence, where text enters the database: PostgreSQL refuses NUL in text."""
    app = client.app
    assert isinstance(app, FastAPI)

    @app.get("/test-only/account")
    def store_account(session: SessionDep, name: str) -> dict[str, str]:
        accounts.create_account(session=session, code="nul", name=name.replace("~", "\x00"))
        return {}

    app.router.routes.insert(0, app.router.routes.pop())  # before the landing page's two-segment path
    response = client.get("/test-only/account", params={"name": "a~b"})
    assert response.status_code == 422
    assert response.json()["Reason"] == NUL_REASON
    assert count(database, Account) == 0
