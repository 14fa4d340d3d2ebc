"""`calcast demo`: a demo account with a calendar, tags, events, an OAuth client and a subscriber; then serve."""

from __future__ import annotations

import json
import shlex
import textwrap
from dataclasses import dataclass
from pathlib import Path

import typer
from sqlalchemy.orm import Session

from calcast.accounts import service as accounts
from calcast.braze.templates import CREDENTIAL_NAME, shipped_template
from calcast.calendars import service as calendars
from calcast.console import service as console
from calcast.core.cli import calcast_command, command_errors, open_database
from calcast.core.config import Settings, base_url_defaults_to
from calcast.core.errors import NotFound
from calcast.core.security import Cipher, derived_token, digest
from calcast.demo_history import History, fill_history
from calcast.server import serve
from calcast.start import DEMO_ACCOUNT, DEMO_CALENDAR
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.capture import capture
from calcast.subscriptions.models import Subscription

ACCOUNT = DEMO_ACCOUNT
CALENDAR = DEMO_CALENDAR
FAN = "fan-1"  # the demo's subscriber, as a Braze external_id
CONSOLE_OWNER = "owner@demo.example"  # signs in to the web console as the demo account's owner
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
    fan_subscription_id: str
    fan_feed_url: str
    console_password: str
    history: History


def _demo_client_secret(settings: Settings) -> str:
    # Derived from this install's own key: every run of the idempotent demo prints the same working credentials,
    # and no two installs share them.
    return derived_token(settings.secret_key, "demo-client", ACCOUNT)


def _demo_console_password(settings: Settings) -> str:
    # Like the client secret: the same on every run of this install, different on every other install.
    return derived_token(settings.secret_key, "demo-console", ACCOUNT)[:24]


def _ensure_console_owner(*, session: Session, settings: Settings) -> str:
    """The demo account's console owner, with the demo password (set again when the secret key changed)."""
    password = _demo_console_password(settings)
    user = console.find_user(session=session, email=CONSOLE_OWNER)
    member = None if user is None else console.membership_in(session=session, user=user, account_code=ACCOUNT)
    if user is None or member is None or not console.password_matches(user=user, password=password):
        console.add_member(session=session, email=CONSOLE_OWNER, account_code=ACCOUNT, role="owner", password=password)
    return password


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
    fan = _demo_fan(session=session, settings=settings)
    history = fill_history(session=session, account_code=ACCOUNT, calendar_code=CALENDAR)
    return DemoSetup(
        landing_url=calendars.landing_url(
            session=session, settings=settings, account_code=ACCOUNT, code=CALENDAR, external_id=FAN
        ),
        client_id=client_id,
        client_secret=secret,
        fan_subscription_id=fan.id,
        fan_feed_url=subscriptions.feed_url(settings, fan),
        console_password=_ensure_console_owner(session=session, settings=settings),
        history=history,
    )


def _demo_fan(*, session: Session, settings: Settings) -> Subscription:
    """The demo's subscriber FAN, subscribed as the landing page subscribes people (once; later runs find it)."""
    found = subscriptions.find_by_subscriber(
        session=session, account_code=ACCOUNT, calendar_code=CALENDAR, subscriber_id=FAN
    )
    active = [subscription for subscription in found if subscription.is_active]
    if active:
        return active[0]
    done = subscriptions.subscribe(
        session=session,
        settings=settings,
        account_code=ACCOUNT,
        calendar_code=CALENDAR,
        details=subscriptions.SubscriberDetails(
            subscriber_id=FAN,
            tags=("All Teams",),
            opt_in1=True,
            action_type="SubscriptionViaCalendarPage",
            capture=capture(user_agent="calcast demo", utm_source="demo"),
        ),
    )
    return done.subscription


def _personal_event_json(subscription_id: str) -> str:
    """A 1:1 event a week from today, as the Braze template sends it (a Windows zone name, naive local times)."""
    event = {
        "eventId": "hello-1",
        "title": "Hello from calcast",
        "start": calendars.upcoming_start(7, 10, TIMEZONE),
        "end": calendars.upcoming_start(7, 11, TIMEZONE),
        "timezone": "W. Europe Standard Time",
    }
    return json.dumps({"event": event, "subscriptionIds": [subscription_id]})


