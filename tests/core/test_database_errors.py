"""Database errors over HTTP: only the known concurrent-insert races ask for a retry; a genuine violation is a 500."""

from __future__ import annotations

import logging

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from sqlalchemy import func, select
from sqlalchemy.sql.schema import ColumnCollectionConstraint

from calcast.accounts.models import Account
from calcast.core.db import Database
from calcast.core.http import CONCURRENT_INSERT_CONSTRAINTS, SessionDep
from calcast.events import service as events
from calcast.events.models import PersonalEvent
from calcast.models import Base
from tests.conftest import Persona
from tests.rokt_api import bearer, event_body, subscribe


def test_a_concurrent_insert_of_the_same_event_is_a_503_braze_retries(
    client: TestClient,
    database: Database,
    owner: Persona,
    monkeypatch: pytest.MonkeyPatch,
    caplog: pytest.LogCaptureFixture,
) -> None:
    headers = bearer(client, owner)
    body = {"event": event_body("E-1"), "subscriptionIds": [subscribe(database, owner, "ext-1")]}
    assert client.post("/v1/subscriptionevent/owner", json=body, headers=headers).status_code == 202
    # Another request stored the event between this one's "does it exist?" and its INSERT.
    monkeypatch.setattr(events, "_event_exists", lambda *_args: False)
    response = client.post("/v1/subscriptionevent/owner", json=body, headers=headers)
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert response.json()["Reason"].startswith("calcast is busy with other changes right now")
    assert "concurrent insert refused by uq_personal_events_account_id_event_id" in caplog.text
    monkeypatch.undo()
    # The retry finds the stored event: the same state, answered as unchanged.
    retried = client.post("/v1/subscriptionevent/owner", json=body, headers=headers)
    assert retried.status_code == 202
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PersonalEvent)) == 1


def test_any_other_constraint_violation_is_a_logged_500_not_a_retry_loop(
    client: TestClient, database: Database, caplog: pytest.LogCaptureFixture
) -> None:
    app = client.app
    assert isinstance(app, FastAPI)

    @app.post("/test-only/accounts")
    def duplicate_accounts(session: SessionDep) -> dict[str, str]:
        # A bug: two accounts with one code (uq_accounts_code), which no concurrent request explains.
        session.add_all([Account(code="twin", name="One"), Account(code="twin", name="Two")])
        session.flush()
        return {}

    app.router.routes.insert(0, app.router.routes.pop())  # before the landing page's two-segment path
    with caplog.at_level(logging.ERROR, logger="calcast"):
        response = client.post("/test-only/accounts")
    assert response.status_code == 500
    assert "retry-after" not in response.headers
    assert response.json()["Reason"] == "calcast hit an unexpected error; the request can be retried."
    assert any(record.exc_info and "twin" in str(record.exc_info[1]) for record in caplog.records)
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Account)) == 0


def test_the_race_constraints_exist_with_these_names_and_columns() -> None:
    """Renaming one of these constraints must update the list, or its race would become a 500."""
    found = {}
    for table in Base.metadata.sorted_tables:
        for constraint in table.constraints:
            assert isinstance(constraint, ColumnCollectionConstraint)
            columns = ", ".join(f"{table.name}.{column.name}" for column in constraint.columns)
            found[constraint.name] = columns
    for name, columns in CONCURRENT_INSERT_CONSTRAINTS.items():
        assert found.get(name) == columns, name
