"""Braze sync end to end: subscription changes → outbox → worker → a local Braze stand-in that checks every request."""

from __future__ import annotations

import math
import time
from datetime import timedelta

import pytest
from sqlalchemy import select, update

from calcast.accounts.models import Account
from calcast.calendars import service as calendars
from calcast.core.db import Database, utcnow
from calcast.outbox.models import OutboxMessage
from calcast.subscriptions.models import Subscription
from tests.conftest import Cli, Persona
from tests.support.braze_sync import (
    a_capture,
    change_tags,
    connect_braze,
    drain,
    set_calendar_flags,
    subscribe,
    unsubscribe,
    worker,
)
from tests.support.fake_braze import FakeBraze, running_fake_braze


def outbox_rows(database: Database) -> list[OutboxMessage]:
    with database.sessions() as session:
        return list(session.scalars(select(OutboxMessage).order_by(OutboxMessage.id)))


def drain_until_settled(database: Database, timeout: float = 20.0) -> None:
    """Keep a worker going until nothing is pending (backoffs included)."""
    runner = worker(database)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            runner.drain()
            if all(row.status != "pending" for row in outbox_rows(database)):
                return
            time.sleep(0.05)
        raise AssertionError("the outbox did not settle in time")
    finally:
        runner.close()


def test_a_subscription_with_tags_and_opt_ins_reaches_braze_as_rokt_attributes(
    database: Database, braze: FakeBraze
) -> None:
    done = subscribe(
        database,
        subscriber_id="ext-42",
        email="fan@example.com",
        tags=["All Teams", "Team I"],
        opt_in1=True,
        capture=a_capture(),
    )
    drain(database)
    suffix, sid = done.subscription.suffix, done.subscription.id
    profile = braze.profile("ext-42")
    assert profile.attributes == {
        "rokt:account_code": [f"owner/{suffix}"],
        "rokt:account_id": [f"{done.calendar.account_id}/{suffix}"],
        "rokt:account_name": [f"Owner/{suffix}"],
        "rokt:calendar_code": [f"main/{suffix}"],
        "rokt:calendar_id": [f"{done.calendar.id}/{suffix}"],
        "rokt:calendar_title": [f"Owner Calendar/{suffix}"],
        "rokt:country_code": [f"AU/{suffix}"],
        "rokt:device_name": [f"Desktop/{suffix}"],
        "rokt:geo_country": [f"Australia/{suffix}"],
        "rokt:optIn1": [f"True/{suffix}"],
        "rokt:optIn2": [f"False/{suffix}"],
        "rokt:source": [f"brazetest.example.com/{suffix}"],
        "rokt:subscriber_email": [f"fan@example.com/{suffix}"],
        "rokt:subscription_id": [sid],
        "rokt:subscription_method": [f"WebCal/{suffix}"],
        "rokt:tags": [f"Owner Calendar/All Teams/{suffix}", f"Owner Calendar/Team I/{suffix}"],
    }
    assert [event["name"] for event in profile.events] == ["subscribe"]
    assert profile.events[0]["properties"]["subscription_id"] == sid
    assert [row.status for row in outbox_rows(database)] == ["done"]
    with database.sessions() as session:
        assert session.get_one(Subscription, sid).crm_status == "matched"


def test_with_the_merge_flag_on_several_subscriptions_accumulate_oldest_first(
    database: Database, braze: FakeBraze
) -> None:
    with database.transaction() as session:
        calendars.create_calendar(
            session=session, account_code="owner", code="second", settings=calendars.CalendarSettings(title="Second")
        )
    first = subscribe(database, subscriber_id="ext-1")
    second = subscribe(database, "second", subscriber_id="ext-1")
    drain(database)
    ids = braze.profile("ext-1").attributes["rokt:subscription_id"]
    assert ids == [first.subscription.id, second.subscription.id]
    codes = braze.profile("ext-1").attributes["rokt:account_code"]
    assert codes[0].split("/")[0] == "owner"  # what the partner template's `[0] | split: '/' | first` reads
    assert len(codes) == 2


