from __future__ import annotations

from enum import StrEnum
from typing import Annotated

import typer

from calcast.calendars import service
from calcast.calendars.models import BroadcastEvent, Calendar, CalendarSource
from calcast.calendars.schemas import BroadcastEventOut, CalendarOut, TagOut
from calcast.core.cli import JsonOption, emit, unit_of_work

calendar_app = typer.Typer(help="Calendars of an account.", no_args_is_help=True)
tag_app = typer.Typer(help="Tags: the segments subscribers choose.", no_args_is_help=True)
event_app = typer.Typer(help="Broadcast events of a calendar.", no_args_is_help=True)


class EmailCapture(StrEnum):
    off = "off"
    optional = "optional"
    required = "required"


class Language(StrEnum):
    en = "en"
    de = "de"


class Identity(StrEnum):
    signed = "signed"
    unsigned = "unsigned"


IDENTITY_HELP = (
    "signed: an external_id in a landing-page link identifies the subscriber only with the brand's signature "
    "(sig); unsigned: any external_id is taken as given."
)


def calendar_out(calendar: Calendar) -> CalendarOut:
    return CalendarOut.model_validate(calendar, from_attributes=True)


def event_out(event: BroadcastEvent) -> BroadcastEventOut:
    data = {column: getattr(event, column) for column in BroadcastEventOut.model_fields if column != "tags"}
    return BroadcastEventOut(**data, tags=[tag.name for tag in event.tags])


def describe(calendar: CalendarOut) -> str:
    tags = ", ".join(f"{t.name}{' (default)' if t.is_default else ''}" for t in calendar.tags) or "none"
    return (
        f"{calendar.code}: {calendar.title}\n  language {calendar.language}, e-mail capture {calendar.email_capture}, "
        f"merge {'on' if calendar.merge_flag else 'off'}, subscriber-id fallback "
        f"{'on' if calendar.subscriber_id_fallback else 'off'}, identity {calendar.identity}\n"
        f"  click tracking {_tracking(calendar)}\n  welcome event {_welcome(calendar)}\n  tags: {tags}"
    )


def _welcome(calendar: CalendarOut) -> str:
    if not calendar.welcome_title:
        return "off"
    link = f", {calendar.welcome_url}" if calendar.welcome_url else ""
    return (
        f"{calendar.welcome_title!r}{link}: {calendar.welcome_after_minutes} min after subscribing, "
        f"{calendar.welcome_duration_minutes} min long"
    )


def _tracking(calendar: CalendarOut) -> str:
    if not calendar.click_tracking:
        return "off"
    return "on (event URLs and links in descriptions and locations)" if calendar.track_text_links else "on (event URLs)"


def _source(source: CalendarSource | None) -> str:
    """The source URL line of `calendar show`: what is polled, how often, and how the last poll went."""
    if source is None:
        return "\n  source URL: none"
    tag = f", events tagged {source.tag_name!r}" if source.tag_name else ", events for everyone"
    synced = f"last synced {source.synced_at:%Y-%m-%d %H:%M} UTC" if source.synced_at else "not synced yet"
    error = f"\n  last poll failed: {source.last_error}" if source.last_error else ""
    return f"\n  source URL: {source.url} every {source.interval_minutes} min{tag}; {synced}{error}"


SourceUrl = Annotated[
    str | None,
    typer.Option(
        "--source-url",
        help="An https URL of an .ics, CSV or JSON lines file the worker polls; the calendar's events follow it.",
    ),
]
SourceInterval = Annotated[
    int | None,
    typer.Option("--source-interval", help="Minutes between polls of the source URL (15 or more, default 60)."),
]
SourceTag = Annotated[
    str | None, typer.Option("--source-tag", help='The tag the source\'s events get ("": everyone sees them).')
]

CLICK_TRACKING_HELP = "Event links in feeds go through calcast's /r/ redirect, which counts clicks (on by default)."
TEXT_LINKS_HELP = "With click tracking: also the http(s) links written in event descriptions and locations."

WelcomeTitle = Annotated[
    str | None,
    typer.Option("--welcome-title", help="A welcome event with this title goes into each new subscriber's calendar."),
]
WelcomeDescription = Annotated[str | None, typer.Option("--welcome-description", help="The welcome event's text.")]
WelcomeUrl = Annotated[str | None, typer.Option("--welcome-url", help="The welcome event's http(s) link.")]
WelcomeAfter = Annotated[
    int | None,
    typer.Option(
        "--welcome-after", help="Minutes from subscribing to the welcome event's start (0 to 1440, default 5)."
    ),
]
WelcomeDuration = Annotated[
    int | None, typer.Option("--welcome-duration", help="Minutes the welcome event lasts (1 to 1440, default 30).")
]


