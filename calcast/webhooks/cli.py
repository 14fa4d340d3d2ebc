"""`calcast webhook add|list|test|log|disable`: outbound webhook endpoints of an account."""

from __future__ import annotations

from typing import Any

import typer

from calcast.core.cli import JsonOption, emit, open_database, unit_of_work
from calcast.core.security import Cipher
from calcast.webhooks import endpoints, envelopes
from calcast.webhooks.handler import deliver_now
from calcast.webhooks.models import EVENT_TYPES, WebhookEndpoint

webhook_app = typer.Typer(help="Outbound webhooks, signed with HMAC-SHA256.", no_args_is_help=True)


def endpoint_out(endpoint: WebhookEndpoint) -> dict[str, Any]:
    return {
        "id": endpoint.id,
        "url": endpoint.url,
        "eventTypes": list(endpoint.event_types),
        "createdAt": endpoint.created_at.isoformat(),
        "disabledAt": endpoint.disabled_at.isoformat() if endpoint.disabled_at else None,
    }


EVENT_HELP = (
    f"Event type (repeat): {', '.join(EVENT_TYPES)}. "
    "EventClicked (a person's first click on an event's link) is an addition to Rokt's types."
)


@webhook_app.command("add")
def add(
    account: str,
    url: str,
    event: list[str] = typer.Option(..., "--event", help=EVENT_HELP),
    as_json: bool = JsonOption,
) -> None:
    """Add an endpoint; its signing secret is shown this once."""
    with unit_of_work() as (session, settings):
        created = endpoints.add_endpoint(
            session=session,
            cipher=Cipher(settings.secret_key),
            account_code=account,
            url=url,
            event_types=event,
            allow_private_destinations=settings.allow_private_destinations,
        )
        emit(
            {**endpoint_out(created.endpoint), "secret": created.secret},
            as_json=as_json,
            human=(
                f"Added webhook {created.endpoint.id} → {created.endpoint.url} "
                f"for {', '.join(created.endpoint.event_types)}.\n"
                f"Signing secret (shown once, store it now): {created.secret}\n"
                "Each delivery carries `Calcast-Signature: t=<unix>,v1=<hex>`, "
                "the HMAC-SHA256 of `<t>.<body>` under this secret."
            ),
        )


@webhook_app.command("list")
def list_endpoints(account: str, as_json: bool = JsonOption) -> None:
    """List the account's endpoints."""
    with unit_of_work() as (session, _):
        found = endpoints.list_endpoints(session=session, account_code=account)
        lines = [f"{e.id}\t{e.url}\t{','.join(e.event_types)}" + ("\tdisabled" if e.disabled_at else "") for e in found]
        emit([endpoint_out(e) for e in found], as_json=as_json, human="\n".join(lines) or "No webhooks.")


@webhook_app.command("disable")
def disable(endpoint_id: str, as_json: bool = JsonOption) -> None:
    """Stop sending to an endpoint; its delivery log stays."""
    with unit_of_work() as (session, _):
        endpoint = endpoints.disable_endpoint(session=session, endpoint_id=endpoint_id)
        emit(endpoint_out(endpoint), as_json=as_json, human=f"Webhook {endpoint.id} is disabled.")


@webhook_app.command("log")
def log(endpoint_id: str, limit: int = typer.Option(20, "--limit", min=1), as_json: bool = JsonOption) -> None:
    """The endpoint's latest delivery attempts, newest first."""
    with unit_of_work() as (session, _):
        entries = endpoints.delivery_log(session=session, endpoint_id=endpoint_id, limit=limit)
        lines = [
            f"{e.created_at:%Y-%m-%d %H:%M:%S}\t{e.event_type}\t{e.event_id}\tattempt {e.attempt}\t"
            f"{e.status_code or e.error}\t{e.duration_ms} ms"
            for e in entries
        ]
        emit([e.as_dict() for e in entries], as_json=as_json, human="\n".join(lines) or "No deliveries yet.")


@webhook_app.command("test")
def send_test(endpoint_id: str, as_json: bool = JsonOption) -> None:
    """Send a `Test` event to the endpoint now and show its answer (retried later like any delivery if it fails)."""
    with unit_of_work() as (session, _):
        message_id = envelopes.queue_test(session=session, endpoint_id=endpoint_id)
    with open_database() as database:
        deliver_now(database, message_ids=[message_id])
    with unit_of_work() as (session, _):
        entry = endpoints.delivery_log(session=session, endpoint_id=endpoint_id, limit=1)
        if not entry:
            raise typer.Exit(1)
        result = entry[0].as_dict()
        ok = entry[0].succeeded
        emit(
            result,
            as_json=as_json,
            human=(
                f"Test event delivered: the endpoint answered {entry[0].status_code}."
                if ok
                else f"Test event not accepted: {entry[0].error or entry[0].status_code}; it will be retried."
            ),
        )
        if not ok:
            raise typer.Exit(1)
