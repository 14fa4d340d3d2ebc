"""The imported season in a real calendar client: vdirsyncer pulls the feed, khal shows the expanded series."""

from __future__ import annotations

from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from calcast.core.db import Database
from tests.feeds.conftest import World
from tests.imports.conftest import import_bytes, running_source, season
from tests.support.khal import khal_client

pytestmark = pytest.mark.slow


def test_khal_shows_each_occurrence_and_the_zones_where_the_file_put_them(
    database: Database, world: World, client: TestClient, tmp_path: Path
) -> None:
    import_bytes(database, season())
    feed = world.subscribe("fan-1")
    answer = client.get(feed.path)
    assert answer.status_code == 200

    # The feed's bytes as calcast served them, from a plain server vdirsyncer can reach.
    with running_source(answer.content, path="/feed.ics") as served:
        khal = khal_client(tmp_path, served.url)
        khal.sync()

    assert shown_by_day(khal.list("2035-03-01", "45d")) == [
        "2035-03-05 19:00-20:30 Open training",
        "2035-03-12 19:00-20:30 Open training",
        "2035-03-17 01:00-03:00 Friendly in New York",  # 20:00 in New York the evening before
        "2035-03-17 18:30-20:30 Derby: Union – Hertha ⏰",  # the reminder came along
        "2035-03-26 20:00-21:30 Open training (late, with fans)",  # moved by RECURRENCE-ID; 19 March: EXDATE
        "2035-04-02 19:00-20:30 Open training",  # after the DST change, still 19:00 in Berlin
        "2035-04-05 Easter break",
        "2035-04-09 19:00-20:30 Open training",
    ]


def shown_by_day(listed: str) -> list[str]:
    """khal's list as `DAY HH:MM-HH:MM Title` lines, without the descriptions it prints after ` :: `."""
    shown: list[str] = []
    day = ""
    for line in listed.splitlines():
        heading = line.split(", ")
        if len(heading) == 2 and heading[1][:4].isdigit() and heading[1].count("-") == 2:
            day = heading[1]
        elif " :: " in line:
            shown.append(f"{day} {line.split(' :: ')[0].strip()}")
    return shown
