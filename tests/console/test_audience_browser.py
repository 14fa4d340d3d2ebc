"""In Debian's Chromium: upload an audience, read the match report, define and send the event (the targeted
feeds have it, the others not); the subscriber list, a record and the CSV export. axe-core on every new page,
at desktop width and at 390 px."""

from __future__ import annotations

import csv
from pathlib import Path
from typing import Any

import httpx
import pytest

from calcast.console import service
from tests.conftest import Persona
from tests.console.conftest import PASSWORD
from tests.console.test_browser import page, serious_violations  # noqa: F401 - the page fixture
from tests.support.braze_sync import drain, subscribe
from tests.web.conftest import LiveServer, artifacts, browser, live_server  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.slow]


def check_both_widths(page: Any, artifacts: Path, name: str) -> None:  # noqa: F811 - the page fixture's value
    """No serious axe violation at desktop width and at 390 px; a screenshot of each."""
    assert serious_violations(page) == [], name
    page.screenshot(path=str(artifacts / f"console-{name}.png"), full_page=True)
    page.set_viewport_size({"width": 390, "height": 844})
    assert serious_violations(page) == [], f"{name} at 390 px"
    page.screenshot(path=str(artifacts / f"console-{name}-390.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def test_an_editor_sends_an_event_to_an_uploaded_audience_and_exports_the_subscribers(
    live_server: LiveServer,  # noqa: F811 - the shared server fixture
    owner: Persona,
    page: Any,  # noqa: F811 - the page fixture
    artifacts: Path,  # noqa: F811 - the shared artifacts fixture
    tmp_path: Path,
) -> None:
    database = live_server.database
    with database.transaction() as session:
        service.add_member(
            session=session, email="ed@example.com", account_code="owner", role="editor", password=PASSWORD
        )
    people = {
        name: subscribe(database, subscriber_id=f"ext-{name}", email=f"{name}@example.com")
        for name in ("ann", "bob", "cid")
    }
    audience_file = tmp_path / "spring-audience.csv"
    audience_file.write_text("name,email\nAnn,ann@example.com\nBob,BOB@example.com\nZed,zed@example.com\n")

    page.goto(f"{live_server.base_url}/console/owner/audiences")
    page.get_by_label("E-mail address").fill("ed@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.base_url}/console/owner/audiences")
    check_both_widths(page, artifacts, "audiences")

    page.get_by_label("CSV file").set_input_files(str(audience_file))
    page.get_by_role("button", name="Upload").click()
    page.wait_for_url("**/console/owner/audiences/*")
    assert page.get_by_role("option", name="Column 2: email").count() == 1
    check_both_widths(page, artifacts, "audience-column")
    page.get_by_label("Column", exact=True).select_option(label="Column 2: email")
    page.get_by_label("E-mail addresses").check()
    page.get_by_role("button", name="Match the file").click()
    page.wait_for_url("**#report")
    assert page.locator('[data-report="matched"] .count').inner_text() == "2"
    assert page.locator('[data-report="unknown"] .count').inner_text() == "1"
    assert "zed@example.com" in page.locator('[data-report="unknown"]').inner_text()
    check_both_widths(page, artifacts, "audience-report")

    page.get_by_label("Title").fill("Spring sale opens")
    page.get_by_label("Start").fill("2030-03-01T09:00")
    page.get_by_label("Time zone").fill("Europe/Berlin")
    page.get_by_role("button", name="Check the event").click()
    page.wait_for_url("**#confirm")
    send = page.get_by_role("button", name="Send to 2 subscriptions")
    check_both_widths(page, artifacts, "audience-confirm")
    send.click()
    assert page.locator("[data-status]").inner_text() == "Sending"
    assert page.locator('meta[http-equiv="refresh"]').count() == 1
    drain(database)
    page.wait_for_function("document.querySelector('[data-status]').dataset.status === 'sent'", timeout=10_000)
    assert "2 of 2 subscriptions done; the event was added to 2 feeds." in page.get_by_role("status").inner_text()
    check_both_widths(page, artifacts, "audience-sent")
    for name, targeted in (("ann", True), ("bob", True), ("cid", False)):
        feed = httpx.get(f"{live_server.base_url}/webcal/{people[name].feed_token}")
        assert ("Spring sale opens" in feed.text) is targeted, name

    page.get_by_role("link", name="Subscribers").click()
    page.wait_for_url("**/console/owner/subscribers")
    assert page.locator("table.subscribers tbody tr").count() == 3
    check_both_widths(page, artifacts, "subscribers")
    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these subscribers as CSV").click()
    exported = tmp_path / "subscribers.csv"
    download_info.value.save_as(exported)
    with exported.open(newline="", encoding="utf-8") as file:
        rows = list(csv.DictReader(file))
    assert sorted(row["email"] for row in rows) == ["ann@example.com", "bob@example.com", "cid@example.com"]

    page.get_by_role("link", name="ann@example.com").click()
    page.wait_for_url(f"**/console/owner/subscribers/{people['ann'].subscription.id}")
    assert "Spring sale opens" in page.locator(".personal-events").inner_text()
    check_both_widths(page, artifacts, "subscriber")
