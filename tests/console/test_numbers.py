"""Reminders sent, engagement, polls and the daily rollups, against known data: the same exact numbers in
`calcast stats`, in the dashboard's HTML, from the raw rows and from the rollups."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select, update

from calcast.analytics import counts, reminders, rollups
from calcast.analytics.models import (
    ClickDay,
    PollDay,
    ReminderDay,
    ReminderMark,
    ReminderValueDay,
    RollupDay,
    SubscriptionDay,
    SubscriptionPairCount,
    SubscriptionValueDay,
)
from calcast.analytics.periods import Filters, Period, day_start
from calcast.analytics.service import reminder_counts, scope, top, tops
from calcast.calendars import service as calendars
from calcast.calendars.models import BroadcastEvent
from calcast.console.charts import BarChart, LineChart
from calcast.console.dashboard import TOP_LISTS, Query, Tile, dashboard
from calcast.core.db import Database, utcnow
from calcast.engagement.models import Click
from calcast.feeds.models import FeedPoll
from calcast.feeds.telemetry import Polls, write_polls
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription
from tests.conftest import Cli
from tests.console.conftest import ConsolePersona, act_as

RANGES = ("today", "yesterday", "7d", "30d", "month", "all")


@dataclass
class World:
    now: datetime
    today: datetime  # the start of today (UTC)
    ids: dict[str, str]
    events: dict[str, str]


def _subscribe(database: Database, name: str, *, calendar: str, tags: tuple[str, ...], made: datetime) -> str:
    with database.transaction() as session:
        done = subscriptions.subscribe(
            session=session,
            settings=database.settings,
            account_code="owner",
            calendar_code=calendar,
            details=subscriptions.SubscriberDetails(subscriber_id=name, tags=tags),
        )
        session.execute(update(Subscription).where(Subscription.id == done.subscription.id).values(created_at=made))
        return done.subscription.id


def _event(database: Database, calendar: str, title: str, start: datetime, notify: int, tags: tuple[str, ...]) -> str:
    with database.transaction() as session:
        event = calendars.add_broadcast_event(
            session=session,
            account_code="owner",
            calendar_code=calendar,
            event=calendars.BroadcastEventInput(
                title=title,
                start=start.strftime("%Y-%m-%dT%H:%M:%S"),
                end=(start + timedelta(hours=2)).strftime("%Y-%m-%dT%H:%M:%S"),
                timezone="UTC",
                tags=tags,
                notify_before=notify,
                url="https://tickets.example.com/" + title.lower(),
            ),
        )
        session.execute(
            update(BroadcastEvent).where(BroadcastEvent.id == event.id).values(created_at=start - timedelta(days=10))
        )
        return event.id


def _polls(database: Database, subscription_id: str, count: int, at: datetime, family: str) -> None:
    with database.transaction() as session:
        write_polls(session=session, pending={subscription_id: Polls(count, at.timestamp(), family)})


def _click(database: Database, world: World, who: str, event: str, at: datetime, *, bot: bool = False) -> None:
    with database.transaction() as session:
        calendar_id = session.scalar(select(Subscription.calendar_id).where(Subscription.id == world.ids[who]))
        assert calendar_id is not None
        session.add(
            Click(
                subscription_id=world.ids[who],
                calendar_id=calendar_id,
                event_kind="broadcast",
                event_id=world.events[event],
                link="https://tickets.example.com/" + event.lower(),
                clicked_at=at,
                client_family="apple",
                is_bot=bot,
                bot_reason="head" if bot else None,
            )
        )


@pytest.fixture
def world(database: Database, personas: dict[str, ConsolePersona]) -> World:
    """Two calendars of `owner`, six subscriptions, four events with reminders, polls and clicks (see the test)."""
    now = utcnow()
    today = day_start(now.astimezone(UTC).date())
    with database.transaction() as session:
        calendars.create_calendar(
            session=session,
            account_code="owner",
            code="second",
            settings=calendars.CalendarSettings(title="Second"),
            tags=("Everyone",),
        )
    made = today - timedelta(days=20)
    ids = {
        "s1": _subscribe(database, "s1", calendar="main", tags=("Team I",), made=made),
        "s2": _subscribe(database, "s2", calendar="main", tags=("Team II",), made=made),
        "s3": _subscribe(database, "s3", calendar="main", tags=("Team I",), made=made),
        "s4": _subscribe(database, "s4", calendar="main", tags=("Team I",), made=made),  # never polled
        "s5": _subscribe(database, "s5", calendar="main", tags=("Team I",), made=today - timedelta(days=3)),
        "s6": _subscribe(database, "s6", calendar="second", tags=("Everyone",), made=today - timedelta(days=10)),
    }
    world = World(now=now, today=today, ids=ids, events={})
    # Polls (through the telemetry writer): the client family of each subscription, and the raw poll rows.
    _polls(database, ids["s1"], 5, today - timedelta(days=5, hours=-1), "apple")
    _polls(database, ids["s2"], 2, today - timedelta(days=5, hours=-2), "google")
    _polls(database, ids["s3"], 1, today - timedelta(days=5, hours=-3), "outlook")
    _polls(database, ids["s5"], 1, today - timedelta(days=3, hours=-1), "apple")
    _polls(database, ids["s6"], 3, today - timedelta(days=6), "apple")
    _polls(database, ids["s1"], 1, now - timedelta(seconds=1), "apple")  # today: from the raw rows only
    with database.transaction() as session:  # s3 ended a day ago, after the reminders below
        session.execute(
            update(Subscription).where(Subscription.id == ids["s3"]).values(deactivated_at=now - timedelta(days=1))
        )
    world.events = {
        # Team I, reminder 60 min before, 4 days ago: s1 (apple) and s3 (outlook, still subscribed then); not s4
        # (never fetched its feed), not s5 (subscribed later), not s2 (Team II).
        "Match": _event(database, "main", "Match", today - timedelta(days=4, hours=-12), 60, ("Team I",)),
        # Everyone, 30 min before, 2 days ago: s1, s3, s5; not s2 (Google ignores alarms), not s4.
        "Final": _event(database, "main", "Final", today - timedelta(days=2, hours=-18), 30, ()),
        # Not yet: the trigger is ahead.
        "Future": _event(database, "main", "Future", now + timedelta(days=2), 15, ()),
        # The second calendar, at the start (0 min before), yesterday: s6.
        "Meetup": _event(database, "second", "Meetup", today - timedelta(days=1, hours=-9), 0, ()),
    }
    _click(database, world, "s1", "Match", today - timedelta(days=4, hours=-13))
    _click(database, world, "s1", "Match", today - timedelta(days=4, hours=-14))
    _click(database, world, "s5", "Final", today - timedelta(days=2, hours=-19))
    _click(database, world, "s2", "Final", today - timedelta(days=2, hours=-19), bot=True)
    _click(database, world, "s6", "Meetup", now - timedelta(seconds=1))
    return world


def tiles(html: str) -> dict[str, str]:
    return dict(re.findall(r'data-metric="(\w+)" data-value="([^"]*)"', html))


def events_listed(html: str) -> set[tuple[str, str, str]]:
    """The dashboard's events list: (event id, reminders, people who clicked) of each."""
    return set(re.findall(r'data-event="([^"]*)" data-reminders="(\d+)" data-people="(\d+)"', html))


