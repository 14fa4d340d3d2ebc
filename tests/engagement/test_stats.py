"""`calcast stats`: people who clicked, person and bot clicks, engagement per calendar and per event."""

from __future__ import annotations

import json
from typing import Any

from fastapi.testclient import TestClient

from calcast.core.db import Database
from tests.engagement.conftest import click, event_urls, fetch, path_of
from tests.feeds.conftest import World, in_days


def test_stats_show_people_who_clicked_clicks_bot_clicks_and_engagement(
    client: TestClient, cli: Any, database: Database, world: World
) -> None:
    feeds = [world.subscribe(f"ext-{number}") for number in range(4)]  # four active subscribers
    world.broadcast("Match", in_days(3), url="https://tickets.example.com/match")
    world.broadcast("Final", in_days(5), url="https://tickets.example.com/final")
    links = [event_urls(fetch(client, feed)) for feed in feeds]
    # ext-0: Match twice and Final once; ext-1: Match once; a scanner: HEAD on ext-2's Match; ext-3: nothing.
    for path in (links[0]["Match"], links[0]["Match"], links[0]["Final"], links[1]["Match"]):
        assert click(client, path_of(path)).status_code == 302
    click(client, path_of(links[2]["Match"]), method="HEAD")

    result = cli("stats", "owner", "main", "--json")
    assert result.exit_code == 0, result.stderr
    [stats] = json.loads(result.stdout)
    assert (stats["active"], stats["clicked_people"], stats["clicks"], stats["bot_clicks"]) == (4, 2, 4, 1)
    assert stats["clicked_share"] == 0.5
    assert [(event["title"], event["people"], event["clicks"]) for event in stats["clicks_by_event"]] == [
        ("Match", 2, 3),
        ("Final", 1, 1),
    ]

    human = cli("stats", "owner", "main").stdout
    assert "clicks      2 people clicked (50% of active) · 4 clicks · 1 by bots and scanners" in human
    assert "Match" in human
