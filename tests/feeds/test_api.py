"""GET/HEAD /webcal/{token}: what a calendar app gets when it polls, on SQLite and PostgreSQL."""

from __future__ import annotations

import gzip
import logging
import threading
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import format_datetime, parsedate_to_datetime

import icalendar
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import event, select, update

from calcast.app import create_app
from calcast.core.db import Database, utcnow
from calcast.events.models import PersonalEvent
from calcast.feeds import api, service
from calcast.feeds import render as rendering
from calcast.feeds.cache import FeedRuntime, RenderedFeed
from calcast.feeds.conditional import Validators
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription
from tests.conftest import Persona
from tests.feeds.conftest import Feed, World, in_days, parse_everywhere, summaries
from tests.rokt_api import bearer, event_body


@pytest.fixture
def renders(monkeypatch: pytest.MonkeyPatch) -> list[int]:
    """How many times a feed was rendered."""
    calls: list[int] = []
    original = rendering.render

    def counting(content: rendering.FeedContent) -> bytes:
        calls.append(1)
        return original(content)

    monkeypatch.setattr(rendering, "render", counting)
    return calls


def test_it_serves_the_feed_with_strong_validators_and_private_caching(client: TestClient, world: World) -> None:
    feed = world.subscribe("fan-1")
    world.broadcast("Kick-off", in_days(3), in_days(3, 12), notify_before=15)
    response = client.get(feed.path)
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/calendar; charset=utf-8"
    assert response.headers["etag"].startswith('"')
    assert not response.headers["etag"].startswith("W/")
    assert parsedate_to_datetime(response.headers["last-modified"]) <= utcnow()
    assert response.headers["cache-control"] == "private, max-age=900"
    calendar = parse_everywhere(response.content)
    assert [str(e["SUMMARY"]) for e in calendar.walk("VEVENT")] == ["Kick-off"]
    assert "/manage/" in str(calendar.walk("VEVENT")[0]["DESCRIPTION"])


def test_tags_choose_broadcast_events_and_untagged_ones_reach_everyone(client: TestClient, world: World) -> None:
    team_one = world.subscribe("fan-1", tags=["Team I"])
    both = world.subscribe("fan-2", tags=["Team I", "Team II"])
    world.broadcast("For everyone", in_days(1))
    world.broadcast("Team I match", in_days(2), tags=["Team I"])
    world.broadcast("Team II match", in_days(3), tags=["Team II"])
    world.broadcast("All Teams news", in_days(4), tags=["All Teams"])
    assert summaries(client.get(team_one.path).content) == ["For everyone", "Team I match"]
    assert summaries(client.get(both.path).content) == ["For everyone", "Team I match", "Team II match"]


def test_personal_events_reach_only_their_subscriptions(client: TestClient, world: World) -> None:
    chosen = world.subscribe("fan-1")
    bystander = world.subscribe("fan-2")
    world.personal([chosen], "seat-42", "Your seat: block C", in_days(5, 18), timezone="Eastern Standard Time")
    assert summaries(client.get(chosen.path).content) == ["Your seat: block C"]
    assert summaries(client.get(bystander.path).content) == []
    body = client.get(chosen.path).content.decode()
    assert "TZID=America/New_York" in body
    assert "Eastern Standard Time" not in body


def test_the_bytes_are_identical_when_nothing_changed(client: TestClient, world: World) -> None:
    feed = world.subscribe("fan-1")
    world.broadcast("Kick-off", in_days(3))
    world.personal([feed], "seat-42", "Your seat", in_days(4))
    first = client.get(feed.path)
    world.subscribe("fan-1")  # the same person again: their subscription's version moves, the content does not
    second = client.get(feed.path)
    assert second.content == first.content
    assert second.headers["etag"] == first.headers["etag"]
    assert second.headers["last-modified"] == first.headers["last-modified"]


def test_if_none_match_is_answered_304_without_rendering(
    database: Database, client: TestClient, world: World, renders: list[int]
) -> None:
    feed = world.subscribe("fan-1")
    world.broadcast("Kick-off", in_days(3))
    first = client.get(feed.path)
    assert len(renders) == 1
    again = client.get(feed.path, headers={"If-None-Match": first.headers["etag"]})
    assert again.status_code == 304
    assert again.content == b""
    assert again.headers["etag"] == first.headers["etag"]
    # A fresh server process (empty memory cache) answers from the stored validators, too.
    with TestClient(create_app(database.settings, database)) as cold:
        assert cold.get(feed.path, headers={"If-None-Match": first.headers["etag"]}).status_code == 304
        assert cold.get(feed.path, headers={"If-None-Match": '"something-else"'}).status_code == 200
    assert len(renders) == 2  # only the cold process's 200 rendered
    assert client.get(feed.path).status_code == 200
    assert len(renders) == 2, "a warm process serves a plain GET from its cache"


