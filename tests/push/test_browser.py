"""The Google push walk in Chromium: confirmation page → the stand-in's consent page → back to calcast → the
subscriber's event is in the calendar calcast made in their (stand-in) Google account."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
import uvicorn

from calcast import assembly
from calcast.app import create_app
from calcast.core.db import Database, utcnow
from calcast.events import service as events
from calcast.subscriptions import service as subscriptions
from tests.conftest import Persona, make_settings
from tests.push.conftest import drain
from tests.support import braze_sync
from tests.support.braze_sync import FAST
from tests.support.google_standin import CLIENT_ID, CLIENT_SECRET, GoogleStandIn
from tests.web.conftest import LiveServer, _free_socket, browser  # noqa: F401 - the fixture used below

pytestmark = [pytest.mark.browser, pytest.mark.slow]


@pytest.fixture
def push_server(database: Database, google: GoogleStandIn) -> Iterator[LiveServer]:
    """calcast under uvicorn on loopback, offering Google by push through the stand-in."""
    sock = _free_socket()
    base_url = f"http://127.0.0.1:{sock.getsockname()[1]}"
    settings = make_settings(
        database.settings.database_url,
        base_url=base_url,
        google_client_id=CLIENT_ID,
        google_client_secret=CLIENT_SECRET,
        google_auth_url=f"{google.url}/o/oauth2/v2/auth",
        google_token_url=f"{google.url}/token",
        google_revoke_url=f"{google.url}/revoke",
        google_api_url=f"{google.url}/calendar/v3",
        **FAST,
    )
    db = assembly.database(settings)
    server = uvicorn.Server(uvicorn.Config(create_app(db.settings, db), log_level="warning", lifespan="on"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started:
        assert time.monotonic() < deadline, "the test server did not start within 10 seconds"
        time.sleep(0.02)
    yield LiveServer(base_url=base_url, database=db)
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()
    db.dispose()


def test_a_subscriber_connects_google_in_the_browser_and_finds_the_event_in_the_new_calendar(
    push_server: LiveServer,
    owner: Persona,
    google: GoogleStandIn,
    browser: Any,  # noqa: F811 - the fixture imported above
) -> None:
    database = push_server.database
    subscription = braze_sync.subscribe(database, subscriber_id="ext-9", tags=["Team I"]).subscription
    manage = subscriptions.manage_url(database.settings, subscription)
    context = browser.new_context()
    page = context.new_page()
    page.goto(manage + "/add")
    page.get_by_role("link", name="Google Calendar, directly").click()
    page.wait_for_url(f"{google.url}/**")
    assert "calcast wants to access your Google Account" in page.content()
    page.get_by_role("button", name="Allow").click()
    page.wait_for_url(f"{push_server.base_url}/push/google/callback**")
    assert page.get_by_role("heading", name="Your calendar is connected").is_visible()
    context.close()

    with database.transaction() as session:
        events.push_event(
            session=session,
            account_id=subscription.account_id,
            event=events.PersonalEventInput(
                event_id="cup-final-ext-9",
                title="Cup final: your seat",
                start=(utcnow() + timedelta(days=3)).isoformat(),
                end=(utcnow() + timedelta(days=3, hours=2)).isoformat(),
                timezone="Europe/London",
                notify_before=60,
            ),
            subscription_ids=[subscription.id],
        )
    drain(database)
    [calendar] = google.calendars.values()
    assert [event["summary"] for event in calendar.events.values()] == ["Cup final: your seat"]
