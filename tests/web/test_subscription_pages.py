"""End to end in a real browser: a visitor subscribes, picks an app, manages and leaves; the feed follows."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest
from sqlalchemy import select

from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.core.db import Database
from calcast.core.security import Cipher
from calcast.subscriptions.models import Subscription
from tests.conftest import Persona
from tests.web.conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

IPHONE = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def calendar(live_server: LiveServer, owner: Persona) -> None:
    """The owner's calendar as a brand sets it up: e-mail required, two opt-ins, an event per tag."""
    with live_server.database.transaction() as session:
        calendar = calendars.get_calendar(session=session, account_code="owner", code="main")
        calendar.subscription_title = "FC Example: every match"
        calendar.description = "All matches of the season in your calendar, with kick-off times kept up to date."
        calendar.email_capture = "required"
        calendar.opt_in1_label = "Yes, send me the club newsletter"
        calendar.opt_in2_label = "Yes, tell me about partner offers"
        for title, tags in (("Team I home match", ["Team I"]), ("Team II away match", ["Team II"])):
            calendars.add_broadcast_event(
                session=session,
                account_code="owner",
                calendar_code="main",
                event=calendars.BroadcastEventInput(
                    title=title,
                    start=calendars.upcoming_start(3, 18, "Europe/Berlin"),
                    end=None,
                    timezone="Europe/Berlin",
                    tags=tags,
                ),
            )


@pytest.fixture
def page_at(browser: Any) -> Iterator[Any]:
    """Open a browser page of a given size and User-Agent; closed after the test."""
    contexts: list[Any] = []

    def open_page(viewport: dict[str, int], user_agent: str | None = None) -> Any:
        context = (
            browser.new_context(viewport=viewport, user_agent=user_agent)
            if user_agent
            else (browser.new_context(viewport=viewport))
        )
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def subscriptions_in(database: Database) -> list[Subscription]:
    with database.sessions() as session:
        found = list(session.scalars(select(Subscription).order_by(Subscription.created_at)))
        for subscription in found:
            _ = subscription.tags
        return found


def signed_identity(live_server: LiveServer, external_id: str) -> str:
    """`external_id=…&sig=…` for the owner's calendar, signed with a link key the account gets here."""
    with live_server.database.transaction() as session:
        cipher = Cipher(live_server.database.settings.secret_key)
        if accounts.get_account(session=session, code="owner").link_key_encrypted is None:
            accounts.create_link_key(session=session, cipher=cipher, code="owner")
        url = calendars.landing_url(
            session=session,
            settings=live_server.database.settings,
            account_code="owner",
            code="main",
            external_id=external_id,
        )
    return urlsplit(url).query


def feed_text(page: Any, https_url: str) -> str:
    response = page.request.get(https_url)
    assert response.status == 200
    assert response.headers["content-type"].startswith("text/calendar")
    return str(response.text()).replace("\r\n ", "")


