"""`calcast braze …`: the webhook templates ready to paste, and Braze's "Test" tab run locally."""

from __future__ import annotations

import json
import sys
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import typer

from calcast.braze.templates import TemplateError
from calcast.brazesim.liquid import AbortMessage, BrazeUser, Credentials, load_users
from calcast.brazesim.sender import BrazeSimulator, Delivery
from calcast.brazesim.templates import CREDENTIAL_NAME, CREDENTIAL_NOTE, load_template, shipped_templates
from calcast.core.cli import JsonOption, emit, fail, settings, unit_of_work

braze_app = typer.Typer(
    help="Braze webhook templates, and rendering or sending them as Braze would.", no_args_is_help=True
)

BaseUrlOption = typer.Option(None, "--base-url", help="calcast's public base URL (default: CALCAST_BASE_URL).")
TemplateArgument = typer.Argument(..., help="new-event, update-event, delete-event, or a template file.")
UserOption = typer.Option(None, "--user", help="A Braze profile export (JSON: external_id, custom_attributes).")
CredentialsOption = typer.Option(
    None, "--credentials", help="client_id:client_secret for the template's Connected Content credential."
)
CredentialsFileOption = typer.Option(
    None, "--credentials-file", help='JSON {"<credential name>": {"username": …, "password": …}}.'
)


@contextmanager
def template_errors() -> Iterator[None]:
    try:
        yield
    except TemplateError as error:
        raise fail(str(error)) from None


def _base_url(base_url: str | None) -> str:
    return (base_url or settings().base_url).rstrip("/")


def _credentials(pair: str | None, path: Path | None) -> Credentials:
    credentials = Credentials()
    if path is not None:
        credentials = credentials.merged(Credentials.from_file(path))
    if pair is not None:
        credentials = credentials.merged(Credentials.from_pair(pair))
    return credentials


@braze_app.command("templates")
def templates(base_url: str | None = BaseUrlOption, as_json: bool = JsonOption) -> None:
    """Print calcast's Braze webhook templates, ready to paste (URL, method, headers, body)."""
    url = _base_url(base_url)
    with template_errors():
        kit = [template.with_base_url(url) for template in shipped_templates()]
    if as_json:
        data = [
            {
                "name": t.name,
                "notes": t.notes,
                "url": t.url,
                "method": t.method,
                "headers": dict(t.headers),
                "body": t.body,
            }
            for t in kit
        ]
        sys.stdout.write(json.dumps({"credential": CREDENTIAL_NAME, "templates": data}, ensure_ascii=False) + "\n")
        return
    typer.echo(CREDENTIAL_NOTE)
    typer.echo("\n".join(template.paste_ready() for template in kit))


