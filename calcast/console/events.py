"""The console's broadcast events: list (upcoming, past, search), add, edit, delete, and a preview.

The routes call the functions `calcast event add|update|delete` call, so an edit bumps SEQUENCE exactly as
the CLI's does; the preview shows what calendars.service would store, before anything is stored.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from functools import lru_cache
from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from calcast.calendars import service as calendars
from calcast.calendars.models import BroadcastEvent, Calendar
from calcast.console.auth import Editor, SignedInDep, Viewer, check_form, message, page
from calcast.console.pages import account_frame
from calcast.console.service import Member, SignedIn
from calcast.core.errors import Conflict, Invalid, NotFound, invalid
from calcast.core.http import SessionDep, SettingsDep
from calcast.timezones import service as timezones
from calcast.web.templating import Said

router = APIRouter(prefix="/console", include_in_schema=False)

EVENTS_PATH = "/{account_code}/calendars/{calendar_code}/events"
LOCAL_INPUT = "%Y-%m-%dT%H:%M"  # what <input type="datetime-local"> shows
LIST_LIMIT = 200  # events per list; a search narrows it down


class EventForm(BaseModel):
    """A broadcast event as the form sends it: times as the browser's datetime-local text."""

    csrf_token: str = ""
    preview: str = ""  # the Preview button: show, store nothing
    title: str = ""
    start: str = ""
    end: str = ""
    all_day: str = ""
    timezone: str = ""
    tags: list[str] = Field(default_factory=list)
    notify_before: str = ""
    location: str = ""
    description: str = ""
    url: str = ""
    visible_from: str = ""

    @classmethod
    def of(cls, event: BroadcastEvent) -> EventForm:
        end_at = event.end_at - timedelta(days=1) if event.all_day else event.end_at
        return cls(
            title=event.title,
            start=_local_input(event.start_at, event.timezone),
            end=_local_input(end_at, event.timezone),
            all_day="1" if event.all_day else "",
            timezone=event.timezone,
            tags=[tag.id for tag in event.tags],
            notify_before="" if event.notify_before is None else str(event.notify_before),
            location=event.location or "",
            description=event.description or "",
            url=event.url or "",
            visible_from=_local_input(event.visible_from, "UTC") if event.visible_from else "",
        )

    def as_input(self) -> calendars.BroadcastEventInput:
        """The event for calendars.service; Invalid for a reminder that is not a number of minutes."""
        for name, limit in (("title", 255), ("location", 1024), ("url", 2048), ("timezone", 64)):
            if len(getattr(self, name)) > limit:
                raise invalid(name, "The {name} is at most {limit} characters; shorten it.", name=name, limit=limit)
        reminder = self.notify_before.strip()
        if reminder and not (reminder.isascii() and reminder.isdigit() and len(reminder) <= 7):
            raise invalid(
                "notify_before",
                "The reminder is a whole number of minutes before the start, not {given!r}.",
                given=reminder,
            )
        start, end = self.start, self.end
        if self.all_day:
            # Whole days: the dates count, whatever time the field holds (the end day is included).
            start, end = start.split("T")[0], end.split("T")[0]
        return calendars.BroadcastEventInput(
            title=self.title,
            start=start,
            end=end or None,
            timezone=self.timezone,
            tags=self.tags,
            notify_before=int(reminder) if reminder else None,
            description=self.description.replace("\r\n", "\n") or None,
            location=self.location or None,
            url=self.url or None,
            all_day=bool(self.all_day),
            visible_from=self.visible_from or None,
        )


def _local_input(instant: datetime, iana: str) -> str:
    local = instant.astimezone(timezones.zone(iana))
    return local.strftime(LOCAL_INPUT + (":%S" if local.second else ""))


@lru_cache(maxsize=1)
def zone_names() -> tuple[str, ...]:
    """What the time zone field suggests: every IANA id and every Windows name the timezones service accepts."""
    names = set()
    for zone in timezones.list_all_zones():
        names.add(zone.iana_id)
        if zone.windows_name:
            names.add(zone.windows_name)
    return tuple(sorted(names, key=str.casefold))


@dataclass(frozen=True)
class Preview:
    """How a calendar app shows the event: the times in the event's zone (the page's script shows the reader's)."""

    title: str
    start_at: datetime
    end_at: datetime
    timezone: str
    all_day: bool
    when: str
    location: str | None
    description: str | None
    url: str | None
    notify_before: int | None
    tags: list[str]