def test_a_visitor_subscribes_with_topics_email_and_opt_ins(
    live_server: LiveServer, calendar: None, page_at: Any, artifacts: Path
) -> None:
    for name, viewport in (("390", PHONE), ("1280", DESKTOP)):
        preview = page_at(viewport)
        preview.goto(f"{live_server.base_url}/owner/main?tags=Team%20I")
        preview.screenshot(path=str(artifacts / f"landing-{name}.png"), full_page=True)

    page = page_at(PHONE, IPHONE)
    identity = signed_identity(live_server, "crm-42")
    page.goto(f"{live_server.base_url}/owner/main?tags=Team%20I&{identity}&utm_source=instagram")
    assert page.title() == "FC Example: every match"
    assert page.get_by_role("heading", level=1).inner_text() == "FC Example: every match"
    assert page.get_by_label("Team I", exact=True).is_checked()
    assert not page.get_by_label("All Teams").is_checked()
    page.get_by_label("E-mail address").fill("fan@example.com")
    page.get_by_label("Yes, send me the club newsletter").check()
    page.get_by_role("button", name="Add to my calendar").click()
    page.wait_for_url("**/add")

    assert page.get_by_role("heading", level=1).inner_text() == "Choose your calendar app"
    buttons = page.locator("a.app-button")
    assert buttons.first.get_attribute("data-app") == "apple"  # an iPhone: Apple Calendar first
    assert page.get_by_text("Best for this device").is_visible()
    page.screenshot(path=str(artifacts / "added-390.png"), full_page=True)

    https_url = page.get_by_label("Calendar address (URL)").input_value()
    assert https_url.startswith(f"{live_server.base_url}/webcal/")
    hrefs = {buttons.nth(i).get_attribute("data-app"): buttons.nth(i).get_attribute("href") for i in range(7)}
    webcal = "webcal://" + https_url.split("://", 1)[1]
    assert hrefs["apple"] == webcal
    assert hrefs["outlook"] == webcal
    assert parse_qs(urlsplit(hrefs["google"]).query) == {"cid": [webcal]}
    assert hrefs["google"].startswith("https://calendar.google.com/calendar/r?cid=webcal%3A%2F%2F")
    assert parse_qs(urlsplit(hrefs["outlookcom"]).query) == {"url": [https_url], "name": ["FC Example: every match"]}
    assert hrefs["outlookcom"].startswith("https://outlook.live.com/calendar/0/addfromweb?")
    assert hrefs["m365"].startswith("https://outlook.office.com/calendar/0/addfromweb?")
    assert hrefs["ics"] == https_url + ".ics"

    body = feed_text(page, https_url)
    assert "SUMMARY:Team I home match" in body
    assert "Team II away match" not in body
    assert "X-WR-CALNAME:FC Example: every match" in body
    download = page.request.get(hrefs["ics"])
    assert download.status == 200
    assert "BEGIN:VCALENDAR" in download.text()

    [subscription] = subscriptions_in(live_server.database)
    assert [tag.name for tag in subscription.tags] == ["Team I"]
    assert subscription.email == "fan@example.com"
    assert subscription.subscriber_id == "crm-42"
    assert (subscription.opt_in1, subscription.opt_in2) == (True, False)
    assert subscription.device == "iOS"
    assert subscription.source == "instagram"
    assert subscription.ip_address == "127.0.0.0"  # anonymized by default

    desktop = page_at(DESKTOP, WINDOWS)
    desktop.goto(page.url)
    assert desktop.locator("a.app-button").first.get_attribute("data-app") == "outlook"
    desktop.screenshot(path=str(artifacts / "added-1280.png"), full_page=True)


def test_clicking_an_app_button_records_the_method(live_server: LiveServer, calendar: None, page_at: Any) -> None:
    page = page_at(DESKTOP)
    page.goto(f"{live_server.base_url}/owner/main")
    page.get_by_label("E-mail address").fill("fan@example.com")
    page.get_by_role("button", name="Add to my calendar").click()
    page.wait_for_url("**/add")
    # Don't leave for Google: answer its URL here, the click and its beacon are what matter.
    page.context.route("https://calendar.google.com/**", lambda route: route.fulfill(status=204, body=""))
    with page.expect_request(lambda request: request.url.endswith("/method")) as beacon:
        page.get_by_role("link", name="Google Calendar").click()
    assert beacon.value.response() is not None
    assert beacon.value.response().status == 204
    [subscription] = subscriptions_in(live_server.database)
    assert subscription.method == "Google"


def test_a_missing_required_email_keeps_the_visitor_on_the_form(
    live_server: LiveServer, calendar: None, page_at: Any
) -> None:
    page = page_at(PHONE)
    page.goto(f"{live_server.base_url}/owner/main")
    page.get_by_label("Team II").check()
    page.get_by_role("button", name="Add to my calendar").click()
    page.wait_for_load_state()
    alert = page.get_by_role("alert")
    assert "Please enter your e-mail address; this calendar needs it." in alert.inner_text()
    email = page.get_by_label("E-mail address")
    assert email.get_attribute("aria-invalid") == "true"
    assert page.get_by_label("Team II").is_checked()
    alert.get_by_role("link").click()  # the error links to the field
    assert page.url.endswith("#email-field")
    assert subscriptions_in(live_server.database) == []
    email.fill("fan@example.com")
    page.get_by_role("button", name="Add to my calendar").click()
    page.wait_for_url("**/add")
    assert len(subscriptions_in(live_server.database)) == 1


