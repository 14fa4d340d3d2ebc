"""The whole loop with real parts: Chromium subscribes → Braze receives rokt:* → Braze's webhook templates
(rendered and sent by `calcast braze send`) create, update and delete a 1:1 event → the person's feed follows.

Only Braze's REST API is a stand-in (tests/support/fake_braze.py); calcast runs under uvicorn on loopback, the
browser is Debian's Chromium, and the templates are the ones calcast ships.
"""

from __future__ import annotations

import json
import re
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import httpx
import icalendar
import pytest

from calcast.brazesim.templates import load_template
from tests.conftest import Cli, Persona
from tests.support.braze_sync import connect_braze, worker
from tests.support.fake_braze import running_fake_braze
from tests.web.conftest import LiveServer, browser, live_server  # noqa: F401 - fixtures used below

pytestmark = [pytest.mark.browser, pytest.mark.slow]

EXTERNAL_ID = "crm-777"


def template_with(name: str, tmp_path: Path, **captures: str) -> Path:
    """A shipped template with the marketer's values in its captures, as typed in Braze's composer."""
    text = load_template(name).to_text()
    for capture, value in captures.items():

        def filled(_match: re.Match[str], capture: str = capture, value: str = value) -> str:
            return f"{{% capture {capture} %}}{value}{{% endcapture %}}"

        text, found = re.subn(rf"\{{% capture {capture} %\}}.*?\{{% endcapture %\}}", filled, text)
        assert found == 1, capture
    path = tmp_path / f"{name}-{len(list(tmp_path.iterdir()))}.liquid"
    path.write_text(text, encoding="utf-8")
    return path


def our_event(feed: bytes) -> icalendar.Component | None:
    calendar = icalendar.Calendar.from_ical(feed)
    found = [event for event in calendar.walk("VEVENT") if str(event.get("SUMMARY")).startswith("Cup final")]
    return found[0] if found else None


def test_a_subscriber_gets_a_braze_event_in_their_calendar_and_sees_it_change_and_go(
    live_server: LiveServer,  # noqa: F811 - the fixture imported above
    browser: Any,  # noqa: F811
    owner: Persona,
    cli: Cli,
    tmp_path: Path,
) -> None:
    database = live_server.database
    with running_fake_braze() as braze:
        connect_braze(database, braze, "owner")

        # 1. A person subscribes in Chromium from a link carrying their CRM id, signed with the brand's link key.
        assert cli("account", "link-key", "owner").exit_code == 0
        link = cli("calendar", "link", "owner", "main", "--external-id", EXTERNAL_ID).stdout.strip()
        context = browser.new_context(viewport={"width": 1280, "height": 900})
        page = context.new_page()
        page.goto(f"{live_server.base_url}/owner/main?{link.split('?', 1)[1]}&tags=Team%20I")
        page.get_by_role("button", name="Add to my calendar").click()
        page.wait_for_load_state()
        feed_url = page.get_by_label("Calendar address (URL)").input_value()
        context.close()

        # 2. The outbox delivers the rokt:* attributes to Braze.
        runner = worker(database)
        try:
            runner.drain()
        finally:
            runner.close()
        attributes = braze.profile(EXTERNAL_ID).attributes
        assert attributes["rokt:account_code"][0].startswith("owner/")
        assert len(attributes["rokt:subscription_id"]) == 1

    # 3. The Braze profile export of that user, as the Test tab would use it.
    user = tmp_path / "user.json"
    user.write_text(json.dumps({"external_id": EXTERNAL_ID, "custom_attributes": attributes}))

    def send(template: Path | str) -> str:
        result = cli(
            "braze", "send", str(template), "--user", str(user), "--base-url", live_server.base_url,
            "--credentials", f"{owner.client_id}:{owner.client_secret}", "--retry-delay", "0",
        )  # fmt: skip
        assert result.exit_code == 0, result.stdout + result.stderr
        assert result.stdout.startswith(f"{EXTERNAL_ID}: delivered 202"), result.stdout
        return str(result.stdout)

    def feed() -> bytes:
        response = httpx.get(feed_url, timeout=10)
        assert response.status_code == 200
        return response.content

    # 4. The new-event template, for an evening kick-off in Berlin (Windows zone name, as Rokt lists them).
    send(
        template_with(
            "new-event", tmp_path, eventTitle="Cup final", eventStart="2031-05-17T20:45:00",
            eventEnd="2031-05-17T22:45:00", eventTZ="W. Europe Standard Time", notifyBefore="30",
        )
    )  # fmt: skip
    event = our_event(feed())
    assert event is not None, "the feed does not show the event"
    berlin = ZoneInfo("Europe/Berlin")
    assert event.decoded("DTSTART") == datetime(2031, 5, 17, 20, 45, tzinfo=berlin)
    assert event.decoded("DTEND") == datetime(2031, 5, 17, 22, 45, tzinfo=berlin)
    [alarm] = event.walk("VALARM")
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-30)
    uid, sequence = str(event["UID"]), int(event.get("SEQUENCE", 0))

    # 5. The update template changes it in place: same UID, higher SEQUENCE.
    send(
        template_with(
            "update-event", tmp_path, eventTitle="Cup final, moved", eventStart="2031-05-18T18:00:00",
            eventEnd="2031-05-18T20:00:00", eventTZ="W. Europe Standard Time", notifyBefore="30",
        )
    )  # fmt: skip
    updated = our_event(feed())
    assert updated is not None
    assert str(updated["SUMMARY"]) == "Cup final, moved"
    assert str(updated["UID"]) == uid
    assert int(updated.get("SEQUENCE")) > sequence
    assert updated.decoded("DTSTART") == datetime(2031, 5, 18, 18, 0, tzinfo=berlin)

    # 6. The delete template removes it from the feed.
    send("delete-event")
    assert our_event(feed()) is None
