"""The identity migration: calendars that existed before it trust only signed landing links (docs/security.md)."""

from __future__ import annotations

import secrets
from collections.abc import Iterator
from pathlib import Path

import psycopg
import pytest
from alembic import command
from sqlalchemy import create_engine, text

from calcast.core.db import alembic_config
from tests.conftest import POSTGRES_ADMIN, _postgres_url, make_settings


@pytest.fixture(params=["sqlite", "postgresql"])
def empty_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path / 'before.db'}"
        return
    name = f"calcast_migration_{secrets.token_hex(4)}"
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    yield _postgres_url(name)
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


def migrate(url: str, revision: str) -> None:
    settings = make_settings(url)
    engine = create_engine(url)
    try:
        config = alembic_config(settings)
        with engine.begin() as connection:
            config.attributes["connection"] = connection
            command.upgrade(config, revision)
    finally:
        engine.dispose()


def test_calendars_from_before_the_upgrade_become_signed(empty_database_url: str) -> None:
    migrate(empty_database_url, "0001")
    engine = create_engine(empty_database_url)
    try:
        with engine.begin() as connection:
            connection.execute(
                text("INSERT INTO accounts (id, code, name, created_at) VALUES ('a1', 'brand', 'Brand', :now)"),
                {"now": "2026-01-01 00:00:00+00:00"},
            )
            connection.execute(
                text(
                    "INSERT INTO calendars (id, account_id, code, name, language, default_duration_minutes,"
                    " email_capture, merge_flag, subscriber_id_fallback, feed_version, created_at, updated_at)"
                    " VALUES ('c1', 'a1', 'main', 'Main', 'en', 60, 'off', true, false, 1, :now, :now)"
                ),
                {"now": "2026-01-01 00:00:00+00:00"},
            )
        migrate(empty_database_url, "head")
        with engine.connect() as connection:
            assert connection.execute(text("SELECT identity FROM calendars")).scalar_one() == "signed"
            assert connection.execute(text("SELECT link_key_encrypted FROM accounts")).scalar_one() is None
    finally:
        engine.dispose()
