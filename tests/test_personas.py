"""Every service that takes an account sees only that account's data."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.core.db import Database
from calcast.core.errors import NotFound
from tests.conftest import Persona


def test_each_account_sees_only_its_own_calendars_and_events(
    database: Database, owner: Persona, other: Persona
) -> None:
    with database.transaction() as session:
        calendars.add_broadcast_event(
            session=session,
            account_code="owner",
            calendar_code="main",
            event=calendars.BroadcastEventInput(title="Owner only", start="2030-01-01T10:00", end=None, timezone="UTC"),
        )
    with database.sessions() as session:
        own = calendars.get_calendar(session=session, account_code="owner", code="main")
        theirs = calendars.get_calendar(session=session, account_code="other", code="main")
        assert own.id != theirs.id
        assert [c.title for c in calendars.list_calendars(session=session, account_code="other")] == ["Other Calendar"]
        assert calendars.list_broadcast_events(session=session, account_code="other", calendar_code="main") == []
        assert [
            e.title
            for e in calendars.list_broadcast_events(session=session, account_code="owner", calendar_code="main")
        ] == ["Owner only"]
        assert [c.client_id for c in accounts.list_clients(session=session, account_code="other")] == [other.client_id]


def test_a_client_proves_only_its_own_account(database: Database, owner: Persona, other: Persona) -> None:
    with database.sessions() as session:
        client = accounts.authenticate_client(
            session=session, client_id=owner.client_id or "", client_secret=owner.client_secret or ""
        )
        assert client is not None
        assert client.account_id == accounts.get_account(session=session, code="owner").id
        assert (
            accounts.authenticate_client(
                session=session, client_id=owner.client_id or "", client_secret=other.client_secret or ""
            )
            is None
        )


def test_the_anonymous_persona_has_no_account(database: Database, anonymous: Persona) -> None:
    with database.sessions() as session, pytest.raises(NotFound):
        calendars.get_calendar(session=session, account_code=anonymous.account_code or "", code="main")


def test_healthz_answers_when_the_database_does(client: TestClient) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.json() == {"status": "ok"}


def test_an_unknown_path_gets_the_error_shape(client: TestClient) -> None:
    response = client.get("/v1/nothing-here")
    assert response.status_code == 404
    body = response.json()
    assert body["Code"] == 404
    assert body["Reason"].endswith(".")
