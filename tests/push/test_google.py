"""Google Calendar by push, against the contract-checked stand-in: a subscriber connects through the consent page,
and every change of what their feed would show reaches the calendar calcast made in their account."""

from __future__ import annotations

import threading
import time
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import delete, select

from calcast import assembly
from calcast.calendars import service as calendars
from calcast.core.config import Settings
from calcast.core.db import Database, utcnow
from calcast.events import service as events
from calcast.outbox.models import OutboxMessage, OutboxStatus
from calcast.push import service as push
from calcast.push.models import ConnectionState, PushedEvent
from calcast.subscriptions.models import Subscription
from tests.conftest import Persona
from tests.push.conftest import (
    braze_profile,
    connect_google,
    connection,
    drain,
    local_time,
    manage_path,
    seed_send,
    tomorrow_at,
)
from tests.support import braze_sync
from tests.support.fake_braze import FakeBraze
from tests.support.google_standin import GoogleStandIn

pytestmark = pytest.mark.slow

EXTERNAL_ID = "ext-42"
EVENT_ID = f"Event_0001_{EXTERNAL_ID}"


def subscribed_by_google(
    push_database: Database, push_client: TestClient, google: GoogleStandIn, settings: Settings, tags: list[str]
) -> str:
    subscription_id = braze_sync.subscribe(push_database, subscriber_id=EXTERNAL_ID, tags=tags).subscription.id
    text = connect_google(push_client, google, settings, manage_path(settings, subscription_id, push_database))
    assert "Your calendar is connected" in text
    return subscription_id


def the_calendar(google: GoogleStandIn) -> str:
    assert len(google.calendars) == 1
    return next(iter(google.calendars))


def test_a_braze_event_reaches_the_subscribers_google_calendar_and_follows_every_change(
    push_database: Database, owner: Persona, push_client: TestClient, google: GoogleStandIn, push_settings: Settings
) -> None:
    subscription_id = subscribed_by_google(push_database, push_client, google, push_settings, ["Team I"])
    with push_database.sessions() as session:
        assert session.get_one(Subscription, subscription_id).method == "Google"
    drain(push_database)
    calendar_id = the_calendar(google)
    assert google.calendars[calendar_id].summary == "Owner Calendar"
    assert google.live_events(calendar_id) == []

    # Braze sends the seed page's new-event template: the event is in the Google calendar, with its reminder.
    profile = braze_profile(push_database, subscription_id, EXTERNAL_ID)
    start = tomorrow_at(15)
    seed_send(
        push_client, owner, profile, "new_event",
        eventStart=local_time(start), eventEnd=local_time(start + timedelta(hours=1)),
    )  # fmt: skip
    drain(push_database)
    [event] = google.live_events(calendar_id)
    assert event["summary"] == "Event Title"
    assert event["location"] == "Event Location"
    assert event["description"].startswith("Event Description")
    assert "/manage/" in event["description"]
    new_york = ZoneInfo("America/New_York")
    assert event["start"] == {"dateTime": start.replace(tzinfo=new_york).isoformat(), "timeZone": "America/New_York"}
    assert event["reminders"] == {"useDefault": False, "overrides": [{"method": "popup", "minutes": 15}]}

    # The update template changes the title: the same Google event is patched, nothing is added.
    seed_send(
        push_client, owner, profile, "update_event",
        eventTitle="Sale moved", eventStart=local_time(start), eventEnd=local_time(start + timedelta(hours=2)),
    )  # fmt: skip
    drain(push_database)
    [event] = google.live_events(calendar_id)
    assert event["summary"] == "Sale moved"
    assert google.api_calls("calendar.events.insert") == 1
    assert google.api_calls("calendar.events.patch") == 1

    # A change that does not touch this subscription's content writes nothing.
    drain(push_database)
    assert google.api_calls("calendar.events.patch") == 1

    # A broadcast event for Team II is not theirs until they choose Team II.
    with push_database.transaction() as session:
        calendars.add_broadcast_event(
            session=session,
            account_code="owner",
            calendar_code="main",
            event=calendars.BroadcastEventInput(
                title="Team II kick-off",
                start=(utcnow() + timedelta(days=2)).isoformat(),
                end=(utcnow() + timedelta(days=2, hours=2)).isoformat(),
                timezone="Europe/Berlin",
                tags=["Team II"],
            ),
        )
    drain(push_database)
    assert [event["summary"] for event in google.live_events(calendar_id)] == ["Sale moved"]
    braze_sync.change_tags(push_database, subscription_id, ["Team I", "Team II"])
    drain(push_database)
    assert sorted(event["summary"] for event in google.live_events(calendar_id)) == ["Sale moved", "Team II kick-off"]
    braze_sync.change_tags(push_database, subscription_id, ["Team I"])
    drain(push_database)
    assert [event["summary"] for event in google.live_events(calendar_id)] == ["Sale moved"]

    # Deleted in calcast: gone from the Google calendar.
    with push_database.transaction() as session:
        events.delete_event(session=session, account_id=profile_account(push_database), event_id=EVENT_ID)
    drain(push_database)
    assert google.live_events(calendar_id) == []

    # Unsubscribe: calcast's calendar is deleted and the grant given back.
    braze_sync.unsubscribe(push_database, subscription_id, "no longer interested")
    drain(push_database)
    assert google.calendars == {}
    assert all(grant.revoked for grant in google.grants.values())
    ended = connection(push_database, subscription_id)
    assert ended.state == ConnectionState.ENDED
    assert ended.credential is None