def test_if_modified_since_is_compared_as_a_date(client: TestClient, world: World, renders: list[int]) -> None:
    feed = world.subscribe("fan-1")
    world.broadcast("Kick-off", in_days(3))
    first = client.get(feed.path)
    last_modified = parsedate_to_datetime(first.headers["last-modified"])
    same = client.get(feed.path, headers={"If-Modified-Since": first.headers["last-modified"]})
    later = client.get(feed.path, headers={"If-Modified-Since": format_datetime(utcnow() + timedelta(days=1), True)})
    earlier = client.get(
        feed.path, headers={"If-Modified-Since": format_datetime(last_modified - timedelta(seconds=1), True)}
    )
    garbage = client.get(feed.path, headers={"If-Modified-Since": "yesterday-ish"})
    assert (same.status_code, later.status_code, earlier.status_code, garbage.status_code) == (304, 304, 200, 200)
    assert len(renders) == 1
    world.broadcast("Second match", in_days(4))
    changed = client.get(feed.path, headers={"If-Modified-Since": first.headers["last-modified"]})
    assert changed.status_code == 200
    assert summaries(changed.content) == ["Kick-off", "Second match"]
    assert parsedate_to_datetime(changed.headers["last-modified"]) > last_modified
    # If-None-Match wins over If-Modified-Since (RFC 9110): an old ETag means 200 even with a current date.
    stale = client.get(
        feed.path,
        headers={"If-None-Match": first.headers["etag"], "If-Modified-Since": changed.headers["last-modified"]},
    )
    assert stale.status_code == 200


def test_it_gzips_when_asked_and_validates_both_encodings(client: TestClient, world: World) -> None:
    feed = world.subscribe("fan-1")
    world.broadcast("Kick-off", in_days(3))
    plain = client.get(feed.path, headers={"Accept-Encoding": "identity"})
    zipped = client.get(feed.path, headers={"Accept-Encoding": "gzip"})
    assert "content-encoding" not in plain.headers
    assert zipped.headers["content-encoding"] == "gzip"
    assert zipped.headers["vary"] == "Accept-Encoding"
    assert zipped.content == plain.content  # the client decompressed it
    assert int(zipped.headers["content-length"]) < len(plain.content)
    assert zipped.headers["etag"] != plain.headers["etag"]
    for etag in (plain.headers["etag"], zipped.headers["etag"]):
        assert client.get(feed.path, headers={"If-None-Match": etag}).status_code == 304
    with client.stream("GET", feed.path, headers={"Accept-Encoding": "gzip"}) as stream:
        raw = b"".join(stream.iter_raw())
    assert gzip.decompress(raw) == plain.content
    refused = client.get(feed.path, headers={"Accept-Encoding": "gzip;q=0"})
    assert "content-encoding" not in refused.headers


def test_head_has_the_headers_of_get_and_no_body(client: TestClient, world: World) -> None:
    feed = world.subscribe("fan-1")
    world.broadcast("Kick-off", in_days(3))
    get = client.get(feed.path, headers={"Accept-Encoding": "identity"})
    head = client.head(feed.path, headers={"Accept-Encoding": "identity"})
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["content-length"] == str(len(get.content))
    assert head.headers["etag"] == get.headers["etag"]
    assert head.headers["content-type"] == get.headers["content-type"]


def test_the_ics_suffix_works_and_an_authorization_header_is_ignored(client: TestClient, world: World) -> None:
    feed = world.subscribe("fan-1")
    world.broadcast("Kick-off", in_days(3))
    plain = client.get(feed.path)
    suffixed = client.get(f"{feed.path}.ics", headers={"Authorization": "Bearer outlook-modern-auth-probe"})
    basic = client.get(feed.path, auth=("someone", "something"))
    assert suffixed.status_code == basic.status_code == 200
    assert suffixed.content == basic.content == plain.content


