from __future__ import annotations

import typer

from calcast.core.cli import fail, open_database

db_app = typer.Typer(help="Database schema.", no_args_is_help=True)


@db_app.command("upgrade")
def upgrade() -> None:
    """Create the schema or migrate it to this version of calcast."""
    from calcast.core.db import current_revision, upgrade

    with open_database(migrate=False) as database:
        upgrade(database.settings, database.engine)
        typer.echo(f"Database is at revision {current_revision(database.engine)}.")


@db_app.command("check")
def check() -> None:
    """Fail when the models and the migrations disagree (CI runs this on a fresh database)."""
    from alembic.autogenerate import compare_metadata
    from alembic.runtime.migration import MigrationContext

    from calcast.core.db import upgrade
    from calcast.models import Base

    with open_database(migrate=False) as database:
        upgrade(database.settings, database.engine)
        with database.engine.connect() as connection:
            context = MigrationContext.configure(connection, opts={"compare_type": True})
            differences = compare_metadata(context, Base.metadata)
        if differences:
            lines = "\n".join(f"  {difference}" for difference in differences)
            typer.echo(f"Models and migrations disagree:\n{lines}", err=True)
            raise fail("add a migration for the model changes above")
        typer.echo("Models and migrations agree.")
