from __future__ import annotations

from enum import StrEnum

import typer

from calcast.calendars import service
from calcast.calendars.models import BroadcastEvent, Calendar
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
        f"{'on' if calendar.subscriber_id_fallback else 'off'}\n  tags: {tags}"
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
    description: str | None = typer.Option(None, "--description"),
    as_json: bool = JsonOption,
) -> None:
    """Create a calendar."""
    settings = service.CalendarSettings(
        title=title,
        description=description,
        email_capture=email_capture.value,
        language=language.value,
        merge_flag=merge,
        subscriber_id_fallback=subscriber_id_fallback,
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
        out = calendar_out(service.get_calendar(session=session, account_code=account, code=code))
        emit(out, as_json=as_json, human=describe(out))


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


@event_app.command("add")
def add_event(
    account: str,
    calendar: str,
    title: str = typer.Option(..., "--title"),
    start: str = typer.Option(..., "--start", help="ISO time; without an offset it is read in --timezone."),
    end: str | None = typer.Option(None, "--end", help="ISO time; default: start + the calendar's duration."),
    timezone: str = typer.Option(..., "--timezone", help="Windows or IANA zone name."),
    tag: list[str] = typer.Option([], "--tag", help="Only subscribers of this tag see it; repeatable."),
    notify_before: int | None = typer.Option(None, "--notify-before", help="Reminder, minutes before start."),
    description: str | None = typer.Option(None, "--description"),
    location: str | None = typer.Option(None, "--location"),
    url: str | None = typer.Option(None, "--url"),
    as_json: bool = JsonOption,
) -> None:
    """Add a broadcast event."""
    event = service.BroadcastEventInput(
        title=title,
        start=start,
        end=end,
        timezone=timezone,
        tags=tag,
        notify_before=notify_before,
        description=description,
        location=location,
        url=url,
    )
    with unit_of_work() as (session, _):
        row = service.add_broadcast_event(session=session, account_code=account, calendar_code=calendar, event=event)
        emit(
            event_out(row),
            as_json=as_json,
            human=f"Added event {row.title!r} at {row.start_at:%Y-%m-%d %H:%M} UTC.",
        )


@event_app.command("list")
def list_events(account: str, calendar: str, as_json: bool = JsonOption) -> None:
    """List a calendar's broadcast events."""
    with unit_of_work() as (session, _):
        events = [
            event_out(e)
            for e in service.list_broadcast_events(session=session, account_code=account, calendar_code=calendar)
        ]
        lines = [f"{e.start_at:%Y-%m-%d %H:%M}Z\t{e.title}\t{','.join(e.tags) or 'everyone'}" for e in events]
        emit(
            [e.model_dump(mode="json") for e in events],
            as_json=as_json,
            human="\n".join(lines) or "No events.",
        )
