"""The start page at `/`: what a person opening calcast's address (the one `calcast serve` prints) lands on."""

from __future__ import annotations

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

from calcast.calendars import service as calendars
from calcast.core.errors import NotFound
from calcast.core.http import SessionDep
from calcast.web.templating import render

router = APIRouter(include_in_schema=False)

# The calendar `calcast demo` creates; its landing page is linked here once it exists.
DEMO_ACCOUNT = "demo"
DEMO_CALENDAR = "season"


@router.get("/", response_class=HTMLResponse)
def start_page(request: Request, session: SessionDep) -> HTMLResponse:
    """What calcast is, the demo's landing page when there is one, and the API documentation."""
    try:
        demo = calendars.get_calendar(session=session, account_code=DEMO_ACCOUNT, code=DEMO_CALENDAR)
    except NotFound:
        demo = None
    demo_path = f"/{DEMO_ACCOUNT}/{DEMO_CALENDAR}" if demo is not None else None
    return render(
        request,
        "start.html",
        language="en",
        demo_path=demo_path,
        demo_title=demo.title if demo is not None else None,
        console_path="/console",  # signed in: the person's accounts; otherwise the sign-in page
    )
