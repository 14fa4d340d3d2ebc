from __future__ import annotations

import typer

from calcast.core.cli import command_errors, fail, open_database, settings

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade() -> None:
    """Create the schema or migrate it to this version of calcast."""
    from calcast.core.db import current_revision, upgrade

    with open_database(migrate=False) as database:
        upgrade(database.settings, database.engine)
        typer.echo(f"Database is at revision {current_revision(database.engine)}.")


@db_app.command("status")
def status() -> None:
    """Show the database's schema revision and calcast's latest (read-only); exit 1 when they differ."""
    from calcast.migrations.check import schema_status

    configured = settings()
    with command_errors():
        found = schema_status(configured)
    if not found.exists:
        raise fail(
            f"There is no database at {configured.database_url} yet; "
            f"`calcast serve` creates it on start (latest revision {found.latest})."
        )
    if found.up_to_date:
        typer.echo(f"Database is at revision {found.current}, the latest: up to date.")
        return
    current = found.current or "none (no calcast schema)"
    raise fail(f"Database is at revision {current}, calcast's latest is {found.latest}; run `calcast db upgrade`.")


@db_app.command("check")
def check() -> None:
    """Fail when the models and the migrations disagree; runs the migrations where nothing is kept (read-only)."""
    from calcast.migrations.check import schema_differences

    configured = settings()
    with command_errors():
        differences = schema_differences(configured)
    if differences:
        lines = "\n".join(f"  {difference}" for difference in differences)
        typer.echo(f"Models and migrations disagree:\n{lines}", err=True)
        raise fail("add a migration for the model changes above")
    typer.echo("Models and migrations agree.")
