"""Checking the schema without writing the configured database: how models and migrations differ, and where the
database stands (`calcast db check`, `calcast db status`)."""

from __future__ import annotations

import secrets
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.pool import NullPool

from calcast.core.config import Settings
from calcast.core.db import alembic_config, current_revision, head_revision, make_engine, upgrade
from calcast.models import Base


def schema_differences(settings: Settings) -> list[Any]:
    """How the models differ from the schema the migrations build; the configured database is not written.

    SQLite: the migrations run in a throwaway file. PostgreSQL: in a throwaway schema of the configured
    database, inside a transaction that is rolled back (nothing is left behind, the real tables are not touched).
    """
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    def compare(connection: Any) -> list[Any]:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        return list(compare_metadata(context, Base.metadata))

    if settings.is_sqlite:
        with tempfile.TemporaryDirectory(prefix="calcast-check-") as folder:
            scratch = settings.model_copy(update={"database_url": f"sqlite:///{Path(folder) / 'check.db'}"})
            engine = make_engine(scratch)
            try:
                upgrade(scratch, engine)
                with engine.connect() as connection:
                    return compare(connection)
            finally:
                engine.dispose()
    engine = create_engine(settings.database_url, poolclass=NullPool)
    try:
        with engine.connect() as connection:
            transaction = connection.begin()
            try:
                schema = f"calcast_check_{secrets.token_hex(4)}"
                connection.execute(text(f'CREATE SCHEMA "{schema}"'))
                connection.execute(text(f'SET LOCAL search_path TO "{schema}"'))
                config = alembic_config(settings)
                config.attributes["connection"] = connection
                from alembic import command

                command.upgrade(config, "head")
                return compare(connection)
            finally:
                transaction.rollback()
    finally:
        engine.dispose()


@dataclass(frozen=True)
class SchemaStatus:
    """Where the configured database stands: its revision (None when it has no schema yet) and calcast's latest."""

    current: str | None
    latest: str | None
    exists: bool = True

    @property
    def up_to_date(self) -> bool:
        return self.exists and self.current == self.latest


def schema_status(settings: Settings) -> SchemaStatus:
    """The configured database's revision, read without creating or changing anything."""
    latest = head_revision(settings)
    if settings.is_sqlite:
        path = make_url(settings.database_url).database
        if not path or path == ":memory:" or not Path(path).exists():
            return SchemaStatus(current=None, latest=latest, exists=False)
    engine = create_engine(settings.database_url, poolclass=NullPool)
    try:
        return SchemaStatus(current=current_revision(engine), latest=latest)
    finally:
        engine.dispose()
