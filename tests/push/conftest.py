"""Push sync fixtures: the Google stand-in, settings that point at it, the app and a worker using them."""

from __future__ import annotations

import html
import re
import time
from collections.abc import Iterator
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from fastapi.testclient import TestClient
from liquid import Environment, StrictUndefined
from sqlalchemy import select

from calcast import assembly
from calcast.app import create_app
from calcast.core.config import Settings
from calcast.core.db import Database, utcnow
from calcast.outbox.models import OutboxMessage, OutboxStatus
from calcast.push.models import PushConnection
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription
from tests.conftest import Persona
from tests.events.test_seed_templates import SEED, braze_rewrite, change_captures, render, send
from tests.support import microsoft_standin
from tests.support.braze_sync import FAST
from tests.support.google_standin import CLIENT_ID, CLIENT_SECRET, GoogleStandIn, running_google_standin
from tests.support.microsoft_standin import MicrosoftStandIn, running_microsoft_standin

# The brand's own page that obtains authorization codes for POST /v2/subscribe (allowed by the push settings).
WIDGET_ORIGIN = "https://shop.example.com"


@pytest.fixture
def google() -> Iterator[GoogleStandIn]:
    with running_google_standin() as standin:
        yield standin


@pytest.fixture
def microsoft() -> Iterator[MicrosoftStandIn]:
    with running_microsoft_standin() as standin:
        yield standin


@pytest.fixture
def push_settings(database: Database, google: GoogleStandIn, microsoft: MicrosoftStandIn) -> Settings:
    return database.settings.model_copy(
        update={
            "google_client_id": CLIENT_ID,
            "google_client_secret": CLIENT_SECRET,
            "google_auth_url": f"{google.url}/o/oauth2/v2/auth",
            "google_token_url": f"{google.url}/token",
            "google_revoke_url": f"{google.url}/revoke",
            "google_api_url": f"{google.url}/calendar/v3",
            "microsoft_client_id": microsoft_standin.CLIENT_ID,
            "microsoft_client_secret": microsoft_standin.CLIENT_SECRET,
            "microsoft_tenant": microsoft_standin.TENANT,
            "microsoft_login_url": microsoft.url,
            "microsoft_graph_url": f"{microsoft.url}/v1.0",
            "push_redirect_origins": f"{WIDGET_ORIGIN}, https://other.example.com/exact/callback",
            **FAST,
        }
    )


@pytest.fixture
def push_database(database: Database, push_settings: Settings) -> Iterator[Database]:
    """The test's database, opened with settings that offer Google by push (pointed at the stand-in)."""
    opened = assembly.database(push_settings)
    yield opened
    opened.dispose()


@pytest.fixture
def push_client(push_database: Database) -> Iterator[TestClient]:
    with TestClient(create_app(push_database.settings, push_database), raise_server_exceptions=False) as test_client:
        yield test_client


def drain(database: Database, *, within: float = 20.0) -> None:
    """Deliver until no push row is pending any more (waiting out short backoffs), with a deadline."""
    runner = assembly.worker(database)
    deadline = time.monotonic() + within
    try:
        while True:
            runner.drain()
            with database.sessions() as session:
                waiting = session.scalar(
                    select(OutboxMessage.id).where(
                        OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.kind == "push"
                    )
                )
            if waiting is None:
                return
            assert time.monotonic() < deadline, "push rows still pending"
            time.sleep(0.05)
    finally:
        runner.close()


def manage_path(settings: Settings, subscription_id: str, database: Database) -> str:
    with database.sessions() as session:
        subscription = session.get_one(Subscription, subscription_id)
        return subscriptions.manage_url(settings, subscription).removeprefix(settings.base_url)


def connect_google(client: TestClient, google: GoogleStandIn, settings: Settings, path: str) -> str:
    """The subscriber's walk: confirmation page → Google's consent page → Allow → back to calcast. The page text."""
    return connect_oauth(client, settings, path, "google", google.url, "/o/oauth2/v2/approve", "allow")


def connect_oauth(
    client: TestClient, settings: Settings, path: str, provider: str, standin_url: str, approve: str, decision: str
) -> str:
    """Confirmation page → the provider's consent page → its button → back to calcast. calcast's page text."""
    page = client.get(path + "/add")
    assert f'href="{path}/push/{provider}"' in page.text
    start = client.get(f"{path}/push/{provider}", follow_redirects=False)
    assert start.status_code == 303
    consent_url = start.headers["location"]
    assert consent_url.startswith(standin_url)
    assert "code_challenge_method=S256" in consent_url  # calcast's own walk always uses PKCE
    with httpx.Client() as browser:
        consent = browser.get(consent_url)
        assert consent.status_code == 200, consent.text
        hidden = re.findall(r'name="([^"]+)" value="([^"]*)"', consent.text)
        fields = {name: html.unescape(value) for name, value in hidden}
        back = browser.post(standin_url + approve, data={**fields, "decision": decision})
    assert back.status_code == 302
    callback = back.headers["location"]
    assert callback.startswith(f"{settings.base_url}/push/{provider}/callback?")
    done = client.get(callback.removeprefix(settings.base_url))
    assert done.status_code in (200, 403), done.text
    return done.text


def connection(database: Database, subscription_id: str) -> PushConnection:
    with database.sessions() as session:
        found = session.scalar(select(PushConnection).where(PushConnection.subscription_id == subscription_id))
        assert found is not None
        return found


def braze_profile(database: Database, subscription_id: str, external_id: str) -> dict[str, Any]:
    with database.sessions() as session:
        suffix = session.get_one(Subscription, subscription_id).suffix
    return {
        "user_id": external_id,
        "rokt_account_code": [f"owner/{suffix}"],
        "rokt_subscription_id": [subscription_id],
    }


def seed_send(
    client: TestClient, owner: Persona, profile: dict[str, Any], template: str, **captures: str
) -> dict[str, Any]:
    """Braze sends the seed page's webhook template (new or update) for this profile, with the marketer's values."""
    base_url = "http://testserver"
    authorization = render("authorization_header.liquid", client, owner, profile, base_url)
    url = render(f"{template}_url.liquid", client, owner, profile, base_url)
    source = change_captures((SEED / f"{template}_body.liquid").read_text(encoding="utf-8"), **captures)
    body = Environment(undefined=StrictUndefined).from_string(braze_rewrite(source)).render(**profile).strip()
    response = send(client, url, authorization, body)
    assert response.status_code == 202, response.text
    result: dict[str, Any] = response.json()
    return result


def local_time(moment: datetime) -> str:
    """A capture value as the seed templates write times: local wall time without a zone."""
    return moment.strftime("%Y-%m-%dT%H:%M:%S")


def tomorrow_at(hour: int) -> datetime:
    return (utcnow() + timedelta(days=1)).replace(hour=hour, minute=0, second=0, microsecond=0, tzinfo=None)