def stats(cli: Cli, *args: str) -> dict[str, dict[str, object]]:
    done = cli("stats", "owner", *args, "--json")
    assert done.exit_code == 0, done.stderr
    return {item["calendar_code"]: item for item in json.loads(done.stdout)}


def account_view(found: dict[str, dict[str, object]]) -> dict[str, str]:
    """The dashboard's tiles as the sums of `calcast stats`' calendars (engagement: people / active)."""
    total: dict[str, int] = {}
    for metric in ("active", "new", "unsubscribed", "lapsed", "reminders_sent", "clicked_people"):
        total[metric] = sum(int(str(item[metric])) for item in found.values())
    shown = {metric: str(value) for metric, value in total.items() if metric != "clicked_people"}
    shown["engagement"] = str(round(total["clicked_people"] / total["active"], 4)) if total["active"] else ""
    return shown


def test_reminders_sent_and_engagement_are_exact_in_stats_and_on_the_dashboard(
    client: TestClient, database: Database, cli: Cli, personas: dict[str, ConsolePersona], world: World
) -> None:
    for rolled in (False, True):  # first from the raw rows, then from the rollups: the same numbers
        if rolled:
            # From the first subscription's day up to yesterday.
            assert rollups.roll_up(transaction=database.transaction) == 20
        found = stats(cli, "--range", "7d")
        main, second = found["main"], found["second"]
        assert (main["active"], main["reminders_sent"], main["clicked_people"], main["engagement"]) == (4, 5, 2, 0.5)
        assert (main["clicks"], main["bot_clicks"]) == (3, 1)
        assert (second["active"], second["reminders_sent"], second["engagement"]) == (1, 1, 1.0)
        assert main["polls"] == {"apple": 7, "google": 2, "outlook": 1}
        by_event = main["clicks_by_event"]
        assert isinstance(by_event, list)
        assert [(event["title"], event["reminders"], event["people"]) for event in by_event] == [
            ("Final", 3, 1),
            ("Match", 2, 1),
        ]
        page = act_as(client, personas["viewer"]).get("/console/owner?range=7d").text
        shown = tiles(page)
        assert shown["reminders_sent"] == "6"
        assert shown["engagement"] == "0.6"  # s1, s5, s6 clicked; 5 active
        assert "60.0 %" in page
        assert shown == account_view(found)
        one = tiles(act_as(client, personas["viewer"]).get("/console/owner?range=7d&calendar=main").text)
        assert (one["reminders_sent"], one["engagement"]) == ("5", "0.5")
        apple = act_as(client, personas["viewer"]).get("/console/owner?range=7d&app=apple").text
        assert (tiles(apple)["reminders_sent"], tiles(apple)["engagement"], tiles(apple)["active"]) == ("4", "1.0", "3")
        assert 'data-app="apple" data-polls="10"' in page  # s1 6 (one of them today), s5 1, s6 3
        # Under a tag the clicks are matched to the tag's subscriptions: of Team I's active s1, s4 and s5, s1 and
        # s5 clicked; Team II's s2 clicked only as a bot; under Team I and Apple Calendar, s1 and s5 of the two.
        for query, engagement, active in (
            ("tag=Team+I", "0.6667", "3"),
            ("tag=Team+II", "0.0", "1"),
            ("tag=Team+I&app=apple", "1.0", "2"),
            ("tag=Team+I&calendar=second", "", "0"),
        ):
            narrowed = tiles(act_as(client, personas["viewer"]).get(f"/console/owner?range=7d&{query}").text)
            assert (narrowed["engagement"], narrowed["active"]) == (engagement, active), query
        human = cli("stats", "owner", "main", "--range", "7d").stdout
        assert "reminders   5 sent" in human
        assert "engagement  50.0% of active subscribers clicked a link" in human


