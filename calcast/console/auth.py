"""Who is asking: the session cookie, the role a route needs, and the checks every console form passes.

Routes declare what they need (`Annotated[Member, Depends(require(Role.editor))]`); a request that does not
have it ends here with a `Refusal`, which the application turns into its response (app.py): the sign-in page
for nobody, 404 for an account the person is not in (whether or not it exists), 403 for a role too low.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Annotated
from urllib.parse import quote

from fastapi import Depends, Request, Response
from fastapi.responses import HTMLResponse, RedirectResponse

from calcast.console import service
from calcast.console.service import Member, Role, SignedIn
from calcast.core.config import Settings
from calcast.core.http import SessionDep, SettingsDep, database
from calcast.core.security import digest
from calcast.web.forms import is_cross_site
from calcast.web.i18n import language_from_header
from calcast.web.templating import CONTENT_SECURITY_POLICY, Said, render

# The console is never framed (clickjacking), and its pages are nobody's referrer.
CONSOLE_HEADERS = {
    "Content-Security-Policy": f"{CONTENT_SECURITY_POLICY}; frame-ancestors 'none'",
    "X-Frame-Options": "DENY",
}
SIGN_IN_PATH = "/console/sign-in"


class Refusal(Exception):
    """A request the console answers without running the route: `response` says why."""

    def __init__(self, response: Response) -> None:
        super().__init__(response.status_code)
        self.response = response


async def refusal_handler(_request: Request, error: Exception) -> Response:
    assert isinstance(error, Refusal)
    return error.response


def cookie_name(settings: Settings) -> str:
    # `__Host-`: the browser keeps it only when Secure, host-only and Path=/ (no subdomain can set or shadow it).
    # Plain http in development cannot carry a Secure cookie, hence the plain name there.
    return "calcast_console" if settings.environment == "development" else "__Host-calcast_console"


def set_session_cookie(response: Response, settings: Settings, token: str) -> None:
    response.set_cookie(
        cookie_name(settings),
        token,
        max_age=settings.console_session_hours * 3600,
        path="/",
        secure=settings.environment != "development",
        httponly=True,
        samesite="lax",
    )


def clear_session_cookie(response: Response, settings: Settings) -> None:
    response.delete_cookie(
        cookie_name(settings),
        path="/",
        secure=settings.environment != "development",
        httponly=True,
        samesite="lax",
    )


def language(request: Request) -> str:
    return language_from_header(request.headers.get("accept-language"))


def page(request: Request, name: str, *, status_code: int = 200, **context: object) -> HTMLResponse:
    """A console page in the browser's language, never framed, never a referrer, never cached."""
    return render(
        request,
        name,
        language=language(request),
        status_code=status_code,
        private=True,
        headers=CONSOLE_HEADERS,
        **context,
    )


def message(
    request: Request, *, status_code: int, text_key: str, signed_in: SignedIn | None = None, detail: Said = ""
) -> HTMLResponse:
    """A page that only says why not (`text_key`), with the service's own sentence (`detail`) when there is one."""
    return page(
        request, "console/message.html", status_code=status_code, text_key=text_key, signed_in=signed_in, detail=detail
    )


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a console path of ours only (never another site: `//host`, `/\\host`)."""
    if target and (target == "/console" or target.startswith(("/console/", "/console?"))) and "\\" not in target:
        return target
    return "/console"


def to_sign_in(request: Request) -> RedirectResponse:
    wanted = request.url.path + (f"?{request.url.query}" if request.url.query else "")
    return RedirectResponse(f"{SIGN_IN_PATH}?next={quote(wanted, safe='/')}", status_code=302)


def cross_site(request: Request, settings: Settings) -> bool:
    return is_cross_site(
        sec_fetch_site=request.headers.get("sec-fetch-site"),
        origin=request.headers.get("origin"),
        own_origins={settings.base_url, str(request.base_url)},
    )


def signed_in(request: Request, session: SessionDep, settings: SettingsDep) -> SignedIn:
    """The person of this request's session cookie, or a redirect to the sign-in page."""
    token = request.cookies.get(cookie_name(settings))
    found = service.current_session(session=session, settings=settings, token=token)
    if found is None:
        redirect = to_sign_in(request)
        if token:
            # Expired or ended elsewhere: deleted now (the request's own transaction ends in this refusal), and
            # the browser is told to forget it.
            with database(request).transaction() as own:
                service.end_session(session=own, token_digest=digest(token))
            clear_session_cookie(redirect, settings)
        raise Refusal(redirect)
    return found


SignedInDep = Annotated[SignedIn, Depends(signed_in)]


def require(role: Role) -> Callable[..., Member]:
    """A dependency: the signed-in person's membership of the path's account, with at least `role`."""

    def member(request: Request, session: SessionDep, who: SignedInDep, account_code: str) -> Member:
        found = service.membership_in(session=session, user=who.user, account_code=account_code)
        if found is None:
            raise Refusal(message(request, status_code=404, text_key="console_no_account", signed_in=who))
        if not service.allows(found.membership.role, role):
            raise Refusal(message(request, status_code=403, text_key="console_role_too_low", signed_in=who))
        return found

    return member


def check_form(request: Request, settings: Settings, who: SignedIn, csrf_token: str) -> None:
    """A state-changing form must come from our own pages (Fetch Metadata) and carry the session's token."""
    if cross_site(request, settings):
        raise Refusal(message(request, status_code=403, text_key="console_form_foreign", signed_in=who))
    if not service.csrf_matches(who, csrf_token):
        raise Refusal(message(request, status_code=403, text_key="console_form_expired", signed_in=who))


Viewer = Annotated[Member, Depends(require(Role.viewer))]
Editor = Annotated[Member, Depends(require(Role.editor))]
Owner = Annotated[Member, Depends(require(Role.owner))]
