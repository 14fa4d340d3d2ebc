"""The push pages: connect a Google calendar (OAuth with PKCE and `state`) from the confirmation page.

Routes only parse, call a service and render. Reached from the confirmation page's choices (shown only when the
method is configured); the manage link's token proves the visitor holds the subscription.
"""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response

from calcast.calendars import service as calendars
from calcast.core.config import Settings
from calcast.core.errors import Invalid, NotFound
from calcast.core.http import SessionDep, SettingsDep
from calcast.core.ratelimit import MANAGE_PAGE_LIMIT
from calcast.core.security import derived_token
from calcast.push import service
from calcast.push.google import SCOPE, GoogleAdapter, authorization_url
from calcast.push.models import Provider
from calcast.push.providers import PushFault
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription
from calcast.web.forms import issue_form_token, read_form_token
from calcast.web.i18n import language_from_header
from calcast.web.templating import render

router = APIRouter(include_in_schema=False)
GOOGLE_CALLBACK = "/push/google/callback"
STATE_PURPOSE = "push-google"


def _redirect_uri(settings: Settings) -> str:
    """The redirect URI registered with Google (docs/push.md)."""
    return settings.base_url + GOOGLE_CALLBACK


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


@router.get("/manage/{subscription_id}/{token}/push/google", dependencies=[MANAGE_PAGE_LIMIT])
def start_google(
    request: Request, session: SessionDep, settings: SettingsDep, subscription_id: str, token: str
) -> Response:
    """Send the subscriber to Google's consent page for calcast's own calendar in their account."""
    try:
        subscription = subscriptions.by_manage_link(
            session=session, settings=settings, subscription_id=subscription_id, token=token
        )
    except NotFound:
        return _unknown(request)
    calendar = calendars.get_calendar_by_id(session=session, calendar_id=subscription.calendar_id)
    if Provider.GOOGLE not in service.offered(settings):
        return _unknown(request)
    if not subscription.is_active:
        return _page(request, language=calendar.language, title="push_ended_title", text="push_ended_text")
    state = f"{subscription.id}.{issue_form_token(settings.secret_key, purpose=STATE_PURPOSE, subject=subscription.id)}"
    target = authorization_url(
        settings, redirect_uri=_redirect_uri(settings), state=state, code_verifier=_code_verifier(settings, state)
    )
    return RedirectResponse(target, status_code=303, headers={"Referrer-Policy": "no-referrer"})


@router.get(GOOGLE_CALLBACK, response_class=HTMLResponse)
def google_callback(request: Request, session: SessionDep, settings: SettingsDep) -> HTMLResponse:
    """Google sends the subscriber back here: keep the grant, and the first sync is on its way."""
    query = request.query_params
    state = query.get("state", "")
    subscription_id, _, signed = state.partition(".")
    if read_form_token(settings.secret_key, signed, purpose=STATE_PURPOSE, subject=subscription_id) is None:
        return _unknown(request)
    try:
        subscription = subscriptions.get_subscription(session=session, subscription_id=subscription_id)
    except NotFound:
        return _unknown(request)
    calendar = calendars.get_calendar_by_id(session=session, calendar_id=subscription.calendar_id)
    language, back = calendar.language, _manage_path(settings, subscription) + "/add"
    if query.get("error") or not query.get("code"):
        return _page(request, language=language, title="push_declined_title", text="push_declined_text", back=back)
    adapter = GoogleAdapter(settings)
    try:
        credentials, scope = adapter.exchange_code(
            code=query["code"], redirect_uri=_redirect_uri(settings), code_verifier=_code_verifier(settings, state)
        )
    except PushFault:
        return _page(
            request, language=language, title="push_failed_title", text="push_failed_text", status_code=502, back=back
        )
    finally:
        adapter.close()
    if SCOPE not in scope.split():
        # Granular consent: the subscriber unticked the calendar permission.
        return _page(
            request, language=language, title="push_scope_title", text="push_scope_text", status_code=403, back=back
        )
    try:
        service.connect(
            session=session,
            settings=settings,
            subscription=subscription,
            provider=Provider.GOOGLE,
            credentials=credentials,
            granted_scope=scope,
        )
    except Invalid:
        return _page(request, language=language, title="push_ended_title", text="push_ended_text", status_code=409)
    return _page(
        request,
        language=language,
        title="push_connected_title",
        text="push_google_connected_text",
        back=_manage_path(settings, subscription),
    )