def test_every_range_shows_the_numbers_of_calcast_stats(
    client: TestClient, database: Database, cli: Cli, personas: dict[str, ConsolePersona], world: World
) -> None:
    rollups.roll_up(transaction=database.transaction)
    for name in RANGES:
        page = act_as(client, personas["viewer"]).get(f"/console/owner?range={name}").text
        found = stats(cli, "--range", name)
        assert tiles(page) == account_view(found), name
        # And its events (four in all, under the list's five): those of every calendar in `calcast stats`, which
        # counts them apart from the tiles. Yesterday's range has an event clicked only in the day before it.
        assert events_listed(page) == {
            (str(event["event_id"]), str(event["reminders"]), str(event["people"]))
            for item in found.values()
            for event in item["clicks_by_event"]  # type: ignore[attr-defined]
        }, name
    day = (world.today - timedelta(days=4)).date().isoformat()
    custom = f"/console/owner?range=custom&start={day}&end={day}"
    shown = tiles(act_as(client, personas["viewer"]).get(custom).text)
    assert shown == account_view(stats(cli, "--range", "custom", "--from", day, "--to", day))
    assert shown["reminders_sent"] == "2"


def test_the_rollup_job_is_idempotent_and_picks_up_late_rows(database: Database, world: World) -> None:
    def counts() -> tuple[int, ...]:
        with database.sessions() as session:
            return tuple(
                int(session.scalar(select(func.count()).select_from(table)) or 0)
                for table in (RollupDay, PollDay, ReminderDay, ClickDay, SubscriptionValueDay, ReminderValueDay)
            )

    def clicks_on(day: datetime) -> int:
        with database.sessions() as session:
            return int(session.scalar(select(func.sum(ClickDay.clicks)).where(ClickDay.day == day.date())) or 0)

    assert rollups.roll_up(transaction=database.transaction) == 20
    first = counts()
    assert first[:4] == (20, 5, 3, 2)
    assert first[4:] == (28, 20)  # per value: 12 + 8 + 8 on the three days made; 7 + 7 + 6 for the three events
    # Ended days are final except the last two, which every run writes again (replacing, never adding).
    assert rollups.roll_up(transaction=database.transaction) == 2
    assert counts() == first
    late = world.today - timedelta(days=2, hours=-20)
    _click(database, world, "s1", "Final", late)
    assert clicks_on(late) == 1
    rollups.roll_up(transaction=database.transaction)
    assert clicks_on(late) == 2
    # An older day takes a late row only when asked to (`calcast rollup --since`).
    _click(database, world, "s1", "Match", world.today - timedelta(days=4, hours=-20))
    rollups.roll_up(transaction=database.transaction)
    assert clicks_on(world.today - timedelta(days=4)) == 2
    rollups.roll_up(transaction=database.transaction, since=(world.today - timedelta(days=4)).date())
    assert clicks_on(world.today - timedelta(days=4)) == 3
    with database.sessions() as session:
        assert session.scalar(select(func.sum(FeedPoll.polls))) == 13


