"""The console's calendars: list and create, settings, tags, the landing page preview and the links to share.

Thin like every front door: each route checks the role (console.auth) and the form's CSRF token, calls one
function of calendars.service (the one the CLI calls) and renders; a refused input comes back on the form.
"""

from __future__ import annotations

import html
from collections.abc import Callable
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from calcast.calendars import service as calendars
from calcast.calendars.models import EMAIL_CAPTURE_MODES, IDENTITY_MODES, LANGUAGES, Calendar
from calcast.console.auth import Editor, SignedInDep, Viewer, check_form, message, page
from calcast.console.pages import account_frame
from calcast.console.service import Member, SignedIn
from calcast.core.config import Settings
from calcast.core.errors import Conflict, Invalid, NotFound, invalid
from calcast.core.http import SessionDep, SettingsDep
from calcast.web.templating import Said

router = APIRouter(prefix="/console", include_in_schema=False)

CALENDAR_PATH = "/{account_code}/calendars/{calendar_code}"


class NewCalendarForm(BaseModel):
    csrf_token: str = ""
    title: str = ""
    code: str = ""
    tags: str = ""


class SettingsForm(BaseModel):
    """The calendar's settings as the edit form sends them (an unticked box is absent)."""

    csrf_token: str = ""
    name: str = ""
    title: str = ""
    description: str = ""
    language: str = "en"
    image_url: str = ""
    email_capture: str = "off"
    opt_in1_label: str = ""
    opt_in2_label: str = ""
    merge_flag: str = ""
    subscriber_id_fallback: str = ""
    identity: str = "signed"
    click_tracking: str = ""
    track_text_links: str = ""
    default_duration_minutes: str = "60"

    @classmethod
    def of(cls, calendar: Calendar) -> SettingsForm:
        def box(on: bool) -> str:
            return "1" if on else ""

        return cls(
            name=calendar.name,
            title=calendar.subscription_title or "",
            description=calendar.description or "",
            language=calendar.language,
            image_url=calendar.image_url or "",
            email_capture=calendar.email_capture,
            opt_in1_label=calendar.opt_in1_label or "",
            opt_in2_label=calendar.opt_in2_label or "",
            merge_flag=box(calendar.merge_flag),
            subscriber_id_fallback=box(calendar.subscriber_id_fallback),
            identity=calendar.identity,
            click_tracking=box(calendar.click_tracking),
            track_text_links=box(calendar.track_text_links),
            default_duration_minutes=str(calendar.default_duration_minutes),
        )


class WelcomeForm(BaseModel):
    """The welcome event (calcast calendar update --welcome-*); no title: none."""

    csrf_token: str = ""
    welcome_title: str = ""
    welcome_description: str = ""
    welcome_url: str = ""
    welcome_after_minutes: str = str(calendars.DEFAULT_WELCOME_AFTER_MINUTES)
    welcome_duration_minutes: str = str(calendars.DEFAULT_WELCOME_DURATION_MINUTES)

    @classmethod
    def of(cls, calendar: Calendar) -> WelcomeForm:
        welcome = calendars.welcome_event(calendar)
        if welcome is None:
            return cls()
        return cls(
            welcome_title=welcome.title,
            welcome_description=welcome.description or "",
            welcome_url=welcome.url or "",
            welcome_after_minutes=str(welcome.after_minutes),
            welcome_duration_minutes=str(welcome.duration_minutes),
        )

    def as_welcome(self) -> calendars.WelcomeEvent | None:
        if not self.welcome_title.strip():
            return None
        return calendars.WelcomeEvent(
            title=self.welcome_title,
            description=self.welcome_description.replace("\r\n", "\n") or None,
            url=self.welcome_url.strip() or None,
            after_minutes=_minutes(
                self.welcome_after_minutes,
                "welcome_after",
                "The welcome event's start is a whole number of minutes, not {given!r}.",
            ),
            duration_minutes=_minutes(
                self.welcome_duration_minutes,
                "welcome_duration",
                "The welcome event's length is a whole number of minutes, not {given!r}.",
            ),
        )