def test_with_the_merge_flag_off_the_newest_subscription_replaces_the_arrays(
    database: Database, braze: FakeBraze
) -> None:
    set_calendar_flags(database, merge=False)
    with database.transaction() as session:
        calendars.create_calendar(
            session=session,
            account_code="owner",
            code="second",
            settings=calendars.CalendarSettings(title="Second", merge_flag=False),
        )
    subscribe(database, subscriber_id="ext-1")
    second = subscribe(database, "second", subscriber_id="ext-1")
    drain(database)
    attributes = braze.profile("ext-1").attributes
    assert attributes["rokt:subscription_id"] == [second.subscription.id]
    assert attributes["rokt:calendar_code"] == [f"second/{second.subscription.suffix}"]
    assert isinstance(braze.accepted_attributes()[0]["rokt:tags"], list)  # plain arrays, no add/remove


def test_without_an_external_id_the_email_identifies_the_user(database: Database, braze: FakeBraze) -> None:
    subscribe(database, email="fan@example.com")
    drain(database)
    assert braze.accepted_attributes()[0]["email"] == "fan@example.com"
    assert "external_id" not in braze.accepted_attributes()[0]
    assert braze.profile("email:fan@example.com").events[0]["name"] == "subscribe"


def test_with_the_fallback_flag_on_the_subscription_id_becomes_the_external_id(
    database: Database, braze: FakeBraze
) -> None:
    set_calendar_flags(database, fallback=True)
    done = subscribe(database)
    drain(database)
    assert braze.profile(done.subscription.id).attributes["rokt:subscription_id"] == [done.subscription.id]


def test_with_the_fallback_flag_off_an_unidentifiable_subscription_is_marked_unmatched_and_not_sent(
    database: Database, braze: FakeBraze
) -> None:
    done = subscribe(database)
    drain(database)
    assert braze.requests == []
    assert outbox_rows(database) == []
    with database.sessions() as session:
        assert session.get_one(Subscription, done.subscription.id).crm_status == "unmatched"


def test_an_unsubscribe_removes_exactly_that_subscription_and_sends_an_unsubscribe_event(
    database: Database, braze: FakeBraze
) -> None:
    with database.transaction() as session:
        calendars.create_calendar(
            session=session, account_code="owner", code="second", settings=calendars.CalendarSettings(title="Second")
        )
    keep = subscribe(database, subscriber_id="ext-1")
    leave = subscribe(database, "second", subscriber_id="ext-1")
    drain(database)
    unsubscribe(database, leave.subscription.id, reason="Too many events")
    drain(database)
    profile = braze.profile("ext-1")
    assert profile.attributes["rokt:subscription_id"] == [keep.subscription.id]
    for entries in profile.attributes.values():
        assert not any(entry.endswith(leave.subscription.suffix) for entry in entries)
    assert [event["name"] for event in profile.events] == ["subscribe", "subscribe", "unsubscribe"]
    assert profile.events[-1]["properties"]["reason"] == "Too many events"


def test_a_preference_change_adds_the_new_tags_and_removes_the_old_ones(database: Database, braze: FakeBraze) -> None:
    done = subscribe(database, subscriber_id="ext-1", tags=["Team I"])
    change_tags(database, done.subscription.id, ["Team II", "All Teams"])
    drain(database)
    suffix = done.subscription.suffix
    assert braze.profile("ext-1").attributes["rokt:tags"] == [
        f"Owner Calendar/All Teams/{suffix}",
        f"Owner Calendar/Team II/{suffix}",
    ]
    assert [row.topic for row in outbox_rows(database)] == ["subscribe", "update"]


def test_many_subscriptions_are_batched_within_braze_object_limit(database: Database, braze: FakeBraze) -> None:
    for number in range(120):
        subscribe(database, subscriber_id=f"user-{number}")
    drain(database)
    assert all(status == 201 for status, _ in braze.requests)
    assert len(braze.requests) == math.ceil(240 / 75)
    assert {item["external_id"] for item in braze.accepted_attributes()} == {f"user-{n}" for n in range(120)}