def _welcome_event(
    title: str | None, description: str | None, url: str | None, after: int | None, duration: int | None
) -> service.WelcomeEvent | None:
    """The welcome event the options describe; None without --welcome-title."""
    if title is None:
        if any(option is not None for option in (description, url, after, duration)):
            raise typer.BadParameter("A welcome event needs --welcome-title; the other --welcome-* options add to it.")
        return None
    return service.WelcomeEvent(
        title=title,
        description=description,
        url=url,
        after_minutes=service.DEFAULT_WELCOME_AFTER_MINUTES if after is None else after,
        duration_minutes=service.DEFAULT_WELCOME_DURATION_MINUTES if duration is None else duration,
    )


@calendar_app.command("create")
def create_calendar(
    account: str,
    code: str,
    title: str = typer.Option(..., "--title", help="The title subscribers see."),
    tag: list[str] = typer.Option([], "--tag", help="A tag; repeat for several, the first is preselected."),
    email_capture: EmailCapture = typer.Option(EmailCapture.off, "--email-capture"),
    language: Language = typer.Option(Language.en, "--language"),
    merge: bool = typer.Option(True, "--merge/--no-merge", help="Braze arrays accumulate (add) or are replaced."),
    subscriber_id_fallback: bool = typer.Option(
        False,
        "--subscriber-id-fallback/--no-subscriber-id-fallback",
        help="Without external id and e-mail, use the subscription id as Braze external_id.",
    ),
    identity: Identity = typer.Option(Identity.signed, "--identity", help=IDENTITY_HELP),
    click_tracking: bool = typer.Option(True, "--click-tracking/--no-click-tracking", help=CLICK_TRACKING_HELP),
    track_text_links: bool = typer.Option(False, "--track-text-links/--no-track-text-links", help=TEXT_LINKS_HELP),
    description: str | None = typer.Option(None, "--description", help="Shown on the landing page."),
    image_url: str | None = typer.Option(None, "--image-url", help="Picture on the landing page."),
    opt_in1_label: str | None = typer.Option(None, "--opt-in1-label", help="First consent checkbox (rokt:optIn1)."),
    opt_in2_label: str | None = typer.Option(None, "--opt-in2-label", help="Second consent checkbox (rokt:optIn2)."),
    default_duration: int = typer.Option(60, "--default-duration", help="Minutes, for events sent without end."),
    welcome_title: WelcomeTitle = None,
    welcome_description: WelcomeDescription = None,
    welcome_url: WelcomeUrl = None,
    welcome_after: WelcomeAfter = None,
    welcome_duration: WelcomeDuration = None,
    as_json: bool = JsonOption,
) -> None:
    """Create a calendar."""
    welcome = _welcome_event(welcome_title, welcome_description, welcome_url, welcome_after, welcome_duration)
    settings = service.CalendarSettings(
        title=title,
        description=description,
        email_capture=email_capture.value,
        language=language.value,
        merge_flag=merge,
        subscriber_id_fallback=subscriber_id_fallback,
        identity=identity.value,
        click_tracking=click_tracking,
        track_text_links=track_text_links,
        image_url=image_url,
        opt_in1_label=opt_in1_label,
        opt_in2_label=opt_in2_label,
        default_duration_minutes=default_duration,
        welcome=welcome,
    )
    with unit_of_work() as (session, _):
        calendar = service.create_calendar(
            session=session, account_code=account, code=code, settings=settings, tags=tag
        )
        out = calendar_out(calendar)
        emit(out, as_json=as_json, human="Created calendar " + describe(out))


@calendar_app.command("list")
def list_calendars(account: str, as_json: bool = JsonOption) -> None:
    """List an account's calendars."""
    with unit_of_work() as (session, _):
        calendars = [calendar_out(c) for c in service.list_calendars(session=session, account_code=account)]
        emit(
            [c.model_dump(mode="json") for c in calendars],
            as_json=as_json,
            human="\n".join(f"{c.code}\t{c.title}" for c in calendars) or "No calendars.",
        )


