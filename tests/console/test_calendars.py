"""The calendar page: settings, tags, the signed link and the button snippet, over calendars.service."""

from __future__ import annotations

import html
import re

from fastapi.testclient import TestClient

from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.calendars.models import Calendar
from calcast.core.db import Database
from calcast.core.security import Cipher
from tests.conftest import Cli, Persona
from tests.console.conftest import ConsolePersona, act_as

PAGE = "/console/owner/calendars/main"


def stored(database: Database) -> Calendar:
    with database.sessions() as session:
        calendar = calendars.get_calendar(session=session, account_code="owner", code="main")
        _ = calendar.tags
        return calendar


def settings_form(csrf_token: str, **changes: str) -> dict[str, str]:
    form = {
        "csrf_token": csrf_token,
        "name": "Owner Calendar",
        "title": "FC Example: every match",
        "description": "All our matches.",
        "language": "de",
        "image_url": "https://img.example/cal.png",
        "email_capture": "required",
        "opt_in1_label": "Newsletter, please",
        "opt_in2_label": "",
        "subscriber_id_fallback": "1",
        "identity": "unsigned",
        "click_tracking": "1",
        "default_duration_minutes": "90",
    }
    return {**form, **changes}


def test_an_editor_saves_every_setting_and_feeds_see_a_new_version(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    before = stored(database).feed_version
    editor = personas["editor"]
    response = act_as(client, editor).post(PAGE, data=settings_form(editor.csrf_token), follow_redirects=False)
    assert response.status_code == 303
    assert response.headers["location"] == f"{PAGE}?saved=settings#settings"
    calendar = stored(database)
    assert calendar.title == "FC Example: every match"
    assert calendar.name == "Owner Calendar"
    assert calendar.description == "All our matches."
    assert calendar.language == "de"
    assert calendar.image_url == "https://img.example/cal.png"
    assert calendar.email_capture == "required"
    assert (calendar.opt_in1_label, calendar.opt_in2_label) == ("Newsletter, please", None)
    assert (calendar.merge_flag, calendar.subscriber_id_fallback) == (False, True)  # an unticked box is off
    assert (calendar.identity, calendar.click_tracking, calendar.track_text_links) == ("unsigned", True, False)
    assert calendar.default_duration_minutes == 90
    assert calendar.feed_version == before + 1
    page = client.get(f"{PAGE}?saved=settings")
    assert "The settings are saved" in page.text
    assert 'value="FC Example: every match"' in page.text
    # The landing page (and its preview) show the new title, in the new language.
    landing = client.get("/owner/main")
    assert "FC Example: every match" in landing.text
    assert "Diesen Kalender hinzufügen" in landing.text


def test_bad_settings_come_back_on_the_form_with_what_was_typed(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    owner = personas["owner"]
    act_as(client, owner)
    cases = {
        "default_duration_minutes": ("ninety", "whole number of minutes"),
        "image_url": ("javascript:alert(1)", "must start with https://"),
        "language": ("fr", "language must be one of en, de"),
        "email_capture": ("always", "email_capture must be one of off, optional, required"),
        "identity": ("maybe", "identity must be one of signed, unsigned"),
        "name": ("  ", "needs a name"),
        "title": ("T" * 256, "at most 255 characters"),
    }
    for field, (value, sentence) in cases.items():
        response = client.post(PAGE, data=settings_form(owner.csrf_token, **{field: value}))
        assert response.status_code == 422, (field, response.text[:200])
        assert sentence in html.unescape(response.text), field
        assert 'role="alert"' in response.text
        assert 'value="Newsletter, please"' in response.text  # the rest of the form as typed
    calendar = stored(database)
    assert (calendar.title, calendar.language, calendar.feed_version) == ("Owner Calendar", "en", 1)


def test_a_german_browser_is_told_what_is_wrong_in_german(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    owner = personas["owner"]
    german = {"Accept-Language": "de-DE,de;q=0.9"}
    act_as(client, owner)
    cases = {
        "default_duration_minutes": ("ninety", "Die Standarddauer ist eine ganze Zahl von Minuten, nicht 'ninety'."),
        "language": ("fr", "language muss eines von en, de sein, nicht 'fr'."),
        "name": ("  ", "Der Kalender braucht einen Namen"),
    }
    for field, (value, sentence) in cases.items():
        response = client.post(PAGE, data=settings_form(owner.csrf_token, **{field: value}), headers=german)
        assert response.status_code == 422, (field, response.text[:200])
        assert sentence in html.unescape(response.text), field
    taken = client.post(
        "/console/owner/calendars",
        data={"csrf_token": owner.csrf_token, "code": "main", "title": "Again", "tags": ""},
        headers=german,
    )
    assert taken.status_code == 409
    assert "Das Konto 'owner' hat schon einen Kalender 'main'; wählen Sie einen anderen Code." in html.unescape(
        taken.text
    )
    english = client.post(
        "/console/owner/calendars", data={"csrf_token": owner.csrf_token, "code": "main", "title": "x"}
    )
    assert "The account 'owner' already has a calendar 'main'; choose another code." in html.unescape(english.text)
    assert stored(database).title == "Owner Calendar"


def test_tags_are_added_renamed_preselected_and_ordered_by_buttons_and_by_a_list(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    editor = personas["editor"]
    act_as(client, editor)
    token = {"csrf_token": editor.csrf_token}
    added = client.post(f"{PAGE}/tags", data={**token, "name": "Youth"}, follow_redirects=False)
    assert added.status_code == 303
    assert added.headers["location"] == f"{PAGE}?saved=tags#tags"
    ids = {tag.name: tag.id for tag in stored(database).tags}
    assert list(ids) == ["All Teams", "Team I", "Team II", "Youth"]

    renamed = client.post(
        f"{PAGE}/tags/{ids['Team I']}",
        data={**token, "name": "First Team", "default": "1", "image_url": "https://img.example/1.png"},
    )
    assert renamed.status_code == 200
    tags = {tag.name: tag for tag in stored(database).tags}
    assert tags["First Team"].is_default
    assert tags["First Team"].image_url == "https://img.example/1.png"
    assert tags["First Team"].id == ids["Team I"]  # the same tag: subscriptions keep it

    for form in ({"name": "N" * 256}, {"name": "Kids", "image_url": "javascript:alert(1)"}, {"name": " "}):
        refused = client.post(f"{PAGE}/tags", data={**token, **form})
        assert refused.status_code == 422, form
        assert 'role="alert"' in refused.text
    assert len(stored(database).tags) == 4

    taken = client.post(f"{PAGE}/tags/{ids['Youth']}", data={**token, "name": "Team II"})
    assert taken.status_code == 409
    assert "already has a tag &#39;Team II&#39;" in taken.text

    client.post(f"{PAGE}/tags/{ids['Youth']}/move", data={**token, "step": "-1"})
    client.post(f"{PAGE}/tags/{ids['All Teams']}/move", data={**token, "step": "-1"})  # the first stays first
    assert [tag.name for tag in stored(database).tags] == ["All Teams", "First Team", "Youth", "Team II"]

    order = [ids["Team II"], ids["Youth"], ids["Team I"], ids["All Teams"]]
    assert client.post(f"{PAGE}/tags/order", data={**token, "tag_ids": order}).status_code == 200
    assert [tag.name for tag in stored(database).tags] == ["Team II", "Youth", "First Team", "All Teams"]
    stale = client.post(f"{PAGE}/tags/order", data={**token, "tag_ids": order[:2]})
    assert stale.status_code == 409
    assert "reload the page" in stale.text
    page = client.get(PAGE)
    names = re.findall(r'data-tag-name="([^"]+)"', page.text)
    assert names == ["Team II", "Youth", "First Team", "All Teams"]
    landing = client.get("/owner/main").text
    assert landing.index("Team II") < landing.index("Youth") < landing.index("First Team")


def test_a_tag_of_another_calendar_cannot_be_changed(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database, other: Persona
) -> None:
    with database.sessions() as session:
        foreign = calendars.get_calendar(session=session, account_code="other", code="main").tags[0]
        foreign_id, foreign_name = foreign.id, foreign.name
    owner = personas["owner"]
    response = act_as(client, owner).post(
        f"{PAGE}/tags/{foreign_id}", data={"csrf_token": owner.csrf_token, "name": "Stolen"}
    )
    assert response.status_code == 404
    with database.sessions() as session:
        assert calendars.get_calendar(session=session, account_code="other", code="main").tags[0].name == foreign_name


def test_the_signed_link_is_the_one_the_command_line_prints(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database, cli: Cli
) -> None:
    act_as(client, personas["editor"])
    without_key = client.get(f"{PAGE}/link?external_id=crm-42")
    assert without_key.status_code == 422
    assert "has no link key yet" in html.unescape(without_key.text)
    german = client.get(f"{PAGE}/link?external_id=crm-42", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert "Das Konto 'owner' hat noch keinen Link-Schlüssel" in html.unescape(german.text)
    with database.transaction() as session:
        accounts.create_link_key(session=session, cipher=Cipher(database.settings.secret_key), code="owner")
    page = client.get(f"{PAGE}/link?external_id=crm-42")
    assert page.status_code == 200
    shown = html.unescape(re.findall(r'id="signed-url" type="text" readonly value="([^"]+)"', page.text)[0])
    printed = cli("calendar", "link", "owner", "main", "--external-id", "crm-42").stdout.strip()
    assert shown == printed
    assert "sig=" in shown


def test_the_page_shows_the_subscribe_link_the_button_snippet_and_a_preview(
    client: TestClient, personas: dict[str, ConsolePersona]
) -> None:
    page = act_as(client, personas["viewer"]).get(PAGE)
    text = html.unescape(page.text)
    assert 'value="https://calcast.test/owner/main"' in text
    assert (
        '<a href="https://calcast.test/owner/main?utm_source=website" data-calcast-button>Owner Calendar</a>\n'
        '<script src="https://calcast.test/static/calcast-button.js" async></script>'
    ) in text
    assert '<iframe class="landing-preview" src="/owner/main"' in page.text
    assert "sandbox" in page.text  # the preview cannot subscribe anybody
    # A viewer reads the settings but has no button to change them nor a signed-link builder.
    assert "Save settings" not in page.text
    assert "Make the signed link" not in page.text
    assert '<fieldset class="plain" disabled>' in page.text


def test_the_page_speaks_german_to_a_german_browser(client: TestClient, personas: dict[str, ConsolePersona]) -> None:
    page = act_as(client, personas["owner"]).get(PAGE, headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert "Einstellungen speichern" in page.text
    assert "Vorschau der Landingpage" in page.text
    assert "Thema hinzufügen" in page.text


def test_the_welcome_event_is_set_refused_with_a_sentence_and_removed(
    client: TestClient, personas: dict[str, ConsolePersona], database: Database
) -> None:
    editor = personas["editor"]
    act_as(client, editor)
    form = {
        "csrf_token": editor.csrf_token,
        "welcome_title": "Welcome to the season",
        "welcome_description": "Your matches will appear here.",
        "welcome_url": "https://club.example/welcome",
        "welcome_after_minutes": "2",
        "welcome_duration_minutes": "15",
    }
    saved = client.post(f"{PAGE}/welcome", data=form, follow_redirects=False)
    assert saved.status_code == 303
    welcome = calendars.welcome_event(stored(database))
    assert welcome == calendars.WelcomeEvent(
        title="Welcome to the season",
        description="Your matches will appear here.",
        url="https://club.example/welcome",
        after_minutes=2,
        duration_minutes=15,
    )
    for field, value, sentence in (
        ("welcome_after_minutes", "2000", "0 to 1440 minutes"),
        ("welcome_duration_minutes", "soon", "a whole number of minutes"),
        ("welcome_url", "ftp://club.example", "must be a web address"),
    ):
        refused = client.post(f"{PAGE}/welcome", data={**form, field: value})
        assert refused.status_code == 422, field
        assert sentence in html.unescape(refused.text), field
        assert f'value="{value}"' in refused.text
    assert calendars.welcome_event(stored(database)) == welcome
    removed = client.post(f"{PAGE}/welcome", data={**form, "welcome_title": ""})
    assert "The welcome event is saved" in removed.text
    assert calendars.welcome_event(stored(database)) is None
