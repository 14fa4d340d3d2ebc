"""In Debian's Chromium, an owner walks the integrations and people pages, at 1280 and at 390 px wide: confirms it is
them, creates an OAuth client, connects Braze and sends it a test, adds a webhook and sends it a test, invites a
person. axe-core finds no serious violation on any page; screenshots are saved as test artefacts."""

from __future__ import annotations

import re
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from calcast.console import service
from tests.conftest import Persona
from tests.console.conftest import PASSWORD
from tests.console.test_browser import serious_violations
from tests.support.fake_braze import FakeBraze, running_fake_braze
from tests.support.receivers import running_receiver
from tests.web.conftest import LiveServer, artifacts, browser, live_server  # noqa: F401 - fixtures

pytestmark = [pytest.mark.browser, pytest.mark.slow]
WIDTHS = {"wide": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}


@pytest.fixture
def context(browser: Any) -> Iterator[Any]:  # noqa: F811 - the shared browser fixture
    # axe-core is evaluated into the page; the console's CSP (script-src 'self') would refuse it otherwise.
    made = browser.new_context(viewport=WIDTHS["wide"], bypass_csp=True)
    yield made
    made.close()


@pytest.fixture
def fake_braze() -> Iterator[FakeBraze]:
    with running_fake_braze() as fake:
        yield fake


def check(page: Any, artifacts: Path, name: str) -> None:  # noqa: F811 - the shared artifacts fixture
    """No serious axe violation and a screenshot, at each width (the page is reloaded at the phone's)."""
    for width, viewport in WIDTHS.items():
        page.set_viewport_size(viewport)
        if width == "phone":
            page.reload()
            overflow = page.evaluate("document.documentElement.scrollWidth - document.documentElement.clientWidth")
            wide = page.evaluate(
                "[...document.querySelectorAll('body *')].filter(e => e.getBoundingClientRect().right >"
                " document.documentElement.clientWidth + 1).map(e => e.tagName + '.' + e.className).slice(0, 8)"
            )
            assert overflow <= 1, f"{name} is wider than the phone by {overflow} px: {wide}"
        assert serious_violations(page) == [], (name, width)
        page.screenshot(path=str(artifacts / f"console-{name}-{width}.png"), full_page=True)
    page.set_viewport_size(WIDTHS["wide"])


@pytest.mark.parametrize("backend", ["sqlite"])  # rendering does not depend on the database; the logic tests do
def test_an_owner_walks_the_integrations_on_a_wide_screen_and_a_phone(
    live_server: LiveServer,  # noqa: F811 - the shared server fixture
    owner: Persona,
    context: Any,
    fake_braze: FakeBraze,
    artifacts: Path,  # noqa: F811 - the shared artifacts fixture
) -> None:
    base = live_server.base_url
    with live_server.database.transaction() as session:
        service.add_member(
            session=session, email="olga@example.com", account_code="owner", role="owner", password=PASSWORD
        )
    page = context.new_page()
    page.goto(f"{base}/console/sign-in?next=/console/owner")
    page.get_by_label("E-mail address").fill("olga@example.com")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    page.wait_for_url(f"{base}/console/owner")

    page.get_by_role("link", name="Integrations").click()
    page.wait_for_url(f"{base}/console/owner/integrations")
    assert page.locator('[data-metric="pending"]').get_attribute("data-value") == "0"
    check(page, artifacts, "integrations")

    # An OAuth client: the password first, then the secret, once.
    section = page.get_by_role("navigation", name="Integrations")
    section.get_by_role("link", name="OAuth clients").click()
    page.get_by_role("button", name="Create a client").click()
    page.wait_for_url(re.compile(r".*/console/owner/confirm\?next=.*"))
    check(page, artifacts, "confirm")
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Confirm").click()
    page.wait_for_url(f"{base}/console/owner/integrations/clients")
    page.get_by_role("button", name="Create a client").click()
    page.wait_for_url(f"{base}/console/owner/integrations/clients")
    secret = page.locator("[data-secret]").inner_text()
    assert len(secret) >= 40
    check(page, artifacts, "clients")  # the phone's reload shows it no more
    assert page.locator("[data-secret]").count() == 0

    # Braze: connect, send a test, read the templates.
    section.get_by_role("link", name="Braze").click()
    page.get_by_label("REST endpoint").fill(fake_braze.url)
    page.get_by_label("REST API key").fill(fake_braze.api_key)
    page.get_by_role("button", name="Save").click()
    page.wait_for_url(f"{base}/console/owner/integrations/braze?saved=1")
    page.get_by_role("button", name="Send a test to Braze").click()
    assert page.locator(".braze-answer").get_attribute("data-status") == "201"
    assert fake_braze.accepted_attributes()[0]["external_id"] == "calcast-test-user"
    assert f"{base}/v1/subscriptionevent/" in page.locator('[data-template="new-event"]').inner_text()
    check(page, artifacts, "braze")

    # A webhook: add it, send a test, read the log.
    with running_receiver(body=b"received, thanks") as receiver:
        section.get_by_role("link", name="Webhooks").click()
        page.get_by_label("URL").fill(receiver.url)
        page.get_by_label("Test", exact=True).check()
        page.get_by_role("button", name="Add the webhook").click()
        assert page.locator("[data-secret]").inner_text().startswith("whsec_")
        check(page, artifacts, "webhooks")
        page.get_by_role("link", name=f"Delivery log: {receiver.url}").click()
        page.get_by_role("button", name="Send a test event").click()
        row = page.locator("tr[data-delivery]")
        deadline = time.monotonic() + 10
        while row.count() == 0 and time.monotonic() < deadline:  # delivered right after the answer to the click
            time.sleep(0.2)
            page.reload()
        assert row.first.get_attribute("data-status") == "200"
        assert "received, thanks" in row.first.inner_text()
        check(page, artifacts, "webhook-log")

    # People: invite someone; the link is shown once.
    page.get_by_role("link", name="People").click()
    page.get_by_label("E-mail address").fill("newcomer@example.com")
    page.get_by_label("Role", exact=True).select_option("viewer")
    page.get_by_role("button", name="Invite").click()
    assert page.locator("[data-secret]").inner_text().startswith(f"{base}/console/password/")
    check(page, artifacts, "people")
