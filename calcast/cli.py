"""The `calcast` command: each feature mounts its own commands here."""

from __future__ import annotations

import typer

from calcast import assembly
from calcast.accounts.cli import account_app, client_app
from calcast.analytics.cli import rollup, stats
from calcast.brazesim.cli import braze_app
from calcast.calendars.cli import calendar_app, event_app, tag_app
from calcast.console.cli import user_app
from calcast.core.cli import CalcastGroup, use_database_factory
from calcast.demo import demo
from calcast.feeds.cli import subscription_app
from calcast.imports.cli import import_events
from calcast.migrations.cli import db_app
from calcast.outbox.cli import outbox_app, worker_command
from calcast.server import serve
from calcast.subscribers.cli import export_app, forget
from calcast.webhooks.cli import webhook_app

use_database_factory(assembly.database)

app = typer.Typer(
    cls=CalcastGroup,
    help="calcast: calendar marketing with per-subscriber feeds, a Rokt-compatible API and Braze sync.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
)
app.add_typer(account_app, name="account")
app.add_typer(client_app, name="client")
app.add_typer(calendar_app, name="calendar")
app.add_typer(tag_app, name="tag")
event_app.command("import")(import_events)
app.add_typer(event_app, name="event")
app.add_typer(db_app, name="db")
app.add_typer(subscription_app, name="subscription")
app.add_typer(braze_app, name="braze")
app.add_typer(outbox_app, name="outbox")
app.add_typer(webhook_app, name="webhook")
app.add_typer(export_app, name="export")
app.add_typer(user_app, name="user")
app.command("serve")(serve)
app.command("demo")(demo)
app.command("worker")(worker_command(assembly.worker))
app.command("stats")(stats)
app.command("rollup")(rollup)
app.command("forget")(forget)


def main() -> None:
    app()
