"""Subscribing by push through the Rokt API: `POST /v2/subscribe` with `authCode` + `redirectTo`, as a brand's page
sends it after Google Identity Services' code model (or Microsoft's sign-in) handed it an authorization code."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import parse_qs, urlencode, urlsplit

import httpx
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from calcast import assembly
from calcast.app import create_app
from calcast.core.config import Settings
from calcast.core.db import Database
from calcast.core.security import Cipher
from calcast.push import service as push
from calcast.push.google import SCOPE as GOOGLE_SCOPE
from calcast.push.models import ConnectionState, Provider, PushConnection
from calcast.subscriptions.models import Subscription
from tests.conftest import Persona
from tests.push.conftest import (
    WIDGET_ORIGIN,
    braze_profile,
    connection,
    drain,
    local_time,
    seed_send,
    tomorrow_at,
)
from tests.rokt_api import bearer
from tests.support import google_standin, microsoft_standin
from tests.support.google_standin import GoogleStandIn
from tests.support.microsoft_standin import MicrosoftStandIn

SUBSCRIBE = "/v2/subscribe/owner/main"
EXTERNAL_ID = "ext-widget"


def widget_code(authorize_url: str, query: dict[str, str], decision: str) -> str:
    """What the brand's page does: the provider's consent page (no PKCE: the code model sends none) → the code."""
    with httpx.Client() as browser:
        consent = browser.get(f"{authorize_url}?{urlencode(query)}")
        assert consent.status_code == 200, consent.text
        action = re.search(r'action="([^"]+)"', consent.text)
        assert action is not None
        hidden = re.findall(r'name="([^"]+)" value="([^"]*)"', consent.text)
        fields = {name: html.unescape(value) for name, value in hidden}
        parts = urlsplit(authorize_url)
        back = browser.post(f"{parts.scheme}://{parts.netloc}{action[1]}", data={**fields, "decision": decision})
    assert back.status_code == 302
    location = back.headers["location"]
    assert location.startswith(query["redirect_uri"])
    [code] = parse_qs(urlsplit(location).query)["code"]
    return code


def google_code(google: GoogleStandIn, redirect_uri: str = WIDGET_ORIGIN) -> str:
    query = {
        "client_id": google_standin.CLIENT_ID,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": GOOGLE_SCOPE,
    }
    return widget_code(f"{google.url}/o/oauth2/v2/auth", query, "allow")


def microsoft_code(microsoft: MicrosoftStandIn, redirect_uri: str = WIDGET_ORIGIN) -> str:
    query = {
        "client_id": microsoft_standin.CLIENT_ID,
        "redirect_uri": redirect_uri,
        "response_type": "code",
        "scope": "https://graph.microsoft.com/Calendars.ReadWrite offline_access",
    }
    return widget_code(f"{microsoft.url}/{microsoft_standin.TENANT}/oauth2/v2.0/authorize", query, "accept")


def stored(database: Database) -> tuple[int, int]:
    """How many subscriptions and push connections exist."""
    with database.sessions() as session:
        subscriptions = session.scalar(select(func.count()).select_from(Subscription)) or 0
        connections = session.scalar(select(func.count()).select_from(PushConnection)) or 0
        return subscriptions, connections


def body(method: str, code: str, redirect_to: str = WIDGET_ORIGIN, subscriber: str = EXTERNAL_ID) -> dict[str, str]:
    return {"subscriberId": subscriber, "subscriptionMethod": method, "authCode": code, "redirectTo": redirect_to}


@pytest.mark.slow
@pytest.mark.parametrize("method", ["Google", "Microsoft"])
def test_a_code_from_the_brands_page_subscribes_by_push_and_a_personal_event_reaches_the_calendar(
    method: str,
    push_database: Database,
    owner: Persona,
    push_client: TestClient,
    google: GoogleStandIn,
    microsoft: MicrosoftStandIn,
) -> None:
    code = google_code(google) if method == "Google" else microsoft_code(microsoft)
    headers = bearer(push_client, owner)
    response = push_client.post(SUBSCRIBE, json=body(method, code), headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["redirectTo"] == WIDGET_ORIGIN
    assert answer["pushMethod"] == method
    assert answer["isNewSubscription"] is True
    assert answer["subscriptionUrl"].startswith("https://")  # the feed stays the fallback
    subscription_id = answer["subscriptionId"]
    with push_database.sessions() as session:
        assert session.get_one(Subscription, subscription_id).method == method
    found = connection(push_database, subscription_id)
    assert found.state == ConnectionState.ACTIVE
    assert found.provider == Provider(method.lower())
    assert found.credential is not None
    refresh_token = Cipher(push_database.settings.secret_key).decrypt(found.credential)
    assert refresh_token.startswith("1//" if method == "Google" else "M.C5")
    assert refresh_token.encode() not in found.credential  # kept encrypted

    drain(push_database)
    if method == "Google":
        [calendar_id] = google.calendars
        assert google.calendars[calendar_id].summary == "Owner Calendar"
    else:
        [calendar_id] = microsoft.calendars
        assert microsoft.calendars[calendar_id].name == "Owner Calendar"

    profile = braze_profile(push_database, subscription_id, EXTERNAL_ID)
    start = tomorrow_at(15)
    end = local_time(start + timedelta(hours=1))
    seed_send(push_client, owner, profile, "new_event", eventStart=local_time(start), eventEnd=end)
    drain(push_database)
    if method == "Google":
        [event] = google.live_events(calendar_id)
        assert event["summary"] == "Event Title"
    else:
        [event] = microsoft.calendars[calendar_id].events.values()
        assert event["subject"] == "Event Title"


@pytest.mark.slow
def test_a_redirect_to_off_the_allow_list_is_refused_before_the_code_is_used(
    push_database: Database, owner: Persona, push_client: TestClient, google: GoogleStandIn
) -> None:
    evil = "https://evil.example.net"
    code = google_code(google, redirect_uri=evil)
    headers = bearer(push_client, owner)
    before = stored(push_database)
    for redirect_to in (evil, "https://shop.example.com@evil.example.net", "https://other.example.com/elsewhere"):
        response = push_client.post(SUBSCRIBE, json=body("Google", code, redirect_to), headers=headers)
        assert response.status_code == 422, response.text
        assert "CALCAST_PUSH_REDIRECT_ORIGINS" in response.json()["Reason"]
        assert response.json()["errors"][0]["field"] == "redirectTo"
    assert stored(push_database) == before
    assert code in google.codes  # never sent to Google


@pytest.mark.slow
@pytest.mark.parametrize("method", ["Google", "Microsoft"])
def test_a_used_or_invalid_code_is_refused_and_stores_nothing(
    method: str,
    push_database: Database,
    owner: Persona,
    push_client: TestClient,
    google: GoogleStandIn,
    microsoft: MicrosoftStandIn,
) -> None:
    code = google_code(google) if method == "Google" else microsoft_code(microsoft)
    headers = bearer(push_client, owner)
    first = push_client.post(SUBSCRIBE, json=body(method, code), headers=headers)
    assert first.status_code == 200, first.text
    after_first = stored(push_database)

    for used_or_invalid in (code, "4/not-a-code"):
        response = push_client.post(SUBSCRIBE, json=body(method, used_or_invalid, subscriber="ext-2"), headers=headers)
        assert response.status_code == 422, response.text
        assert f"{method} refused the authorization code" in response.json()["Reason"]
        assert response.json()["errors"][0]["field"] == "authCode"
    assert stored(push_database) == after_first
    with push_database.sessions() as session:
        assert session.scalar(select(Subscription).where(Subscription.subscriber_id == "ext-2")) is None

    # A code issued for another redirect address than the one sent is refused the same way.
    other = google_code(google) if method == "Google" else microsoft_code(microsoft)
    wrong = push_client.post(
        SUBSCRIBE, json=body(method, other, f"{WIDGET_ORIGIN}/checkout", subscriber="ext-3"), headers=headers
    )
    assert wrong.status_code == 422, wrong.text
    assert stored(push_database) == after_first


@pytest.mark.slow
def test_the_provider_down_answers_503_and_stores_nothing(
    push_database: Database,
    push_settings: Settings,
    owner: Persona,
    push_client: TestClient,
    google: GoogleStandIn,
) -> None:
    code = google_code(google)
    headers = bearer(push_client, owner)
    # Google cannot be reached: its token address is a loopback port nobody listens on.
    down = assembly.database(push_settings.model_copy(update={"google_token_url": "http://127.0.0.1:9/token"}))
    try:
        with TestClient(create_app(down.settings, down), raise_server_exceptions=False) as down_client:
            response = down_client.post(SUBSCRIBE, json=body("Google", code), headers=headers)
    finally:
        down.dispose()
    assert response.status_code == 503, response.text
    assert response.headers["retry-after"] == "30"
    assert "nothing was stored" in response.json()["Reason"]
    assert stored(push_database) == (0, 0)

    # The same code works once Google answers again: nothing half-done stood in the way.
    again = push_client.post(SUBSCRIBE, json=body("Google", code), headers=headers)
    assert again.status_code == 200, again.text
    assert stored(push_database) == (1, 1)


def test_a_method_without_its_settings_is_not_offered(client: TestClient, database: Database, owner: Persona) -> None:
    headers = bearer(client, owner)
    response = client.post(SUBSCRIBE, json=body("Microsoft", "M.some-code"), headers=headers)
    assert response.status_code == 422, response.text
    assert "not offered" in response.json()["Reason"]
    assert stored(database) == (0, 0)


@pytest.mark.parametrize(
    ("sent", "field"),
    [
        ({"subscriptionMethod": "Google", "authCode": "4/x"}, "redirectTo"),
        ({"subscriptionMethod": "Google", "redirectTo": WIDGET_ORIGIN}, "authCode"),
        ({"subscriptionMethod": "WebCal", "authCode": "4/x", "redirectTo": WIDGET_ORIGIN}, "subscriptionMethod"),
        ({"authCode": "4/x", "redirectTo": WIDGET_ORIGIN}, "subscriptionMethod"),
    ],
)
def test_an_incomplete_push_request_says_what_is_missing(
    sent: dict[str, str], field: str, client: TestClient, database: Database, owner: Persona
) -> None:
    response = client.post(SUBSCRIBE, json={"subscriberId": EXTERNAL_ID, **sent}, headers=bearer(client, owner))
    assert response.status_code == 422, response.text
    assert response.json()["errors"][0]["field"] == field
    assert stored(database) == (0, 0)


def test_the_allow_list_takes_origins_exact_addresses_and_calcasts_own_callback(settings: Settings) -> None:
    configured = settings.model_copy(
        update={"push_redirect_origins": "https://shop.example.com/, https://app.example.org/oauth/done, postmessage"}
    )
    allowed = [
        "https://shop.example.com",
        "https://shop.example.com/",
        "https://SHOP.example.com/any/page",
        "https://app.example.org/oauth/done",
        "postmessage",
        push.callback_url(configured, Provider.GOOGLE),
    ]
    refused = [
        "http://shop.example.com",  # another scheme is another origin
        "https://shop.example.com:8443",
        "https://shop.example.com.evil.net",
        "https://shop.example.com@evil.net",
        "https://user@shop.example.com",
        "https://app.example.org/oauth/other",
        "https://app.example.org",
        "javascript:alert(1)",
        push.callback_url(configured, Provider.MICROSOFT) + "/x",
        "",
    ]
    assert [address for address in allowed if not push.redirect_allowed(configured, Provider.GOOGLE, address)] == []
    assert [address for address in refused if push.redirect_allowed(configured, Provider.GOOGLE, address)] == []
    assert not push.redirect_allowed(settings, Provider.GOOGLE, "https://shop.example.com")  # nothing configured