def test_per_array_batching_puts_75_subscriptions_in_one_request(database: Database, owner: Persona) -> None:
    with running_fake_braze(per_array=True) as fake:
        connect_braze(database, fake)
        for number in range(150):
            subscribe(database, subscriber_id=f"user-{number}")
        drain(database, braze_batch_scope="per_array")
        assert [status for status, _ in fake.requests] == [201, 201]
        assert len(fake.accepted_attributes()) == 150


@pytest.mark.parametrize("concurrency", [1, 3])
def test_a_worker_has_at_most_the_configured_number_of_requests_in_flight(
    database: Database, braze: FakeBraze, concurrency: int
) -> None:
    for number in range(200):  # 400 objects: 11 requests of at most 75, in two claims
        subscribe(database, subscriber_id=f"user-{number}")
    braze.delay_seconds = 0.1
    drain(database, braze_concurrency=concurrency)
    assert braze.most_at_once == concurrency
    assert [status for status, _ in braze.requests] == [201] * math.ceil(200 / 37)
    assert {item["external_id"] for item in braze.accepted_attributes()} == {f"user-{n}" for n in range(200)}


def test_concurrent_requests_keep_each_subscriptions_changes_in_order(database: Database, braze: FakeBraze) -> None:
    done = [subscribe(database, subscriber_id=f"user-{number}") for number in range(60)]
    for item in done[::2]:
        change_tags(database, item.subscription.id, ["Team I"])
    for item in done:
        unsubscribe(database, item.subscription.id)
    braze.delay_seconds = 0.02
    drain(database, braze_concurrency=4)
    assert braze.most_at_once > 1
    assert all(row.status == "done" for row in outbox_rows(database))
    for number in range(60):
        profile = braze.profile(f"user-{number}")
        # The unsubscribe's exact remove came last: nothing of the subscription is left on the profile.
        assert profile.attributes.get("rokt:subscription_id") == [], number
        assert [event["name"] for event in profile.events] == ["subscribe", "unsubscribe"], number


def test_braze_down_for_a_while_delays_but_loses_nothing(database: Database, braze: FakeBraze) -> None:
    braze.fail_next = [503, 503, 502, 504]
    done = [subscribe(database, subscriber_id=f"user-{n}") for n in range(10)]
    unsubscribe(database, done[0].subscription.id)
    drain_until_settled(database)
    assert [status for status, _ in braze.requests][:4] == [503, 503, 502, 504]
    assert all(row.status == "done" for row in outbox_rows(database))
    assert {item["external_id"] for item in braze.accepted_attributes()} == {f"user-{n}" for n in range(10)}
    # The unsubscribe never overtook its subscribe: the user has nothing left of it.
    assert braze.profile("user-0").attributes.get("rokt:subscription_id") == []


def test_a_429_waits_for_x_ratelimit_reset(database: Database, braze: FakeBraze) -> None:
    braze.rate_limited_until = time.time() + 2
    subscribe(database, subscriber_id="user-1")
    runner = worker(database)
    try:
        runner.drain()
        assert [status for status, _ in braze.requests] == [429]
        row = outbox_rows(database)[0]
        assert row.status == "pending"
        assert row.last_status_code == 429
        assert row.available_at.timestamp() >= int(braze.rate_limited_until) - 0.001
        runner.drain()
        assert len(braze.requests) == 1  # nothing sent before the reset
        time.sleep(max(0.0, braze.rate_limited_until - time.time()) + 0.3)
        runner.drain()
    finally:
        runner.close()
    assert [status for status, _ in braze.requests] == [429, 201]
    assert outbox_rows(database)[0].status == "done"


