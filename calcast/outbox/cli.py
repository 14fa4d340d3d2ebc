"""`calcast worker` and `calcast outbox list|retry`: run deliveries and look after the ones that failed."""

from __future__ import annotations

import signal
import threading
from collections.abc import Callable
from types import FrameType
from typing import Any

import typer
from sqlalchemy.exc import OperationalError

from calcast.core.cli import JsonOption, emit, fail, open_database, unit_of_work
from calcast.core.db import Database
from calcast.outbox import service
from calcast.outbox.models import OutboxMessage, OutboxStatus
from calcast.outbox.worker import Worker

outbox_app = typer.Typer(help="The outbox: Braze syncs and webhooks waiting for delivery.", no_args_is_help=True)


def message_out(message: OutboxMessage) -> dict[str, Any]:
    return {
        "id": message.id,
        "kind": message.kind,
        "topic": message.topic,
        "status": message.status,
        "attempts": message.attempts,
        "createdAt": message.created_at.isoformat(),
        "nextAttemptAt": message.available_at.isoformat() if message.status == OutboxStatus.PENDING else None,
        "deliveredAt": message.delivered_at.isoformat() if message.delivered_at else None,
        "lastStatusCode": message.last_status_code,
        "lastError": message.last_error,
    }


def _line(message: OutboxMessage) -> str:
    answer = f"\t{message.last_status_code or '-'}\t{(message.last_error or '')[:160]}" if message.last_error else ""
    return f"{message.id}\t{message.kind}\t{message.topic}\t{message.status}\tattempts={message.attempts}{answer}"


@outbox_app.command("list")
def list_messages(
    failed: bool = typer.Option(False, "--failed", help="Only messages that failed for good."),
    status: str | None = typer.Option(
        None, "--status", help="Only this status: pending, done, failed or superseded (overtaken; never sent)."
    ),
    limit: int = typer.Option(100, "--limit", min=1, help="At most this many, newest first."),
    as_json: bool = JsonOption,
) -> None:
    """List outbox messages, newest first, with Braze's or the endpoint's last answer."""
    with unit_of_work() as (session, _):
        if failed:
            status = OutboxStatus.FAILED
        chosen = None if status is None else service.parse_status(status)
        messages = service.list_messages(session=session, status=chosen, limit=limit)
        emit(
            [message_out(message) for message in messages],
            as_json=as_json,
            human="\n".join(_line(message) for message in messages) or "No messages.",
        )


@outbox_app.command("retry")
def retry(
    message_id: int | None = typer.Argument(None, help="The message to send again."),
    all_failed: bool = typer.Option(False, "--all-failed", help="Send every failed message again."),
    as_json: bool = JsonOption,
) -> None:
    """Queue a failed message (or all of them) for another delivery.

    A failed message is never sent after a newer delivered message for the same subscription (it would undo
    that one): it is marked superseded instead, and the command says so.
    """
    if (message_id is None) == (not all_failed):
        raise typer.BadParameter("give a message id or --all-failed, not both and not neither")
    with unit_of_work() as (session, _):
        if all_failed:
            done = service.retry_all_failed(session=session)
            human = f"Queued {done.requeued} failed messages again."
            if done.superseded:
                listed = ", ".join(str(number) for number in done.superseded)
                human += (
                    f" Skipped {len(done.superseded)} superseded by a newer delivered message for the same "
                    f"subscription (now marked superseded): {listed}."
                )
            emit({"requeued": done.requeued, "superseded": done.superseded}, as_json=as_json, human=human)
            return
        assert message_id is not None
        retried = service.retry(session=session, message_id=message_id)
        message, newer = retried.message, retried.superseded_by
        if newer is None:
            emit(message_out(message), as_json=as_json, human=f"Queued message {message.id} again.")
    if newer is not None:
        # Committed: the message stays marked superseded, but the operator's request was not carried out.
        raise fail(
            f"Outbox message {message_id} was not queued: message {newer} for the same subscription was delivered "
            "after it failed, and sending it now would undo that; it is marked superseded."
        )


def _schema_once_reachable(database: Database, stop: threading.Event) -> bool:
    """Check (and on SQLite migrate) the schema, waiting while the database cannot be reached: a worker started
    during a database restart begins once it is back instead of exiting. False when stopped while waiting."""
    while True:
        try:
            database.ensure_schema()
            return True
        except OperationalError as error:
            reason = str(error.orig).strip().splitlines()[0] if error.orig else "unknown reason"
            typer.echo(f"The database cannot be reached yet ({reason}); trying again in 2 seconds.", err=True)
            if stop.wait(2):
                return False


def worker_command(make_worker: Callable[[Database], Worker]) -> Callable[[bool], None]:
    """The `calcast worker` command, running workers built by `make_worker` (the assembly's)."""

    def worker(
        drain: bool = typer.Option(False, "--drain", help="Deliver what is due, then exit (instead of running on)."),
    ) -> None:
        """Deliver the outbox (Braze syncs and webhooks) until stopped with SIGTERM or Ctrl-C."""
        with open_database(migrate=drain) as database:
            if drain:
                runner = make_worker(database)
                try:
                    handled = runner.drain()
                finally:
                    runner.close()
                typer.echo(f"Delivered or rescheduled {handled} messages.")
                return
            stop = threading.Event()

            def request_stop(signum: int, _frame: FrameType | None) -> None:
                typer.echo(f"Stopping after the current batch ({signal.Signals(signum).name}).", err=True)
                stop.set()

            signal.signal(signal.SIGTERM, request_stop)
            signal.signal(signal.SIGINT, request_stop)
            if not _schema_once_reachable(database, stop):
                return
            runner = make_worker(database)
            try:
                typer.echo(f"Outbox worker {runner.name} running; SIGTERM or Ctrl-C stops it.", err=True)
                runner.run(stop)
            finally:
                runner.close()

    return worker