def test_bad_ranges_and_unknown_calendars_get_a_sentence(
    client: TestClient, personas: dict[str, ConsolePersona], world: World
) -> None:
    viewer = act_as(client, personas["viewer"])
    wrong = viewer.get("/console/owner?range=custom&start=2026-02-10&end=2026-02-01")
    assert wrong.status_code == 422
    assert "is before the first day" in wrong.text
    assert viewer.get("/console/owner?range=custom&start=tomorrow").status_code == 422
    assert viewer.get("/console/owner?range=forever").status_code == 422
    missing = viewer.get("/console/owner?calendar=nope")
    assert missing.status_code == 404
    assert "nope" in missing.text
    # Another account's calendar is unknown here, not shown.
    assert act_as(client, personas["stranger"]).get("/console/other?calendar=second").status_code == 404


@pytest.mark.parametrize(
    ("sweep_from", "rolled"),
    [(1, False), (1000, False), (1000, True)],
    ids=["one pass over the subscriptions", "each event joined", "from the rollups per value"],
)
def test_reminders_are_the_same_counted_in_one_pass_or_per_event(
    client: TestClient,
    database: Database,
    personas: dict[str, ConsolePersona],
    world: World,
    monkeypatch: pytest.MonkeyPatch,
    sweep_from: int,
    rolled: bool,
) -> None:
    # Many events per calendar are counted in one pass over the calendars' subscriptions, a few each on its own,
    # and whole past days under one filter from the rollups per value: every way gives the same reminders, with
    # and without filters, for the period and the one before it.
    monkeypatch.setattr(reminders, "SWEEP_FROM", sweep_from)
    if rolled:
        rollups.roll_up(transaction=database.transaction)
    viewer = act_as(client, personas["viewer"])

    def reminders_tile(query: str) -> tuple[str, str | None]:
        page = viewer.get(f"/console/owner?{query}").text
        found = re.search(r'data-metric="reminders_sent" data-value="([^"]*)"(?: data-change="([^"]*)")?', page)
        assert found is not None, query
        return found.group(1), found.group(2)

    assert reminders_tile("range=7d") == ("6", "6")
    assert reminders_tile("range=7d&app=apple") == ("4", "4")  # s1, s5 (Final), s1 (Match), s6 (Meetup)
    assert reminders_tile("range=7d&tag=Team+I") == ("5", "5")  # Match: s1, s3; Final: s1, s3, s5
    assert reminders_tile("range=7d&calendar=main&app=outlook") == ("2", "2")  # s3, ended a day ago
    assert reminders_tile("range=yesterday&app=apple") == ("1", "-1")  # Meetup yesterday; Final the day before
    assert reminders_tile("range=all&app=apple") == ("4", None)
    assert reminders_tile("range=all&app=google") == ("0", None)  # Google Calendar drops the alarms
    assert reminders_tile("range=7d&app=apple&tag=Team+I") == ("3", "3")  # two filters: always from the rows
    assert reminders_tile("range=7d&method=WebCal&country=unknown") == ("6", "6")
    assert reminders_tile("range=7d&country=unknown") == ("6", "6")  # no country captured: "unknown"
    assert reminders_tile("range=7d&tag=Everyone") == ("1", "1")
    if rolled:  # and the rollups per value are what is read: a rolled-up count that said otherwise is believed
        with database.transaction() as session:
            session.execute(
                update(ReminderValueDay)
                .where(ReminderValueDay.dimension == "app", ReminderValueDay.value == "apple")
                .values(reminders=ReminderValueDay.reminders + 100)
            )
        assert reminders_tile("range=7d&app=apple")[0] == str(4 + 3 * 100)  # three events' rows, one each
        assert reminders_tile("range=7d&app=apple&tag=Team+I") == ("3", "3")