@calendar_app.command("show")
def show_calendar(account: str, code: str, as_json: bool = JsonOption) -> None:
    """Show a calendar's settings and tags."""
    with unit_of_work() as (session, _):
        calendar = service.get_calendar(session=session, account_code=account, code=code)
        out = calendar_out(calendar)
        source = service.get_source(session=session, calendar_id=calendar.id)
        emit(out, as_json=as_json, human=describe(out) + _source(source))


@calendar_app.command("update")
def update_calendar(
    account: str,
    code: str,
    identity: Identity | None = typer.Option(None, "--identity", help=IDENTITY_HELP),
    click_tracking: bool | None = typer.Option(None, "--click-tracking/--no-click-tracking", help=CLICK_TRACKING_HELP),
    track_text_links: bool | None = typer.Option(
        None, "--track-text-links/--no-track-text-links", help=TEXT_LINKS_HELP
    ),
    welcome_title: WelcomeTitle = None,
    welcome_description: WelcomeDescription = None,
    welcome_url: WelcomeUrl = None,
    welcome_after: WelcomeAfter = None,
    welcome_duration: WelcomeDuration = None,
    no_welcome: bool = typer.Option(False, "--no-welcome", help="New subscribers get no welcome event."),
    source_url: SourceUrl = None,
    source_interval: SourceInterval = None,
    source_tag: SourceTag = None,
    no_source: bool = typer.Option(False, "--no-source", help="Stop polling the source URL (its events stay)."),
    as_json: bool = JsonOption,
) -> None:
    """Change a calendar's settings."""
    welcome = _welcome_event(welcome_title, welcome_description, welcome_url, welcome_after, welcome_duration)
    if welcome is not None and no_welcome:
        raise typer.BadParameter("Give either --welcome-title (a welcome event) or --no-welcome (none), not both.")
    change_welcome = welcome is not None or no_welcome
    if source_url is not None and no_source:
        raise typer.BadParameter("Give either --source-url (poll it) or --no-source (stop), not both.")
    change_source = source_url is not None or source_interval is not None or source_tag is not None
    if (
        identity is None
        and click_tracking is None
        and track_text_links is None
        and not change_welcome
        and not change_source
        and not no_source
    ):
        raise typer.BadParameter(
            "Say what to change: --identity, --click-tracking/--no-click-tracking, --track-text-links, "
            "--welcome-title, --no-welcome, --source-url or --no-source."
        )
    with unit_of_work() as (session, settings):
        calendar = service.get_calendar(session=session, account_code=account, code=code)
        if identity is not None:
            calendar = service.set_identity(session=session, account_code=account, code=code, identity=identity.value)
        if click_tracking is not None or track_text_links is not None:
            calendar = service.set_click_tracking(
                session=session,
                account_code=account,
                code=code,
                click_tracking=click_tracking,
                track_text_links=track_text_links,
            )
        if change_welcome:
            calendar = service.set_welcome_event(session=session, account_code=account, code=code, welcome=welcome)
        if change_source:
            current = service.get_source(session=session, calendar_id=calendar.id)
            url = source_url if source_url is not None else current.url if current else None
            if url is None:
                raise typer.BadParameter("The calendar has no source URL yet; give one with --source-url.")
            service.set_source(
                session=session,
                account_code=account,
                code=code,
                url=url,
                interval_minutes=source_interval,
                tag=source_tag,
                allow_private=settings.allow_private_destinations,
            )
        if no_source:
            service.remove_source(session=session, account_code=account, code=code)
        out = calendar_out(calendar)
        human = (
            "Updated calendar " + describe(out) + _source(service.get_source(session=session, calendar_id=calendar.id))
        )
        emit(out, as_json=as_json, human=human)


@calendar_app.command("link")
def landing_link(
    account: str,
    code: str,
    external_id: str | None = typer.Option(
        None, "--external-id", help="Your user id (Braze external_id); the link carries it signed with the link key."
    ),
    as_json: bool = JsonOption,
) -> None:
    """Print the calendar's landing-page link, signed for one subscriber when --external-id is given."""
    with unit_of_work() as (session, settings):
        url = service.landing_url(
            session=session, settings=settings, account_code=account, code=code, external_id=external_id
        )
    emit({"url": url}, as_json=as_json, human=url)


@tag_app.command("add")
def add_tag(
    account: str,
    calendar: str,
    name: str,
    default: bool = typer.Option(False, "--default", help="Preselect this tag on the landing page."),
    as_json: bool = JsonOption,
) -> None:
    """Add a tag to a calendar."""
    with unit_of_work() as (session, _):
        tag = service.add_tag(session=session, account_code=account, calendar_code=calendar, name=name, default=default)
        emit(TagOut.model_validate(tag), as_json=as_json, human=f"Added tag {tag.name!r} to {calendar}.")