def _minutes(text: str, field: str, template: str) -> int:
    cleaned = text.strip()
    if not (cleaned.isascii() and cleaned.isdigit() and len(cleaned) <= 7):
        raise invalid(field, template, given=cleaned)
    return int(cleaned)


class TagForm(BaseModel):
    csrf_token: str = ""
    name: str = ""
    image_url: str = ""
    default: str = ""


class MoveForm(BaseModel):
    csrf_token: str = ""
    step: str = ""  # "-1": one place up, "1": one place down


class OrderForm(BaseModel):
    csrf_token: str = ""
    tag_ids: list[str] = Field(default_factory=list, max_length=1000)


# ---------------------------------------------------------------------------------------------- list, create


def _calendars_page(
    request: Request,
    session: Session,
    who: SignedIn,
    member: Member,
    *,
    form: NewCalendarForm | None = None,
    error: Said = "",
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "console/calendars.html",
        status_code=status_code,
        calendars=calendars.list_calendars(session=session, account_code=member.account.code),
        form=form or NewCalendarForm(),
        error=error,
        created=request.query_params.get("created", ""),
        **account_frame(session, member, who),
    )


@router.get("/{account_code}/calendars", response_class=HTMLResponse)
def calendars_page(request: Request, session: SessionDep, who: SignedInDep, member: Viewer) -> HTMLResponse:
    return _calendars_page(request, session, who, member)


@router.post("/{account_code}/calendars", response_class=HTMLResponse)
def create_calendar(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Editor,
    form: Annotated[NewCalendarForm, Form()],
) -> Response:
    """Create a calendar (title, code, tags one per line or comma-separated), as `calcast calendar create` does."""
    check_form(request, settings, who, form.csrf_token)
    tags = [name.strip() for line in form.tags.splitlines() for name in line.split(",") if name.strip()]
    try:
        created = calendars.create_calendar(
            session=session,
            account_code=member.account.code,
            code=form.code.strip(),
            settings=calendars.CalendarSettings(title=form.title),
            tags=tags,
        )
    except (Invalid, Conflict) as error:
        status = 409 if isinstance(error, Conflict) else 422
        return _calendars_page(request, session, who, member, form=form, error=error, status_code=status)
    return RedirectResponse(f"/console/{member.account.code}/calendars?created={created.code}", status_code=303)


# ---------------------------------------------------------------------------------------------- one calendar


def _calendar_page(
    request: Request,
    session: Session,
    settings: Settings,
    who: SignedIn,
    member: Member,
    calendar_code: str,
    *,
    form: SettingsForm | None = None,
    error: Said = "",
    welcome: WelcomeForm | None = None,
    welcome_error: Said = "",
    tag_error: Said = "",
    status_code: int = 200,
    signed_url: str = "",
    external_id: str = "",
    link_error: Said = "",
) -> HTMLResponse:
    try:
        calendar = calendars.get_calendar(session=session, account_code=member.account.code, code=calendar_code)
    except NotFound:
        return message(request, status_code=404, text_key="console_no_calendar", signed_in=who)
    landing = calendars.landing_url(
        session=session, settings=settings, account_code=member.account.code, code=calendar.code
    )
    return page(
        request,
        "console/calendar.html",
        status_code=status_code,
        calendar=calendar,
        form=form or SettingsForm.of(calendar),
        error=error,
        welcome=welcome or WelcomeForm.of(calendar),
        welcome_error=welcome_error,
        tag_error=tag_error,
        saved=request.query_params.get("saved", ""),
        landing_url=landing,
        landing_path=f"/{member.account.code}/{calendar.code}",
        button_snippet=_button_snippet(settings, landing, calendar.title),
        signed_url=signed_url,
        external_id=external_id,
        link_error=link_error,
        languages=LANGUAGES,
        email_capture_modes=EMAIL_CAPTURE_MODES,
        identity_modes=IDENTITY_MODES,
        **account_frame(session, member, who),
    )