def test_subscriber_numbers_charts_and_part_days_reminders_are_the_same_from_the_rows_and_from_the_rollups(
    database: Database, world: World
) -> None:
    views = [Query(range=name, start=None, end=None, filters=Filters()) for name in RANGES]
    views += [Query(range=name, start=None, end=None, filters=Filters(calendar="main")) for name in ("7d", "all")]

    def shown() -> list[tuple[list[Tile], BarChart, LineChart]]:
        with database.sessions() as session:
            found = [dashboard(session=session, account_code="owner", query=view, now=world.now) for view in views]
        return [(view.tiles, view.chart, view.line) for view in found]

    # Parts of a day: its reminders belong to the part in which they trigger (Meetup, yesterday at 09:00, 1 sent).
    noon = world.today - timedelta(hours=12)
    halves = [Period("morning", noon - timedelta(hours=12), noon), Period("afternoon", noon, world.today)]

    def reminders_in_halves() -> list[int]:
        with database.sessions() as session:
            where = scope(session=session, account_code="owner")
            counted = [reminder_counts(session=session, scope=where, period=half) for half in halves]
        return [sum(count for *_, count in half) for half in counted]

    from_rows = shown()
    assert reminders_in_halves() == [1, 0]
    rollups.roll_up(transaction=database.transaction, now=world.now)
    assert reminders_in_halves() == [1, 0]
    with database.sessions() as session:
        rolled = {
            (row.day, row.new, row.ended)
            for row in session.scalars(select(SubscriptionDay).order_by(SubscriptionDay.day))
        }
    made, s5, s6 = (world.today - timedelta(days=days) for days in (20, 3, 10))
    # s1-s4 made 20 days ago, s5 three and s6 ten days ago (s3's end, a day ago, is in the last days rolled up).
    assert {(made.date(), 4, 0), (s5.date(), 1, 0), (s6.date(), 1, 0)} <= rolled
    assert from_rows == shown()
    # And they are read: a rolled-up day that said otherwise would be believed.
    with database.transaction() as session:
        session.execute(
            update(SubscriptionDay).where(SubscriptionDay.day == made.date()).values(new=SubscriptionDay.new + 100)
        )
    with database.transaction() as session:
        session.execute(update(ReminderDay).values(reminders=ReminderDay.reminders + 100))
    assert reminders_in_halves() == [101, 0]
    all_time = RANGES.index("all")
    active = shown()[all_time][0][0]
    assert (active.metric, active.value) == ("active", 5 + 100)


