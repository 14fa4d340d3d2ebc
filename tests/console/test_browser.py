"""In Debian's Chromium: sign in, read the dashboard, create a calendar; axe-core finds no serious violations."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from icalendar import Calendar

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


def check_page(page: Any, folder: Path, name: str) -> None:
    """No serious axe violation at desktop and at phone width (390 px); a screenshot of each."""
    for width, height in ((1280, 900), (390, 844)):
        page.set_viewport_size({"width": width, "height": height})
        assert serious_violations(page) == [], (name, width)
        page.screenshot(path=str(folder / f"console-{name}-{width}.png"), full_page=True)
    page.set_viewport_size({"width": 1280, "height": 900})


def tag_order(page: Any) -> list[str]:
    return [
        str(name) for name in page.locator("li[data-tag-id]").evaluate_all("els => els.map(e => e.dataset.tagName)")
    ]


def test_an_editor_sets_up_a_calendar_and_an_event_and_a_visitor_gets_it_in_their_feed(
    live_server: LiveServer,  # noqa: F811 - the shared server fixture
    owner: Persona,
    browser: Any,  # noqa: F811 - the shared browser fixture
    page: Any,
    artifacts: Path,  # noqa: F811 - the shared artifacts fixture
) -> None:
    with live_server.database.transaction() as session:
        service.add_member(
            session=session, email="ed@example.com", account_code="owner", role="editor", password=PASSWORD
        )
    base = live_server.base_url
    page.goto(f"{base}/console/owner/calendars")
    page.get_by_label("E-mail address").fill("ed@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console/owner/calendars")

    # A calendar with two tags.
    page.get_by_label("Title").fill("Spring Season")
    page.get_by_label("Code").fill("spring")
    page.get_by_label("Tags").fill("Team Red\nTeam Blue")
    page.get_by_role("button", name="Create calendar").click()
    page.wait_for_url("**/console/owner/calendars?created=spring")
    check_page(page, artifacts, "calendars")
    page.locator('tr[data-code="spring"] a').first.click()
    page.wait_for_url(f"{base}/console/owner/calendars/spring")
    assert tag_order(page) == ["Team Red", "Team Blue"]
    check_page(page, artifacts, "calendar")

    # Settings; tags reordered by a button (no script needed) and back by drag and drop.
    page.get_by_label("Subscription title").fill("Spring Season: every match")
    page.get_by_label("E-mail address on the landing page").select_option("optional")
    page.get_by_role("button", name="Save settings").click()
    page.wait_for_url("**/calendars/spring?saved=settings#settings")
    assert page.get_by_role("status").inner_text().startswith("The settings are saved")
    page.get_by_role("button", name="Move Team Red down").click()
    page.wait_for_url("**/calendars/spring?saved=tags#tags")
    assert tag_order(page) == ["Team Blue", "Team Red"]
    # The script sends the new order when the drag ends, then reloads the page: wait for that reload.
    with page.expect_navigation():
        page.locator('li[data-tag-name="Team Red"]').drag_to(
            page.locator('li[data-tag-name="Team Blue"]'), target_position={"x": 5, "y": 2}
        )
    assert tag_order(page) == ["Team Red", "Team Blue"]
    preview = page.frame_locator("iframe.landing-preview")
    assert preview.get_by_role("heading", level=1).inner_text() == "Spring Season: every match"

    # A broadcast event for Team Red, previewed before it is added.
    page.get_by_role("link", name="Events", exact=True).first.click()
    page.wait_for_url("**/calendars/spring/events")
    page.get_by_role("link", name="New event").click()
    start = calendars.upcoming_start(3, 19, "Europe/Berlin")[:16]
    page.get_by_label("Title").fill("Spring kick-off")
    page.get_by_label("Start (in the event's time zone)").fill(start)
    page.get_by_label("Time zone", exact=True).fill("Europe/Berlin")
    page.get_by_label("Team Red").check()
    page.get_by_label("Reminder, minutes before the start (optional)").fill("30")
    page.get_by_label("Location").fill("Main stadium")
    page.get_by_role("button", name="Preview").click()
    card = page.locator("[data-preview]")
    assert "Spring kick-off" in card.inner_text()
    assert "30 minutes before" in card.inner_text()
    assert "(UTC)" in card.locator("time").inner_text()  # the reader's zone (the test browser's) by the script
    check_page(page, artifacts, "event-new")
    page.get_by_role("button", name="Add event").click()
    page.wait_for_url("**/events/*?saved=added")
    check_page(page, artifacts, "event")
    page.get_by_role("link", name="Events", exact=True).last.click()
    assert page.locator("table.events tbody tr").count() == 1
    check_page(page, artifacts, "events")

    # A visitor subscribes from the landing page in another browser.
    visitor_context = browser.new_context(viewport={"width": 390, "height": 844})
    try:
        visitor = visitor_context.new_page()
        visitor.goto(f"{base}/owner/spring")
        assert visitor.get_by_label("Team Red").is_checked()  # the first tag is preselected
        visitor.get_by_role("button", name="Add to my calendar").click()
        visitor.wait_for_url("**/add")
        https_url = visitor.get_by_label("Calendar address (URL)").input_value()
        feed = visitor.request.get(https_url)
        assert feed.status == 200
        events = list(Calendar.from_ical(feed.body()).walk("VEVENT"))
    finally:
        visitor_context.close()
    [event] = [found for found in events if str(found["SUMMARY"]) == "Spring kick-off"]
    assert str(event["LOCATION"]) == "Main stadium"
    starts_at = event.decoded("DTSTART")
    assert isinstance(starts_at, datetime)
    assert starts_at.astimezone(ZoneInfo("Europe/Berlin")).strftime("%Y-%m-%dT%H:%M") == start
    assert [alarm.decoded("TRIGGER") for alarm in event.walk("VALARM")] == [timedelta(minutes=-30)]

    # The dashboard counts the new subscriber.
    page.goto(f"{base}/console/owner?range=today")
    assert page.locator('.tile[data-metric="new"]').get_attribute("data-value") == "1"
