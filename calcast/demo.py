"""`calcast demo`: a demo account with a calendar, tags, upcoming events and an OAuth client; then serve."""

from __future__ import annotations

import textwrap
from dataclasses import dataclass

import typer
from sqlalchemy.orm import Session

from calcast.accounts import service as accounts
from calcast.braze.templates import CREDENTIAL_NAME, shipped_template
from calcast.calendars import service as calendars
from calcast.core.cli import command_errors, open_database
from calcast.core.config import Settings
from calcast.core.errors import NotFound
from calcast.core.security import Cipher, derived_token, digest
from calcast.server import serve

ACCOUNT = "demo"
CALENDAR = "season"
TAGS = ("All Teams", "Team Red", "Team Blue")
TIMEZONE = "Europe/Berlin"
EVENTS = (
    # (days from today, hour, title, tags, notify_before)
    (2, 19, "Season opener: Team Red vs Team Blue", ("All Teams",), 30),
    (5, 18, "Team Red open training", ("Team Red",), 15),
    (6, 20, "Team Blue fan evening", ("Team Blue",), 60),
    (9, 15, "Ticket sale starts", (), 15),
)


@dataclass(frozen=True)
class DemoSetup:
    # The landing page for the demo fan `fan-1`, signed with the account's link key as Braze would build it.
    landing_url: str
    client_id: str
    client_secret: str


def _demo_client_secret(settings: Settings) -> str:
    # Derived from this install's own key: every run of the idempotent demo prints the same working credentials,
    # and no two installs share them.
    return derived_token(settings.secret_key, "demo-client", ACCOUNT)


def ensure_demo(*, session: Session, settings: Settings) -> DemoSetup:
    """Create whatever part of the demo data is missing; running it twice changes nothing."""
    try:
        account = accounts.get_account(session=session, code=ACCOUNT)
    except NotFound:
        account = accounts.create_account(session=session, code=ACCOUNT, name="Demo Brand")
    if account.link_key_encrypted is None:
        accounts.create_link_key(session=session, cipher=Cipher(settings.secret_key), code=ACCOUNT)
    try:
        calendars.get_calendar(session=session, account_code=ACCOUNT, code=CALENDAR)
    except NotFound:
        calendars.create_calendar(
            session=session,
            account_code=ACCOUNT,
            code=CALENDAR,
            settings=calendars.CalendarSettings(
                title="Demo Season",
                description="Every match, training and fan event of the season, right in your calendar.",
                email_capture="optional",
                opt_in1_label="Yes, send me news and offers by e-mail.",
                opt_in2_label="Yes, tell me about partner offers too.",
            ),
            tags=TAGS,
        )
        for days, hour, title, tags, notify_before in EVENTS:
            calendars.add_broadcast_event(
                session=session,
                account_code=ACCOUNT,
                calendar_code=CALENDAR,
                event=calendars.BroadcastEventInput(
                    title=title,
                    start=calendars.upcoming_start(days, hour, TIMEZONE),
                    end=calendars.upcoming_start(days, hour + 2, TIMEZONE),
                    timezone=TIMEZONE,
                    tags=tags,
                    notify_before=notify_before,
                    location="Demo Arena",
                ),
            )
    secret = _demo_client_secret(settings)
    client_id = f"{ACCOUNT}-client"
    client = accounts.get_active_client(session=session, client_id=client_id)
    if client is None:
        client = accounts.create_client(session=session, account_code=ACCOUNT).client
        client.client_id = client_id
    if client.secret_digest != digest(secret):
        # A new client, or the demo database now runs with another secret key: print credentials that work.
        client.secret_digest = digest(secret)
    session.flush()
    return DemoSetup(
        landing_url=calendars.landing_url(
            session=session, settings=settings, account_code=ACCOUNT, code=CALENDAR, external_id="fan-1"
        ),
        client_id=client_id,
        client_secret=secret,
    )


def instructions(setup: DemoSetup, base_url: str) -> str:
    return f"""
calcast demo is ready.

  Subscribe like a fan:   {setup.landing_url}
  API docs:               {base_url}/docs

  OAuth client (the Braze Connected Content credential):
    client_id      {setup.client_id}
    client_secret  {setup.client_secret}

  Get a token and push a 1:1 event to a subscription (copy its id from the confirmation page):
    curl -s -u {setup.client_id}:{setup.client_secret} -d grant_type=client_credentials {base_url}/oauth2/token
    curl -s -u {setup.client_id}:{setup.client_secret} -H 'Content-Type: application/json' \\
      {base_url}/v1/subscriptionevent/{ACCOUNT} -d '{{"event": {{"eventId": "hello-1", "title": "Hello",
      "start": "2030-01-01T10:00:00", "end": "2030-01-01T11:00:00", "timezone": "W. Europe Standard Time"}},
      "subscriptionIds": ["<subscription id>"]}}'

  More: calcast calendar show {ACCOUNT} {CALENDAR} · calcast event list {ACCOUNT} {CALENDAR} · calcast --help
{braze_setup(setup, base_url)}"""


def braze_setup(setup: DemoSetup, base_url: str) -> str:
    """The Braze side of the demo: the credential to create and the webhook to paste (docs/braze.md explains)."""
    new_event = shipped_template("new-event").with_base_url(base_url)
    return f"""
  Braze setup for this demo (docs/braze.md; all templates: calcast braze templates):
    Settings > Connected Content > Credentials > new credential
      name      {CREDENTIAL_NAME}
      username  {setup.client_id}
      password  {setup.client_secret}
    Templates > Webhook Templates > new template, "Send a new event":

{textwrap.indent(new_event.paste_ready(), "    ")}
  Try it without Braze (a profile as Braze exports it, after subscribing with external_id=fan-1):
    calcast braze send new-event --user fan-1.json --base-url {base_url} \\
      --credentials {setup.client_id}:{setup.client_secret}
"""


def demo(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    no_serve: bool = typer.Option(False, "--no-serve", help="Create the demo data and print, but do not serve."),
) -> None:
    """Create the demo account (idempotent), print what to try, then serve."""
    with open_database() as database, command_errors(), database.transaction() as session:
        setup = ensure_demo(session=session, settings=database.settings)
        base_url = database.settings.base_url
    typer.echo(instructions(setup, base_url))
    if not no_serve:
        serve(host=host, port=port, workers=1)
