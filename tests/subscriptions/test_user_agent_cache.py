"""Huge User-Agent headers: the app-choice page parses and caches only their start, so memory stays flat."""

from __future__ import annotations

import gc
import tracemalloc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from calcast import assembly
from calcast.app import create_app
from calcast.core.db import Database
from calcast.subscriptions.capture import operating_system
from calcast.subscriptions.models import Subscription
from calcast.subscriptions.service import manage_url
from tests.conftest import Persona, make_settings
from tests.rokt_api import subscribe

IPHONE = "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148"


@pytest.fixture
def pages(database: Database) -> Iterator[TestClient]:
    db = assembly.database(make_settings(database.settings.database_url, manage_rate_per_minute=10_000))
    with TestClient(create_app(db.settings, db), raise_server_exceptions=False) as client:
        yield client
    db.dispose()


def test_many_distinct_huge_user_agents_do_not_grow_memory(
    pages: TestClient, database: Database, owner: Persona
) -> None:
    subscription_id = subscribe(database, owner, "ext-1")
    with database.sessions() as session:
        subscription = session.get(Subscription, subscription_id)
        assert subscription is not None
        path = manage_url(database.settings, subscription).removeprefix(database.settings.base_url) + "/add"
    # One request first: what the page loads once (templates, lazily imported modules) is not per user agent.
    assert pages.get(path, headers={"User-Agent": IPHONE}).status_code == 200
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        for n in range(40):
            user_agent = f"{IPHONE} {n:04d} " + "x" * 262_144  # 40 distinct 256 KB headers: 10 MB if kept
            assert pages.get(path, headers={"User-Agent": user_agent}).status_code == 200
        gc.collect()
        grown = tracemalloc.get_traced_memory()[0] - before
    finally:
        tracemalloc.stop()
    assert grown < 2_000_000, f"memory grew by {grown:,} bytes"


def test_the_device_is_still_recognised_from_the_start_of_a_long_header() -> None:
    assert operating_system(IPHONE + " " + "x" * 1_000_000) == "iOS"
