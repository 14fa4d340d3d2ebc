"""The push pages: connect a Google or Microsoft calendar (OAuth with PKCE and `state`) or a CalDAV account.

Routes only parse, call a service and render. Reached from the confirmation page's choices (shown only when the
method is configured); the manage link's token proves the visitor holds the subscription.
"""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel
from sqlalchemy.orm import Session

from calcast.calendars import service as calendars
from calcast.calendars.models import Calendar
from calcast.core.config import Settings
from calcast.core.errors import Invalid, NotFound
from calcast.core.http import SessionDep, SettingsDep
from calcast.core.outbound import check_destination
from calcast.core.ratelimit import MANAGE_PAGE_LIMIT
from calcast.core.security import derived_token
from calcast.push import service
from calcast.push.caldav import PRESETS, CalDavAdapter
from calcast.push.models import Provider
from calcast.push.providers import Credentials, GrantLost, PushFault, ScopeMissing
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription
from calcast.web.forms import is_cross_site, issue_form_token, read_form_token
from calcast.web.i18n import language_from_header
from calcast.web.templating import render

router = APIRouter(include_in_schema=False)
CALDAV_PURPOSE = "push-caldav"


class CalDavForm(BaseModel):
    form_token: str = ""
    provider: str = "icloud"
    server_url: str = ""
    username: str = ""
    password: str = ""


def _redirect_uri(settings: Settings, provider: Provider) -> str:
    """The redirect URI registered with the provider (docs/push.md)."""
    return service.callback_url(settings, provider)


def _state_purpose(provider: Provider) -> str:
    return f"push-{provider.value}"


def _code_verifier(settings: Settings, state: str) -> str:
    """The PKCE verifier of one authorization: derived from its state with the server key, so nothing is stored."""
    return derived_token(settings.secret_key, "pkce", state)


def _page(
    request: Request, *, language: str, title: str, text: str, status_code: int = 200, back: str | None = None
) -> HTMLResponse:
    return render(
        request,
        "push.html",
        language=language,
        private=True,
        status_code=status_code,
        title_key=title,
        text_key=text,
        back=back,
    )


def _manage_path(settings: Settings, subscription: Subscription) -> str:
    return subscriptions.manage_url(settings, subscription).removeprefix(settings.base_url)


def _unknown(request: Request) -> HTMLResponse:
    language = language_from_header(request.headers.get("accept-language"))
    return _page(request, language=language, title="bad_link_title", text="bad_link_text", status_code=404)


def _start(request: Request, session: Session, settings: Settings, provider: Provider, linked: Linked) -> Response:
    """Send the subscriber to the provider's consent page, with `state` (signed, names the subscription) and PKCE."""
    if linked is None or provider not in service.offered(settings):
        return _unknown(request)
    subscription, calendar = linked
    if not subscription.is_active:
        return _page(request, language=calendar.language, title="push_ended_title", text="push_ended_text")
    purpose = _state_purpose(provider)
    state = f"{subscription.id}.{issue_form_token(settings.secret_key, purpose=purpose, subject=subscription.id)}"
    adapter = service.OAUTH[provider](settings)
    try:
        target = adapter.authorization_url(
            redirect_uri=_redirect_uri(settings, provider), state=state, code_verifier=_code_verifier(settings, state)
        )
    finally:
        adapter.close()
    return RedirectResponse(target, status_code=303, headers={"Referrer-Policy": "no-referrer"})


def _callback(request: Request, session: Session, settings: Settings, provider: Provider) -> HTMLResponse:
    """The provider sends the subscriber back: keep the grant, and the first sync is on its way."""
    query = request.query_params
    state = query.get("state", "")
    subscription_id, _, signed = state.partition(".")
    token = read_form_token(settings.secret_key, signed, purpose=_state_purpose(provider), subject=subscription_id)
    if token is None or provider not in service.offered(settings):
        return _unknown(request)
    try:
        subscription = subscriptions.get_subscription(session=session, subscription_id=subscription_id)
    except NotFound:
        return _unknown(request)
    calendar = calendars.get_calendar_by_id(session=session, calendar_id=subscription.calendar_id)
    language, back = calendar.language, _manage_path(settings, subscription) + "/add"
    if query.get("error") or not query.get("code"):
        return _page(request, language=language, title="push_declined_title", text="push_declined_text", back=back)
    try:
        grant = service.exchange_code(
            settings=settings,
            provider=provider,
            code=query["code"],
            redirect_uri=_redirect_uri(settings, provider),
            code_verifier=_code_verifier(settings, state),
        )
    except ScopeMissing:
        # Granular consent: the subscriber unticked the calendar permission.
        return _page(
            request, language=language, title="push_scope_title", text="push_scope_text", status_code=403, back=back
        )
    except PushFault:
        return _page(
            request, language=language, title="push_failed_title", text="push_failed_text", status_code=502, back=back
        )
    try:
        service.connect(
            session=session,
            settings=settings,
            subscription=subscription,
            provider=provider,
            credentials=grant.credentials,
            granted_scope=grant.scope,
        )
    except Invalid:
        return _page(request, language=language, title="push_ended_title", text="push_ended_text", status_code=409)
    return _page(
        request,
        language=language,
        title="push_connected_title",
        text="push_connected_text",
        back=_manage_path(settings, subscription),
    )


