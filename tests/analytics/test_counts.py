"""The subscription counts the database keeps (analytics.counts): after every kind of change, with the changes
folded or not, they are what counting the rows says; and the dashboard's tiles under one filter, read from them,
are those counted from the rows."""

from __future__ import annotations

from collections import defaultdict
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from calcast import assembly
from calcast.accounts import service as accounts
from calcast.analytics import counts, rollups
from calcast.analytics.models import (
    SubscriptionCount,
    SubscriptionCountChange,
    SubscriptionFilterDay,
    SubscriptionPairCount,
    SubscriptionPairCountChange,
)
from calcast.analytics.periods import Filters, period
from calcast.analytics.service import _filtered_subscriber_counts, _one_pass_subscriber_counts, daily_counts, scope
from calcast.calendars import service as calendars
from calcast.calendars.models import Tag
from calcast.core.db import Database, utcnow
from calcast.feeds.telemetry import mark_lapsed
from calcast.subscribers.privacy import forget_person
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.capture import Capture
from calcast.subscriptions.models import Subscription, subscription_tags
from tests.calendars.test_welcome_migration import migrate, triggers
from tests.conftest import make_settings
from tests.console.test_numbers import World, _polls

COLUMNS = {
    "source": Subscription.source,
    "app": Subscription.client_family,
    "device": Subscription.device,
    "country": Subscription.country_code,
    "method": Subscription.method,
}

Key = tuple[str, str, str]


def _from_the_rows(session: Session) -> dict[Key, tuple[int, int, int]]:
    """(calendar id, dimension, value) → active, ended, lapsed, counted from the subscriptions."""
    found: dict[Key, list[int]] = defaultdict(lambda: [0, 0, 0])
    rows = session.execute(
        select(Subscription, subscription_tags.c.tag_id).outerjoin(
            subscription_tags, subscription_tags.c.subscription_id == Subscription.id
        )
    ).all()
    seen = set()
    for subscription, tag_id in rows:
        states = (
            int(subscription.deactivated_at is None),
            int(subscription.deactivated_at is not None),
            int(subscription.deactivated_at is None and subscription.lapsed_at is not None),
        )
        keys = [] if tag_id is None else [(subscription.calendar_id, "tag", tag_id)]
        if subscription.id not in seen:
            seen.add(subscription.id)
            keys += [
                (subscription.calendar_id, name, getattr(subscription, column.key) or "unknown")
                for name, column in COLUMNS.items()
            ]
        for key in keys:
            for index, state in enumerate(states):
                found[key][index] += state
    return {key: (active, ended, lapsed) for key, (active, ended, lapsed) in found.items()}


def _kept(session: Session) -> dict[Key, tuple[int, int, int]]:
    """The same from the kept counts, read as `counts.counted` reads them (counts and changes together)."""
    keys = {
        (row.calendar_id, row.dimension, row.value)
        for table in (SubscriptionCount, SubscriptionCountChange)
        for row in session.execute(select(table.calendar_id, table.dimension, table.value))
    }
    found = {}
    for calendar_id, dimension, value in keys:
        got = counts.counted(session=session, calendar_ids=[calendar_id], dimension=dimension, values=[value])
        if (got.active, got.ended, got.lapsed) != (0, 0, 0):
            found[(calendar_id, dimension, value)] = (got.active, got.ended, got.lapsed)
    return found


LISTED = {**COLUMNS, "campaign": Subscription.utm_campaign}
Pair = tuple[str, str, str, str, str]


def _pairs_from_the_rows(session: Session) -> dict[Pair, int]:
    """(calendar id, dimension, value, other dimension, other value) → subscriptions made, counted from the rows: each
    filter's value with each value the top lists count (its calendar, its columns, its tags)."""
    tags: dict[str, list[str]] = defaultdict(list)
    for subscription_id, tag_id in session.execute(select(subscription_tags)):
        tags[subscription_id].append(tag_id)
    found: dict[Pair, int] = defaultdict(int)
    for subscription in session.scalars(select(Subscription)):
        values = {name: [getattr(subscription, column.key) or "unknown"] for name, column in LISTED.items()}
        values["tag"] = tags[subscription.id]
        for name in ("tag", *COLUMNS):
            for value in values[name]:
                found[(subscription.calendar_id, name, value, "calendar", subscription.calendar_id)] += 1
                for other, listed in values.items():
                    for other_value in listed:
                        found[(subscription.calendar_id, name, value, other, other_value)] += 1
    return dict(found)


