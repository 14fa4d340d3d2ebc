"""Shared fixtures: a real database on both backends, the app over ASGI, the CLI, and three personas."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import text
from typer.testing import CliRunner

from calcast import assembly
from calcast.accounts import service as accounts
from calcast.app import create_app
from calcast.calendars import service as calendars
from calcast.core.config import Settings, get_settings
from calcast.core.db import Database, upgrade
from calcast.models import Base
from tests.support.braze_sync import connect_braze
from tests.support.fake_braze import FakeBraze, running_fake_braze

POSTGRES_ADMIN = os.environ.get("CALCAST_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET_KEY = "test-secret-key-with-enough-length"
KNOWN_BACKENDS = ("sqlite", "postgresql")
# CALCAST_TEST_BACKENDS=sqlite runs the suite on a machine without PostgreSQL; the default is both.
BACKENDS = tuple(
    name.strip()
    for name in os.environ.get("CALCAST_TEST_BACKENDS", ",".join(KNOWN_BACKENDS)).split(",")
    if name.strip()
)
if not BACKENDS or set(BACKENDS) - set(KNOWN_BACKENDS):
    raise pytest.UsageError(f"CALCAST_TEST_BACKENDS must name some of {', '.join(KNOWN_BACKENDS)}, not {BACKENDS!r}.")


def _postgres_url(name: str) -> str:
    admin = psycopg.conninfo.conninfo_to_dict(POSTGRES_ADMIN)
    host, port, user = (
        admin.get("host", "127.0.0.1"),
        admin.get("port", "5432"),
        admin.get("user", "postgres"),
    )
    return f"postgresql+psycopg://{user}@{host}:{port}/{name}"


@pytest.fixture(scope="session")
def postgres_database_url() -> Iterator[str]:
    """A fresh PostgreSQL database for this test run, dropped at the end."""
    name = f"calcast_test_{os.getpid()}_{secrets.token_hex(3)}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield _postgres_url(name)
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture(scope="session")
def sqlite_database_url(tmp_path_factory: pytest.TempPathFactory) -> str:
    return f"sqlite:///{tmp_path_factory.mktemp('sqlite') / 'calcast.db'}"


def make_settings(database_url: str, **overrides: Any) -> Settings:
    values: dict[str, Any] = {
        "database_url": database_url,
        "secret_key": SECRET_KEY,
        "base_url": "https://calcast.test",
        "run_worker_in_server": False,
        # The suite's receivers and Braze stand-ins listen on loopback over plain http.
        "allow_private_destinations": True,
    }
    values.update(overrides)
    return Settings(**values)


@pytest.fixture(scope="session")
def _migrated() -> Iterator[dict[str, Database]]:
    databases: dict[str, Database] = {}
    yield databases
    for db in databases.values():
        db.dispose()


@pytest.fixture(params=BACKENDS)
def backend(request: pytest.FixtureRequest) -> str:
    return str(request.param)


@pytest.fixture
def database(
    request: pytest.FixtureRequest,
    backend: str,
    _migrated: dict[str, Database],
    tmp_path_factory: pytest.TempPathFactory,
) -> Iterator[Database]:
    """A migrated database on the backend under test, emptied after each test."""
    if backend not in _migrated:
        url_fixture = "postgres_database_url" if backend == "postgresql" else "sqlite_database_url"
        url = request.getfixturevalue(url_fixture)
        db = assembly.database(make_settings(url))
        upgrade(db.settings, db.engine)
        _migrated[backend] = db
    db = _migrated[backend]
    yield db
    _empty(db)


def _empty(db: Database) -> None:
    with db.engine.begin() as connection:
        tables = [table.name for table in reversed(Base.metadata.sorted_tables)]
        if db.settings.is_sqlite:
            for table in tables:
                connection.execute(text(f'DELETE FROM "{table}"'))  # noqa: S608 - names come from our metadata
        else:
            connection.execute(text("TRUNCATE " + ", ".join(f'"{t}"' for t in tables) + " CASCADE"))


@pytest.fixture
def settings(database: Database) -> Settings:
    return database.settings


@pytest.fixture
def session(database: Database) -> Iterator[object]:
    """A session for arranging and inspecting data; commit what the app must see."""
    with database.sessions() as session:
        yield session


@pytest.fixture
def client(database: Database) -> Iterator[TestClient]:
    """The whole app over ASGI, on the backend under test."""
    with TestClient(create_app(database.settings, database), raise_server_exceptions=False) as test_client:
        yield test_client


@dataclass
class Persona:
    """A brand with one calendar and one OAuth client (or nobody at all, for `anonymous`)."""

    account_code: str | None
    calendar_code: str | None
    client_id: str | None
    client_secret: str | None

    @property
    def basic_auth(self) -> tuple[str, str]:
        assert self.client_id
        assert self.client_secret
        return (self.client_id, self.client_secret)


def _make_persona(database: Database, code: str) -> Persona:
    with database.transaction() as session:
        accounts.create_account(session=session, code=code, name=code.title())
        calendars.create_calendar(
            session=session,
            account_code=code,
            code="main",
            settings=calendars.CalendarSettings(title=f"{code.title()} Calendar"),
            tags=("All Teams", "Team I", "Team II"),
        )
        created = accounts.create_client(session=session, account_code=code)
    return Persona(code, "main", created.client.client_id, created.client_secret)


@pytest.fixture
def owner(database: Database) -> Persona:
    return _make_persona(database, "owner")


@pytest.fixture
def other(database: Database) -> Persona:
    return _make_persona(database, "other")


@pytest.fixture
def anonymous() -> Persona:
    return Persona(None, None, None, None)


@pytest.fixture
def braze(database: Database, owner: Persona) -> Iterator[FakeBraze]:
    """A local Braze stand-in, connected to the owner's account."""
    with running_fake_braze() as fake:
        connect_braze(database, fake)
        yield fake


@dataclass
class CliResult:
    exit_code: int
    stdout: str
    stderr: str


class Cli(Protocol):
    """The `cli` fixture: `cli("outbox", "list", "--json")` runs `calcast outbox list --json`."""

    def __call__(
        self, *args: str, env: Mapping[str, str | None] | None = None, input: str | None = None
    ) -> CliResult: ...


@pytest.fixture
def cli(database: Database, monkeypatch: pytest.MonkeyPatch) -> Iterator[Cli]:
    """Run `calcast …` in-process against the backend under test."""
    from calcast.cli import app

    monkeypatch.setenv("CALCAST_DATABASE_URL", database.settings.database_url)
    monkeypatch.setenv("CALCAST_SECRET_KEY", SECRET_KEY)
    monkeypatch.setenv("CALCAST_BASE_URL", database.settings.base_url)
    monkeypatch.setenv("CALCAST_ALLOW_PRIVATE_DESTINATIONS", "true")
    runner = CliRunner()

    def run(*args: str, env: Mapping[str, str | None] | None = None, input: str | None = None) -> CliResult:
        get_settings.cache_clear()
        result = runner.invoke(app, list(args), env=env, input=input, catch_exceptions=False)
        get_settings.cache_clear()
        return CliResult(result.exit_code, result.stdout, result.stderr)

    yield run
    get_settings.cache_clear()