Linked = tuple[Subscription, Calendar] | None


def linked(session: SessionDep, settings: SettingsDep, subscription_id: str, token: str) -> Linked:
    """The subscription a manage link names, with its calendar; None for a link that is not genuine."""
    try:
        subscription = subscriptions.by_manage_link(
            session=session, settings=settings, subscription_id=subscription_id, token=token
        )
    except NotFound:
        return None
    return subscription, calendars.get_calendar_by_id(session=session, calendar_id=subscription.calendar_id)


LinkedDep = Annotated[Linked, Depends(linked)]


@router.get("/manage/{subscription_id}/{token}/push/google", dependencies=[MANAGE_PAGE_LIMIT])
def start_google(request: Request, session: SessionDep, settings: SettingsDep, found: LinkedDep) -> Response:
    """Google's consent page, for calcast's own calendar in the subscriber's Google account."""
    return _start(request, session, settings, Provider.GOOGLE, found)


@router.get("/push/google/callback", response_class=HTMLResponse)
def google_callback(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    return _callback(request, session, settings, Provider.GOOGLE)


@router.get("/manage/{subscription_id}/{token}/push/microsoft", dependencies=[MANAGE_PAGE_LIMIT])
def start_microsoft(request: Request, session: SessionDep, settings: SettingsDep, found: LinkedDep) -> Response:
    """Microsoft's sign-in and consent page, for calcast's own calendar in the subscriber's Outlook."""
    return _start(request, session, settings, Provider.MICROSOFT, found)


@router.get("/push/microsoft/callback", response_class=HTMLResponse)
def microsoft_callback(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    return _callback(request, session, settings, Provider.MICROSOFT)


def _caldav_form(
    request: Request,
    *,
    settings: Settings,
    subscription: Subscription,
    calendar: Calendar,
    form: CalDavForm | None = None,
    error: str | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    form = form or CalDavForm()
    path = _manage_path(settings, subscription)
    return render(
        request,
        "push_caldav.html",
        language=calendar.language,
        private=True,
        status_code=status_code,
        calendar=calendar,
        action=f"{path}/push/caldav",
        back=f"{path}/add",
        form_token=issue_form_token(settings.secret_key, purpose=CALDAV_PURPOSE, subject=subscription.id),
        provider=form.provider,
        server_url=form.server_url,
        username=form.username,
        error=error,
    )


@router.get("/manage/{subscription_id}/{token}/push/caldav", dependencies=[MANAGE_PAGE_LIMIT])
def caldav_form(request: Request, settings: SettingsDep, found: LinkedDep) -> HTMLResponse:
    """The CalDAV form: provider (or server URL), user name, app password."""
    if found is None or Provider.CALDAV not in service.offered(settings):
        return _unknown(request)
    subscription, calendar = found
    if not subscription.is_active:
        return _page(request, language=calendar.language, title="push_ended_title", text="push_ended_text")
    return _caldav_form(request, settings=settings, subscription=subscription, calendar=calendar)


@router.post("/manage/{subscription_id}/{token}/push/caldav", dependencies=[MANAGE_PAGE_LIMIT])
def connect_caldav(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    found: LinkedDep,
    form: Annotated[CalDavForm, Form()],
) -> HTMLResponse:
    """Check the account (PROPFIND) before anything is stored, then connect it; the first sync is on its way."""
    if found is None or Provider.CALDAV not in service.offered(settings):
        return _unknown(request)
    subscription, calendar = found
    language = calendar.language

    def again(error: str, status_code: int) -> HTMLResponse:
        return _caldav_form(
            request,
            settings=settings,
            subscription=subscription,
            calendar=calendar,
            form=form,
            error=error,
            status_code=status_code,
        )

    cross_site = is_cross_site(
        sec_fetch_site=request.headers.get("sec-fetch-site"),
        origin=request.headers.get("origin"),
        own_origins={settings.base_url, str(request.base_url)},
    )
    if cross_site:
        return again("error_form_foreign", 403)
    if read_form_token(settings.secret_key, form.form_token, purpose=CALDAV_PURPOSE, subject=subscription.id) is None:
        return again("error_form_expired", 400)
    if not subscription.is_active:
        return _page(request, language=language, title="push_ended_title", text="push_ended_text", status_code=409)
    try:
        server_url = check_destination(
            PRESETS.get(form.provider) or form.server_url,
            allow_private=settings.allow_private_destinations,
            what="CalDAV server",
        )
    except Invalid:
        return again("push_caldav_error_url", 422)
    username, password = form.username.strip()[:320], form.password.strip()
    if not username or not password or len(password) > 1024:
        return again("push_caldav_error_auth", 422)
    adapter = CalDavAdapter(settings)
    try:
        checked = adapter.discover(
            server_url,
            Credentials(credential=password, access_token=None, access_token_expires_at=None, username=username),
        )
    except GrantLost:
        return again("push_caldav_error_auth", 422)
    except PushFault:
        return again("push_caldav_error_server", 422)
    finally:
        adapter.close()
    service.connect(
        session=session, settings=settings, subscription=subscription, provider=Provider.CALDAV, credentials=checked
    )
    return _page(
        request,
        language=language,
        title="push_connected_title",
        text="push_connected_text",
        back=_manage_path(settings, subscription),
    )
