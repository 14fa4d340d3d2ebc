"""The subscription pages over HTTP: what a visitor sees and what gets stored, on SQLite and PostgreSQL."""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Iterator
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from urllib.parse import parse_qs, unquote, urlsplit

import httpx2
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from calcast import assembly
from calcast.accounts import service as accounts
from calcast.app import create_app
from calcast.calendars import service as calendars
from calcast.calendars.models import Calendar
from calcast.core.db import Database
from calcast.core.security import Cipher
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription
from tests.conftest import Persona, make_settings

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"
ANDROID = (
    "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Mobile Safari/537.36"
)
WINDOWS = "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/124.0 Safari/537.36"


@pytest.fixture
def open_pages(database: Database) -> Iterator[Callable[..., TestClient]]:
    """Open the app on the backend under test with page settings (a country header, a generous rate limit)."""
    with ExitStack() as stack:

        def open_with(**overrides: object) -> TestClient:
            values: dict[str, object] = {"country_header": "CF-IPCountry", "subscribe_rate_per_minute": 1000}
            values.update(overrides)
            db = assembly.database(make_settings(database.settings.database_url, **values))
            stack.callback(db.dispose)
            client = TestClient(create_app(db.settings, db), raise_server_exceptions=False)
            return stack.enter_context(client)

        yield open_with


@pytest.fixture
def web(open_pages: Callable[..., TestClient]) -> TestClient:
    return open_pages()


def configure(database: Database, code: str = "owner", **values: object) -> None:
    """Change the persona's calendar the way a brand would set it up."""
    with database.transaction() as session:
        calendar = calendars.get_calendar(session=session, account_code=code, code="main")
        for name, value in values.items():
            setattr(calendar, name, value)


def signed_link(database: Database, external_id: str) -> str:
    """The owner's landing page for this external id, signed with a new link key of the account."""
    with database.transaction() as session:
        accounts.create_link_key(
            session=session, cipher=Cipher(database.settings.secret_key), code="owner", rotate=True
        )
        url = calendars.landing_url(
            session=session, settings=database.settings, account_code="owner", code="main", external_id=external_id
        )
    return url.removeprefix(database.settings.base_url)


def found(match: re.Match[str] | None, group: int = 1) -> str:
    """A group of a match the test relies on; no match fails the test."""
    assert match is not None, "the text lacks what the test looks for"
    return match.group(group)


def form_token(page: str) -> str:
    match = re.search(r'name="form_token" value="([^"]+)"', page)
    assert match, "the page has no form token"
    return match.group(1)


def stored(database: Database) -> list[Subscription]:
    with database.sessions() as session:
        query = select(Subscription).order_by(Subscription.created_at)
        return list(session.scalars(query).unique())