def test_minor_errors_fail_exactly_the_objects_at_those_indexes(database: Database, braze: FakeBraze) -> None:
    braze.minor_error_when = lambda item: item.get("external_id") == "user-3"
    for number in range(6):
        subscribe(database, subscriber_id=f"user-{number}")
    drain(database)
    rows = outbox_rows(database)
    assert [row.status for row in rows] == ["done", "done", "done", "failed", "done", "done"]
    assert rows[3].last_error is not None
    assert "simulated minor error" in rows[3].last_error
    assert "attributes[3]" in rows[3].last_error


def test_a_permanent_400_is_kept_with_brazes_answer_while_the_others_are_delivered(
    database: Database, braze: FakeBraze, cli: Cli
) -> None:
    braze.reject_when = lambda item: item.get("external_id") == "user-2"
    for number in range(5):
        subscribe(database, subscriber_id=f"user-{number}")
    drain(database)
    rows = outbox_rows(database)
    assert [row.status for row in rows] == ["done", "done", "failed", "done", "done"]
    assert rows[2].last_status_code == 400
    assert "simulated: an object Braze refuses outright" in (rows[2].last_error or "")
    listed = cli("outbox", "list", "--failed")
    assert listed.exit_code == 0
    assert f"{rows[2].id}\tbraze.track\tsubscribe\tfailed" in listed.stdout
    assert "400" in listed.stdout


def test_a_401_fails_everything_until_the_key_is_fixed_and_the_operator_retries(
    database: Database, owner: Persona, cli: Cli
) -> None:
    with running_fake_braze(api_key="the-right-key") as fake:
        connect_braze(database, fake, api_key="a-wrong-key")
        subscribe(database, subscriber_id="user-1")
        subscribe(database, subscriber_id="user-2")
        drain(database)
        rows = outbox_rows(database)
        assert [(row.status, row.last_status_code) for row in rows] == [("failed", 401), ("failed", 401)]
        connect_braze(database, fake)
        retried = cli("outbox", "retry", "--all-failed")
        assert retried.exit_code == 0
        assert "Queued 2 failed messages again." in retried.stdout
        drain(database)
        assert [row.status for row in outbox_rows(database)] == ["done", "done"]
        assert {item["external_id"] for item in fake.accepted_attributes()} == {"user-1", "user-2"}


def test_slow_answers_beyond_the_timeout_are_retried(database: Database, braze: FakeBraze) -> None:
    braze.delay_seconds = 0.6
    subscribe(database, subscriber_id="user-1")
    drain(database, braze_timeout_seconds=0.2)
    row = outbox_rows(database)[0]
    assert row.status == "pending"
    assert "timed out" in (row.last_error or "")
    braze.delay_seconds = 0.0
    drain_until_settled(database)
    assert outbox_rows(database)[0].status == "done"


# --- what calcast trusts from, and how long it gives, a Braze endpoint ----------------------------------


@pytest.mark.parametrize("reset", ["99999999999", "1e20"])
def test_a_far_x_ratelimit_reset_postpones_delivery_by_an_hour_at_most(
    database: Database, braze: FakeBraze, reset: str
) -> None:
    braze.rate_limit_reset_as_sent = reset
    subscribe(database, subscriber_id="user-1")
    before = utcnow()
    drain(database)
    row = outbox_rows(database)[0]
    assert (row.status, row.last_status_code) == ("pending", 429)
    assert before + timedelta(minutes=59) <= row.available_at <= utcnow() + timedelta(hours=1)


@pytest.mark.parametrize("reset", ["NaN", "inf", "-inf", "soon", ""])
def test_a_garbage_x_ratelimit_reset_falls_back_to_the_normal_backoff(
    database: Database, braze: FakeBraze, reset: str
) -> None:
    braze.rate_limit_reset_as_sent = reset
    subscribe(database, subscriber_id="user-1")
    runner = worker(database)
    try:
        runner.run_once()
    finally:
        runner.close()
    row = outbox_rows(database)[0]
    assert (row.status, row.last_status_code, row.attempts) == ("pending", 429, 1)
    # FAST backoff: at most 0.2 s after the attempt.
    assert row.available_at <= utcnow() + timedelta(seconds=1)