def test_an_unknown_token_is_a_plain_404_never_a_page(client: TestClient, world: World) -> None:
    response = client.get("/webcal/not-a-real-token-at-all-0123456789abcdefghijk.ics")
    assert response.status_code == 404
    assert response.headers["content-type"].startswith("text/plain")
    assert "no calendar feed" in response.text
    assert "<html" not in response.text.lower()
    assert client.head("/webcal/unknown").status_code == 404


def test_an_update_keeps_the_uid_and_raises_the_sequence(client: TestClient, world: World) -> None:
    feed = world.subscribe("fan-1")
    key = world.broadcast("Kick-off", in_days(3))
    world.personal([feed], "seat-42", "Your seat", in_days(4))
    before = {str(e["SUMMARY"]): e for e in icalendar.Calendar.from_ical(client.get(feed.path).content).walk("VEVENT")}
    world.change_broadcast(key, title="Kick-off (moved)", location="Main stadium")
    world.update_personal("seat-42", "Your seat: block C", in_days(4, 12))
    after = {str(e["SUMMARY"]): e for e in icalendar.Calendar.from_ical(client.get(feed.path).content).walk("VEVENT")}
    assert after["Kick-off (moved)"]["UID"] == before["Kick-off"]["UID"]
    assert after["Kick-off (moved)"].decoded("SEQUENCE") == before["Kick-off"].decoded("SEQUENCE") + 1
    assert str(after["Kick-off (moved)"]["LOCATION"]) == "Main stadium"
    assert after["Your seat: block C"]["UID"] == before["Your seat"]["UID"]
    assert after["Your seat: block C"].decoded("SEQUENCE") > before["Your seat"].decoded("SEQUENCE")
    assert after["Your seat: block C"].decoded("DTSTAMP") >= before["Your seat"].decoded("DTSTAMP")


def test_deleted_events_are_removed_not_cancelled(client: TestClient, world: World) -> None:
    feed = world.subscribe("fan-1")
    key = world.broadcast("Kick-off", in_days(3))
    world.broadcast("Second match", in_days(4))
    world.personal([feed], "seat-42", "Your seat", in_days(5))
    first = client.get(feed.path)
    world.delete_broadcast(key)
    world.delete_personal("seat-42")
    second = client.get(feed.path, headers={"If-None-Match": first.headers["etag"]})
    assert second.status_code == 200
    assert summaries(second.content) == ["Second match"]
    assert b"CANCELLED" not in second.content


@dataclass(frozen=True)
class Fetched:
    """A fetch as the HTTP layer answers it: its status code, validators and feed."""

    status: int
    validators: Validators | None
    feed: RenderedFeed | None


def fetch(
    database: Database,
    feed: Feed,
    at: timedelta,
    *,
    if_none_match: str | None = None,
    if_modified_since: str | None = None,
) -> Fetched:
    """One fetch through the service at a moment `at` from now (time is an input of the feed)."""
    runtime = FeedRuntime.create(1 << 20)
    request = api.FeedRequest(token=feed.token, if_none_match=if_none_match, if_modified_since=if_modified_since)
    with database.transaction() as session:
        answer = service.fetch_feed(
            session=session,
            settings=database.settings,
            runtime=runtime,
            token=feed.token,
            client_has=api.client_has(request),
            now=utcnow() + at,
        )
    status = api.respond(answer, request, database.settings).status
    return Fetched(status, answer.validators, answer.feed if status == 200 else None)


def body_of(answer: Fetched) -> bytes:
    assert answer.feed is not None
    return answer.feed.body


def test_a_hidden_event_appears_when_its_time_comes_and_the_etag_follows(database: Database, world: World) -> None:
    feed = world.subscribe("fan-1")
    world.broadcast("Public", in_days(3))
    world.broadcast("Surprise", in_days(5), visible_from=utcnow() + timedelta(hours=2))
    now = fetch(database, feed, timedelta(0))
    assert summaries(body_of(now)) == ["Public"]
    assert now.validators is not None
    etag = f'"{now.validators.etag}"'
    assert fetch(database, feed, timedelta(hours=1), if_none_match=etag).status == 304
    later = fetch(database, feed, timedelta(hours=3), if_none_match=etag)
    assert later.status == 200
    assert summaries(body_of(later)) == ["Public", "Surprise"]


