"""Server-rendered pages: the Jinja2 templates, the static files, and the headers every page carries."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from fastapi.staticfiles import StaticFiles
from fastapi.templating import Jinja2Templates

from calcast.core.errors import DomainError
from calcast.web.i18n import said, texts

WEB = Path(__file__).resolve().parent

# Text a page shows: a sentence, or a service's error that `render` puts in the page's language.
Said = str | DomainError
templates = Jinja2Templates(directory=WEB / "templates")

# No inline script or style; images may come from the brand's own host. Pages may be framed (the lightbox).
CONTENT_SECURITY_POLICY = (
    "default-src 'self'; img-src 'self' https: data:; style-src 'self'; script-src 'self'; "
    "form-action 'self'; base-uri 'none'; object-src 'none'"
)


def static_files() -> StaticFiles:
    """`/static`: the page styles and scripts, and the embeddable button script."""
    return StaticFiles(directory=WEB / "static")


def render(
    request: Request,
    name: str,
    *,
    language: str,
    status_code: int = 200,
    private: bool = False,
    headers: Mapping[str, str] | None = None,
    **context: Any,
) -> HTMLResponse:
    """A page in the given language. `private` pages hold a secret link: never sent as referrer.

    A service's error (core.errors.DomainError) among the values is shown as its sentence in that language."""
    # `?embed=1`: shown inside the button's lightbox, without the page background.
    embedded = request.query_params.get("embed") == "1"
    shown = {key: said(value, language) if isinstance(value, DomainError) else value for key, value in context.items()}
    response = templates.TemplateResponse(
        request,
        name,
        {"t": texts(language), "lang": language, "embedded": embedded, **shown},
        status_code=status_code,
    )
    response.headers["Content-Security-Policy"] = CONTENT_SECURITY_POLICY
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Referrer-Policy"] = "same-origin" if private else "strict-origin-when-cross-origin"
    # Never stored: each rendering carries its own form token (a shared cache would hand one to many people).
    response.headers["Cache-Control"] = "no-store"
    response.headers.update(headers or {})
    return response