def _pairs_kept(session: Session) -> dict[Pair, int]:
    """The same from the kept counts, as `counts.made_per_value` reads them, for each calendar and value."""
    keys = {
        (row.calendar_id, row.dimension, row.value)
        for table in (SubscriptionPairCount, SubscriptionPairCountChange, SubscriptionCount, SubscriptionCountChange)
        for row in session.execute(select(table.calendar_id, table.dimension, table.value))
    }
    found = {}
    for calendar_id, dimension, value in keys:
        for other, other_value, made in counts.made_per_value(
            session=session,
            calendar_ids=[calendar_id],
            dimension=dimension,
            values=[value],
            others=["calendar", "tag", *LISTED],
        ):
            found[(calendar_id, dimension, value, other, other_value)] = made
    return found


def _agree(database: Database, *, fold: bool) -> None:
    if fold:
        with database.transaction() as session:
            counts.fold(session)
    with database.sessions() as session:
        assert _kept(session) == _from_the_rows(session)
        assert _pairs_kept(session) == _pairs_from_the_rows(session)
        if fold:
            assert session.scalar(select(func.count()).select_from(SubscriptionCountChange)) == 0
            zero = (SubscriptionCount.active == 0) & (SubscriptionCount.ended == 0) & (SubscriptionCount.lapsed == 0)
            assert session.scalar(select(func.count()).select_from(SubscriptionCount).where(zero)) == 0
            assert session.scalar(select(func.count()).select_from(SubscriptionPairCountChange)) == 0
            zero_pairs = select(func.count()).select_from(SubscriptionPairCount).where(SubscriptionPairCount.made == 0)
            assert session.scalar(zero_pairs) == 0


@pytest.mark.parametrize("fold", [False, True], ids=["changes", "folded"])
def test_the_kept_counts_are_the_rows_counts_after_every_kind_of_change(
    database: Database, world: World, fold: bool
) -> None:
    ids = world.ids
    _agree(database, fold=fold)  # subscribed, tagged, polled by apps, one ended (the world)
    with database.sessions() as session:
        assert _from_the_rows(session)  # there is something to count
    with database.transaction() as session:  # other topics chosen
        subscription = subscriptions.get_subscription(session=session, subscription_id=ids["s1"])
        subscriptions.change_tags(session=session, subscription=subscription, tags=["Team II"])
    _agree(database, fold=fold)
    with database.transaction() as session:  # two at once, then one of them dropped
        subscription = subscriptions.get_subscription(session=session, subscription_id=ids["s2"])
        subscriptions.change_tags(session=session, subscription=subscription, tags=["Team I", "Team II"])
    _agree(database, fold=fold)
    with database.transaction() as session:
        subscription = subscriptions.get_subscription(session=session, subscription_id=ids["s2"])
        subscriptions.change_tags(session=session, subscription=subscription, tags=["Team I"])
    _agree(database, fold=fold)
    with database.transaction() as session:  # several tags written and deleted by one statement each
        team_ids = list(session.scalars(select(Tag.id).where(Tag.name.in_(["Team I", "Team II"]))))
        chosen = [{"subscription_id": ids["s4"], "tag_id": tag_id} for tag_id in team_ids]
        session.execute(delete(subscription_tags).where(subscription_tags.c.subscription_id == ids["s4"]))
        session.execute(insert(subscription_tags).values(chosen))
    _agree(database, fold=fold)
    with database.transaction() as session:
        session.execute(delete(subscription_tags).where(subscription_tags.c.subscription_id == ids["s4"]))
        session.execute(insert(subscription_tags).values(chosen))
        session.execute(update(Subscription).where(Subscription.id == ids["s4"]).values(utm_campaign="spring"))
    _agree(database, fold=fold)
    _polls(database, ids["s4"], 1, world.now - timedelta(minutes=1), "google")  # a first poll: an app
    _polls(database, ids["s1"], 1, world.now, "outlook")  # another app
    _agree(database, fold=fold)
    with database.transaction() as session:  # lapsed: nobody polled for long enough
        session.execute(
            update(Subscription)
            .where(Subscription.id.in_([ids["s2"], ids["s5"]]))
            .values(last_polled_at=world.now - timedelta(days=60))
        )
        assert mark_lapsed(session=session, settings=database.settings, now=world.now) >= 2
    _agree(database, fold=fold)
    _polls(database, ids["s5"], 1, world.now, "apple")  # polls again: no longer lapsed
    with database.transaction() as session:
        subscription = subscriptions.get_subscription(session=session, subscription_id=ids["s2"])
        subscriptions.deactivate(session=session, subscription=subscription)  # a lapsed one ends
    _agree(database, fold=fold)
    with database.transaction() as session:  # values captured, then erased on request
        captured = {"source": "newsletter", "country_code": "DE", "device": "iOS"}
        session.execute(update(Subscription).where(Subscription.id == ids["s6"]).values(**captured))
    _agree(database, fold=fold)
    with database.transaction() as session:
        assert forget_person(session=session, account_code="owner", who="s6") == 1
    _agree(database, fold=fold)
    with database.transaction() as session:  # a tag removed from the calendar (its choices go with it)
        session.execute(delete(Tag).where(Tag.name == "Team I"))
    _agree(database, fold=fold)
    with database.transaction() as session:  # rows deleted (an account removed)
        session.execute(delete(Subscription).where(Subscription.id.in_([ids["s3"], ids["s5"]])))
    _agree(database, fold=fold)
    with database.transaction() as session:
        again = subscriptions.subscribe(
            session=session,
            settings=database.settings,
            account_code="owner",
            calendar_code="main",
            details=subscriptions.SubscriberDetails(
                subscriber_id="s7", tags=("Team II",), method="Google", capture=Capture(source="website")
            ),
        )
        assert again.is_new
    _agree(database, fold=fold)
    with database.transaction() as session:  # folding twice changes nothing
        counts.fold(session)
        assert counts.fold(session) == 0
    _agree(database, fold=fold)


