"""The subscription pages: landing page, app choice, manage and unsubscribe.

Routes only parse, call the subscriptions service and render; every rule lives in the service.
Mounted last: `/{accountCode}/{calendarCode}` would otherwise shadow two-segment paths of other front doors.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated
from urllib.parse import urlencode, urlsplit

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session
from starlette.exceptions import HTTPException as StarletteHTTPException

from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.calendars.models import Calendar
from calcast.core.codes import RESERVED_ACCOUNT_CODES
from calcast.core.config import Settings
from calcast.core.errors import Conflict, Invalid, NotFound
from calcast.core.http import PageAnswer, SessionDep, SettingsDep
from calcast.core.ratelimit import MANAGE_PAGE_LIMIT, client_network, rate_limits
from calcast.subscriptions import geoip
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.apps import METHOD_OF, app_links, app_order, likely_app
from calcast.subscriptions.capture import capture
from calcast.subscriptions.models import Subscription
from calcast.web.forms import FormToken, is_cross_site, issue_form_token, read_form_token
from calcast.web.i18n import UNSUBSCRIBE_REASONS, language_from_header
from calcast.web.templating import render

router = APIRouter(include_in_schema=False)

UTM_FIELDS = ("utm_source", "utm_medium", "utm_campaign", "utm_content")
# Kept from the landing page's query through the form to the subscription (`sig`: the brand's signature of
# `external_id`, which decides whether that id identifies the subscriber; see subscriptions.service).
CARRIED_FIELDS = ("external_id", "sig", *UTM_FIELDS, "referrer")


class SubscribeForm(BaseModel):
    form_token: str = ""
    tags: list[str] = Field(default_factory=list)
    email: str = ""
    opt_in1: str = ""
    opt_in2: str = ""
    external_id: str = ""
    sig: str = ""
    utm_source: str = ""
    utm_medium: str = ""
    utm_campaign: str = ""
    utm_content: str = ""
    referrer: str = ""


class TagsForm(BaseModel):
    form_token: str = ""
    tags: list[str] = Field(default_factory=list)


class UnsubscribeForm(BaseModel):
    form_token: str = ""
    reason: str = ""
    reason_text: str = ""


class MethodForm(BaseModel):
    form_token: str = ""
    app: str = ""


# ---------------------------------------------------------------------------------------------- helpers


def _embedded(request: Request) -> bool:
    return request.query_params.get("embed") == "1"


def _client_ip(request: Request) -> str | None:
    return request.client.host if request.client else None


def _cross_site(request: Request, settings: Settings) -> bool:
    return is_cross_site(
        sec_fetch_site=request.headers.get("sec-fetch-site"),
        origin=request.headers.get("origin"),
        own_origins={settings.base_url, str(request.base_url)},
    )


def _country_code(request: Request, settings: Settings, ip: str | None) -> str | None:
    """From the configured header (a CDN's CF-IPCountry…), else the GeoIP database when there is one."""
    if settings.country_header:
        code = request.headers.get(settings.country_header)
        if code:
            return code
    return geoip.country_code(settings.geoip_database, ip)


def _path(url: str) -> str:
    """A URL of ours as a path, for redirects that work whatever host name the request used."""
    parts = urlsplit(url)
    return parts.path + (f"?{parts.query}" if parts.query else "")


def _message_page(request: Request, *, language: str, title: str, text: str, status_code: int) -> HTMLResponse:
    return render(request, "message.html", language=language, status_code=status_code, title_key=title, text_key=text)


def _not_found(request: Request, account_code: str = "") -> HTMLResponse:
    """The 404 page; under a reserved first segment (v1, oauth2, webcal…) the API's JSON 404 instead."""
    if account_code in RESERVED_ACCOUNT_CODES:
        raise StarletteHTTPException(404)
    language = language_from_header(request.headers.get("accept-language"))
    return _message_page(request, language=language, title="not_found_title", text="not_found_text", status_code=404)


def _bad_link(request: Request) -> HTMLResponse:
    language = language_from_header(request.headers.get("accept-language"))
    return _message_page(request, language=language, title="bad_link_title", text="bad_link_text", status_code=404)


def _preselected(calendar: Calendar, requested: list[str]) -> set[str]:
    """Tag ids chosen by the `tags` query (names, repeated or comma-separated), else the default tags."""
    wanted = {name.strip().casefold() for value in requested for name in value.split(",") if name.strip()}
    chosen = {tag.id for tag in calendar.tags if tag.name.casefold() in wanted or tag.id in wanted}
    return chosen or {tag.id for tag in calendar.tags if tag.is_default}


def _landing(
    request: Request,
    *,
    settings: Settings,
    calendar: Calendar,
    account_code: str,
    carried: dict[str, str],
    chosen: set[str],
    email: str = "",
    opt_in1: bool = False,
    opt_in2: bool = False,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    return render(
        request,
        "landing.html",
        language=calendar.language,
        status_code=status_code,
        calendar=calendar,
        action=f"/{account_code}/{calendar.code}" + ("?embed=1" if _embedded(request) else ""),
        form_token=issue_form_token(settings.secret_key, purpose="subscribe", subject=calendar.id),
        carried=carried,
        chosen=chosen,
        email=email,
        opt_in1=opt_in1,
        opt_in2=opt_in2,
        errors=errors or {},
    )


def _field_errors(error: Invalid, form: SubscribeForm) -> dict[str, str]:
    """The service's errors as text keys per field, so the page can say them in the calendar's language."""
    found: dict[str, str] = {}
    for field_error in error.errors or []:
        if field_error.field == "email":
            found["email"] = "error_email_invalid" if form.email.strip() else "error_email_required"
        elif field_error.field == "tags":
            found["tags"] = "error_tags"
    return found or {"form": "error_invalid"}


def _manage_path(settings: Settings, subscription: Subscription, suffix: str = "") -> str:
    return _path(subscriptions.manage_url(settings, subscription)) + suffix


@dataclass(frozen=True)
class Linked:
    """The subscription a manage link names, with its calendar."""

    subscription: Subscription
    calendar: Calendar


def linked_subscription(
    request: Request, session: SessionDep, settings: SettingsDep, subscription_id: str, token: str
) -> Linked:
    """The manage pages' dependency: the linked subscription, or the bad-link page for a link that is not genuine."""
    try:
        subscription = subscriptions.by_manage_link(
            session=session, settings=settings, subscription_id=subscription_id, token=token
        )
    except NotFound:
        raise PageAnswer(_bad_link(request)) from None
    return Linked(subscription, calendars.get_calendar_by_id(session=session, calendar_id=subscription.calendar_id))


LinkedDep = Annotated[Linked, Depends(linked_subscription)]


@dataclass(frozen=True)
class FormProblem(Exception):
    """A form that was not sent from our own page, or whose token expired: the message key and the status."""

    key: str
    status_code: int


def genuine_form(request: Request, settings: Settings, form_token: str, *, purpose: str, subject: str) -> FormToken:
    """The form's token when the form is ours and fresh; FormProblem otherwise (every form of these pages)."""
    if _cross_site(request, settings):
        raise FormProblem("error_form_foreign", 403)
    token = read_form_token(settings.secret_key, form_token, purpose=purpose, subject=subject)
    if token is None:
        raise FormProblem("error_form_expired", 400)
    return token


def _landing_path(session: Session, calendar: Calendar) -> str:
    account = accounts.get_account_by_id(session=session, account_id=calendar.account_id)
    return f"/{account.code}/{calendar.code}"


# ---------------------------------------------------------------------------------------------- manage pages
# Declared before the landing page so that their fixed first segment is matched first.


@router.get("/manage/{subscription_id}/{token}/add", response_class=HTMLResponse, dependencies=[MANAGE_PAGE_LIMIT])
def app_choice(request: Request, session: SessionDep, settings: SettingsDep, linked: LinkedDep) -> HTMLResponse:
    """The confirmation page: one big button per calendar app, the most likely first, and the copyable URL."""
    subscription, calendar = linked.subscription, linked.calendar
    https_url = subscriptions.feed_url(settings, subscription)
    links = app_links(
        https_url=https_url, webcal_url=subscriptions.webcal_url(settings, subscription), name=calendar.title
    )
    return render(
        request,
        "added.html",
        language=calendar.language,
        private=True,
        calendar=calendar,
        subscription=subscription,
        again=request.query_params.get("again") == "1",
        apps=[links[app] for app in app_order(request.headers.get("user-agent"))],
        detected=likely_app(request.headers.get("user-agent")) is not None,
        https_url=https_url,
        manage_path=_manage_path(settings, subscription),
        method_path=_manage_path(settings, subscription, "/method"),
        # Push methods (calcast.push serves these paths): only those whose settings are there.
        push_choices=[(name, _manage_path(settings, subscription, f"/push/{name}")) for name in settings.push_methods],
        landing_path=_landing_path(session, calendar),
        form_token=issue_form_token(settings.secret_key, purpose="method", subject=subscription.id),
    )


@router.post("/manage/{subscription_id}/{token}/method", dependencies=[MANAGE_PAGE_LIMIT])
def record_method(
    request: Request, session: SessionDep, settings: SettingsDep, linked: LinkedDep, form: Annotated[MethodForm, Form()]
) -> Response:
    """Beacon sent when an app button is clicked: records the subscription method (Google, Microsoft, WebCal)."""
    try:
        genuine_form(request, settings, form.form_token, purpose="method", subject=linked.subscription.id)
    except FormProblem:
        return Response(status_code=403)
    if form.app not in METHOD_OF:
        return Response(status_code=422)
    subscriptions.set_method(session=session, subscription=linked.subscription, method=METHOD_OF[form.app])
    return Response(status_code=204)


@router.get("/manage/{subscription_id}/{token}", response_class=HTMLResponse, dependencies=[MANAGE_PAGE_LIMIT])
def manage(request: Request, session: SessionDep, settings: SettingsDep, linked: LinkedDep) -> HTMLResponse:
    """Change topics or unsubscribe; reached from the link in every event of the feed."""
    return _manage_page(request, session=session, settings=settings, linked=linked)


def _manage_page(
    request: Request,
    *,
    session: Session,
    settings: Settings,
    linked: Linked,
    errors: dict[str, str] | None = None,
    status_code: int = 200,
) -> HTMLResponse:
    subscription, calendar = linked.subscription, linked.calendar
    return render(
        request,
        "manage.html",
        language=calendar.language,
        private=True,
        status_code=status_code,
        calendar=calendar,
        subscription=subscription,
        chosen={tag.id for tag in subscription.tags},
        saved=request.query_params.get("saved", ""),
        manage_path=_manage_path(settings, subscription),
        landing_path=_landing_path(session, calendar),
        reasons=UNSUBSCRIBE_REASONS,
        errors=errors or {},
        form_token=issue_form_token(settings.secret_key, purpose="manage", subject=subscription.id),
    )


@router.post("/manage/{subscription_id}/{token}/tags", response_class=HTMLResponse, dependencies=[MANAGE_PAGE_LIMIT])
def save_tags(
    request: Request, session: SessionDep, settings: SettingsDep, linked: LinkedDep, form: Annotated[TagsForm, Form()]
) -> Response:
    subscription = linked.subscription
    try:
        genuine_form(request, settings, form.form_token, purpose="manage", subject=subscription.id)
        subscriptions.change_tags(session=session, subscription=subscription, tags=form.tags)
    except FormProblem as problem:
        return _manage_page(
            request,
            session=session,
            settings=settings,
            linked=linked,
            errors={"tags": problem.key},
            status_code=problem.status_code if problem.status_code == 403 else 422,
        )
    except Conflict:  # the subscription has ended: the page says so
        return _manage_page(request, session=session, settings=settings, linked=linked, status_code=409)
    except Invalid:
        errors = {"tags": "error_tags"}
        return _manage_page(request, session=session, settings=settings, linked=linked, errors=errors, status_code=422)
    return RedirectResponse(_manage_path(settings, subscription, "?saved=tags"), status_code=303)


@router.post(
    "/manage/{subscription_id}/{token}/unsubscribe", response_class=HTMLResponse, dependencies=[MANAGE_PAGE_LIMIT]
)
def unsubscribe(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    linked: LinkedDep,
    form: Annotated[UnsubscribeForm, Form()],
) -> Response:
    subscription = linked.subscription
    try:
        genuine_form(request, settings, form.form_token, purpose="manage", subject=subscription.id)
    except FormProblem as problem:
        errors = {"unsubscribe": problem.key}
        return _manage_page(
            request, session=session, settings=settings, linked=linked, errors=errors, status_code=problem.status_code
        )
    subscriptions.deactivate(
        session=session,
        subscription=subscription,
        reason_id=form.reason if form.reason in UNSUBSCRIBE_REASONS else None,
        reason_text=form.reason_text,
    )
    return RedirectResponse(_manage_path(settings, subscription, "?saved=unsubscribed"), status_code=303)


# ---------------------------------------------------------------------------------------------- landing page


@router.get("/{account_code}/{calendar_code}", response_class=HTMLResponse)
def landing(
    request: Request, session: SessionDep, settings: SettingsDep, account_code: str, calendar_code: str
) -> HTMLResponse:
    """The calendar's landing page: topics, e-mail when captured, opt-ins, one button."""
    try:
        calendar = calendars.get_calendar(session=session, account_code=account_code, code=calendar_code)
    except NotFound:
        return _not_found(request, account_code)
    query = request.query_params
    carried = {name: query.get(name, "") for name in CARRIED_FIELDS}
    carried["referrer"] = request.headers.get("referer", "")
    return _landing(
        request,
        settings=settings,
        calendar=calendar,
        account_code=account_code,
        carried=carried,
        chosen=_preselected(calendar, query.getlist("tags")),
        email=query.get("email", ""),
    )


@router.post("/{account_code}/{calendar_code}", response_class=HTMLResponse)
def subscribe(
    request: Request,
    session: SessionDep,
    settings: SettingsDep,
    account_code: str,
    calendar_code: str,
    form: Annotated[SubscribeForm, Form()],
) -> Response:
    """Store a new subscription (a form sent twice: the one it created), then send the browser to the app choice."""
    try:
        calendar = calendars.get_calendar(session=session, account_code=account_code, code=calendar_code)
    except NotFound:
        return _not_found(request, account_code)
    ip = _client_ip(request)
    carried = {name: getattr(form, name) for name in CARRIED_FIELDS}

    def again(errors: dict[str, str], status_code: int, headers: dict[str, str] | None = None) -> HTMLResponse:
        page = _landing(
            request,
            settings=settings,
            calendar=calendar,
            account_code=account_code,
            carried=carried,
            chosen={tag.id for tag in calendar.tags if tag.name in form.tags or tag.id in form.tags},
            email=form.email,
            opt_in1=bool(form.opt_in1),
            opt_in2=bool(form.opt_in2),
            errors=errors,
            status_code=status_code,
        )
        page.headers.update(headers or {})
        return page

    try:
        token = genuine_form(request, settings, form.form_token, purpose="subscribe", subject=calendar.id)
    except FormProblem as problem:
        return again({"form": problem.key}, problem.status_code)
    limits = rate_limits(request)
    if wait := limits.hit(limits.subscribe, client_network(request)):
        return again({"form": "too_many_text"}, 429, {"Retry-After": str(wait)})
    details = subscriptions.SubscriberDetails(
        email=form.email,
        tags=form.tags,
        opt_in1=bool(form.opt_in1),
        opt_in2=bool(form.opt_in2),
        method="WebCal",
        action_type="SubscriptionViaCalendarPage",
        request_key=f"form:{token.nonce}",
        capture=capture(
            user_agent=request.headers.get("user-agent"),
            ip_address=ip,
            country_code=_country_code(request, settings, ip),
            referrer=form.referrer or None,
            utm_source=form.utm_source,
            utm_medium=form.utm_medium,
            utm_campaign=form.utm_campaign,
            utm_content=form.utm_content,
            keep_full_ip=settings.keep_full_ip,
        ),
    )
    try:
        done = subscriptions.subscribe_anonymously(
            session=session,
            settings=settings,
            account_code=account_code,
            calendar_code=calendar_code,
            details=details,
            identity=subscriptions.LandingIdentity(external_id=form.external_id, signature=form.sig),
        )
    except Invalid as error:
        return again(_field_errors(error, form), 422)
    flags = {name: "1" for name, on in (("again", not done.is_new), ("embed", _embedded(request))) if on}
    target = _manage_path(settings, done.subscription, "/add") + (f"?{urlencode(flags)}" if flags else "")
    return RedirectResponse(target, status_code=303)