def test_the_top_lists_counted_together_are_each_dimensions_own_count(database: Database, world: World) -> None:
    month = world.today - timedelta(days=30)  # every subscription made since: all time
    with database.transaction() as session:  # one with two tags
        subscriptions.change_tags(
            session=session,
            subscription=subscriptions.get_subscription(session=session, subscription_id=world.ids["s2"]),
            tags=["Team I", "Team II"],
        )
    chosen = (
        Filters(),
        Filters(calendar="main"),
        Filters(app="apple"),
        Filters(tag="Team I"),
        Filters(tag="Team II"),
        Filters(calendar="main", tag="Team I"),
        Filters(method="WebCal"),
        Filters(app="apple", method="WebCal"),
    )

    def counted() -> dict[tuple[Filters, datetime, str], dict[str, int]]:
        found = {}
        with database.sessions() as session:
            for filters in chosen:
                where = scope(session=session, account_code="owner", filters=filters)
                for since in (month, world.today - timedelta(days=4), world.today):
                    together = tops(session=session, scope=where, since=since, until=world.now, dimensions=TOP_LISTS)
                    for dimension in TOP_LISTS:
                        alone = top(session=session, scope=where, since=since, until=world.now, dimension=dimension)
                        assert together[dimension] == alone, (filters, since, dimension)
                        found[(filters, since, dimension)] = together[dimension]
        return found

    from_rows = counted()
    assert from_rows[(Filters(app="apple"), month, "calendar")] == {"main": 2, "second": 1}  # s1 and s5 of main, s6
    assert from_rows[(Filters(), month, "tag")] == {"Team I": 5, "Everyone": 1, "Team II": 1}
    assert from_rows[(Filters(tag="Team I"), month, "tag")] == {"Team I": 5, "Team II": 1}  # s2 has both
    assert from_rows[(Filters(tag="Team II"), month, "calendar")] == {"main": 1}
    assert from_rows[(Filters(calendar="main"), month, "source")] == {"unknown": 5}  # none captured, as `top` says
    rollups.roll_up(transaction=database.transaction)
    assert counted() == from_rows  # whole past days from the rollups per value: the same lists
    with database.transaction() as session:  # and they are read: a rolled-up day that said otherwise is believed
        session.execute(
            update(SubscriptionValueDay)
            .where(SubscriptionValueDay.dimension == "app", SubscriptionValueDay.value == "apple")
            .values(subscriptions=SubscriptionValueDay.subscriptions + 100)
        )
    with database.sessions() as session:
        where = scope(session=session, account_code="owner")
        fortnight = world.today - timedelta(days=14)
        apps = tops(session=session, scope=where, since=fortnight, until=world.now, dimensions=["app"])["app"]
    assert apps["apple"] == 2 + 2 * 100  # the days of s5 and s6
    # All time, under one filter or none, is read from the counts per pair of values: one that said otherwise is
    # believed.
    with database.transaction() as session:
        counts.fold(session)
        tampered = (SubscriptionPairCount.dimension == "method") & (SubscriptionPairCount.other == "device")
        assert session.scalar(select(func.count()).select_from(SubscriptionPairCount).where(tampered)) == 2
        session.execute(
            update(SubscriptionPairCount).where(tampered).values(made=SubscriptionPairCount.made + 100)
        )  # in each calendar
    with database.sessions() as session:
        where = scope(session=session, account_code="owner", filters=Filters(method="WebCal"))
        devices = tops(session=session, scope=where, since=month, until=world.now, dimensions=["device"])["device"]
        assert devices == {"unknown": from_rows[(Filters(method="WebCal"), month, "device")]["unknown"] + 200}
        every = scope(session=session, account_code="owner")  # no filter: every method's
        devices = tops(session=session, scope=every, since=month, until=world.now, dimensions=["device"])["device"]
        assert devices == {"unknown": from_rows[(Filters(), month, "device")]["unknown"] + 200}
        assert tops(session=session, scope=where, since=world.today, until=world.now, dimensions=["device"]) == {
            "device": from_rows[(Filters(method="WebCal"), world.today, "device")]
        }  # a shorter period: from the rows