def test_events_leave_the_feed_a_window_after_they_ended(database: Database, world: World) -> None:
    feed = world.subscribe("fan-1")
    world.broadcast("Last week", in_days(-7), in_days(-7, 12))
    world.broadcast("Next week", in_days(7))
    window = timedelta(days=database.settings.feed_window_days)
    assert summaries(body_of(fetch(database, feed, timedelta(0)))) == ["Last week", "Next week"]
    assert summaries(body_of(fetch(database, feed, window - timedelta(days=8)))) == ["Last week", "Next week"]
    assert summaries(body_of(fetch(database, feed, window - timedelta(days=6)))) == ["Next week"]


def test_a_deactivated_subscription_gets_an_empty_unsubscribed_calendar_then_410(
    client: TestClient, database: Database, world: World
) -> None:
    feed = world.subscribe("fan-1")
    world.broadcast("Kick-off", in_days(3))
    first = client.get(feed.path)
    with database.transaction() as session:
        subscription = subscriptions.get_subscription(session=session, subscription_id=feed.subscription_id)
        subscriptions.deactivate(session=session, subscription=subscription, reason_id="too-many")
    emptied = client.get(feed.path, headers={"If-None-Match": first.headers["etag"]})
    assert emptied.status_code == 200
    calendar = parse_everywhere(emptied.content)
    assert calendar.walk("VEVENT") == []
    assert b"X-WR-CALNAME:Owner Calendar (unsubscribed)" in emptied.content
    grace = timedelta(days=database.settings.feed_grace_days)
    assert fetch(database, feed, grace - timedelta(hours=1)).status == 200
    assert fetch(database, feed, grace + timedelta(seconds=1)).status == 410


def test_a_410_is_plain_text(client: TestClient, database: Database, world: World) -> None:
    feed = world.subscribe("fan-1")
    with database.transaction() as session:
        subscription = subscriptions.get_subscription(session=session, subscription_id=feed.subscription_id)
        subscription.deactivated_at = utcnow() - timedelta(days=database.settings.feed_grace_days, seconds=1)
    response = client.get(feed.path)
    assert response.status_code == 410
    assert response.headers["content-type"].startswith("text/plain")
    assert "ended" in response.text


def test_fetch_cost_does_not_grow_with_other_subscriptions(
    client: TestClient, database: Database, world: World
) -> None:
    feed = world.subscribe("fan-0")
    world.broadcast("Kick-off", in_days(3))
    world.personal([feed], "seat-0", "Your seat", in_days(4))
    statements: list[str] = []

    def count(*args: object) -> None:
        if threading.current_thread().name != "calcast-feed-changes":  # the watcher reads on its own, now and then
            statements.append(str(args[2]))

    def measure(rendering: bool) -> int:
        if rendering:
            world.broadcast(f"Another {len(counts)}", in_days(5))  # the next fetch must render
        statements.clear()
        event.listen(database.engine, "before_cursor_execute", count)
        try:
            assert client.get(feed.path).status_code == 200
        finally:
            event.remove(database.engine, "before_cursor_execute", count)
        return len(statements)

    counts: list[tuple[int, int]] = []
    client.get(feed.path)
    counts.append((measure(rendering=True), measure(rendering=False)))
    for number in range(1, 30):
        other = world.subscribe(f"fan-{number}")
        world.personal([other], f"seat-{number}", "Their seat", in_days(4))
    counts.append((measure(rendering=True), measure(rendering=False)))
    assert counts[0][0] == counts[1][0], "the same statements, however many other subscriptions there are"
    rendered, cached = counts[1]
    # One indexed lookup, or none once the process answers from memory (tests/feeds/test_front.py).
    assert cached <= 1, "a cached fetch within the telemetry interval is at most one indexed lookup"
    assert counts[0][1] <= 1
    assert rendered <= 8


def spoil(database: Database, event_id: str, **columns: object) -> None:
    """Write bad values straight into a stored personal event, as an old release or a hand edit might have."""
    with database.transaction() as session:
        session.execute(update(PersonalEvent).where(PersonalEvent.event_id == event_id).values(**columns))