def _preview(values: dict[str, Any]) -> Preview:
    start_at: datetime = values["start_at"]
    end_at: datetime = values["end_at"]
    iana = str(values["timezone"])
    zone = timezones.zone(iana)
    start_local, end_local = start_at.astimezone(zone), end_at.astimezone(zone)
    if values["all_day"]:
        last = (end_local - timedelta(days=1)).date()
        when = start_local.strftime("%a %Y-%m-%d") + ("" if last == start_local.date() else f" – {last:%a %Y-%m-%d}")
    elif start_local.date() == end_local.date():
        when = f"{start_local:%a %Y-%m-%d %H:%M} – {end_local:%H:%M} ({iana})"
    else:
        when = f"{start_local:%a %Y-%m-%d %H:%M} – {end_local:%a %Y-%m-%d %H:%M} ({iana})"
    return Preview(
        title=values["title"],
        start_at=start_at,
        end_at=end_at,
        timezone=iana,
        all_day=bool(values["all_day"]),
        when=when,
        location=values.get("location"),
        description=values.get("description"),
        url=values.get("url"),
        notify_before=values.get("notify_before"),
        tags=[tag.name for tag in values.get("tags") or []],
    )


def preview_of(event: BroadcastEvent) -> Preview:
    columns = ("title", "start_at", "end_at", "timezone", "all_day", "location", "description", "url", "notify_before")
    return _preview({**{name: getattr(event, name) for name in columns}, "tags": list(event.tags)})


def _calendar(session: Session, member: Member, calendar_code: str) -> Calendar | None:
    try:
        return calendars.get_calendar(session=session, account_code=member.account.code, code=calendar_code)
    except NotFound:
        return None


# ---------------------------------------------------------------------------------------------- list


@router.get(EVENTS_PATH, response_class=HTMLResponse)
def events_page(
    request: Request, session: SessionDep, who: SignedInDep, member: Viewer, calendar_code: str
) -> HTMLResponse:
    """The calendar's upcoming (or past, `?when=past`) events, optionally those whose title holds `?q=`."""
    calendar = _calendar(session, member, calendar_code)
    if calendar is None:
        return message(request, status_code=404, text_key="console_no_calendar", signed_in=who)
    past = request.query_params.get("when") == "past"
    search = request.query_params.get("q", "")[:200]
    found = calendars.find_broadcast_events(
        session=session,
        account_code=member.account.code,
        calendar_code=calendar.code,
        past=past,
        search=search,
        limit=LIST_LIMIT + 1,
    )
    return page(
        request,
        "console/events.html",
        calendar=calendar,
        events=[(event, preview_of(event)) for event in found[:LIST_LIMIT]],
        more=len(found) > LIST_LIMIT,
        limit=LIST_LIMIT,
        past=past,
        search=search,
        done=request.query_params.get("done", ""),
        **account_frame(session, member, who),
    )


# ---------------------------------------------------------------------------------------------- add, edit


def _event_page(
    request: Request,
    session: Session,
    who: SignedIn,
    member: Member,
    calendar: Calendar,
    *,
    form: EventForm,
    event: BroadcastEvent | None = None,
    preview: Preview | None = None,
    error: Said = "",
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "console/event.html",
        status_code=status_code,
        calendar=calendar,
        event=event,
        form=form,
        preview=preview,
        error=error,
        zone_names=zone_names(),
        saved=request.query_params.get("saved", ""),
        **account_frame(session, member, who),
    )


@router.get(EVENTS_PATH + "/new", response_class=HTMLResponse)
def new_event_page(
    request: Request, session: SessionDep, who: SignedInDep, member: Editor, calendar_code: str
) -> HTMLResponse:
    calendar = _calendar(session, member, calendar_code)
    if calendar is None:
        return message(request, status_code=404, text_key="console_no_calendar", signed_in=who)
    return _event_page(request, session, who, member, calendar, form=EventForm())