def test_a_double_submit_makes_one_subscription(live_server: LiveServer, calendar: None, page_at: Any) -> None:
    page = page_at(DESKTOP)
    page.goto(f"{live_server.base_url}/owner/main")
    page.get_by_label("E-mail address").fill("fan@example.com")
    posts: list[str] = []
    page.on("request", lambda request: posts.append(request.url) if request.method == "POST" else None)
    page.get_by_role("button", name="Add to my calendar").dblclick()
    page.wait_for_url("**/add")
    assert posts == [f"{live_server.base_url}/owner/main"]  # the button turned into "Adding…" after one press
    assert len(subscriptions_in(live_server.database)) == 1


def test_the_same_form_resent_without_javascript_help_finds_the_first_subscription(
    live_server: LiveServer, owner: Persona, page_at: Any
) -> None:
    page = page_at(DESKTOP)
    page.goto(f"{live_server.base_url}/owner/main")
    token = page.locator("input[name=form_token]").input_value()
    for _ in range(2):
        response = page.request.post(
            f"{live_server.base_url}/owner/main",
            form={"form_token": token, "tags": "All Teams"},
            headers={"Origin": live_server.base_url},
            max_redirects=0,
        )
        assert response.status == 303
    assert len(subscriptions_in(live_server.database)) == 1


def test_the_manage_page_changes_topics_and_unsubscribes(
    live_server: LiveServer, calendar: None, page_at: Any, artifacts: Path
) -> None:
    page = page_at(PHONE)
    page.goto(f"{live_server.base_url}/owner/main?tags=Team%20I")
    page.get_by_label("E-mail address").fill("fan@example.com")
    page.get_by_role("button", name="Add to my calendar").click()
    page.wait_for_url("**/add")
    https_url = page.get_by_label("Calendar address (URL)").input_value()
    assert "Team II away match" not in feed_text(page, https_url)

    page.get_by_role("link", name="Change topics or unsubscribe").click()
    page.wait_for_url("**/manage/**")
    assert page.get_by_role("heading", level=1).inner_text() == "Your subscription"
    page.get_by_label("Team I", exact=True).uncheck()
    page.get_by_label("Team II").check()
    page.get_by_role("button", name="Save topics").click()
    page.wait_for_url("**saved=tags")
    assert page.get_by_role("status").inner_text().startswith("Your topics are saved.")
    page.screenshot(path=str(artifacts / "manage-390.png"), full_page=True)
    body = feed_text(page, https_url)
    assert "SUMMARY:Team II away match" in body
    assert "Team I home match" not in body

    page.get_by_label("Too many events").check()
    page.get_by_label("Anything you want to tell us (optional)").fill("Only the finals, please.")
    page.get_by_role("button", name="Unsubscribe").click()
    page.wait_for_url("**saved=unsubscribed")
    assert "You have unsubscribed from FC Example: every match." in page.get_by_role("status").inner_text()
    body = feed_text(page, https_url)
    assert "X-WR-CALNAME:FC Example: every match (unsubscribed)" in body
    assert "BEGIN:VEVENT" not in body
    [subscription] = subscriptions_in(live_server.database)
    assert subscription.deactivation_reason_id == "too_many"
    assert subscription.deactivation_reason_text == "Only the finals, please."


