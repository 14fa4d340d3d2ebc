"""The dashboard: the same numbers as `calcast stats`, each tile's change, and a chart that adds up."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import update

from calcast.analytics import service as analytics
from calcast.core.db import Database, utcnow
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription
from tests.console.conftest import ConsolePersona, act_as


def subscription(database: Database, account: str, subscriber: str, *, made: float, ended: float | None = None) -> None:
    """A subscription made `made` days ago (and ended `ended` days ago)."""
    now = utcnow()
    with database.transaction() as session:
        done = subscriptions.subscribe(
            session=session,
            settings=database.settings,
            account_code=account,
            calendar_code="main",
            details=subscriptions.SubscriberDetails(subscriber_id=subscriber),
        )
        values: dict[str, object] = {"created_at": now - timedelta(days=made)}
        if ended is not None:
            values["deactivated_at"] = now - timedelta(days=ended)
        session.execute(update(Subscription).where(Subscription.id == done.subscription.id).values(**values))


@pytest.fixture
def history(database: Database, personas: dict[str, ConsolePersona]) -> None:
    subscription(database, "owner", "old", made=40)
    subscription(database, "owner", "last-week", made=10)
    subscription(database, "owner", "recent-1", made=2)
    subscription(database, "owner", "recent-2", made=2, ended=1)
    subscription(database, "owner", "today", made=0.1)
    with database.transaction() as session:
        session.execute(
            update(Subscription)
            .where(Subscription.subscriber_id == "old")
            .values(lapsed_at=utcnow() - timedelta(days=3))
        )
    for number in range(3):
        subscription(database, "other", f"theirs-{number}", made=1)  # never counted for `owner`


def tiles(html: str) -> dict[str, tuple[int, int | None]]:
    found = {}
    for metric, value, change in re.findall(r'data-metric="(\w+)" data-value="(\d+)"(?: data-change="(-?\d+)")?', html):
        found[metric] = (int(value), int(change) if change else None)
    return found


def test_the_tiles_show_the_numbers_of_calcast_stats(
    client: TestClient, database: Database, personas: dict[str, ConsolePersona], history: None
) -> None:
    act_as(client, personas["viewer"])
    for range_name in ("today", "yesterday", "7d", "30d", "month", "all"):
        shown = tiles(client.get(f"/console/owner?range={range_name}").text)
        with database.sessions() as session:
            period = analytics.account_period(session=session, account_code="owner", name=range_name)
            stats = analytics.account_stats(session=session, account_code="owner", period=period)
        for metric in ("active", "new", "unsubscribed", "lapsed", "reminders_sent"):
            assert shown[metric][0] == sum(getattr(item, metric) for item in stats), (range_name, metric)


def test_each_tile_shows_its_change_against_the_period_before(
    client: TestClient, personas: dict[str, ConsolePersona], history: None
) -> None:
    page = act_as(client, personas["owner"]).get("/console/owner?range=7d").text
    # In the last 7 days: 3 new (recent-1, recent-2, today), 1 unsubscribed; the 7 days before: 1 new (last-week).
    assert tiles(page) == {
        "active": (4, 2),
        "new": (3, 2),
        "unsubscribed": (1, 1),
        "lapsed": (1, 1),
        "reminders_sent": (0, 0),
    }
    assert "+2 against the period before" in page
    assert "calcast stats owner --range 7d" in page
    everything = tiles(act_as(client, personas["owner"]).get("/console/owner?range=all").text)
    assert everything == {
        "active": (4, None),
        "new": (5, None),
        "unsubscribed": (1, None),
        "lapsed": (1, None),
        "reminders_sent": (0, None),
    }


def test_the_chart_has_a_bar_pair_per_day_that_adds_up_to_the_tiles(
    client: TestClient, personas: dict[str, ConsolePersona], history: None
) -> None:
    page = act_as(client, personas["viewer"]).get("/console/owner?range=30d").text
    assert page.count('data-points="30"') == 2  # the last 30 UTC days, today included: both charts
    new = sum(int(value) for value in re.findall(r'class="bar-new"[^>]*data-value="(\d+)"', page))
    gone = sum(int(value) for value in re.findall(r'class="bar-unsubscribed"[^>]*data-value="(\d+)"', page))
    assert (new, gone) == (tiles(page)["new"][0], tiles(page)["unsubscribed"][0]) == (4, 1)
    assert '<title id="chart-title">New subscribers and unsubscribes per day</title>' in page
    assert "<details" in page
    assert "Show the numbers as a table" in page
    assert "Day (UTC)" in page
    assert "Subscriptions" in page


def test_an_unknown_range_is_refused_with_a_sentence_in_a_german_page(
    client: TestClient, personas: dict[str, ConsolePersona], history: None
) -> None:
    page = act_as(client, personas["viewer"]).get(
        "/console/owner?range=<script>", headers={"Accept-Language": "de-DE,de;q=0.9"}
    )
    assert page.status_code == 422
    assert "<script>" not in page.text.split("<body", 1)[1].replace('<script src="/static', "")
    assert "gibt es nicht; wählen Sie einen von today, yesterday, 7d, 30d, month, all, custom." in page.text
    assert "Zeitraum und Filter" in page.text


def test_the_subscribers_chart_ends_at_the_active_tile_and_has_a_table(
    client: TestClient, personas: dict[str, ConsolePersona], history: None
) -> None:
    page = act_as(client, personas["viewer"]).get("/console/owner?range=30d").text
    points = [int(value) for value in re.findall(r'class="point-active"[^>]*data-value="(\d+)"', page)]
    assert len(points) == 30
    assert points[-1] == tiles(page)["active"][0] == 4
    assert '<title id="line-title">Active subscribers at the end of each day</title>' in page
    assert page.count("<details") == 2


def test_filters_are_get_parameters_and_top_lists_link_to_them(
    client: TestClient, personas: dict[str, ConsolePersona], history: None
) -> None:
    viewer = act_as(client, personas["viewer"])
    page = viewer.get("/console/owner?range=all").text
    assert '<tr data-value="main" data-count="5">' in page  # made in the range (all time): five
    assert 'href="?range=all&amp;calendar=main"' in page
    assert tiles(viewer.get("/console/owner?range=all&device=nothing-like-this").text)["active"] == (0, None)
    assert tiles(viewer.get("/console/owner?range=all&method=WebCal&calendar=main").text)["active"] == (4, None)


def test_an_account_without_subscribers_shows_zeros(client: TestClient, personas: dict[str, ConsolePersona]) -> None:
    page = act_as(client, personas["owner"]).get("/console/owner?range=all")
    assert page.status_code == 200
    assert tiles(page.text)["active"] == (0, None)
    assert 'data-points="1"' in page.text
    assert "no period before to compare with" in page.text
    # A week has a week before it; engagement, a share of no active subscribers, has nothing to compare.
    week = act_as(client, personas["owner"]).get("/console/owner?range=7d").text
    assert "no period before to compare with" not in week
    assert "no share in one of the two periods to compare" in week
