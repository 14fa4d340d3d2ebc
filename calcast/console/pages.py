"""The web console at /console: sign-in, the account's dashboard and people (DESIGN.md §3.4); calendars and
events live in console.calendars and console.events.

A front door like the API, the pages and the CLI: routes parse, check who asks (console.auth), call one
service function and render. Fixed paths (sign-in, password) are declared before `/console/{account_code}`.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from limits import RateLimitItem, RateLimitItemPerMinute
from pydantic import BaseModel

from calcast.analytics.periods import RANGES
from calcast.console import service
from calcast.console.auth import (
    SIGN_IN_PATH,
    SignedInDep,
    Viewer,
    check_form,
    clear_session_cookie,
    cross_site,
    message,
    page,
    safe_next,
    set_session_cookie,
)
from calcast.console.dashboard import FILTERS, dashboard, read_query
from calcast.core.config import Settings
from calcast.core.errors import Invalid, NotFound
from calcast.core.http import SessionDep, SettingsDep
from calcast.core.ratelimit import client_network, rate_limits
from calcast.core.security import digest
from calcast.web.forms import issue_form_token, read_form_token

router = APIRouter(prefix="/console", include_in_schema=False)

SIGN_IN_FORM = "console-sign-in"
PASSWORD_FORM = "console-password"  # noqa: S105 - the name of a form, not a password


class SignInForm(BaseModel):
    form_token: str = ""
    email: str = ""
    password: str = ""
    next: str = ""


class PasswordForm(BaseModel):
    form_token: str = ""
    password: str = ""
    password_again: str = ""


class CsrfForm(BaseModel):
    csrf_token: str = ""


# ---------------------------------------------------------------------------------------------- sign-in


def _sign_in_limits(settings: Settings) -> tuple[RateLimitItem, RateLimitItem]:
    """Failed sign-ins per e-mail address and per client network, in a window of 15 minutes."""
    allowed = settings.console_sign_in_failures
    return (
        RateLimitItemPerMinute(allowed, 15, namespace="console-sign-in-email"),
        RateLimitItemPerMinute(allowed, 15, namespace="console-sign-in-ip"),
    )


def _sign_in_page(
    request: Request, settings: Settings, *, next_path: str, email: str = "", error: str = "", status_code: int = 200
) -> HTMLResponse:
    return page(
        request,
        "console/sign_in.html",
        status_code=status_code,
        form_token=issue_form_token(settings.secret_key, purpose=SIGN_IN_FORM, subject="console"),
        next_path=next_path,
        email=email,
        error=error,
        signed_in=None,
    )


@router.get("/sign-in", response_class=HTMLResponse)
def sign_in_page(request: Request, settings: SettingsDep) -> HTMLResponse:
    return _sign_in_page(request, settings, next_path=safe_next(request.query_params.get("next")))


@router.post("/sign-in", response_class=HTMLResponse)
def sign_in(
    request: Request, session: SessionDep, settings: SettingsDep, form: Annotated[SignInForm, Form()]
) -> Response:
    """Check e-mail and password; on success a new session (a new token: no fixation) and its cookie."""
    next_path = safe_next(form.next)

    def again(error: str, status_code: int, headers: dict[str, str] | None = None) -> HTMLResponse:
        shown = _sign_in_page(
            request, settings, next_path=next_path, email=form.email, error=error, status_code=status_code
        )
        shown.headers.update(headers or {})
        return shown

    if cross_site(request, settings):
        return again("console_form_foreign", 403)
    if read_form_token(settings.secret_key, form.form_token, purpose=SIGN_IN_FORM, subject="console") is None:
        return again("console_form_expired", 400)
    limits = rate_limits(request)
    by_email, by_network = _sign_in_limits(settings)
    keys = ((by_email, digest(form.email.strip().lower())), (by_network, client_network(request)))
    if wait := max(limits.wait(limit, key) for limit, key in keys):
        return again("console_too_many", 429, {"Retry-After": str(wait)})
    user = service.authenticate(session=session, email=form.email, password=form.password)
    if user is None:
        for limit, key in keys:
            limits.hit(limit, key)
        return again("console_wrong_password", 401)
    token, _ = service.start_session(
        session=session,
        user=user,
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    response = RedirectResponse(next_path, status_code=303)
    set_session_cookie(response, settings, token)
    return response


@router.post("/sign-out")
def sign_out(
    request: Request, session: SessionDep, settings: SettingsDep, who: SignedInDep, form: Annotated[CsrfForm, Form()]
) -> Response:
    check_form(request, settings, who, form.csrf_token)
    service.end_session(session=session, token_digest=who.record.token_digest)
    response = RedirectResponse(SIGN_IN_PATH, status_code=303)
    clear_session_cookie(response, settings)
    return response


@router.post("/sign-out-everywhere")
def sign_out_everywhere(
    request: Request, session: SessionDep, settings: SettingsDep, who: SignedInDep, form: Annotated[CsrfForm, Form()]
) -> Response:
    """End every session of this person, in every browser (a lost laptop, a shared computer)."""
    check_form(request, settings, who, form.csrf_token)
    service.end_all_sessions(session=session, user=who.user)
    response = RedirectResponse(SIGN_IN_PATH, status_code=303)
    clear_session_cookie(response, settings)
    return response


# ---------------------------------------------------------------------------------------------- password link


def _password_page(
    request: Request, settings: Settings, *, email: str, error: str = "", status_code: int = 200
) -> HTMLResponse:
    return page(
        request,
        "console/password.html",
        status_code=status_code,
        form_token=issue_form_token(settings.secret_key, purpose=PASSWORD_FORM, subject=request.url.path),
        email=email,
        error=error,
        signed_in=None,
    )


@router.get("/password/{token}", response_class=HTMLResponse)
def password_page(request: Request, session: SessionDep, settings: SettingsDep, token: str) -> HTMLResponse:
    """The page the link of `calcast user create` opens: choose a password (opening it spends nothing)."""
    try:
        user = service.user_of_password_link(session=session, settings=settings, token=token)
    except Invalid:
        return message(request, status_code=404, text_key="console_link_spent")
    return _password_page(request, settings, email=user.email)


@router.post("/password/{token}", response_class=HTMLResponse)
def set_password(
    request: Request, session: SessionDep, settings: SettingsDep, token: str, form: Annotated[PasswordForm, Form()]
) -> Response:
    try:
        user = service.user_of_password_link(session=session, settings=settings, token=token)
    except Invalid:
        return message(request, status_code=404, text_key="console_link_spent")
    if cross_site(request, settings):
        return _password_page(request, settings, email=user.email, error="console_form_foreign", status_code=403)
    if read_form_token(settings.secret_key, form.form_token, purpose=PASSWORD_FORM, subject=request.url.path) is None:
        return _password_page(request, settings, email=user.email, error="console_form_expired", status_code=400)
    if form.password != form.password_again:
        return _password_page(request, settings, email=user.email, error="console_passwords_differ", status_code=422)
    try:
        service.set_password_with_link(session=session, settings=settings, token=token, password=form.password)
    except Invalid:
        return _password_page(request, settings, email=user.email, error="console_password_length", status_code=422)
    new_token, _ = service.start_session(
        session=session,
        user=user,
        ip_address=request.client.host if request.client else None,
        user_agent=request.headers.get("user-agent"),
    )
    response = RedirectResponse("/console", status_code=303)
    set_session_cookie(response, settings, new_token)
    return response


# ---------------------------------------------------------------------------------------------- accounts


@router.get("", response_class=HTMLResponse)
def accounts_page(request: Request, session: SessionDep, who: SignedInDep) -> HTMLResponse:
    """The accounts this person belongs to, with their role in each: where to switch between them."""
    return page(
        request,
        "console/accounts.html",
        signed_in=who,
        members=service.memberships(session=session, user=who.user),
        member=None,
    )


def account_frame(session: SessionDep, member: service.Member, who: service.SignedIn) -> dict[str, Any]:
    """What every account page's header shows: the account, the person, the accounts to switch to."""
    return {
        "member": member,
        "signed_in": who,
        "switch_to": [found.account for found in service.memberships(session=session, user=who.user)],
        "can_edit": service.allows(member.membership.role, service.Role.editor),
        "is_owner": service.allows(member.membership.role, service.Role.owner),
    }


@router.get("/{account_code}", response_class=HTMLResponse)
def dashboard_page(request: Request, session: SessionDep, who: SignedInDep, member: Viewer) -> HTMLResponse:
    """Tiles, charts and top lists for a range and filters, all GET parameters (docs/analytics.md)."""
    frame = account_frame(session, member, who)
    parameters = dict(request.query_params)
    try:
        query = read_query(parameters)
        shown = dashboard(session=session, account_code=member.account.code, query=query)
    except (Invalid, NotFound) as error:
        return page(
            request,
            "console/dashboard.html",
            status_code=404 if isinstance(error, NotFound) else 422,
            dashboard=None,
            error=error,
            ranges=RANGES,
            filters=FILTERS,
            asked=parameters,
            **frame,
        )
    return page(
        request,
        "console/dashboard.html",
        dashboard=shown,
        error="",
        ranges=RANGES,
        filters=FILTERS,
        asked=shown.query.parameters(),
        **frame,
    )
