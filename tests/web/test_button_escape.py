"""The lightbox closes with Escape wherever the keyboard is, and fills a phone's screen on any host page."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import Persona
from tests.web.conftest import LiveServer

pytestmark = [pytest.mark.browser, pytest.mark.slow]

PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1280, "height": 900}


@pytest.fixture
def page_at(browser: Any) -> Iterator[Any]:
    contexts: list[Any] = []

    def open_page(viewport: dict[str, int], **options: Any) -> Any:
        context = browser.new_context(viewport=viewport, **options)
        contexts.append(context)
        return context.new_page()

    yield open_page
    for context in contexts:
        context.close()


def brand_page(folder: Path, calcast_url: str, *, viewport_tag: bool) -> None:
    """The brand's own page with the documented snippet (docs/button.md)."""
    meta = '<meta name="viewport" content="width=device-width, initial-scale=1">' if viewport_tag else ""
    (folder / "index.html").write_text(
        f"<!doctype html><html lang='en'><head><meta charset='utf-8'>{meta}<title>FC Example</title></head><body>"
        "<h1>FC Example</h1>"
        f'<a href="{calcast_url}/owner/main" data-calcast-button>Add to my calendar</a>'
        f'<script src="{calcast_url}/static/calcast-button.js" async></script>'
        "</body></html>",
        encoding="utf-8",
    )


def open_lightbox(page: Any, brand_url: str) -> Any:
    page.goto(brand_url + "/index.html")
    page.wait_for_function("window.calcastButton !== undefined")
    page.get_by_role("link", name="Add to my calendar").click()
    frame = page.frame_locator("iframe[title='Add to my calendar']")
    frame.get_by_role("heading", level=1).wait_for()
    return frame


def test_escape_inside_the_form_closes_the_lightbox(
    live_server: LiveServer, owner: Persona, page_at: Any, brand_site: tuple[str, Path]
) -> None:
    brand_url, folder = brand_site
    brand_page(folder, live_server.base_url, viewport_tag=True)
    page = page_at(DESKTOP)
    frame = open_lightbox(page, brand_url)
    frame.get_by_role("checkbox").first.click()  # the visitor clicks into the form: keys now go to the frame
    page.wait_for_timeout(100)
    page.keyboard.press("Escape")
    page.get_by_role("dialog").wait_for(state="detached", timeout=3000)
    assert page.evaluate("document.activeElement.textContent") == "Add to my calendar"

    # The same after the form was sent: the app choice page in the frame relays Escape too.
    frame = open_lightbox(page, brand_url)
    frame.get_by_role("button", name="Add to my calendar").click()
    frame.get_by_role("heading", name="Choose your calendar app").wait_for()
    frame.locator("body").click()
    page.keyboard.press("Escape")
    page.get_by_role("dialog").wait_for(state="detached", timeout=3000)


def test_only_the_framed_calcast_page_can_close_the_lightbox(
    live_server: LiveServer, owner: Persona, page_at: Any, brand_site: tuple[str, Path]
) -> None:
    brand_url, folder = brand_site
    brand_page(folder, live_server.base_url, viewport_tag=True)
    page = page_at(DESKTOP)
    open_lightbox(page, brand_url)
    page.evaluate("window.postMessage({calcast: 'escape'}, '*')")  # anything on the host page, not the frame
    page.wait_for_timeout(300)
    assert page.get_by_role("dialog").count() == 1


def test_a_host_page_without_a_viewport_tag_gets_a_full_width_lightbox_on_a_phone(
    live_server: LiveServer, owner: Persona, page_at: Any, brand_site: tuple[str, Path], artifacts: Path
) -> None:
    brand_url, folder = brand_site
    brand_page(folder, live_server.base_url, viewport_tag=False)
    page = page_at(PHONE, is_mobile=True, has_touch=True, device_scale_factor=3)
    page.goto(brand_url + "/index.html")
    assert page.evaluate("window.innerWidth") == 980  # how phones lay out a page without the tag
    open_lightbox(page, brand_url)
    page.wait_for_function("window.innerWidth === 390")
    width = page.evaluate("document.querySelector('.calcast-lightbox > div').getBoundingClientRect().width")
    assert width == 390
    page.screenshot(path=str(artifacts / "lightbox-phone-no-viewport-tag.png"))
    page.get_by_role("button", name="Close").click()
    assert page.locator("meta[name='viewport']").count() == 0  # the brand's page is left as it was
