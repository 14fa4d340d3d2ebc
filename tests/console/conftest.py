"""Console fixtures: five personas (DESIGN.md §10) — owner, editor and viewer of `owner`, the owner of `other`
(a stranger to `owner`), and anonymous — each with a session made by the service (no password hashing)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from calcast import assembly
from calcast.app import create_app
from calcast.console import service
from calcast.console.auth import cookie_name
from calcast.console.models import ConsoleSession
from calcast.core.db import Database, utcnow
from calcast.core.security import digest
from tests.conftest import Persona, make_settings

PASSWORD = "correct horse battery staple"


@dataclass
class ConsolePersona:
    name: str
    email: str | None
    token: str | None
    csrf_token: str


def _member(database: Database, email: str, account_code: str, role: str) -> ConsolePersona:
    with database.transaction() as session:
        member = service.add_member(session=session, email=email, account_code=account_code, role=role)
        token, signed_in = service.start_session(session=session, user=member.user)
        return ConsolePersona(email.split("@")[0], email, token, signed_in.record.csrf_token)


@pytest.fixture
def personas(database: Database, owner: Persona, other: Persona) -> dict[str, ConsolePersona]:
    return {
        "owner": _member(database, "owner@example.com", "owner", "owner"),
        "editor": _member(database, "editor@example.com", "owner", "editor"),
        "viewer": _member(database, "viewer@example.com", "owner", "viewer"),
        "stranger": _member(database, "stranger@example.com", "other", "owner"),
        "anonymous": ConsolePersona("anonymous", None, None, ""),
    }


def confirm_now(database: Database, persona: ConsolePersona, *, ago: timedelta = timedelta(0)) -> None:
    """As if the persona had typed their password again `ago` (the console's "confirm it's you")."""
    with database.transaction() as session:
        session.execute(
            update(ConsoleSession)
            .where(ConsoleSession.token_digest == digest(persona.token or ""))
            .values(reauthenticated_at=utcnow() - ago)
        )


def act_as(client: TestClient, persona: ConsolePersona) -> TestClient:
    """The client with this persona's session cookie (and nobody else's)."""
    client.cookies.clear()
    if persona.token:
        client.cookies.set(cookie_name(client.app.state.settings), persona.token)  # type: ignore[attr-defined]
    return client


@pytest.fixture
def app_with(database: Database) -> Iterator[Any]:
    """A client of an app whose settings differ from the suite's (`app_with(console_sign_in_failures=3)`)."""
    made: list[tuple[Database, TestClient]] = []

    def build(**overrides: object) -> TestClient:
        db = assembly.database(make_settings(database.settings.database_url, **overrides))
        client = TestClient(create_app(db.settings, db), raise_server_exceptions=False)
        client.__enter__()
        made.append((db, client))
        return client

    yield build
    for db, client in made:
        client.__exit__(None, None, None)
        db.dispose()