def visible_text(page: str) -> str:
    return html.unescape(re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", page)))


def subscribe(web: TestClient, path: str = "/owner/main", **fields: object) -> tuple[str, httpx2.Response]:
    """Open the landing page, then send its form with these fields; returns the token and the response."""
    page = web.get(path)
    assert page.status_code == 200
    token = form_token(page.text)
    data: dict[str, object] = {"form_token": token, "tags": ["All Teams"], **fields}
    return token, web.post(path.split("?")[0], data=data, follow_redirects=False)


def test_it_shows_the_calendar_with_default_tags_chosen(web: TestClient, database: Database, owner: Persona) -> None:
    configure(database, description="Every match of the season.", opt_in1_label="Send me the newsletter")
    response = web.get("/owner/main")
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/html")
    text = visible_text(response.text)
    assert "Owner Calendar" in text
    assert "Every match of the season." in text
    assert "Send me the newsletter" in text
    assert re.search(r'value="All Teams" checked', response.text)
    assert not re.search(r'value="Team I" checked', response.text)
    assert 'name="email"' not in response.text  # this calendar does not capture e-mail
    assert 'name="opt_in2"' not in response.text  # no label, no second opt-in


def test_the_tags_query_preselects_and_campaign_fields_are_kept(web: TestClient, owner: Persona) -> None:
    response = web.get("/owner/main?tags=Team%20I,Team%20II&external_id=crm-42&utm_source=newsletter&utm_campaign=fall")
    assert re.search(r'value="Team I" checked', response.text)
    assert re.search(r'value="Team II" checked', response.text)
    assert not re.search(r'value="All Teams" checked', response.text)
    assert '<input type="hidden" name="external_id" value="crm-42">' in response.text
    assert '<input type="hidden" name="utm_campaign" value="fall">' in response.text


def test_an_unknown_calendar_or_account_is_a_real_404_page(web: TestClient, owner: Persona) -> None:
    for path in ("/owner/nope", "/nobody/main"):
        response = web.get(path)
        assert response.status_code == 404
        assert response.headers["content-type"].startswith("text/html")
        assert "There is no calendar at this address" in response.text
    german = web.get("/owner/nope", headers={"Accept-Language": "de-DE,de;q=0.9"})
    assert "Seite nicht gefunden" in german.text


def test_api_paths_that_miss_keep_their_json_errors(web: TestClient, owner: Persona) -> None:
    for response in (web.get("/v1/nothing"), web.post("/oauth2/nothing", data={"a": "b"})):
        assert response.status_code == 404
        assert response.json()["Reason"] == "There is nothing at this address; check the URL."


def test_subscribing_stores_tags_email_opt_ins_and_capture(web: TestClient, database: Database, owner: Persona) -> None:
    configure(database, email_capture="required", opt_in1_label="News", opt_in2_label="Partner offers")
    web.get("/owner/main")
    before = datetime.now(UTC) - timedelta(seconds=5)
    link = signed_link(database, "crm-42")
    _token, response = subscribe(
        web,
        link,
        tags=["Team I", "Team II"],
        email="Fan@Example.com",
        opt_in1="1",
        external_id="crm-42",
        sig=parse_qs(urlsplit(link).query)["sig"][0],
        utm_source="newsletter",
        utm_medium="email",
        utm_campaign="fall",
        utm_content="hero",
        referrer="https://brand.example/matches",
    )
    assert response.status_code == 303
    assert re.fullmatch(r"/manage/[0-9a-f-]{36}/[\w-]+/add", response.headers["location"])
    [subscription] = stored(database)
    with database.sessions() as session:
        subscription = session.get_one(Subscription, subscription.id)
        assert [tag.name for tag in subscription.tags] == ["Team I", "Team II"]
    assert subscription.email == "fan@example.com"
    assert subscription.subscriber_id == "crm-42"
    assert subscription.opt_in1 is True
    assert subscription.opt_in1_at is not None
    assert subscription.opt_in1_at >= before
    assert subscription.opt_in2 is False
    assert subscription.opt_in2_at is None
    assert subscription.method == "WebCal"
    assert subscription.action_type == "SubscriptionViaCalendarPage"
    assert (subscription.utm_source, subscription.utm_medium) == ("newsletter", "email")
    assert (subscription.utm_campaign, subscription.utm_content) == ("fall", "hero")
    assert subscription.source == "newsletter"
    assert subscription.referrer == "https://brand.example/matches"


def test_capture_reads_device_country_header_and_anonymizes_the_ip(
    web: TestClient, database: Database, owner: Persona
) -> None:
    page = web.get("/owner/main", headers={"User-Agent": IPHONE})
    response = web.post(
        "/owner/main",
        data={"form_token": form_token(page.text), "tags": ["All Teams"], "referrer": "https://www.brand.example/x"},
        headers={"User-Agent": IPHONE, "CF-IPCountry": "de"},
        follow_redirects=False,
    )
    assert response.status_code == 303
    [subscription] = stored(database)
    assert subscription.device == "iOS"
    assert (subscription.country_code, subscription.country_name) == ("DE", "Germany")
    assert subscription.source == "www.brand.example"  # no utm_source: the referring host
    # TestClient connects from "testclient", which is no IP address: nothing to keep.
    assert subscription.ip_address is None


def test_a_missing_required_email_is_explained_and_nothing_is_stored(
    web: TestClient, database: Database, owner: Persona
) -> None:
    configure(database, email_capture="required")
    _token, response = subscribe(web, tags=["Team I"], email="  ")
    assert response.status_code == 422
    assert "Please enter your e-mail address; this calendar needs it." in visible_text(response.text)
    assert 'aria-invalid="true"' in response.text
    assert re.search(r'value="Team I" checked', response.text)  # the visitor's choice is kept
    assert stored(database) == []
    _token, response = subscribe(web, email="not-an-address")
    assert response.status_code == 422
    assert "This is not a valid e-mail address" in visible_text(response.text)
    assert 'value="not-an-address"' in response.text
    assert stored(database) == []


def test_no_topic_chosen_is_explained(web: TestClient, database: Database, owner: Persona) -> None:
    _token, response = subscribe(web, tags=[])
    assert response.status_code == 422
    assert "Please choose at least one topic." in visible_text(response.text)
    assert stored(database) == []


def test_german_calendars_speak_german(web: TestClient, database: Database, owner: Persona) -> None:
    configure(database, language="de", email_capture="required")
    page = web.get("/owner/main")
    assert '<html lang="de">' in page.text
    assert "Zu meinem Kalender hinzufügen" in page.text
    _token, response = subscribe(web, email="")
    assert "Bitte geben Sie Ihre E-Mail-Adresse ein" in visible_text(response.text)
    _token, response = subscribe(web, email="fan@example.com")
    added = web.get(response.headers["location"])
    assert "Wählen Sie Ihre Kalender-App" in added.text
    assert "Apple Kalender" in added.text


def test_the_same_form_sent_twice_gives_one_subscription(web: TestClient, database: Database, owner: Persona) -> None:
    token, first = subscribe(web)
    second = web.post("/owner/main", data={"form_token": token, "tags": ["All Teams"]}, follow_redirects=False)
    assert second.status_code == 303
    assert second.headers["location"].split("?")[0] == first.headers["location"]
    assert "again=1" in second.headers["location"]
    assert len(stored(database)) == 1
    assert "You were already subscribed" in web.get(second.headers["location"]).text


def test_the_same_person_subscribing_again_gets_a_new_subscription_and_the_first_is_unchanged(
    web: TestClient, database: Database, owner: Persona
) -> None:
    # An anonymous form never reveals or changes an existing subscription, not even for a signed external id:
    # the manage link in the feed is the way back to one (tests/subscriptions/test_landing_identity.py).
    link = signed_link(database, "crm-7")
    sig = parse_qs(urlsplit(link).query)["sig"][0]
    _token, first = subscribe(web, link, external_id="crm-7", sig=sig, tags=["Team I"])
    _token, second = subscribe(web, link, external_id="crm-7", sig=sig, tags=["Team II"])
    assert second.headers["location"] != first.headers["location"]
    assert "again=1" not in second.headers["location"]
    first_subscription, second_subscription = stored(database)
    with database.sessions() as session:
        assert [tag.name for tag in session.get_one(Subscription, first_subscription.id).tags] == ["Team I"]
        assert [tag.name for tag in session.get_one(Subscription, second_subscription.id).tags] == ["Team II"]
    assert first_subscription.subscriber_id == second_subscription.subscriber_id == "crm-7"


def test_a_form_without_a_genuine_token_is_refused(web: TestClient, database: Database, owner: Persona) -> None:
    for token in ("", "1.2.3", "1700000000.0123456789abcdef0123456789abcdef.forged"):
        response = web.post("/owner/main", data={"form_token": token, "tags": ["All Teams"]}, follow_redirects=False)
        assert response.status_code == 400
        assert "please press the button again" in visible_text(response.text)
    # A token of another calendar does not open this one.
    other_page = web.get("/owner/main")
    with database.transaction() as session:
        calendars.create_calendar(
            session=session, account_code="owner", code="second", settings=calendars.CalendarSettings(title="Second")
        )
    response = web.post("/owner/second", data={"form_token": form_token(other_page.text)}, follow_redirects=False)
    assert response.status_code == 400
    assert stored(database) == []


def test_a_post_from_another_site_is_refused(web: TestClient, database: Database, owner: Persona) -> None:
    page = web.get("/owner/main")
    data = {"form_token": form_token(page.text), "tags": ["All Teams"]}
    for headers in ({"Sec-Fetch-Site": "cross-site"}, {"Origin": "https://evil.example"}, {"Origin": "null"}):
        response = web.post("/owner/main", data=data, headers=headers, follow_redirects=False)
        assert response.status_code == 403
        assert "sent from another website" in visible_text(response.text)
    assert stored(database) == []
    same_site = {"Sec-Fetch-Site": "same-origin", "Origin": "https://calcast.test"}
    assert web.post("/owner/main", data=data, headers=same_site, follow_redirects=False).status_code == 303


def test_subscribing_is_rate_limited_per_ip(
    open_pages: Callable[..., TestClient], database: Database, owner: Persona
) -> None:
    web = open_pages(subscribe_rate_per_minute=2)
    assert subscribe(web)[1].status_code == 303
    assert subscribe(web)[1].status_code == 303
    _token, response = subscribe(web)
    assert response.status_code == 429
    # The seconds until the first of the two leaves the minute's window: 60, less the time the two took.
    assert 50 <= int(response.headers["retry-after"]) <= 60
    assert "Please wait a minute and try again." in visible_text(response.text)
    assert len(stored(database)) == 2


def added_page(web: TestClient, user_agent: str | None = None) -> tuple[str, str]:
    _token, response = subscribe(web)
    headers = {"User-Agent": user_agent} if user_agent else {}
    page = web.get(response.headers["location"], headers=headers)
    assert page.status_code == 200
    return response.headers["location"], page.text


def app_hrefs(page: str) -> dict[str, str]:
    return {
        app: html.unescape(href)
        for href, app in re.findall(r'<a class="app-button" href="([^"]+)" data-app="([a-z0-9]+)"', page)
    }


def test_the_confirmation_page_links_every_app_in_its_format(web: TestClient, owner: Persona) -> None:
    _location, page = added_page(web)
    https_url = html.unescape(found(re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', page)))
    token = found(re.fullmatch(r"https://calcast\.test/webcal/([\w-]{43,})", https_url))
    webcal = f"webcal://calcast.test/webcal/{token}"
    hrefs = app_hrefs(page)
    assert hrefs["apple"] == webcal
    assert hrefs["outlook"] == webcal
    google = urlsplit(hrefs["google"])
    assert (google.scheme, google.netloc, google.path) == ("https", "calendar.google.com", "/calendar/r")
    assert parse_qs(google.query) == {"cid": [webcal]}
    assert "%2F%2F" in hrefs["google"]  # the webcal URL is encoded inside the link
    for app, host in (("outlookcom", "outlook.live.com"), ("m365", "outlook.office.com")):
        link = urlsplit(hrefs[app])
        assert (link.netloc, link.path) == (host, "/calendar/0/addfromweb")
        assert parse_qs(link.query) == {"url": [https_url], "name": ["Owner Calendar"]}
    assert hrefs["ics"] == https_url + ".ics"
    assert hrefs["android"].startswith("https://calendar.google.com/calendar/r?cid=")
    assert "Android has no button for calendar subscriptions" in visible_text(page)


@pytest.mark.parametrize(
    ("user_agent", "first"),
    [(IPHONE, "apple"), (ANDROID, "android"), (WINDOWS, "outlook"), ("curl/8.0", "google")],
)
def test_the_most_likely_app_comes_first(web: TestClient, owner: Persona, user_agent: str, first: str) -> None:
    _location, page = added_page(web, user_agent)
    assert next(iter(app_hrefs(page))) == first
    assert ("Best for this device" in page) == (first != "google")


def test_pages_with_secret_links_are_private(web: TestClient, owner: Persona) -> None:
    location, _page = added_page(web)
    response = web.get(location)
    assert response.headers["cache-control"] == "no-store"
    assert response.headers["referrer-policy"] == "same-origin"
    assert "script-src 'self'" in response.headers["content-security-policy"]


def test_clicking_an_app_records_the_method(web: TestClient, database: Database, owner: Persona) -> None:
    location, page = added_page(web)
    method_url = found(re.search(r'data-method-url="([^"]+)"', page))
    token = found(re.search(r'data-form-token="([^"]+)"', page))
    assert web.post(method_url, data={"form_token": token, "app": "google"}).status_code == 204
    assert stored(database)[0].method == "Google"
    assert web.post(method_url, data={"form_token": token, "app": "m365"}).status_code == 204
    assert stored(database)[0].method == "Microsoft"
    assert web.post(method_url, data={"form_token": "forged", "app": "apple"}).status_code == 403
    assert web.post(method_url, data={"form_token": token, "app": "fax"}).status_code == 422
    assert stored(database)[0].method == "Microsoft"
    assert location


def manage_page(web: TestClient) -> tuple[str, str]:
    location, _page = added_page(web)
    manage_path = location.removesuffix("/add")
    page = web.get(manage_path)
    assert page.status_code == 200
    return manage_path, page.text


def test_the_manage_page_changes_topics(web: TestClient, database: Database, owner: Persona) -> None:
    manage_path, page = manage_page(web)
    assert re.search(r'value="All Teams" checked', page)
    response = web.post(
        manage_path + "/tags", data={"form_token": form_token(page), "tags": ["Team II"]}, follow_redirects=True
    )
    assert response.status_code == 200
    assert "Your topics are saved." in response.text
    assert re.search(r'value="Team II" checked', response.text)
    with database.sessions() as session:
        subscription = session.get_one(Subscription, stored(database)[0].id)
        assert [tag.name for tag in subscription.tags] == ["Team II"]
    response = web.post(manage_path + "/tags", data={"form_token": form_token(page)})
    assert response.status_code == 422
    assert "Please choose at least one topic." in visible_text(response.text)


def test_unsubscribing_records_the_reason(web: TestClient, database: Database, owner: Persona) -> None:
    manage_path, page = manage_page(web)
    response = web.post(
        manage_path + "/unsubscribe",
        data={"form_token": form_token(page), "reason": "too_many", "reason_text": "Only the finals, please."},
        follow_redirects=True,
    )
    assert response.status_code == 200
    assert "You have unsubscribed from Owner Calendar." in visible_text(response.text)
    assert 'href="/owner/main"' in response.text  # subscribe again
    [subscription] = stored(database)
    assert subscription.deactivated_at is not None
    assert subscription.deactivation_reason_id == "too_many"
    assert subscription.deactivation_reason_text == "Only the finals, please."
    assert "This subscription has ended" in web.get(manage_path + "/add").text


def test_a_forged_or_foreign_manage_link_shows_nothing(
    web: TestClient, database: Database, owner: Persona, other: Persona
) -> None:
    manage_path, _page = manage_page(web)
    subscription_id = manage_path.split("/")[2]
    for path in (f"/manage/{subscription_id}/forged", f"/manage/{subscription_id}/forged/add", "/manage/x/y"):
        response = web.get(path)
        assert response.status_code == 404
        assert "This link is not valid." in response.text
        assert "Owner Calendar" not in response.text
    response = web.post(f"/manage/{subscription_id}/forged/unsubscribe", data={"form_token": "x"})
    assert response.status_code == 404
    assert stored(database)[0].deactivated_at is None


def test_a_cross_site_unsubscribe_is_refused(web: TestClient, database: Database, owner: Persona) -> None:
    manage_path, page = manage_page(web)
    response = web.post(
        manage_path + "/unsubscribe",
        data={"form_token": form_token(page)},
        headers={"Sec-Fetch-Site": "cross-site"},
    )
    assert response.status_code == 403
    assert stored(database)[0].deactivated_at is None


def test_the_feed_from_the_confirmation_page_holds_the_chosen_topics(
    web: TestClient, database: Database, owner: Persona
) -> None:
    with database.transaction() as session:
        for title, tags in (("Team I home match", ["Team I"]), ("Team II away match", ["Team II"]), ("Fan day", [])):
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
    _token, response = subscribe(web, tags=["Team I"])
    page = web.get(response.headers["location"]).text
    https_url = html.unescape(found(re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', page)))
    feed = web.get(urlsplit(https_url).path)
    assert feed.status_code == 200
    assert feed.headers["content-type"].startswith("text/calendar")
    body = feed.text.replace("\r\n ", "")
    assert "SUMMARY:Team I home match" in body
    assert "SUMMARY:Fan day" in body
    assert "Team II away match" not in body
    manage_link = re.search(r"/manage/[0-9a-f-]{36}/[\w-]+", unquote(body))
    assert manage_link is not None
    manage = web.get(manage_link.group(0))
    web.post(manage_link.group(0) + "/unsubscribe", data={"form_token": form_token(manage.text)})
    after = web.get(urlsplit(https_url).path)
    assert after.status_code == 200
    assert "Owner Calendar (unsubscribed)" in after.text
    assert "BEGIN:VEVENT" not in after.text


def test_the_country_comes_from_a_geoip_database_when_configured(
    database: Database, owner: Persona, tmp_path: Path
) -> None:
    from mmdb_writer import MMDBWriter
    from netaddr import IPSet

    path = tmp_path / "countries.mmdb"
    writer = MMDBWriter(ip_version=4, database_type="GeoIP2-Country")
    writer.insert_network(IPSet(["203.0.113.0/24"]), {"country": {"iso_code": "AT", "names": {"en": "Austria"}}})
    writer.to_db_file(str(path))
    db = assembly.database(make_settings(database.settings.database_url, geoip_database=str(path)))
    try:
        app = create_app(db.settings, db)
        with TestClient(app, client=("203.0.113.77", 50000)) as web:
            _token, response = subscribe(web)
            assert response.status_code == 303
    finally:
        db.dispose()
    [subscription] = stored(database)
    assert (subscription.country_code, subscription.country_name) == ("AT", "Austria")
    assert subscription.ip_address == "203.0.113.0"


def test_the_button_script_and_page_assets_are_served(web: TestClient) -> None:
    script = web.get("/static/calcast-button.js")
    assert script.status_code == 200
    assert "javascript" in script.headers["content-type"]
    assert "data-calcast-button" in script.text
    assert web.get("/static/calcast.css").status_code == 200


def test_calendars_of_one_account_are_not_reached_through_another(
    web: TestClient, database: Database, owner: Persona, other: Persona
) -> None:
    with database.sessions() as session:
        owned = session.scalar(select(func.count()).select_from(Calendar))
    assert owned == 2
    _token, response = subscribe(web, "/other/main")
    assert response.status_code == 303
    [subscription] = stored(database)
    with database.sessions() as session:
        calendar = session.get(Calendar, subscription.calendar_id)
        assert calendar is not None
        assert calendar.title == "Other Calendar"


def test_an_unreadable_geoip_database_is_refused_at_start(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    from calcast.core.config import ConfigError, load_settings

    monkeypatch.setenv("CALCAST_GEOIP_DATABASE", str(tmp_path / "missing.mmdb"))
    with pytest.raises(ConfigError, match=r"CALCAST_GEOIP_DATABASE points to .*missing\.mmdb, which cannot be read"):
        load_settings()


def test_rotating_the_feed_token_retires_the_old_manage_link(
    web: TestClient, database: Database, owner: Persona
) -> None:
    with database.transaction() as session:
        calendars.add_broadcast_event(
            session=session,
            account_code="owner",
            calendar_code="main",
            event=calendars.BroadcastEventInput(
                title="Fan day", start=calendars.upcoming_start(3, 18, "Europe/Berlin"), timezone="Europe/Berlin"
            ),
        )

    def manage_link_in_feed(https_url: str) -> str:
        body = web.get(urlsplit(https_url).path).text.replace("\r\n ", "")
        assert "SUMMARY:Fan day" in body
        return found(re.search(r"/manage/[0-9a-f-]{36}/[\w-]+", unquote(body)), 0)

    _location, page = added_page(web)
    old_url = html.unescape(found(re.search(r'id="feed-url" type="text" readonly value="([^"]+)"', page)))
    old_manage = manage_link_in_feed(old_url)
    assert web.get(old_manage).status_code == 200
    [subscription] = stored(database)
    with database.transaction() as session:
        subscriptions.rotate_feed_token(session=session, settings=database.settings, subscription_id=subscription.id)
        new_url = subscriptions.feed_url(database.settings, session.get_one(Subscription, subscription.id))

    for path in (old_manage, old_manage + "/add"):
        response = web.get(path)
        assert response.status_code == 404
        assert "This link is not valid." in response.text
        assert new_url not in response.text
    assert web.post(old_manage + "/unsubscribe", data={"form_token": "x"}).status_code == 404
    assert stored(database)[0].deactivated_at is None

    new_manage = manage_link_in_feed(new_url)
    assert new_manage != old_manage
    assert "SUMMARY:Fan day" not in web.get(urlsplit(old_url).path).text  # the old feed: empty, no manage link
    added = web.get(new_manage + "/add")
    assert added.status_code == 200
    assert new_url in html.unescape(added.text)