def profile_account(push_database: Database) -> str:
    with push_database.sessions() as session:
        return calendars.get_calendar(session=session, account_code="owner", code="main").account_id


def test_a_revoked_grant_ends_the_subscription_and_braze_hears_the_unsubscribe(
    push_database: Database,
    owner: Persona,
    braze: FakeBraze,
    push_client: TestClient,
    google: GoogleStandIn,
    push_settings: Settings,
) -> None:
    subscription_id = subscribed_by_google(push_database, push_client, google, push_settings, ["Team I"])
    drain(push_database)
    braze_sync.drain(push_database)
    methods = braze.profile(EXTERNAL_ID).attributes["rokt:subscription_method"]
    assert [value.split("/")[0] for value in methods] == ["Google"]

    # The subscriber removes calcast in their Google account; the next change finds out.
    google.revoke_all()
    google.expire_access_tokens()
    profile = braze_profile(push_database, subscription_id, EXTERNAL_ID)
    start = tomorrow_at(9)
    seed_send(push_client, owner, profile, "new_event", eventStart=local_time(start), eventEnd=local_time(start))
    drain(push_database)
    with push_database.sessions() as session:
        subscription = session.get_one(Subscription, subscription_id)
        assert subscription.deactivated_at is not None
        assert subscription.deactivation_reason_id == "push_access_revoked"
    assert connection(push_database, subscription_id).state == ConnectionState.ENDED
    braze_sync.drain(push_database)
    assert "unsubscribe" in [event["name"] for event in braze.profile(EXTERNAL_ID).events]


def test_a_calendar_the_subscriber_deleted_ends_the_subscription_and_is_not_made_again(
    push_database: Database, owner: Persona, push_client: TestClient, google: GoogleStandIn, push_settings: Settings
) -> None:
    subscription_id = subscribed_by_google(push_database, push_client, google, push_settings, ["Team I"])
    drain(push_database)
    google.delete_calendar_as_user(the_calendar(google))
    profile = braze_profile(push_database, subscription_id, EXTERNAL_ID)
    start = tomorrow_at(9)
    seed_send(push_client, owner, profile, "new_event", eventStart=local_time(start), eventEnd=local_time(start))
    drain(push_database)
    with push_database.sessions() as session:
        assert session.get_one(Subscription, subscription_id).deactivation_reason_id == "push_calendar_deleted"
    assert google.calendars == {}


def test_a_429_storm_is_waited_out_and_nothing_is_lost_or_written_twice(
    push_database: Database, owner: Persona, push_client: TestClient, google: GoogleStandIn, push_settings: Settings
) -> None:
    subscription_id = subscribed_by_google(push_database, push_client, google, push_settings, ["Team I"])
    drain(push_database)
    calendar_id = the_calendar(google)
    profile = braze_profile(push_database, subscription_id, EXTERNAL_ID)
    google.throttle(3, status=429)
    google.throttle(3, status=403)
    for number in range(1, 5):
        start = tomorrow_at(8 + number)
        seed_send(
            push_client, owner, profile, "new_event",
            eventId=f"Event_000{number}", eventTitle=f"Offer {number}",
            eventStart=local_time(start), eventEnd=local_time(start),
        )  # fmt: skip
    drain(push_database)
    titles = sorted(event["summary"] for event in google.live_events(calendar_id))
    assert titles == ["Offer 1", "Offer 2", "Offer 3", "Offer 4"]
    with push_database.sessions() as session:
        assert session.get_one(Subscription, subscription_id).is_active
    assert connection(push_database, subscription_id).state == ConnectionState.ACTIVE


def test_a_retry_after_from_google_holds_the_next_attempt_back(
    push_database: Database, owner: Persona, push_client: TestClient, google: GoogleStandIn, push_settings: Settings
) -> None:
    subscription_id = subscribed_by_google(push_database, push_client, google, push_settings, ["Team I"])
    google.throttle(1, status=429, retry_after="120")
    runner = assembly.worker(push_database)
    try:
        runner.drain()
    finally:
        runner.close()
    with push_database.sessions() as session:
        row = session.scalar(
            select(OutboxMessage).where(OutboxMessage.kind == "push", OutboxMessage.status == OutboxStatus.PENDING)
        )
        assert row is not None
        assert row.last_status_code == 429
        assert row.available_at >= datetime.now(UTC) + timedelta(seconds=100)
    assert google.calendars == {}
    assert connection(push_database, subscription_id).state == ConnectionState.ACTIVE