FILTERS = [
    Filters(tag="Team I"),
    Filters(tag="Everyone"),
    Filters(app="apple"),
    Filters(app="unknown"),
    Filters(method="WebCal"),
    Filters(country="unknown"),
    Filters(calendar="main", app="apple"),
    Filters(tag="Nobody's"),
]


def _tiles_and_series(database: Database, world: World) -> dict[tuple[Filters, str], tuple[object, ...]]:
    """The tiles (checked against one pass over the rows) and the daily series of every filter and range."""
    found: dict[tuple[Filters, str], tuple[object, ...]] = {}
    compared = 0
    with database.sessions() as session:
        for filters in FILTERS:
            chosen = scope(session=session, account_code="owner", filters=filters)
            for name in ("today", "yesterday", "7d", "30d", "month", "all"):
                first = world.now - timedelta(days=40)
                current = period(name, now=world.now, first=first)
                before = current.previous()
                periods: list[tuple[datetime | None, datetime]] = [
                    (current.since, current.until),
                    (None, current.until) if name == "all" else (before.since, before.until),
                ]
                from_counts = _filtered_subscriber_counts(session, chosen, periods)
                from_rows = _one_pass_subscriber_counts(session, chosen, periods)
                assert from_counts == from_rows, (filters, name)
                compared += sum(1 for counted in from_rows if counted.active or counted.lapsed or counted.unsubscribed)
                series = daily_counts(session=session, scope=chosen, period=current)
                found[(filters, name)] = (*from_counts, *series)
    assert compared > 50  # the worlds's numbers are not all zero
    return found


