"""In Debian's Chromium: sign in, read the dashboard, create a calendar; axe-core finds no serious violations."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from calcast.calendars import service as calendars
from calcast.console import service
from tests.conftest import Persona
from tests.console.conftest import PASSWORD
from tests.web.conftest import LiveServer, artifacts, browser, live_server  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.slow]

AXE = Path(__file__).parent / "vendor" / "axe.min.js"


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:  # noqa: F811 - the shared browser fixture
    # axe-core is evaluated into the page; the console's CSP (script-src 'self') would refuse it otherwise.
    context = browser.new_context(viewport={"width": 1280, "height": 900}, bypass_csp=True)
    yield context.new_page()
    context.close()


def serious_violations(page: Any) -> list[str]:
    page.evaluate(AXE.read_text(encoding="utf-8"))
    results = page.evaluate("async () => await axe.run(document, {resultTypes: ['violations']})")
    return [
        f"{violation['id']}: {violation['help']} ({len(violation['nodes'])} nodes)"
        for violation in results["violations"]
        if violation["impact"] in ("serious", "critical")
    ]


def test_an_editor_signs_in_reads_the_dashboard_and_creates_a_calendar(
    live_server: LiveServer,  # noqa: F811 - the shared server fixture
    owner: Persona,
    page: Any,
    artifacts: Path,  # noqa: F811 - the shared artifacts fixture
) -> None:
    with live_server.database.transaction() as session:
        service.add_member(
            session=session, email="ed@example.com", account_code="owner", role="editor", password=PASSWORD
        )
    page.goto(f"{live_server.base_url}/console/owner")
    assert page.url.endswith("/console/sign-in?next=/console/owner")
    assert serious_violations(page) == []
    page.get_by_label("E-mail address").fill("ed@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{live_server.base_url}/console/owner")
    assert page.locator(".tile").count() == 6
    chart = page.get_by_role("img", name="New subscribers and unsubscribes per day")
    assert chart.get_attribute("data-points") == "7"  # the last 7 UTC days, today included
    assert page.get_by_role("img", name="Active subscribers at the end of each day").get_attribute("data-points") == "7"
    page.get_by_text("Show the numbers as a table").nth(1).click()
    assert page.locator(".chart-table").nth(1).locator("tbody tr").count() == 7
    assert serious_violations(page) == []
    # The range and filters are a plain GET form: choosing and applying gives the view's shareable address.
    page.get_by_role("combobox", name="Period").select_option("30d")
    page.get_by_role("button", name="Apply").click()
    page.wait_for_url("**/console/owner?range=30d**")
    assert page.get_by_role("img", name="New subscribers and unsubscribes per day").get_attribute("data-points") == "30"
    page.screenshot(path=str(artifacts / "console-dashboard.png"), full_page=True)

    page.get_by_role("link", name="Calendars").click()
    page.get_by_label("Title").fill("Spring Season")
    page.get_by_label("Code").fill("spring")
    page.get_by_label("Tags").fill("All Teams\nTeam Red")
    page.get_by_role("button", name="Create calendar").click()
    page.wait_for_url("**/console/owner/calendars?created=spring")
    assert page.get_by_role("status").inner_text() == "The calendar spring is created."
    assert page.locator('tr[data-code="spring"]').inner_text().startswith("spring\tSpring Season\tAll Teams, Team Red")
    assert serious_violations(page) == []
    page.screenshot(path=str(artifacts / "console-calendars.png"), full_page=True)
    with live_server.database.sessions() as session:
        created = calendars.get_calendar(session=session, account_code="owner", code="spring")
        assert [tag.name for tag in created.tags] == ["All Teams", "Team Red"]