def _form_answer(
    request: Request,
    session: Session,
    who: SignedIn,
    member: Member,
    calendar: Calendar,
    form: EventForm,
    event: BroadcastEvent | None,
) -> HTMLResponse | None:
    """The form again, with the preview (its button) or with what is wrong; None when the event may be stored."""
    try:
        values = calendars.preview_broadcast_event(
            session=session, account_code=member.account.code, calendar_code=calendar.code, event=form.as_input()
        )
    except Invalid as error:
        return _event_page(
            request, session, who, member, calendar, form=form, event=event, error=error, status_code=422
        )
    if form.preview:
        return _event_page(request, session, who, member, calendar, form=form, event=event, preview=_preview(values))
    return None


@router.post(EVENTS_PATH, response_class=HTMLResponse)
def add_event(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Editor,
    calendar_code: str,
    form: Annotated[EventForm, Form()],
) -> Response:
    """Add a broadcast event (`calcast event add`), or show its preview."""
    check_form(request, settings, who, form.csrf_token)
    calendar = _calendar(session, member, calendar_code)
    if calendar is None:
        return message(request, status_code=404, text_key="console_no_calendar", signed_in=who)
    if answer := _form_answer(request, session, who, member, calendar, form, None):
        return answer
    try:
        row = calendars.add_broadcast_event(
            session=session, account_code=member.account.code, calendar_code=calendar.code, event=form.as_input()
        )
    except (Invalid, Conflict) as error:
        return _event_page(request, session, who, member, calendar, form=form, error=error, status_code=422)
    base = f"/console/{member.account.code}/calendars/{calendar.code}/events"
    return RedirectResponse(f"{base}/{row.id}?saved=added", status_code=303)


def _event(session: Session, member: Member, calendar: Calendar, event_id: str) -> BroadcastEvent | None:
    try:
        return calendars.get_broadcast_event_by_id(
            session=session, account_code=member.account.code, calendar_code=calendar.code, event_id=event_id
        )
    except NotFound:
        return None


@router.get(EVENTS_PATH + "/{event_id}", response_class=HTMLResponse)
def event_page(
    request: Request, session: SessionDep, who: SignedInDep, member: Viewer, calendar_code: str, event_id: str
) -> HTMLResponse:
    """The event's form (read-only for viewers) and how calendar apps show it."""
    calendar = _calendar(session, member, calendar_code)
    event = _event(session, member, calendar, event_id) if calendar else None
    if calendar is None or event is None:
        return message(request, status_code=404, text_key="console_no_event", signed_in=who)
    return _event_page(
        request, session, who, member, calendar, form=EventForm.of(event), event=event, preview=preview_of(event)
    )


@router.post(EVENTS_PATH + "/{event_id}", response_class=HTMLResponse)
def save_event(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Editor,
    calendar_code: str,
    event_id: str,
    form: Annotated[EventForm, Form()],
) -> Response:
    """Replace the event's details (`calcast event update`): a visible change bumps its SEQUENCE."""
    check_form(request, settings, who, form.csrf_token)
    calendar = _calendar(session, member, calendar_code)
    event = _event(session, member, calendar, event_id) if calendar else None
    if calendar is None or event is None:
        return message(request, status_code=404, text_key="console_no_event", signed_in=who)
    if answer := _form_answer(request, session, who, member, calendar, form, event):
        return answer
    calendars.update_broadcast_event(
        session=session,
        account_code=member.account.code,
        calendar_code=calendar.code,
        event_key=event.event_key,
        event=form.as_input(),
    )
    base = f"/console/{member.account.code}/calendars/{calendar.code}/events"
    return RedirectResponse(f"{base}/{event.id}?saved=saved", status_code=303)


class DeleteForm(BaseModel):
    csrf_token: str = ""


@router.post(EVENTS_PATH + "/{event_id}/delete", response_class=HTMLResponse)
def delete_event(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Editor,
    calendar_code: str,
    event_id: str,
    form: Annotated[DeleteForm, Form()],
) -> Response:
    """Remove the event from every subscriber's calendar (`calcast event delete`)."""
    check_form(request, settings, who, form.csrf_token)
    calendar = _calendar(session, member, calendar_code)
    event = _event(session, member, calendar, event_id) if calendar else None
    if calendar is None or event is None:
        return message(request, status_code=404, text_key="console_no_event", signed_in=who)
    calendars.delete_broadcast_event(
        session=session, account_code=member.account.code, calendar_code=calendar.code, event_key=event.event_key
    )
    base = f"/console/{member.account.code}/calendars/{calendar.code}/events"
    return RedirectResponse(f"{base}?done=deleted", status_code=303)
