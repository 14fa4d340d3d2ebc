"""Single targeted event in the console: upload a CSV audience, read the match report, define the event, send.

Thin routes over `calcast.audiences.service`; the send itself is the personal-event API's service function,
run by the outbox worker chunk by chunk (`calcast.audiences.handler`).
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, File, Form, Request, UploadFile
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel

from calcast.audiences import service
from calcast.audiences.models import Audience, AudienceStatus
from calcast.console.auth import Editor, Refusal, SignedInDep, Viewer, check_form, message, page
from calcast.console.pages import account_frame as frame
from calcast.console.service import Member, SignedIn
from calcast.core.errors import Conflict, DomainError, NotFound
from calcast.core.http import SessionDep, SettingsDep
from calcast.web.templating import Said

router = APIRouter(prefix="/console", include_in_schema=False)

# The upload route: the request guard allows it CALCAST_CONSOLE_UPLOAD_MAX_BYTES instead of the usual body limit.
UPLOAD_PATH = r"/console/[^/]+/audiences"
# Seconds between two reloads of the progress page while the worker sends.
REFRESH_SECONDS = 2


class CsrfForm(BaseModel):
    csrf_token: str = ""


class MatchForm(BaseModel):
    csrf_token: str = ""
    column: int = -1
    id_kind: str = ""
    has_header: bool = False


class EventForm(BaseModel):
    """The personal-event API's fields, as a form (checked by the API's own schema in the service)."""

    csrf_token: str = ""
    event_id: str = ""
    title: str = ""
    start: str = ""
    end: str = ""
    timezone: str = ""
    all_day: bool = False
    notify_before: str = ""
    description: str = ""
    location: str = ""
    url: str = ""
    visible_from: str = ""

    def api_fields(self) -> dict[str, Any]:
        """The form as the API's JSON would hold it (empty fields left out)."""
        fields: dict[str, Any] = {
            "eventId": self.event_id.strip(),
            "title": self.title.strip(),
            "start": self.start.strip(),
            "end": self.end.strip() or None,
            "timezone": self.timezone.strip() or None,
            "allDayEvent": self.all_day,
            "notifyBefore": self.notify_before.strip() or None,
            "description": self.description.strip() or None,
            "location": self.location.strip() or None,
            "url": self.url.strip() or None,
            "visibleFromDateTimeUtc": self.visible_from.strip() or None,
        }
        return {name: value for name, value in fields.items() if value is not None}

    @classmethod
    def of(cls, audience: Audience) -> EventForm:
        stored = audience.event or {}
        return cls(
            event_id=stored.get("eventId", f"console-{audience.id[:8]}"),
            title=stored.get("title", ""),
            start=stored.get("start", ""),
            end=stored.get("end", ""),
            timezone=stored.get("timezone", "UTC"),
            all_day=stored.get("allDayEvent", False),
            notify_before=str(stored.get("notifyBefore", "") or ""),
            description=stored.get("description", ""),
            location=stored.get("location", ""),
            url=stored.get("url", ""),
            visible_from=stored.get("visibleFromDateTimeUtc", ""),
        )


def _path(member: Member, audience: Audience | None = None) -> str:
    base = f"/console/{member.account.code}/audiences"
    return base if audience is None else f"{base}/{audience.id}"


def _list_page(
    request: Request, session: SessionDep, who: SignedIn, member: Member, *, error: Said = "", status_code: int = 200
) -> HTMLResponse:
    return page(
        request,
        "console/audiences.html",
        status_code=status_code,
        audiences=service.list_audiences(session=session, account_id=member.account.id),
        error=error,
        active="audiences",
        **frame(session, member, who),
    )


def _audience_page(
    request: Request,
    session: SessionDep,
    who: SignedIn,
    member: Member,
    audience: Audience,
    *,
    event_form: EventForm | None = None,
    error: Said = "",
    status_code: int = 200,
) -> HTMLResponse:
    return page(
        request,
        "console/audience.html",
        status_code=status_code,
        audience=audience,
        status=AudienceStatus,
        report_keys=service.REPORT_KEYS,
        id_kinds=service.ID_KINDS,
        event_form=event_form or EventForm.of(audience),
        error=error,
        refresh=REFRESH_SECONDS if audience.status == AudienceStatus.SENDING else None,
        active="audiences",
        **frame(session, member, who),
    )


