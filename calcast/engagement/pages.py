"""GET/HEAD /r/{token}: a tracked link in a feed; redirects to the event's stored link and counts the click
(written with the others of the last second: `engagement.recorder`)."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse, Response

from calcast.core.errors import NotFound
from calcast.core.http import database
from calcast.engagement import service
from calcast.engagement.recorder import ClickRecorder
from calcast.web.i18n import language_from_header
from calcast.web.templating import render

router = APIRouter(tags=["engagement"])

# Every request is a click to count: never answered from a cache; the token stays out of Referer headers.
_HEADERS = {"Cache-Control": "no-store", "Referrer-Policy": "no-referrer"}


@router.get(
    "/r/{token}",
    response_class=Response,
    status_code=302,
    responses={
        302: {"description": "To the link stored with the event; the click is counted."},
        404: {"content": {"text/html": {}}, "description": "Not a link of calcast's, or the event's link changed."},
    },
    summary="A tracked event link in a feed",
)
def follow(token: str, request: Request) -> Response:
    """Redirect to the event's stored link (302) and count the click; 404 for a forged or outdated link.

    Only links stored with the event are ever followed: the token names one of them, never a URL.
    """
    db = database(request)
    try:
        with db.sessions() as session:
            followed = service.resolve(
                session=session,
                settings=db.settings,
                token=token,
                method=request.method,
                user_agent=request.headers.get("user-agent"),
            )
    except NotFound:
        return _gone(request)
    if followed.click is not None:
        recorder(request).add(followed.click)
    return Response(status_code=302, headers={"Location": followed.link, **_HEADERS})


def recorder(request: Request) -> ClickRecorder:
    """The process's click recorder (made with the app, running while it serves)."""
    found: ClickRecorder = request.app.state.clicks
    return found


def _gone(request: Request) -> HTMLResponse:
    language = language_from_header(request.headers.get("accept-language"))
    return render(
        request,
        "message.html",
        language=language,
        status_code=404,
        headers=_HEADERS,
        title_key="bad_link_title",
        text_key="bad_link_text",
    )


# HEAD (link scanners check links this way) answers like GET and is counted apart, as a bot.
router.add_api_route("/r/{token}", follow, methods=["HEAD"], include_in_schema=False)