def _button_snippet(settings: Settings, landing_url: str, title: str) -> str:
    """The two lines a brand pastes into its website (docs/button.md)."""
    return (
        f'<a href="{landing_url}?utm_source=website" data-calcast-button>{html.escape(title, quote=False)}</a>\n'
        f'<script src="{settings.base_url}/static/calcast-button.js" async></script>'
    )


def _back(member: Member, calendar_code: str, anchor: str = "", **query: str) -> RedirectResponse:
    suffix = "?" + "&".join(f"{name}={value}" for name, value in query.items()) if query else ""
    target = f"/console/{member.account.code}/calendars/{calendar_code}{suffix}{anchor}"
    return RedirectResponse(target, status_code=303)


@router.get(CALENDAR_PATH, response_class=HTMLResponse)
def calendar_page(
    request: Request, session: SessionDep, settings: SettingsDep, who: SignedInDep, member: Viewer, calendar_code: str
) -> HTMLResponse:
    """The calendar's settings, tags, landing page preview, subscribe link and button snippet."""
    return _calendar_page(request, session, settings, who, member, calendar_code)


def _edit(form: SettingsForm) -> calendars.CalendarEdit:
    try:
        duration = int(form.default_duration_minutes.strip())
    except ValueError:
        raise invalid(
            "default_duration_minutes",
            "The default duration is a whole number of minutes, not {given!r}.",
            given=form.default_duration_minutes,
        ) from None
    return calendars.CalendarEdit(
        name=form.name,
        title=form.title,
        description=form.description,
        language=form.language,
        image_url=form.image_url,
        email_capture=form.email_capture,
        opt_in1_label=form.opt_in1_label,
        opt_in2_label=form.opt_in2_label,
        merge_flag=bool(form.merge_flag),
        subscriber_id_fallback=bool(form.subscriber_id_fallback),
        identity=form.identity,
        click_tracking=bool(form.click_tracking),
        track_text_links=bool(form.track_text_links),
        default_duration_minutes=duration,
    )


@router.post(CALENDAR_PATH, response_class=HTMLResponse)
def save_calendar(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Editor,
    calendar_code: str,
    form: Annotated[SettingsForm, Form()],
) -> Response:
    """Save the calendar's settings (what `calcast calendar update` and `create` set)."""
    check_form(request, settings, who, form.csrf_token)
    try:
        calendars.update_calendar(
            session=session, account_code=member.account.code, code=calendar_code, edit=_edit(form)
        )
    except NotFound:
        return message(request, status_code=404, text_key="console_no_calendar", signed_in=who)
    except Invalid as error:
        return _calendar_page(
            request, session, settings, who, member, calendar_code, form=form, error=error, status_code=422
        )
    return _back(member, calendar_code, "#settings", saved="settings")


@router.post(CALENDAR_PATH + "/welcome", response_class=HTMLResponse)
def save_welcome(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Editor,
    calendar_code: str,
    form: Annotated[WelcomeForm, Form()],
) -> Response:
    """Set or remove the welcome event new subscribers get (`calcast calendar update --welcome-*`)."""
    check_form(request, settings, who, form.csrf_token)
    try:
        calendars.set_welcome_event(
            session=session, account_code=member.account.code, code=calendar_code, welcome=form.as_welcome()
        )
    except NotFound:
        return message(request, status_code=404, text_key="console_no_calendar", signed_in=who)
    except Invalid as error:
        return _calendar_page(
            request,
            session,
            settings,
            who,
            member,
            calendar_code,
            welcome=form,
            welcome_error=error,
            status_code=422,
        )
    return _back(member, calendar_code, "#welcome", saved="welcome")


