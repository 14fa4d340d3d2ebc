"""`calcast demo` makes a console owner whose printed password signs in; the start page links the console."""

from __future__ import annotations

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
    assert 'data-metric="active" data-value="1"' in dashboard.text  # the demo's fan


def test_the_start_page_links_the_console(client: TestClient, database: Database) -> None:
    start = client.get("/")
    assert '<a href="/console">Sign in to the console</a>' in start.text
    assert client.get("/console", follow_redirects=True).url.path == "/console/sign-in"