@pytest.mark.parametrize(
    "columns",
    [
        {"start_at": datetime(1, 1, 1, 10, tzinfo=UTC)},  # from year 1 until the day after tomorrow
        {"start_at": datetime(9998, 6, 1, 10, tzinfo=UTC), "end_at": datetime(9998, 6, 1, 11, tzinfo=UTC)},
        {"end_at": datetime(9998, 6, 1, 11, tzinfo=UTC)},  # spanning millennia
        {"end_at": datetime(9999, 12, 31, 23, tzinfo=UTC)},  # the window added to it is past what a datetime holds
        {"timezone": "Mars/Olympus_Mons"},
    ],
    ids=["year-1", "year-9998", "millennia", "year-9999", "unknown-zone"],
)
def test_a_stored_event_that_cannot_be_rendered_is_left_out_and_logged_never_a_500(
    client: TestClient, database: Database, world: World, caplog: pytest.LogCaptureFixture, columns: dict[str, object]
) -> None:
    feed = world.subscribe("fan-1")
    world.broadcast("Kick-off", in_days(3))
    world.personal([feed], "good", "Your seat", in_days(4))
    world.personal([feed], "bad", "Broken", in_days(5))
    spoil(database, "bad", **columns)
    with caplog.at_level(logging.WARNING, logger="calcast.feeds"):
        response = client.get(feed.path)
    assert response.status_code == 200, response.text
    assert summaries(parse_everywhere(response.content).to_ical()) == ["Kick-off", "Your seat"]
    assert len(response.content) < 20_000, "no VTIMEZONE stretched over the bad event's years"
    bad_uid = rendering.personal_uid(feed_account_id(database, feed), "bad")
    assert any(bad_uid in record.getMessage() for record in caplog.records)


def test_a_stored_javascript_link_is_not_put_into_the_feed(
    client: TestClient, database: Database, world: World
) -> None:
    feed = world.subscribe("fan-1")
    world.personal([feed], "seat", "Your seat", in_days(4), url="https://example.test/seat")
    spoil(database, "seat", url="javascript:alert(document.cookie)")
    body = client.get(feed.path).content
    (event,) = parse_everywhere(body).walk("VEVENT")
    assert "URL" not in event
    assert b"javascript" not in body.lower()


def test_unicode_line_separators_in_an_event_cannot_start_a_new_line(
    client: TestClient, database: Database, world: World, owner: Persona
) -> None:
    feed = world.subscribe("fan-1")
    injected = "Sale{0}END:VEVENT{0}BEGIN:VEVENT{0}UID:forged{0}SUMMARY:Forged"
    fields = {
        "title": injected.format("\u2028"),
        "description": injected.format("\u0085"),
        "location": injected.format("\u2029"),
        "start": in_days(4),
        "end": in_days(4, 11),
    }
    body = {"event": event_body("seat", **fields), "subscriptionIds": [feed.subscription_id]}
    assert client.post("/v1/subscriptionevent/owner", json=body, headers=bearer(client, owner)).status_code == 202
    text = client.get(feed.path).content.decode()
    # A client that splits on any Unicode line break sees exactly the CRLF-delimited lines.
    assert text.splitlines() == text.split("\r\n")[:-1]
    assert not any(line.startswith(("UID:forged", "SUMMARY:Forged")) for line in text.splitlines())
    (event,) = parse_everywhere(text.encode()).walk("VEVENT")
    assert str(event["SUMMARY"]) == injected.format("\n")
    assert str(event["LOCATION"]) == injected.format("\n")


def test_rendering_a_feed_holds_up_no_other_write(
    client: TestClient, database: Database, world: World, monkeypatch: pytest.MonkeyPatch
) -> None:
    """While a feed renders, another request can change the same subscription (and, on SQLite, write at all)."""
    feed = world.subscribe("fan-1")
    world.broadcast("Kick-off", in_days(3))
    original = rendering.render
    finished_during_rendering: list[bool] = []
    writers: list[threading.Thread] = []

    def render_while_another_request_writes(content: rendering.FeedContent) -> bytes:
        writer = threading.Thread(target=world.personal, args=([feed], "seat", "Your seat", in_days(4)))
        writers.append(writer)
        writer.start()
        writer.join(timeout=5)
        finished_during_rendering.append(not writer.is_alive())
        return original(content)

    monkeypatch.setattr(rendering, "render", render_while_another_request_writes)
    started = time.monotonic()
    assert client.get(feed.path).status_code == 200
    for writer in writers:
        writer.join()
    assert finished_during_rendering == [True], (
        f"the write waited for the rendering ({time.monotonic() - started:.1f} s)"
    )
    assert summaries(client.get(feed.path).content) == ["Kick-off", "Your seat"]


def feed_account_id(database: Database, feed: Feed) -> str:
    with database.sessions() as session:
        return session.scalars(select(Subscription.account_id).where(Subscription.id == feed.subscription_id)).one()
