"""What every CLI command shares: opening the database, turning errors into one sentence, printing results."""

from __future__ import annotations

import json
import shlex
import shutil
import sys
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import typer
from pydantic import BaseModel
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session

try:  # typer ≥ 0.25 carries its own copy of click
    from typer._click import exceptions as click_errors
except ImportError:  # pragma: no cover - older typer runs on click itself
    from click import exceptions as click_errors  # type: ignore[no-redef]

from calcast.core.config import ConfigError, Settings, get_settings
from calcast.core.db import Database
from calcast.core.errors import DomainError

JsonOption = typer.Option(False, "--json", help="Print the result as one JSON object.")


def _not_assembled(settings: Settings) -> Database:
    raise RuntimeError("The command line was not assembled: calcast.cli sets how commands open the database.")


# How commands open the database: the assembly (`calcast/cli.py`) sets one with the application's consumers.
_database_factory: Callable[[Settings], Database] = _not_assembled


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


def usage_sentence(error: click_errors.UsageError) -> str:
    """A usage mistake as one sentence that names the help to read, e.g. for `calcast export forget`."""
    message = " ".join(error.format_message().split()).rstrip(".")
    if error.ctx is None:
        return f"{message}."
    return f"{message}; see `{error.ctx.command_path} --help`."


class CalcastGroup(typer.core.TyperGroup):
    """The root command: usage errors are one sentence on stderr like every other error (no boxed panel)."""

    def main(  # type: ignore[override]
        self,
        args: Sequence[str] | None = None,
        prog_name: str | None = None,
        complete_var: str | None = None,
        standalone_mode: bool = True,
        **extra: Any,
    ) -> Any:
        if not standalone_mode:
            return super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        try:
            result = super().main(args, prog_name, complete_var, standalone_mode=False, **extra)
        except click_errors.NoArgsIsHelpError as error:
            error.show()
            sys.exit(error.exit_code)
        except click_errors.UsageError as error:
            typer.echo(f"Error: {usage_sentence(error)}", err=True)
            sys.exit(error.exit_code)
        except click_errors.ClickException as error:
            typer.echo(f"Error: {error.format_message()}", err=True)
            sys.exit(error.exit_code)
        except typer.Abort:
            typer.echo("Aborted.", err=True)
            sys.exit(1)
        sys.exit(result if isinstance(result, int) else 0)


def calcast_command() -> str:
    """How a reader runs this calcast from the current folder, for commands calcast prints.

    `calcast` when it is on PATH; otherwise the path of this installation's script, e.g. `.venv/bin/calcast`
    after `make demo`, whose virtual environment is not activated.
    """
    script = Path(sys.prefix) / "bin" / "calcast"
    on_path = shutil.which("calcast")
    if not script.exists():
        return "calcast" if on_path else f"{shlex.quote(sys.executable)} -m calcast"
    if on_path and Path(on_path).resolve() == script.resolve():
        return "calcast"
    try:
        return shlex.quote(str(script.resolve().relative_to(Path.cwd().resolve())))
    except ValueError:
        return shlex.quote(str(script.absolute()))


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
