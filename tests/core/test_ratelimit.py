"""Rate limits: the subscribe form, the manage pages and failed token requests, in memory and shared through Redis."""

from __future__ import annotations

import os
import secrets
from collections.abc import Callable, Iterator
from contextlib import ExitStack

import pytest
from fastapi.testclient import TestClient

from calcast import assembly
from calcast.app import create_app
from calcast.core.config import Settings
from calcast.core.db import Database
from calcast.core.ratelimit import redis_problem
from calcast.subscriptions.models import Subscription
from calcast.subscriptions.service import manage_url
from tests.conftest import Cli, Persona, make_settings
from tests.rokt_api import subscribe

REDIS_URL = os.environ.get("CALCAST_TEST_REDIS", "redis://127.0.0.1:6379/0")

OpenApp = Callable[..., Callable[[str], TestClient]]


@pytest.fixture
def open_app(database: Database) -> Iterator[OpenApp]:
    """open_app(**settings) starts an app instance (a process, as far as limits go); its result opens a client
    calling from a given address."""
    with ExitStack() as stack:

        def open_with(**overrides: object) -> Callable[[str], TestClient]:
            db = assembly.database(make_settings(database.settings.database_url, **overrides))
            stack.callback(db.dispose)
            app = create_app(db.settings, db)
            return lambda ip: TestClient(app, client=(ip, 50000), raise_server_exceptions=False)

        yield open_with


@pytest.fixture
def redis_url() -> str:
    """The Redis of the test machine (CALCAST_TEST_REDIS); a clear failure when it does not answer."""
    problem = redis_problem(Settings(redis_url=REDIS_URL))
    if problem:
        pytest.fail(f"These tests need Redis: {problem} (or point CALCAST_TEST_REDIS at one)")
    return REDIS_URL


def a_network() -> str:
    """An address no other test (or earlier run within the minute) has used, so Redis keys never collide."""
    return f"10.{secrets.randbelow(256)}.{secrets.randbelow(256)}.{secrets.randbelow(254) + 1}"


def manage_path(database: Database, owner: Persona) -> str:
    subscription_id = subscribe(database, owner, f"ext-{secrets.token_hex(4)}")
    with database.sessions() as session:
        subscription = session.get(Subscription, subscription_id)
        assert subscription is not None
        return manage_url(database.settings, subscription).removeprefix(database.settings.base_url)


def test_manage_pages_are_limited_per_network_with_retry_after(
    open_app: OpenApp, database: Database, owner: Persona
) -> None:
    clients = open_app(manage_rate_per_minute=3)
    path, here, elsewhere = manage_path(database, owner), clients("203.0.113.7"), clients("198.51.100.9")
    assert [here.get(path).status_code for _ in range(3)] == [200, 200, 200]
    refused = here.get(path + "/add")
    assert refused.status_code == 429
    assert 55 <= int(refused.headers["retry-after"]) <= 60
    assert refused.json()["Reason"].startswith("Too many requests from your network; wait ")
    # A guessed link counts as much as a genuine one; another network is not held back.
    assert here.get("/manage/guess/guess").status_code == 429
    assert elsewhere.get(path).status_code == 200


def test_ipv6_clients_are_limited_per_64(open_app: OpenApp, database: Database, owner: Persona) -> None:
    clients = open_app(manage_rate_per_minute=2)
    path = manage_path(database, owner)
    assert clients("2001:db8:1:2::10").get(path).status_code == 200
    assert clients("2001:db8:1:2:ffff::1").get(path).status_code == 200
    assert clients("2001:db8:1:2::99").get(path).status_code == 429
    assert clients("2001:db8:1:3::10").get(path).status_code == 200


def test_the_limits_of_two_processes_are_apart_without_redis(
    open_app: OpenApp, database: Database, owner: Persona
) -> None:
    path = manage_path(database, owner)
    first, second = open_app(manage_rate_per_minute=1), open_app(manage_rate_per_minute=1)
    assert first("203.0.113.7").get(path).status_code == 200
    assert first("203.0.113.7").get(path).status_code == 429
    assert second("203.0.113.7").get(path).status_code == 200


def test_two_app_instances_share_the_manage_page_limit_through_redis(
    open_app: OpenApp, database: Database, owner: Persona, redis_url: str
) -> None:
    path, network = manage_path(database, owner), a_network()
    first = open_app(redis_url=redis_url, manage_rate_per_minute=2)(network)
    second = open_app(redis_url=redis_url, manage_rate_per_minute=2)(network)
    assert first.get(path).status_code == 200
    assert second.get(path).status_code == 200
    assert first.get(path).status_code == 429
    refused = second.get(path)
    assert refused.status_code == 429
    assert 1 <= int(refused.headers["retry-after"]) <= 60


def test_two_app_instances_share_the_subscribe_limit_through_redis(
    open_app: OpenApp, database: Database, owner: Persona, redis_url: str
) -> None:
    network = a_network()
    first = open_app(redis_url=redis_url, subscribe_rate_per_minute=1)(network)
    second = open_app(redis_url=redis_url, subscribe_rate_per_minute=1)(network)

    def send_form(client: TestClient) -> int:
        page = client.get("/owner/main").text
        token = page.split('name="form_token" value="', 1)[1].split('"', 1)[0]
        return client.post(
            "/owner/main", data={"form_token": token, "tags": "All Teams"}, follow_redirects=False
        ).status_code

    assert send_form(first) == 303
    assert send_form(second) == 429


def test_two_app_instances_share_the_token_failure_limit_through_redis(
    open_app: OpenApp, owner: Persona, redis_url: str
) -> None:
    first = open_app(redis_url=redis_url, token_failures_per_minute=2)
    second = open_app(redis_url=redis_url, token_failures_per_minute=2)
    client_id, form = f"guess-{secrets.token_hex(8)}", {"grant_type": "client_credentials"}
    assert first(a_network()).post("/oauth2/token", auth=(client_id, "x"), data=form).status_code == 401
    assert second(a_network()).post("/oauth2/token", auth=(client_id, "y"), data=form).status_code == 401
    refused = first(a_network()).post("/oauth2/token", auth=(client_id, "z"), data=form)
    assert refused.status_code == 429
    assert refused.json()["error"] == "temporarily_unavailable"
    # The owner's own client is not held back by failures on another client id.
    assert second(a_network()).post("/oauth2/token", auth=owner.basic_auth, data=form).status_code == 200


def test_requests_go_through_while_redis_does_not_answer(
    open_app: OpenApp, database: Database, owner: Persona, caplog: pytest.LogCaptureFixture
) -> None:
    clients = open_app(redis_url="redis://127.0.0.1:1/0", manage_rate_per_minute=1)
    path = manage_path(database, owner)
    assert [clients("203.0.113.7").get(path).status_code for _ in range(3)] == [200, 200, 200]
    assert "rate limits not applied: the Redis storage failed" in caplog.text


def test_calcast_serve_refuses_to_start_when_redis_does_not_answer(cli: Cli) -> None:
    done = cli("serve", env={"CALCAST_REDIS_URL": "redis://user:hunter2@127.0.0.1:1/0"})
    assert done.exit_code == 1
    assert done.stderr == (
        "Error: CALCAST_REDIS_URL is set to redis://user:***@127.0.0.1:1/0, but no Redis answers there; "
        "start Redis or fix the URL.\n"
    )