def _find(request: Request, session: SessionDep, who: SignedIn, member: Member, audience_id: str) -> Audience:
    try:
        return service.get_audience(session=session, account_id=member.account.id, audience_id=audience_id[:36])
    except NotFound:
        raise Refusal(message(request, status_code=404, text_key="console_audience_missing", signed_in=who)) from None


@router.get("/{account_code}/audiences", response_class=HTMLResponse)
def audiences_page(request: Request, session: SessionDep, who: SignedInDep, member: Viewer) -> HTMLResponse:
    """The account's uploaded audiences, and (for editors) the upload form."""
    return _list_page(request, session, who, member)


@router.post("/{account_code}/audiences", response_class=HTMLResponse)
def upload_audience(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Editor,
    file: Annotated[UploadFile, File()],
    csrf_token: Annotated[str, Form()] = "",
) -> Response:
    """Store the CSV (spooled to disk by the form parser, kept compressed in the database); then pick the column."""
    check_form(request, settings, who, csrf_token)
    try:
        audience = service.store_upload(
            session=session,
            account_id=member.account.id,
            created_by=who.user.email,
            file_name=file.filename or "audience.csv",
            stream=file.file,
        )
    except DomainError as error:
        return _list_page(request, session, who, member, error=error, status_code=422)
    return RedirectResponse(_path(member, audience), status_code=303)


@router.get("/{account_code}/audiences/{audience_id}", response_class=HTMLResponse)
def audience_page(
    request: Request, session: SessionDep, who: SignedInDep, member: Viewer, audience_id: str
) -> HTMLResponse:
    """One audience at its step: column choice, match report and event, confirmation, or the send's progress."""
    audience = _find(request, session, who, member, audience_id)
    return _audience_page(request, session, who, member, audience)


@router.post("/{account_code}/audiences/{audience_id}/match", response_class=HTMLResponse)
def match_audience(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Editor,
    audience_id: str,
    form: Annotated[MatchForm, Form()],
) -> Response:
    check_form(request, settings, who, form.csrf_token)
    audience = _find(request, session, who, member, audience_id)
    try:
        service.match(
            session=session,
            audience=audience,
            column_index=form.column,
            id_kind=form.id_kind,
            has_header=form.has_header,
        )
    except DomainError as error:
        status = 409 if isinstance(error, Conflict) else 422
        return _audience_page(request, session, who, member, audience, error=error, status_code=status)
    return RedirectResponse(_path(member, audience) + "#report", status_code=303)


@router.post("/{account_code}/audiences/{audience_id}/event", response_class=HTMLResponse)
def define_event(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Editor,
    audience_id: str,
    form: Annotated[EventForm, Form()],
) -> Response:
    check_form(request, settings, who, form.csrf_token)
    audience = _find(request, session, who, member, audience_id)
    try:
        event = service.read_event(form.api_fields())
        service.define_event(session=session, audience=audience, event=event)
    except DomainError as error:
        status = 409 if isinstance(error, Conflict) else 422
        return _audience_page(request, session, who, member, audience, event_form=form, error=error, status_code=status)
    return RedirectResponse(_path(member, audience) + "#confirm", status_code=303)


@router.post("/{account_code}/audiences/{audience_id}/send", response_class=HTMLResponse)
def send_audience(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    who: SignedInDep,
    member: Editor,
    audience_id: str,
    form: Annotated[CsrfForm, Form()],
) -> Response:
    """Confirmed: the worker sends the event; the page follows its progress."""
    check_form(request, settings, who, form.csrf_token)
    audience = _find(request, session, who, member, audience_id)
    try:
        service.start_send(session=session, audience=audience)
    except DomainError as error:
        return _audience_page(request, session, who, member, audience, error=error, status_code=409)
    return RedirectResponse(_path(member, audience), status_code=303)