Title = Annotated[str, typer.Option("--title")]
Start = Annotated[str, typer.Option("--start", help="ISO time; without an offset it is read in --timezone.")]
End = Annotated[str | None, typer.Option("--end", help="ISO time; default: start + the calendar's duration.")]
Zone = Annotated[str, typer.Option("--timezone", help="Windows or IANA zone name.")]
Tags = Annotated[list[str] | None, typer.Option("--tag", help="Only subscribers of this tag see it; repeatable.")]
NotifyBefore = Annotated[int | None, typer.Option("--notify-before", help="Reminder, minutes before start.")]
Description = Annotated[str | None, typer.Option("--description")]
Location = Annotated[str | None, typer.Option("--location")]
Url = Annotated[str | None, typer.Option("--url")]
AllDay = Annotated[bool, typer.Option("--all-day", help="A whole-day event: --start and --end are dates.")]
VisibleFrom = Annotated[str | None, typer.Option("--visible-from", help="Hidden from feeds until this UTC time.")]


@event_app.command("add")
def add_event(
    account: str,
    calendar: str,
    title: Title,
    start: Start,
    timezone: Zone,
    end: End = None,
    tag: Tags = None,
    notify_before: NotifyBefore = None,
    description: Description = None,
    location: Location = None,
    url: Url = None,
    all_day: AllDay = False,
    visible_from: VisibleFrom = None,
    key: Annotated[str | None, typer.Option("--key", help="Your own id for the event; default: a new UUID.")] = None,
    as_json: bool = JsonOption,
) -> None:
    """Add a broadcast event."""
    event = service.BroadcastEventInput(
        title=title,
        start=start,
        end=end,
        timezone=timezone,
        tags=tag or (),
        notify_before=notify_before,
        description=description,
        location=location,
        url=url,
        all_day=all_day,
        visible_from=visible_from,
        event_key=key,
    )
    with unit_of_work() as (session, _):
        row = service.add_broadcast_event(session=session, account_code=account, calendar_code=calendar, event=event)
        emit(
            event_out(row), as_json=as_json, human=f"Added event {row.event_key} at {row.start_at:%Y-%m-%d %H:%M} UTC."
        )


@event_app.command("update")
def update_event(
    account: str,
    calendar: str,
    key: str,
    title: Title,
    start: Start,
    timezone: Zone,
    end: End = None,
    tag: Tags = None,
    notify_before: NotifyBefore = None,
    description: Description = None,
    location: Location = None,
    url: Url = None,
    all_day: AllDay = False,
    visible_from: VisibleFrom = None,
    as_json: bool = JsonOption,
) -> None:
    """Replace a broadcast event's details (subscribers' calendars update it in place)."""
    event = service.BroadcastEventInput(
        title=title,
        start=start,
        end=end,
        timezone=timezone,
        tags=tag or (),
        notify_before=notify_before,
        description=description,
        location=location,
        url=url,
        all_day=all_day,
        visible_from=visible_from,
    )
    with unit_of_work() as (session, _):
        row = service.update_broadcast_event(
            session=session, account_code=account, calendar_code=calendar, event_key=key, event=event
        )
        emit(event_out(row), as_json=as_json, human=f"Updated event {row.event_key} (sequence {row.sequence}).")


@event_app.command("delete")
def delete_event(account: str, calendar: str, key: str, as_json: bool = JsonOption) -> None:
    """Remove a broadcast event from every subscriber's calendar."""
    with unit_of_work() as (session, _):
        row = service.delete_broadcast_event(
            session=session, account_code=account, calendar_code=calendar, event_key=key
        )
        emit(event_out(row), as_json=as_json, human=f"Deleted event {row.event_key} ({row.title}).")


@event_app.command("list")
def list_events(account: str, calendar: str, as_json: bool = JsonOption) -> None:
    """List a calendar's broadcast events."""
    with unit_of_work() as (session, _):
        events = [
            event_out(e)
            for e in service.list_broadcast_events(session=session, account_code=account, calendar_code=calendar)
        ]
        lines = [
            f"{e.start_at:%Y-%m-%d %H:%M}Z\t{e.event_key}\t{e.title}\t{','.join(e.tags) or 'everyone'}" for e in events
        ]
        emit(
            [e.model_dump(mode="json") for e in events],
            as_json=as_json,
            human="\n".join(lines) or "No events.",
        )
