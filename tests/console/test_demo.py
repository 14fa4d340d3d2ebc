"""`calcast demo` makes a console owner whose printed password signs in; the start page links the console."""

from __future__ import annotations

import re

from fastapi.testclient import TestClient

from calcast.console import service
from calcast.core.db import Database
from calcast.demo import CONSOLE_OWNER, ensure_demo, instructions
from tests.console.test_sign_in import sign_in


def test_the_demo_prints_a_console_sign_in_that_works(client: TestClient, database: Database) -> None:
    with database.transaction() as session:
        setup = ensure_demo(session=session, settings=database.settings)
    with database.transaction() as session:
        again = ensure_demo(session=session, settings=database.settings)  # idempotent: the same password
        assert len(service.list_members(session=session, account_code="demo")) == 1
    assert again.console_password == setup.console_password
    printed = instructions(setup, "https://calcast.test")
    assert "https://calcast.test/console/sign-in" in printed
    assert f"e-mail    {CONSOLE_OWNER}" in printed
    assert f"password  {setup.console_password}" in printed
    assert sign_in(client, email=CONSOLE_OWNER, password=setup.console_password).status_code == 303
    dashboard = client.get("/console/demo")
    assert dashboard.status_code == 200
    # The demo's fan and the history's subscriptions that have not ended; the charts have 7 days of bars.
    active = setup.history.subscriptions - setup.history.ended + 1
    assert setup.history.subscriptions > 1000
    assert setup.history.polls > 0
    assert setup.history.clicks > 0
    assert f'data-metric="active" data-value="{active}"' in dashboard.text
    new_per_day = [int(value) for value in re.findall(r'class="bar-new"[^>]*data-value="(\d+)"', dashboard.text)]
    assert len(new_per_day) == 7
    assert all(count > 0 for count in new_per_day[:-1])  # every full day had new subscribers
    reminders = re.search(r'data-metric="reminders_sent" data-value="(\d+)"', dashboard.text)
    assert reminders is not None
    assert int(reminders.group(1)) > 0


def test_the_start_page_links_the_console(client: TestClient, database: Database) -> None:
    start = client.get("/")
    assert '<a href="/console">Sign in to the console</a>' in start.text
    assert client.get("/console", follow_redirects=True).url.path == "/console/sign-in"