def test_an_expired_access_token_is_refreshed_without_the_subscriber_noticing(
    push_database: Database, owner: Persona, push_client: TestClient, google: GoogleStandIn, push_settings: Settings
) -> None:
    subscription_id = subscribed_by_google(push_database, push_client, google, push_settings, ["Team I"])
    drain(push_database)
    google.expire_access_tokens()
    profile = braze_profile(push_database, subscription_id, EXTERNAL_ID)
    start = tomorrow_at(9)
    seed_send(push_client, owner, profile, "new_event", eventStart=local_time(start), eventEnd=local_time(start))
    drain(push_database)
    assert [event["summary"] for event in google.live_events(the_calendar(google))] == ["Event Title"]
    stored = connection(push_database, subscription_id)
    assert stored.access_token is not None
    assert b"ya29." not in stored.access_token  # encrypted at rest


def test_reconciliation_puts_back_an_event_edited_by_hand_and_leaves_one_deleted_by_hand_alone(
    push_database: Database, owner: Persona, push_client: TestClient, google: GoogleStandIn, push_settings: Settings
) -> None:
    subscription_id = subscribed_by_google(push_database, push_client, google, push_settings, ["Team I"])
    profile = braze_profile(push_database, subscription_id, EXTERNAL_ID)
    for number in (1, 2):
        start = tomorrow_at(9 + number)
        seed_send(
            push_client, owner, profile, "new_event",
            eventId=f"Event_000{number}", eventTitle=f"Offer {number}",
            eventStart=local_time(start), eventEnd=local_time(start),
        )  # fmt: skip
    drain(push_database)
    calendar_id = the_calendar(google)
    first, second = sorted(google.live_events(calendar_id), key=lambda event: event["summary"])
    google.edit_event_as_user(calendar_id, first["id"], summary="My own title")
    google.edit_event_as_user(calendar_id, second["id"], status="cancelled")

    queued = push.Reconciliation()(transaction=push_database.transaction, settings=push_settings, now=utcnow())
    assert queued == 1
    drain(push_database)
    assert [event["summary"] for event in google.live_events(calendar_id)] == ["Offer 1"]
    # Compared just now: the next run leaves it until CALCAST_PUSH_RECONCILE_MINUTES have passed.
    assert push.Reconciliation()(transaction=push_database.transaction, settings=push_settings, now=utcnow()) == 0


def test_a_write_whose_record_was_lost_in_a_crash_is_not_written_twice(
    push_database: Database, owner: Persona, push_client: TestClient, google: GoogleStandIn, push_settings: Settings
) -> None:
    subscription_id = subscribed_by_google(push_database, push_client, google, push_settings, ["Team I"])
    profile = braze_profile(push_database, subscription_id, EXTERNAL_ID)
    start = tomorrow_at(9)
    seed_send(push_client, owner, profile, "new_event", eventStart=local_time(start), eventEnd=local_time(start))
    drain(push_database)
    calendar_id = the_calendar(google)
    # The worker was killed after Google stored the event and before calcast recorded it: the record is gone.
    with push_database.transaction() as session:
        session.execute(delete(PushedEvent))
    seed_send(
        push_client, owner, profile, "update_event",
        eventTitle="Sale moved", eventStart=local_time(start), eventEnd=local_time(start),
    )  # fmt: skip
    drain(push_database)
    [event] = google.live_events(calendar_id)
    assert event["summary"] == "Sale moved"


@pytest.mark.parametrize("backend", ["postgresql"])
def test_two_workers_on_postgresql_never_write_the_same_change_twice(
    push_database: Database,
    owner: Persona,
    push_client: TestClient,
    google: GoogleStandIn,
    push_settings: Settings,
    backend: str,
) -> None:
    subscription_ids = []
    for number in range(4):
        subscription_id = braze_sync.subscribe(
            push_database, subscriber_id=f"ext-{number}", tags=["Team I"]
        ).subscription.id
        connect_google(push_client, google, push_settings, manage_path(push_settings, subscription_id, push_database))
        subscription_ids.append(subscription_id)
    # Two workers run while the changes arrive: each change queues a sync per subscriber, as the syncs go on.
    stop = threading.Event()
    workers = [assembly.worker(push_database, name=f"worker-{number}") for number in range(2)]
    threads = [threading.Thread(target=worker.run, args=(stop,)) for worker in workers]
    for thread in threads:
        thread.start()
    try:
        for number in range(3):
            with push_database.transaction() as session:
                calendars.add_broadcast_event(
                    session=session,
                    account_code="owner",
                    calendar_code="main",
                    event=calendars.BroadcastEventInput(
                        title=f"Match {number}",
                        start=(utcnow() + timedelta(days=2 + number)).isoformat(),
                        end=(utcnow() + timedelta(days=2 + number, hours=2)).isoformat(),
                        timezone="Europe/Berlin",
                    ),
                )
            time.sleep(0.05)
        drain(push_database)
    finally:
        stop.set()
        for thread in threads:
            thread.join(timeout=60)
        for worker in workers:
            worker.close()
    assert len(google.calendars) == 4
    for calendar in google.calendars.values():
        assert sorted(event["summary"] for event in calendar.events.values()) == ["Match 0", "Match 1", "Match 2"]
    assert google.api_calls("calendar.events.insert") == 12
    assert google.api_calls("calendar.calendars.insert") == 4