def test_the_button_script_opens_the_landing_page_in_a_lightbox(
    live_server: LiveServer, calendar: None, page_at: Any, brand_site: tuple[str, Path], artifacts: Path
) -> None:
    brand_url, folder = brand_site
    (folder / "index.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>FC Example</title></head><body>"
        "<h1>FC Example</h1><p>Never miss a match.</p>"
        f'<a href="{live_server.base_url}/owner/main?utm_source=website" data-calcast-button>Add to my calendar</a>'
        f'<script src="{live_server.base_url}/static/calcast-button.js" async></script>'
        "</body></html>",
        encoding="utf-8",
    )
    page = page_at(DESKTOP)
    page.goto(brand_url + "/index.html")
    page.wait_for_function("window.calcastButton !== undefined")
    link = page.get_by_role("link", name="Add to my calendar")
    link.focus()
    page.keyboard.press("Enter")  # keyboard users open it too
    dialog = page.get_by_role("dialog", name="Add to my calendar")
    assert dialog.is_visible()
    assert page.url == brand_url + "/index.html"  # the visitor stays on the brand's page
    frame = page.frame_locator("iframe[title='Add to my calendar']")
    frame.get_by_role("heading", level=1).wait_for()
    assert frame.get_by_role("heading", level=1).inner_text() == "FC Example: every match"
    page.screenshot(path=str(artifacts / "lightbox-1280.png"))

    page.keyboard.press("Escape")
    assert page.get_by_role("dialog").count() == 0
    assert page.evaluate("document.activeElement.textContent") == "Add to my calendar"

    # Subscribing inside the lightbox works: no third-party cookie is needed.
    link.click()
    frame.get_by_label("E-mail address").fill("fan@example.com")
    frame.get_by_role("button", name="Add to my calendar").click()
    frame.get_by_role("heading", name="Choose your calendar app").wait_for()
    assert frame.locator("body.embedded").count() == 1  # still laid out for the lightbox
    [subscription] = subscriptions_in(live_server.database)
    assert subscription.source == "website"
    page.get_by_role("button", name="Close").click()
    assert page.get_by_role("dialog").count() == 0


def test_the_button_carries_the_signed_identity_into_the_landing_page(
    live_server: LiveServer, calendar: None, page_at: Any, brand_site: tuple[str, Path]
) -> None:
    brand_url, folder = brand_site
    (folder / "index.html").write_text(
        "<!doctype html><html lang='en'><head><meta charset='utf-8'><title>FC Example</title></head><body>"
        f'<a href="{live_server.base_url}/owner/main?utm_source=website" data-calcast-button>Add to my calendar</a>'
        f'<a href="{live_server.base_url}/owner/main?{signed_identity(live_server, "crm-own")}" data-calcast-button>'
        "Subscribe as crm-own</a>"
        f'<script src="{live_server.base_url}/static/calcast-button.js" async></script>'
        "</body></html>",
        encoding="utf-8",
    )
    identity = signed_identity(live_server, "crm 42/ä")
    page = page_at(DESKTOP)
    page.goto(f"{brand_url}/index.html?{identity}")  # e.g. a signed link from a Braze e-mail to the brand's page
    page.wait_for_function("window.calcastButton !== undefined")
    frame = page.frame_locator("iframe[title='Add to my calendar']")

    page.get_by_role("link", name="Add to my calendar").click()
    carried = parse_qs(urlsplit(page.locator("iframe").get_attribute("src")).query)
    assert (carried["external_id"], carried["sig"]) == (["crm 42/ä"], parse_qs(identity)["sig"])
    frame.get_by_label("E-mail address").fill("fan@example.com")
    frame.get_by_role("button", name="Add to my calendar").click()
    frame.get_by_role("heading", name="Choose your calendar app").wait_for()
    page.get_by_role("button", name="Close").click()

    page.get_by_role("link", name="Subscribe as crm-own").click()  # a link's own identity wins over the page's
    frame = page.frame_locator("iframe[title='Subscribe as crm-own']")
    frame.get_by_label("E-mail address").fill("own@example.com")
    frame.get_by_role("button", name="Add to my calendar").click()
    frame.get_by_role("heading", name="Choose your calendar app").wait_for()
    first, second = subscriptions_in(live_server.database)
    assert (first.subscriber_id, first.source) == ("crm 42/ä", "website")
    assert (second.subscriber_id, second.unverified_subscriber_id) == ("crm-own", None)


def test_without_javascript_the_button_is_a_plain_link(
    live_server: LiveServer, calendar: None, browser: Any, brand_site: tuple[str, Path]
) -> None:
    brand_url, folder = brand_site
    (folder / "index.html").write_text(
        f'<a href="{live_server.base_url}/owner/main" data-calcast-button>Add to my calendar</a>'
        f'<script src="{live_server.base_url}/static/calcast-button.js"></script>',
        encoding="utf-8",
    )
    context = browser.new_context(java_script_enabled=False)
    try:
        page = context.new_page()
        page.goto(brand_url + "/index.html")
        page.get_by_role("link", name="Add to my calendar").click()
        page.wait_for_url(f"{live_server.base_url}/owner/main")
        assert page.get_by_role("heading", level=1).inner_text() == "FC Example: every match"
    finally:
        context.close()