def test_the_tiles_under_one_filter_are_those_of_one_pass_over_the_rows(database: Database, world: World) -> None:
    """Read from the kept counts and what changed since, the tiles of every range and the range before it are the
    same as counted in one pass over all of the account's subscriptions; and the same, with the daily series, once
    the past days are read from the rollups per value."""
    ids = world.ids
    with database.transaction() as session:
        later = {"last_polled_at": world.now - timedelta(days=60)}
        session.execute(update(Subscription).where(Subscription.id.in_([ids["s1"], ids["s5"]])).values(**later))
        mark_lapsed(session=session, settings=database.settings, now=world.now - timedelta(days=2))
        # One lapsed two days ago and ended yesterday; one ended long ago, one made today.
        session.execute(
            update(Subscription)
            .where(Subscription.id == ids["s5"])
            .values(deactivated_at=world.now - timedelta(days=1))
        )
        session.execute(
            update(Subscription)
            .where(Subscription.id == ids["s2"])
            .values(deactivated_at=world.now - timedelta(days=15))
        )
        session.execute(  # made an hour ago, so not lapsed (a subscription lapses days after it was made)
            update(Subscription)
            .where(Subscription.id == ids["s4"])
            .values(created_at=world.now - timedelta(hours=1), lapsed_at=None)
        )
    before = _tiles_and_series(database, world)  # the days not rolled up yet: from the rows
    assert rollups.roll_up(transaction=database.transaction) > 0
    with database.sessions() as session:
        assert (session.scalar(select(func.count()).select_from(SubscriptionFilterDay)) or 0) > 0
    assert _tiles_and_series(database, world) == before  # whole past days from the rollups per value
    with database.sessions() as session:  # lapsed and ended ones are among them
        lapsed = _one_pass_subscriber_counts(
            session,
            scope(session=session, account_code="owner", filters=Filters(app="apple")),
            [(world.now - timedelta(days=3), world.now - timedelta(days=1, hours=12))],
        )
        assert lapsed[0].lapsed >= 1


COUNT_TRIGGERS = {
    f"subscription_{counted}_{name}"
    for counted in ("count", "pair_count")
    for name in (
        "subscriptions_insert",
        "subscriptions_update",
        "subscriptions_delete",
        "subscription_tags_insert",
        "subscription_tags_delete",
    )
}


def test_the_migration_counts_the_subscriptions_already_there_and_goes_both_ways(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path / 'counts.db'}"
    migrate(url, "head")
    assert triggers(url) >= COUNT_TRIGGERS
    database = assembly.database(make_settings(url))
    try:
        with database.transaction() as session:
            accounts.create_account(session=session, code="brand", name="Brand")
            calendars.create_calendar(
                session=session,
                account_code="brand",
                code="main",
                settings=calendars.CalendarSettings(title="Main"),
                tags=("Home", "Away"),
            )
            for number, tags in enumerate((("Home",), ("Away",), ("Home", "Away"))):
                subscriptions.subscribe(
                    session=session,
                    settings=database.settings,
                    account_code="brand",
                    calendar_code="main",
                    details=subscriptions.SubscriberDetails(
                        subscriber_id=f"fan-{number}", tags=tags, capture=Capture(source="website", country_code="DE")
                    ),
                )
            session.execute(
                update(Subscription).where(Subscription.subscriber_id == "fan-1").values(lapsed_at=utcnow())
            )
            session.execute(
                update(Subscription).where(Subscription.subscriber_id == "fan-2").values(deactivated_at=utcnow())
            )
        database.dispose()
        # Down: the counts and their triggers go; up again: the counts start from the rows.
        migrate(url, "0015_reminder_marks", down=True)
        assert not COUNT_TRIGGERS & triggers(url)
        migrate(url, "head")
        assert triggers(url) >= COUNT_TRIGGERS
        with database.sessions() as session:
            assert session.scalar(select(func.count()).select_from(SubscriptionCountChange)) == 0
            kept = _kept(session)
            assert kept == _from_the_rows(session)
            home = session.scalar(select(Tag.id).where(Tag.name == "Home"))
            calendar_id = session.scalar(select(Tag.calendar_id).where(Tag.name == "Home"))
            assert kept[(str(calendar_id), "tag", str(home))] == (1, 1, 0)  # fan-0 active, fan-2 ended
            assert kept[(str(calendar_id), "source", "website")] == (2, 1, 1)  # fan-1 lapsed
            pairs = _pairs_kept(session)
            assert pairs == _pairs_from_the_rows(session)
            assert session.scalar(select(func.count()).select_from(SubscriptionPairCountChange)) == 0
            away = str(session.scalar(select(Tag.id).where(Tag.name == "Away")))
            assert pairs[(str(calendar_id), "tag", str(home), "source", "website")] == 2  # fan-0, and fan-2 ended
            assert pairs[(str(calendar_id), "tag", str(home), "tag", away)] == 1  # fan-2
            assert pairs[(str(calendar_id), "country", "DE", "tag", away)] == 2  # fan-1 and fan-2
    finally:
        database.dispose()