@router.get(CALENDAR_PATH + "/link", response_class=HTMLResponse)
def signed_link(
    request: Request, session: SessionDep, settings: SettingsDep, who: SignedInDep, member: Editor, calendar_code: str
) -> HTMLResponse:
    """The landing page address signed for one external id (`calcast calendar link --external-id`): editors only,
    since the signed link identifies that person."""
    external_id = request.query_params.get("external_id", "")[:255]
    signed = ""
    problem: Said = ""
    try:
        signed = calendars.landing_url(
            session=session,
            settings=settings,
            account_code=member.account.code,
            code=calendar_code,
            external_id=external_id,
        )
    except NotFound:
        return message(request, status_code=404, text_key="console_no_calendar", signed_in=who)
    except Invalid as error:
        problem = error
    status = 422 if problem else 200
    return _calendar_page(
        request,
        session,
        settings,
        who,
        member,
        calendar_code,
        signed_url=signed if external_id.strip() else "",
        external_id=external_id,
        link_error=problem,
        status_code=status,
    )


# ---------------------------------------------------------------------------------------------- tags


def _tag_call(
    request: Request,
    session: Session,
    settings: Settings,
    who: SignedIn,
    member: Member,
    calendar_code: str,
    call: Callable[[], object],
) -> Response:
    """Run one tag change; a refusal comes back on the calendar page, next to the tags."""
    try:
        call()
    except NotFound:
        return message(request, status_code=404, text_key="console_no_calendar", signed_in=who)
    except (Invalid, Conflict) as error:
        status = 409 if isinstance(error, Conflict) else 422
        return _calendar_page(
            request, session, settings, who, member, calendar_code, tag_error=error, status_code=status
        )
    return _back(member, calendar_code, "#tags", saved="tags")


@router.post(CALENDAR_PATH + "/tags", response_class=HTMLResponse)
def add_tag(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Editor,
    calendar_code: str,
    form: Annotated[TagForm, Form()],
) -> Response:
    """Add a tag at the end of the list (`calcast tag add`)."""
    check_form(request, settings, who, form.csrf_token)

    def call() -> None:
        calendars.add_tag(
            session=session,
            account_code=member.account.code,
            calendar_code=calendar_code,
            name=form.name,
            default=bool(form.default),
            image_url=form.image_url.strip() or None,
        )

    return _tag_call(request, session, settings, who, member, calendar_code, call)


@router.post(CALENDAR_PATH + "/tags/order", response_class=HTMLResponse)
def order_tags(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Editor,
    calendar_code: str,
    form: Annotated[OrderForm, Form()],
) -> Response:
    """Put the tags in the order given (the drag and drop of the tag list sends it)."""
    check_form(request, settings, who, form.csrf_token)

    def call() -> None:
        calendars.reorder_tags(
            session=session, account_code=member.account.code, calendar_code=calendar_code, tag_ids=form.tag_ids
        )

    return _tag_call(request, session, settings, who, member, calendar_code, call)


@router.post(CALENDAR_PATH + "/tags/{tag_id}", response_class=HTMLResponse)
def save_tag(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Editor,
    calendar_code: str,
    tag_id: str,
    form: Annotated[TagForm, Form()],
) -> Response:
    """Rename a tag, set its image, make it preselected or not."""
    check_form(request, settings, who, form.csrf_token)

    def call() -> None:
        calendars.update_tag(
            session=session,
            account_code=member.account.code,
            calendar_code=calendar_code,
            tag_id=tag_id,
            name=form.name,
            default=bool(form.default),
            image_url=form.image_url,
        )

    return _tag_call(request, session, settings, who, member, calendar_code, call)


@router.post(CALENDAR_PATH + "/tags/{tag_id}/move", response_class=HTMLResponse)
def move_tag(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Editor,
    calendar_code: str,
    tag_id: str,
    form: Annotated[MoveForm, Form()],
) -> Response:
    """Move a tag one place up (step -1) or down (step 1): the buttons that work without JavaScript."""
    check_form(request, settings, who, form.csrf_token)

    def call() -> None:
        calendars.move_tag(
            session=session,
            account_code=member.account.code,
            calendar_code=calendar_code,
            tag_id=tag_id,
            step={"-1": -1, "1": 1}.get(form.step.strip(), 0),
        )

    return _tag_call(request, session, settings, who, member, calendar_code, call)
