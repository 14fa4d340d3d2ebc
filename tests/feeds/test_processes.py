"""Several real server processes (`calcast serve --workers 2`): a change committed before a 202 reaches every
process's next poll within a second, on SQLite and PostgreSQL."""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from calcast.core.db import Database
from calcast.subscriptions import service as subscriptions
from tests.conftest import Persona
from tests.feeds.conftest import World, in_days, summaries
from tests.rokt_api import event_body

pytestmark = pytest.mark.slow
CALCAST = Path(sys.executable).parent / "calcast"
POLLS = 24  # each on a new connection: the kernel spreads them over both processes


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@pytest.fixture
def served(database: Database, tmp_path: Path) -> Iterator[str]:
    """`calcast serve --workers 2` on the test database; yields its base URL."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env = {
        **os.environ,
        "CALCAST_DATABASE_URL": database.settings.database_url,
        "CALCAST_SECRET_KEY": database.settings.secret_key,
        "CALCAST_BASE_URL": base,
        "CALCAST_RUN_WORKER_IN_SERVER": "false",
    }
    command = [str(CALCAST), "serve", "--workers", "2", "--port", str(port)]
    log = tmp_path / "serve.log"
    with log.open("wb") as output:
        process = subprocess.Popen(command, env=env, stdout=output, stderr=subprocess.STDOUT)
    deadline = time.monotonic() + 60
    while True:
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.TransportError:
            pass
        assert process.poll() is None, log.read_text()
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.1)
    time.sleep(1.5)  # both processes up, their change watchers vouching for their memory
    yield base
    process.terminate()
    process.wait(timeout=30)


def polls(url: str) -> list[bytes]:
    return [httpx.get(url, headers={"Connection": "close"}).content for _ in range(POLLS)]


def test_every_process_serves_a_change_within_a_second_of_its_202(
    database: Database, world: World, owner: Persona, served: str
) -> None:
    fan, leaving, rotated = world.subscribe("fan-1"), world.subscribe("fan-2"), world.subscribe("fan-3")
    world.broadcast("Kick-off", in_days(3))
    for feed in (fan, leaving, rotated):
        assert all(summaries(body) == ["Kick-off"] for body in polls(served + feed.path))
    time.sleep(1)  # every process answers these feeds from memory now

    with httpx.Client(base_url=served) as api:
        token = api.post(
            "/oauth2/token",
            data={"grant_type": "client_credentials"},
            auth=(owner.client_id or "", owner.client_secret or ""),
        ).json()["access_token"]
        body = {
            "event": event_body("seat", title="Your seat", start=in_days(4), end=in_days(4, 11)),
            "subscriptionIds": [fan.subscription_id],
        }
        pushed = api.post("/v1/subscriptionevent/owner", json=body, headers={"Authorization": f"Bearer {token}"})
    assert pushed.status_code == 202, pushed.text
    with database.transaction() as session:  # another process's writes: the CLI's, say
        subscriptions.deactivate(
            session=session,
            subscription=subscriptions.get_subscription(session=session, subscription_id=leaving.subscription_id),
        )
        subscriptions.rotate_feed_token(
            session=session, settings=database.settings, subscription_id=rotated.subscription_id
        )
    time.sleep(1)
    assert all(summaries(body) == ["Kick-off", "Your seat"] for body in polls(served + fan.path))
    for feed in (leaving, rotated):
        assert all(b"(unsubscribed)" in body and summaries(body) == [] for body in polls(served + feed.path))
