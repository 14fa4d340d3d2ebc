"""What every CLI command shares: opening the database, turning errors into one sentence, printing results."""

from __future__ import annotations

import json
import sys
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import typer
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

from calcast.core.config import ConfigError, Settings, get_settings
from calcast.core.db import Database
from calcast.core.errors import DomainError

JsonOption = typer.Option(False, "--json", help="Print the result as one JSON object.")

# How commands open the database: the assembly (`calcast/cli.py`) sets one with the application's consumers.
_database_factory: Callable[[Settings], Database] = Database


def use_database_factory(factory: Callable[[Settings], Database]) -> None:
    """Let every command open its database with `factory` (called once, where the CLI is assembled)."""
    global _database_factory
    _database_factory = factory


def fail(message: str, code: int = 1) -> typer.Exit:
    typer.echo(f"Error: {message}", err=True)
    return typer.Exit(code)


@contextmanager
def command_errors() -> Iterator[None]:
    """Turn configuration, domain and connection problems into one sentence and a non-zero exit."""
    try:
        yield
    except ConfigError as error:
        raise fail(str(error), 2) from None
    except DomainError as error:
        raise fail(error.message) from None
    except OperationalError as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else "unknown reason"
        raise fail(f"The database could not be reached or written ({reason}).", 3) from None


def settings() -> Settings:
    with command_errors():
        return get_settings()


@contextmanager
def open_database(*, migrate: bool = True) -> Iterator[Database]:
    """The configured database, migrated when it is the embedded SQLite file."""
    with command_errors():
        database = _database_factory(get_settings())
        try:
            if migrate:
                database.ensure_schema()
            yield database
        finally:
            database.dispose()


@contextmanager
def unit_of_work() -> Iterator[tuple[Session, Settings]]:
    """A session committed when the command succeeds and rolled back when it fails."""
    with open_database() as database, command_errors(), database.transaction() as session:
        yield session, database.settings


def emit(result: BaseModel | dict[str, Any] | list[Any], *, as_json: bool, human: str) -> None:
    """Print the JSON form for scripts, or the human sentence."""
    if as_json:
        data = result.model_dump(mode="json") if isinstance(result, BaseModel) else result
        sys.stdout.write(json.dumps(data, ensure_ascii=False, default=str) + "\n")
    else:
        typer.echo(human)
