"""`calcast subscription rotate-token`: a new feed URL, the old one retired like an unsubscription."""

from __future__ import annotations

import json
from datetime import timedelta

from fastapi.testclient import TestClient

from calcast.core.db import Database, utcnow
from calcast.feeds import api, service
from calcast.feeds.cache import FeedRuntime
from tests.conftest import Cli
from tests.feeds.conftest import World, in_days, summaries


def test_rotating_gives_a_new_url_and_retires_the_old_one(
    client: TestClient, database: Database, world: World, cli: Cli
) -> None:
    old = world.subscribe("fan-1")
    world.broadcast("Kick-off", in_days(3))
    assert summaries(client.get(old.path).content) == ["Kick-off"]

    result = cli("subscription", "rotate-token", old.subscription_id, "--json")
    assert result.exit_code == 0, result.stderr
    rotated = json.loads(result.stdout)
    assert rotated["subscriptionId"] == old.subscription_id
    new_path = rotated["subscriptionUrl"].removeprefix(database.settings.base_url)
    assert new_path != old.path
    assert rotated["webcalUrl"] == "webcal://" + rotated["subscriptionUrl"].split("://", 1)[1]

    assert summaries(client.get(new_path).content) == ["Kick-off"]
    retired = client.get(old.path)
    assert retired.status_code == 200
    assert summaries(retired.content) == []
    assert b"(unsubscribed)" in retired.content
    runtime = FeedRuntime.create(1 << 20)
    with database.transaction() as session:
        later = service.fetch_feed(
            session=session,
            settings=database.settings,
            runtime=runtime,
            token=old.token,
            now=utcnow() + timedelta(days=database.settings.feed_grace_days, seconds=1),
        )
    assert api.respond(later, api.FeedRequest(token=old.token), database.settings).status == 410
    assert client.get(new_path).status_code == 200


def test_rotating_an_unknown_subscription_says_so(world: World, cli: Cli) -> None:
    result = cli("subscription", "rotate-token", "00000000-0000-4000-8000-000000000000")
    assert result.exit_code == 1
    assert "no subscription" in result.stderr