def test_a_trickling_braze_endpoint_cannot_hold_the_claim_past_the_lease(
    database: Database, owner: Persona, other: Persona
) -> None:
    with running_fake_braze(trickle_seconds=0.25) as slow, running_fake_braze() as healthy:
        connect_braze(database, slow, "owner")
        connect_braze(database, healthy, "other")
        subscribe(database, subscriber_id="user-1")
        subscribe(database, account_code="other", subscriber_id="user-2")
        runner = worker(database, braze_timeout_seconds=1.0, outbox_lease_seconds=5.0)
        started = time.monotonic()
        try:
            runner.run_once()
        finally:
            runner.close()
        elapsed = time.monotonic() - started
    assert elapsed < 3.0, f"one claim took {elapsed:.1f} s, past the 5 s lease's margin"
    slow_row, healthy_row = outbox_rows(database)
    assert (healthy_row.status, slow_row.status) == ("done", "pending")
    assert slow_row.last_error == "No answer from Braze: the request timed out: no complete answer within 1 s"
    assert [item["external_id"] for item in healthy.accepted_attributes()] == ["user-2"]


@pytest.mark.parametrize("status", [500, 201])
def test_an_answer_with_nul_bytes_is_stored_without_them_and_other_accounts_are_delivered_once(
    database: Database, owner: Persona, other: Persona, status: int
) -> None:
    answer = (status, b'{"message": "bad\x00answer"}')
    with running_fake_braze(raw_answer=answer) as hostile, running_fake_braze() as healthy:
        connect_braze(database, hostile, "owner")
        connect_braze(database, healthy, "other")
        subscribe(database, subscriber_id="user-1")
        subscribe(database, account_code="other", subscriber_id="user-2")
        drain(database)
        hostile_row, healthy_row = outbox_rows(database)
        assert healthy_row.status == "done"
        with database.transaction() as session:
            session.execute(update(OutboxMessage).values(available_at=utcnow()))
        drain(database)
    assert len(healthy.requests) == 1
    if status == 500:
        assert (hostile_row.status, hostile_row.last_status_code) == ("pending", 500)
        assert hostile_row.last_error == 'Braze answered 500: {"message": "badanswer"}'
    else:
        assert hostile_row.status == "done"


def test_set_braze_refuses_plain_http_and_private_addresses(database: Database, owner: Persona, cli: Cli) -> None:
    strict = {"CALCAST_ALLOW_PRIVATE_DESTINATIONS": "false"}
    for endpoint, sentence in [
        ("http://rest.iad-01.braze.com", "must start with https://: over plain http its content and credentials"),
        ("https://127.0.0.1:8080", "calcast does not send to 127.0.0.1, a loopback address"),
        ("https://169.254.169.254", "calcast does not send to 169.254.169.254, a link-local address"),
    ]:
        refused = cli("account", "set-braze", "owner", "--rest-endpoint", endpoint, "--api-key", "k", env=strict)
        assert refused.exit_code == 1
        assert f"Error: The Braze REST endpoint {endpoint!r}" in refused.stderr
        assert sentence in refused.stderr
    with database.sessions() as session:
        assert session.scalars(select(Account.braze_rest_endpoint)).one() is None
    allowed = cli("account", "set-braze", "owner", "--rest-endpoint", "https://rest.fra-02.braze.eu", "--api-key", "k")
    assert allowed.exit_code == 0, allowed.stderr


def test_a_stored_loopback_endpoint_gets_no_request_once_private_destinations_are_off(
    database: Database, braze: FakeBraze
) -> None:
    subscribe(database, subscriber_id="user-1")
    drain(database, allow_private_destinations=False)
    row = outbox_rows(database)[0]
    assert braze.requests == []
    assert (row.status, row.last_status_code) == ("pending", None)
    assert row.last_error == (
        "No answer from Braze: calcast does not send to http:// URLs: destinations must use https "
        "(CALCAST_ALLOW_PRIVATE_DESTINATIONS=true allows http for tests and on-premises receivers)."
    )