def _path_note(command: str) -> str:
    if command == "calcast":
        return ""
    activate = shlex.quote(str(Path(shlex.split(command)[0]).parent / "activate"))
    return (
        f"\n  calcast is not on your PATH, so the commands below start with {command}; after\n"
        f"  `. {activate}` (or with that folder on your PATH) plain `calcast` works, as the guides write it.\n"
    )


def instructions(setup: DemoSetup, base_url: str, command: str = "calcast", *, serving: bool = True) -> str:
    """What the demo prints: every URL opens and every command runs as printed (from the folder of the demo)."""
    credentials = f"{setup.client_id}:{setup.client_secret}"
    ready = (
        f"calcast demo is ready at {base_url}/ (Ctrl-C stops it)."
        if serving
        else f"calcast demo data is ready; `{command} demo` serves it at {base_url}/."
    )
    return f"""
{ready}

  Start page:             {base_url}/
  Subscribe like a fan:   {setup.landing_url}
  API docs:               {base_url}/docs
  Console:                {base_url}/console/sign-in
    e-mail    {CONSOLE_OWNER}
    password  {setup.console_password}
    (its dashboard shows {setup.history.subscriptions} made-up subscriptions of the last 90 days)

  OAuth client (the Braze Connected Content credential):
    client_id      {setup.client_id}
    client_secret  {setup.client_secret}
{_path_note(command)}
  The demo subscribed {FAN} (subscription {setup.fan_subscription_id}), as the landing page does.
  Get a token, push a 1:1 event to that subscription, then read {FAN}'s feed (the event is in it):
    curl -s -u {credentials} -d grant_type=client_credentials {base_url}/oauth2/token
    curl -s -u {credentials} -H 'Content-Type: application/json' {base_url}/v1/subscriptionevent/{ACCOUNT} \\
      -d '{_personal_event_json(setup.fan_subscription_id)}'
    curl -s {setup.fan_feed_url}

  More:
    {command} calendar show {ACCOUNT} {CALENDAR}
    {command} event list {ACCOUNT} {CALENDAR}
    {command} outbox list
    {command} --help
{braze_setup(setup, base_url, command)}"""


def braze_setup(setup: DemoSetup, base_url: str, command: str = "calcast") -> str:
    """The Braze side of the demo: the credential to create and the webhook to paste (docs/braze.md explains)."""
    new_event = shipped_template("new-event").with_base_url(base_url)
    return f"""
  Braze setup for this demo (docs/braze.md; all templates: `{command} braze templates`, or in the console
  under Integrations > Braze, which also sends Braze a test):
    Settings > Connected Content > Credentials > new credential
      name      {CREDENTIAL_NAME}
      username  {setup.client_id}
      password  {setup.client_secret}
    Templates > Webhook Templates > new template, "Send a new event":

{textwrap.indent(new_event.paste_ready(), "    ")}
  Try it without Braze: write {FAN}'s profile as Braze holds it after calcast's sync, send the template to it
  as Braze would, and read the feed again (the template's sample event is a week after the send):
    {command} braze profile {ACCOUNT} {FAN} --output {FAN}.json
    {command} braze send new-event --user {FAN}.json --base-url {base_url} \\
      --credentials {setup.client_id}:{setup.client_secret}
    curl -s {setup.fan_feed_url}
"""


def demo(
    host: str = typer.Option("127.0.0.1", "--host"),
    port: int = typer.Option(8000, "--port"),
    no_serve: bool = typer.Option(False, "--no-serve", help="Create the demo data and print, but do not serve."),
) -> None:
    """Create the demo account (idempotent), print what to try, then serve."""
    base_url_defaults_to(host, port)
    with open_database() as database, command_errors(), database.transaction() as session:
        setup = ensure_demo(session=session, settings=database.settings)
        base_url = database.settings.base_url
    typer.echo(instructions(setup, base_url, calcast_command(), serving=not no_serve))
    if not no_serve:
        serve(host=host, port=port, workers=1)