@braze_app.command("profile")
def profile(
    account_code: str = typer.Argument(..., help="The account (e.g. demo)."),
    external_id: str = typer.Argument(..., help="The person's Braze external_id, as passed when subscribing."),
    output: Path | None = typer.Option(None, "--output", "-o", help="Write the profile to this file."),
) -> None:
    """The Braze profile calcast's sync builds for a person (external_id and rokt:* attributes), for --user."""
    from calcast.brazesim.profile import synced_profile

    with unit_of_work() as (session, _):
        found = synced_profile(session=session, account_code=account_code, external_id=external_id)
    text = json.dumps(found, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        sys.stdout.write(text)
        return
    try:
        output.write_text(text, encoding="utf-8")
    except OSError as error:
        raise fail(f"The profile cannot be written to {output} ({error.strerror}).") from None
    count = len(found["custom_attributes"].get("rokt:subscription_id", []))
    typer.echo(f"Wrote {output}: {external_id} with {count} calcast subscription(s).")


@braze_app.command("test")
def try_connection(
    account_code: str = typer.Argument(..., help="The account whose Braze settings to try."),
    as_json: bool = JsonOption,
) -> None:
    """Send one users.track request for a test profile to the account's real Braze and print its answer
    (the console's "Send a test"); exits 1 unless Braze accepted it."""
    from calcast.braze.service import TEST_EXTERNAL_ID, send_test

    with unit_of_work() as (session, settings):
        answer = send_test(session=session, settings=settings, account_code=account_code)
    result = {"externalId": TEST_EXTERNAL_ID, "status": answer.status, "answer": answer.text, "error": answer.error}
    emit(result, as_json=as_json, human=answer.describe())
    if answer.verdict != "ok":
        raise typer.Exit(1)


def _users(user: Path | None, users: Path | None) -> list[BrazeUser]:
    if user is None and users is None:
        raise fail("Name the profile to render for with --user user.json (or many with --users users.jsonl).")
    found: list[BrazeUser] = []
    for path in (user, users):
        if path is not None:
            found += load_users(path)
    if not found:
        raise fail("The user files hold no profiles: write one JSON object per line.")
    return found


@braze_app.command("render")
def render(
    template_name: str = TemplateArgument,
    user: Path | None = UserOption,
    base_url: str | None = BaseUrlOption,
    credentials: str | None = CredentialsOption,
    credentials_file: Path | None = CredentialsFileOption,
    as_json: bool = JsonOption,
) -> None:
    """Render a template for one user: the URL, headers and body Braze would send (Connected Content runs)."""
    with template_errors():
        template = load_template(template_name).with_base_url(_base_url(base_url))
        profile = _users(user, None)[0]
        simulator = BrazeSimulator(credentials=_credentials(credentials, credentials_file))
        try:
            webhook = simulator.render(template, profile)
        except AbortMessage as abort:
            raise fail(f"Braze would not send this message: {abort.reason}") from None
        finally:
            simulator.close()
    for call in simulator.fetcher.calls:
        typer.echo(f"Connected Content: {call.method} {call.url} {call.options()}", err=True)
    if as_json:
        data = {"method": webhook.method, "url": webhook.url, "headers": dict(webhook.headers), "body": webhook.body}
        sys.stdout.write(json.dumps(data, ensure_ascii=False) + "\n")
        return
    headers = "".join(f"{name}: {value}\n" for name, value in webhook.headers)
    typer.echo(f"{webhook.method} {webhook.url}\n{headers}\n{webhook.body}")


def _outcome_lines(user: BrazeUser, delivery: Delivery) -> str:
    """`who: outcome status - reason`, saying how many subscriptions calcast knew, and calcast's note."""
    who = user.external_id or "(no external_id)"
    status = f" {delivery.status_code}" if delivery.status_code else ""
    tries = f" after {delivery.attempts} attempts" if delivery.attempts > 1 else ""
    summary = delivery.summary
    known = ""
    if summary is not None and summary.unknown:
        known = f", but {summary.known} of {summary.sent} subscriptions known to calcast"
    line = f"{who}: {delivery.outcome}{status}{tries}{known} - {delivery.reason}"
    if summary is not None and summary.note:
        line += f"\n{who}: note - {summary.note}"
    return line


@braze_app.command("send")
def send(
    template_name: str = TemplateArgument,
    user: Path | None = UserOption,
    users: Path | None = typer.Option(None, "--users", help="Many profiles, one JSON object per line."),
    base_url: str | None = BaseUrlOption,
    credentials: str | None = CredentialsOption,
    credentials_file: Path | None = CredentialsFileOption,
    retry_delay: float = typer.Option(1.0, "--retry-delay", min=0, help="First backoff in seconds; doubles."),
    allow_unknown: bool = typer.Option(
        False, "--allow-unknown", help="Exit 0 even when calcast knew none of a message's subscription ids."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Send a template for each user as Braze would, and print what became of each message."""
    with template_errors():
        template = load_template(template_name).with_base_url(_base_url(base_url))
        profiles = _users(user, users)
        simulator = BrazeSimulator(credentials=_credentials(credentials, credentials_file), retry_delay=retry_delay)
    failed = unknown = 0
    try:
        with typer.progressbar(
            profiles, label="Sending", file=sys.stderr, hidden=len(profiles) < 2 or as_json
        ) as progress:
            for profile in progress:
                with template_errors():
                    delivery = simulator.send(template, profile)
                failed += delivery.outcome in ("dropped", "gave up")
                summary = delivery.summary
                unknown += summary is not None and summary.known == 0 and bool(summary.unknown)
                if as_json:
                    line = {
                        "external_id": profile.external_id,
                        "outcome": delivery.outcome,
                        "status": delivery.status_code,
                        "attempts": delivery.attempts,
                        "reason": delivery.reason,
                        "unknownSubscriptionIds": list(summary.unknown) if summary else [],
                        "note": summary.note if summary else None,
                    }
                    sys.stdout.write(json.dumps(line, ensure_ascii=False) + "\n")
                else:
                    typer.echo(_outcome_lines(profile, delivery))
    finally:
        simulator.close()
    if failed:
        raise fail(f"{failed} of {len(profiles)} messages were not delivered.")
    if unknown and not allow_unknown:
        raise fail(
            f"{unknown} of {len(profiles)} messages reached no subscription: calcast knows none of their "
            "subscription ids (another account or another calcast?); --allow-unknown accepts that."
        )
