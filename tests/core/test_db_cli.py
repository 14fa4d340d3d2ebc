"""`calcast db check` and `calcast db status` look at a database without writing it, on both backends."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import create_engine, inspect
from typer.testing import CliRunner

from calcast import assembly
from calcast.cli import app
from calcast.core.config import get_settings
from calcast.core.db import upgrade
from tests.conftest import BACKENDS, POSTGRES_ADMIN, SECRET_KEY, _postgres_url, make_settings


@pytest.fixture(params=BACKENDS)
def fresh_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """The URL of an empty database nobody has migrated (a new SQLite path, or a new PostgreSQL database)."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'data' / 'calcast.db'}"
        return
    name = f"calcast_fresh_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield _postgres_url(name)
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def calcast(url: str, *args: str) -> tuple[int, str, str]:
    get_settings.cache_clear()
    env = {"CALCAST_DATABASE_URL": url, "CALCAST_SECRET_KEY": SECRET_KEY}
    result = CliRunner().invoke(app, list(args), env=env, catch_exceptions=False)
    get_settings.cache_clear()
    return result.exit_code, result.stdout, result.stderr


def tables(url: str) -> list[str]:
    if url.startswith("sqlite") and not Path(url.removeprefix("sqlite:///")).exists():
        return []
    engine = create_engine(url)
    try:
        found = inspect(engine)
        schemas: list[str | None] = [None]
        if not url.startswith("sqlite"):
            schemas = [name for name in found.get_schema_names() if name != "information_schema"]
        return [f"{schema}.{table}" for schema in schemas for table in found.get_table_names(schema=schema)]
    finally:
        engine.dispose()


def test_it_checks_models_against_migrations_and_leaves_a_fresh_database_empty(fresh_url: str) -> None:
    code, stdout, stderr = calcast(fresh_url, "db", "check")
    assert (code, stdout.strip()) == (0, "Models and migrations agree."), stderr
    assert tables(fresh_url) == []


def test_status_tells_a_fresh_database_from_a_migrated_one_without_writing(fresh_url: str) -> None:
    code, _, stderr = calcast(fresh_url, "db", "status")
    assert code == 1
    assert "run `calcast db upgrade`" in stderr or "creates it on start" in stderr
    assert tables(fresh_url) == []

    database = assembly.database(make_settings(fresh_url))
    try:
        upgrade(database.settings, database.engine)
    finally:
        database.dispose()
    code, stdout, _ = calcast(fresh_url, "db", "status")
    assert code == 0
    assert "the latest: up to date" in stdout
