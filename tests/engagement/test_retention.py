"""Click retention: the worker's job deletes clicks older than CALCAST_CLICK_RETENTION_DAYS, and only those."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from calcast import assembly
from calcast.core.db import Database, utcnow
from calcast.engagement.models import Click, FirstClick
from tests.engagement.conftest import click, event_urls, fetch, path_of
from tests.feeds.conftest import World, in_days


def test_the_retention_job_deletes_only_clicks_past_the_retention_days(
    client: TestClient, database: Database, world: World
) -> None:
    feed = world.subscribe("ext-1")
    world.broadcast("Match", in_days(3), url="https://tickets.example.com/match")
    link = path_of(event_urls(fetch(client, feed))["Match"])
    for _ in range(3):
        assert click(client, link).status_code == 302
    now = utcnow()
    with database.transaction() as session:
        ids = sorted(session.scalars(select(Click.id)))
        # One click from 401 days ago, one from exactly 399: the default keeps 400 days.
        session.execute(update(Click).where(Click.id == ids[0]).values(clicked_at=now - timedelta(days=401)))
        session.execute(update(Click).where(Click.id == ids[1]).values(clicked_at=now - timedelta(days=399)))
    jobs = {job.name: job for job in assembly.periodic_jobs()}

    deleted = jobs["click-retention"].run(transaction=database.transaction, settings=database.settings, now=now)

    assert deleted == 1
    with database.sessions() as session:
        assert sorted(session.scalars(select(Click.id))) == ids[1:]
        assert session.scalar(select(func.count()).select_from(FirstClick)) == 1  # a person's first click stays
    again = jobs["click-retention"].run(transaction=database.transaction, settings=database.settings, now=now)
    assert again == 0
