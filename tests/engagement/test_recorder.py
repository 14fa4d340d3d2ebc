"""Clicks are written in batches by each server process: within a second, after a failed write, when it stops."""

from __future__ import annotations

import time
from dataclasses import replace

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from calcast.app import create_app
from calcast.core.db import Database, utcnow
from calcast.engagement import service
from calcast.engagement.models import FirstClick
from calcast.engagement.recorder import ClickRecorder
from tests.engagement.conftest import SAFARI, TICKETS, clicks, event_urls, fetch, path_of
from tests.feeds.conftest import World, in_days


def tracked_path(client: TestClient, world: World, external_id: str = "ext-1") -> str:
    feed = world.subscribe(external_id)
    world.broadcast("Match", in_days(3), url=TICKETS)
    return path_of(event_urls(fetch(client, feed))["Match"])


def open_link(client: TestClient, path: str) -> None:
    answer = client.get(path, headers={"User-Agent": SAFARI}, follow_redirects=False)
    assert (answer.status_code, answer.headers["location"]) == (302, TICKETS)


def test_the_server_writes_a_click_within_a_second_by_itself(
    client: TestClient, database: Database, world: World
) -> None:
    path = tracked_path(client, world)
    open_link(client, path)
    deadline = time.monotonic() + 3
    while not clicks(database) and time.monotonic() < deadline:
        time.sleep(0.05)
    [written] = clicks(database)
    assert (written.link, written.is_bot, written.client_family) == (TICKETS, False, "other")


def test_clicks_still_counted_when_the_server_stops_are_written(database: Database, world: World) -> None:
    settings = database.settings.model_copy(update={"click_write_interval_seconds": 60})
    with TestClient(create_app(settings, database)) as client:
        path = tracked_path(client, world)
        open_link(client, path)
        open_link(client, path)
        assert clicks(database) == []  # not yet: the next write is a minute away
    assert len(clicks(database)) == 2
    with database.sessions() as session:
        assert len(list(session.scalars(select(FirstClick)))) == 1


def test_a_batch_that_cannot_be_written_is_kept_and_written_with_the_next(
    client: TestClient, database: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    path = tracked_path(client, world)
    recorder: ClickRecorder = client.app.state.clicks  # type: ignore[attr-defined]
    original = service.record_clicks

    def unreachable(**_arguments: object) -> int:
        raise ConnectionError("database unreachable")

    monkeypatch.setattr(service, "record_clicks", unreachable)
    open_link(client, path)
    assert recorder.flush() is False
    assert clicks(database) == []
    open_link(client, path)
    monkeypatch.setattr(service, "record_clicks", original)
    assert recorder.flush() is True
    assert len(clicks(database)) == 2
    assert len(recorder) == 0


def test_one_first_click_however_the_clicks_are_batched_and_whichever_process_writes_them(
    client: TestClient, database: Database, world: World
) -> None:
    path = tracked_path(client, world)
    token = path.removeprefix("/r/")
    with database.sessions() as session:
        counted = service.resolve(session=session, settings=database.settings, token=token, user_agent=SAFARI)
    assert counted.click is not None
    # Two clicks in one batch, then the same person's click written by another process's batch.
    with database.transaction() as session:
        assert service.record_clicks(session=session, clicks=[counted.click, counted.click]) == 1
    with database.transaction() as session:
        assert service.record_clicks(session=session, clicks=[replace(counted.click, clicked_at=utcnow())]) == 0
    assert len(clicks(database)) == 3
    with database.sessions() as session:
        assert len(list(session.scalars(select(FirstClick)))) == 1


def test_a_click_of_a_subscription_gone_before_the_write_does_not_hold_up_the_others(
    client: TestClient, database: Database, world: World
) -> None:
    path = tracked_path(client, world)
    with database.sessions() as session:
        counted = service.resolve(
            session=session, settings=database.settings, token=path.removeprefix("/r/"), user_agent=SAFARI
        )
    assert counted.click is not None
    gone = replace(counted.click, subscription_id="00000000-0000-0000-0000-000000000000")
    with database.transaction() as session:
        assert service.record_clicks(session=session, clicks=[gone, counted.click]) == 1
    assert [click.subscription_id for click in clicks(database)] == [counted.click.subscription_id]