def test_a_days_reminders_are_rolled_up_as_they_trigger_and_the_rest_counted_from_the_rows(
    database: Database, world: World
) -> None:
    # `reminders-today` on yesterday, as it ran then: Meetup (09:00, s6) is rolled up at 12:00; Encore (15:00, the
    # second calendar, everyone: s6) triggers after the last run, so it is counted from the rows.
    yesterday = world.today - timedelta(days=1)
    world.events["Encore"] = _event(database, "second", "Encore", yesterday + timedelta(hours=15), 0, ())
    whole, after = (
        Period("yesterday", yesterday, world.today),
        Period("after", yesterday + timedelta(hours=13), world.today),
    )

    def sent(period: Period, filters: Filters = Filters()) -> int:
        with database.sessions() as session:
            where = scope(session=session, account_code="owner", filters=filters)
            return sum(count for *_, count in reminder_counts(session=session, scope=where, period=period))

    def marks() -> list[datetime]:
        with database.sessions() as session:
            return list(session.scalars(select(ReminderMark.until)))

    from_rows = sent(whole), sent(whole, Filters(app="apple")), sent(after)
    assert from_rows == (2, 2, 1)
    assert rollups.roll_up_today(transaction=database.transaction, now=yesterday + timedelta(hours=12)) == 1
    assert rollups.roll_up_today(transaction=database.transaction, now=yesterday + timedelta(hours=12)) == 0
    assert rollups.roll_up_today(transaction=database.transaction, now=yesterday + timedelta(hours=13)) == 0
    assert marks() == [yesterday + timedelta(hours=13)]
    assert (sent(whole), sent(whole, Filters(app="apple")), sent(after)) == from_rows
    # What the job wrote is read up to its mark (a count that said otherwise is believed), the rest from the rows.
    with database.transaction() as session:
        session.execute(update(ReminderDay).values(reminders=ReminderDay.reminders + 100))
        session.execute(update(ReminderValueDay).values(reminders=ReminderValueDay.reminders + 100))
    assert (sent(whole), sent(whole, Filters(app="apple")), sent(after)) == (102, 102, 1)
    # Once the day has ended and is rolled up whole, its rows are written again and its mark is gone.
    rollups.roll_up(transaction=database.transaction, now=world.now)
    assert (sent(whole), sent(whole, Filters(app="apple")), sent(after)) == from_rows
    assert marks() == []


def test_calcast_rollup_rolls_up_ended_days_and_todays_reminders_so_far(
    database: Database, cli: Cli, world: World
) -> None:
    start = max(world.today, world.now - timedelta(minutes=1))  # its reminder (at the start) triggered today
    _event(database, "main", "Kick-off", start, 0, ())
    done = cli("rollup")
    assert done.exit_code == 0, done.stderr
    assert done.stdout.strip() == "Rolled up 20 day(s), and the reminders of 1 event(s) triggered today."
    with database.sessions() as session:
        assert session.scalar(select(ReminderMark.day)) == world.today.date()
        today = session.scalar(select(func.sum(ReminderDay.reminders)).where(ReminderDay.day == world.today.date()))
    assert today == 2  # s1 and s5 (apple); s3 has ended, s2 uses Google Calendar, s4 never fetched its feed
