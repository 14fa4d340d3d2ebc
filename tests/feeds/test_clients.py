"""A real calendar client end to end: vdirsyncer pulls the feed over HTTP from a running server, khal shows it."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from datetime import date, timedelta
from pathlib import Path

import pytest
import uvicorn

from calcast.app import create_app
from calcast.core.db import Database, utcnow
from tests.feeds.conftest import World
from tests.support.khal import khal_client

# Real calendar clients (vdirsyncer, khal) in processes of their own, against calcast served over HTTP.
pytestmark = pytest.mark.slow


@pytest.fixture
def live_server(database: Database) -> Iterator[str]:
    """calcast under uvicorn on a free loopback port, for clients that speak real HTTP."""
    sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind(("127.0.0.1", 0))
    port = sock.getsockname()[1]
    server = uvicorn.Server(uvicorn.Config(create_app(database.settings, database), log_level="warning"))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        assert time.monotonic() < deadline, "the server did not start"
        time.sleep(0.05)
    yield f"http://127.0.0.1:{port}"
    server.should_exit = True
    thread.join(timeout=10)
    sock.close()


def next_us_spring_forward() -> date:
    """The next second Sunday of March (US clocks go forward; Europe's change is two weeks later)."""
    today = utcnow().date()
    for year in (today.year, today.year + 1):
        march = date(year, 3, 1)
        second_sunday = march + timedelta(days=(6 - march.weekday()) % 7 + 7)
        if second_sunday > today + timedelta(days=1):
            return second_sunday
    raise AssertionError("unreachable")


def test_vdirsyncer_and_khal_show_the_events_at_the_right_local_time_across_dst(
    world: World, live_server: str, tmp_path: Path
) -> None:
    feed = world.subscribe("fan-1")
    day = next_us_spring_forward()
    # 01:30–09:30 New York on the night its clocks go forward = 06:30–13:30 UTC = 07:30–14:30 in Berlin (still CET).
    world.personal(
        [feed],
        "night-shift",
        "Night shift",
        f"{day}T01:30:00",
        f"{day}T09:30:00",
        timezone="Eastern Standard Time",
        notify_before=30,
    )
    world.broadcast(
        "Match, day; one",
        f"{day}T18:00:00",
        f"{day}T20:00:00",
        timezone="Europe/Berlin",
        description="Line one\nLine two, with; punctuation",
    )

    client = khal_client(tmp_path, f"{live_server}{feed.path}.ics")
    client.sync()
    assert len(list(client.calendars.glob("*.ics"))) == 2

    listed = client.list(day.isoformat(), "1d")
    assert "07:30-14:30 Night shift" in listed
    assert "18:00-20:00 Match, day; one" in listed

    shown = client.search("Match")
    assert "Match, day; one" in shown

    # The event moves; the next sync shows the change.
    world.update_personal(
        "night-shift", "Night shift (moved)", f"{day}T03:30:00", f"{day}T11:30:00", timezone="America/New_York"
    )
    client.sync()
    listed = client.list(day.isoformat(), "1d")
    assert "08:30-16:30 Night shift (moved)" in listed  # 03:30 EDT = 07:30 UTC = 08:30 CET
    assert listed.count("Night shift") == 1, listed
