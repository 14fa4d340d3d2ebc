"""Outlook / Microsoft 365 by push, against the Entra and Graph stand-in: consent, events with one reminder,
refresh tokens that rotate on every use, transactionId against duplicates, throttling, revocation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from fastapi.testclient import TestClient

from calcast.core.db import Database, utcnow
from calcast.core.security import Cipher
from calcast.feeds.render import FeedContent, FeedEvent
from calcast.push import service as push
from calcast.push.microsoft import MicrosoftAdapter
from calcast.push.models import ConnectionState
from calcast.subscriptions.models import Subscription
from tests.conftest import Persona
from tests.push.conftest import (
    braze_profile,
    connect_oauth,
    connection,
    drain,
    local_time,
    manage_path,
    seed_send,
    tomorrow_at,
)
from tests.support import braze_sync
from tests.support.microsoft_standin import TENANT, MicrosoftStandIn

pytestmark = pytest.mark.slow

EXTERNAL_ID = "ext-365"
APPROVE = f"/{TENANT}/oauth2/v2.0/approve"


def subscribed_by_microsoft(database: Database, client: TestClient, microsoft: MicrosoftStandIn) -> str:
    subscription_id = braze_sync.subscribe(database, subscriber_id=EXTERNAL_ID, tags=["Team I"]).subscription.id
    path = manage_path(database.settings, subscription_id, database)
    text = connect_oauth(client, database.settings, path, "microsoft", microsoft.url, APPROVE, "accept")
    assert "Your calendar is connected" in text
    return subscription_id


def the_calendar(microsoft: MicrosoftStandIn) -> str:
    assert len(microsoft.calendars) == 1
    return next(iter(microsoft.calendars))


def test_an_outlook_subscriber_gets_the_braze_event_and_its_changes_and_the_rotated_token_is_kept(
    push_database: Database, owner: Persona, push_client: TestClient, microsoft: MicrosoftStandIn
) -> None:
    subscription_id = subscribed_by_microsoft(push_database, push_client, microsoft)
    with push_database.sessions() as session:
        assert session.get_one(Subscription, subscription_id).method == "Microsoft"
    drain(push_database)
    calendar_id = the_calendar(microsoft)
    assert microsoft.calendars[calendar_id].name == "Owner Calendar"

    profile = braze_profile(push_database, subscription_id, EXTERNAL_ID)
    start = tomorrow_at(15)
    end = local_time(start + timedelta(hours=1))
    seed_send(push_client, owner, profile, "new_event", eventStart=local_time(start), eventEnd=end)
    drain(push_database)
    [event] = microsoft.calendars[calendar_id].events.values()
    assert event["subject"] == "Event Title"
    assert event["isReminderOn"] is True
    assert event["reminderMinutesBeforeStart"] == 15
    assert event["start"] == {"dateTime": local_time(start), "timeZone": "Eastern Standard Time"}
    assert "/manage/" in event["body"]["content"]

    # The access token runs out: the refresh token is used, and the new one (rotated) is what calcast keeps.
    before = connection(push_database, subscription_id).credential
    microsoft.expire_access_tokens()
    seed_send(
        push_client, owner, profile, "update_event", eventTitle="Sale moved", eventStart=local_time(start), eventEnd=end
    )
    drain(push_database)
    [event] = microsoft.calendars[calendar_id].events.values()
    assert event["subject"] == "Sale moved"
    assert microsoft.refreshes == 1
    kept = connection(push_database, subscription_id).credential
    assert kept is not None
    assert kept != before
    assert Cipher(push_database.settings.secret_key).decrypt(kept) in microsoft.refresh_tokens

    # A throttled mailbox: 429 with Retry-After, waited out, nothing lost.
    microsoft.throttle(2)
    braze_sync.change_tags(push_database, subscription_id, ["Team I", "Team II"])
    drain(push_database)
    assert [event["subject"] for event in microsoft.calendars[calendar_id].events.values()] == ["Sale moved"]
    assert microsoft.without_immutable_ids == 0

    braze_sync.unsubscribe(push_database, subscription_id)
    drain(push_database)
    assert microsoft.calendars == {}
    assert connection(push_database, subscription_id).state == ConnectionState.ENDED


def test_a_repeated_create_after_a_crash_finds_the_first_event_through_its_transaction_id(
    push_database: Database, owner: Persona, push_client: TestClient, microsoft: MicrosoftStandIn
) -> None:
    subscription_id = subscribed_by_microsoft(push_database, push_client, microsoft)
    drain(push_database)
    calendar_id = the_calendar(microsoft)
    stored = connection(push_database, subscription_id)
    credentials = push.credentials_of(Cipher(push_database.settings.secret_key), stored)
    event = FeedEvent(
        uid="p-1@calcast",
        title="Once",
        start_at=utcnow() + timedelta(days=1),
        end_at=utcnow() + timedelta(days=1, hours=1),
        timezone="Europe/Berlin",
        updated_at=utcnow(),
    )
    adapter = MicrosoftAdapter(push_database.settings)
    try:
        payload = adapter.payload(connection_id=stored.id, event=event, content=FeedContent(name="x", events=[event]))
        first = adapter.put_event(credentials, calendar_id, payload, None)
        # The worker died before it recorded the write; the next sync creates it again.
        second = adapter.put_event(credentials, calendar_id, payload, None)
    finally:
        adapter.close()
    assert first.remote_id == second.remote_id
    assert len(microsoft.calendars[calendar_id].events) == 1


def test_a_revoked_grant_ends_the_subscription(
    push_database: Database, owner: Persona, push_client: TestClient, microsoft: MicrosoftStandIn
) -> None:
    subscription_id = subscribed_by_microsoft(push_database, push_client, microsoft)
    drain(push_database)
    microsoft.revoke_all()
    profile = braze_profile(push_database, subscription_id, EXTERNAL_ID)
    start = tomorrow_at(9)
    seed_send(push_client, owner, profile, "new_event", eventStart=local_time(start), eventEnd=local_time(start))
    drain(push_database)
    with push_database.sessions() as session:
        assert session.get_one(Subscription, subscription_id).deactivation_reason_id == "push_access_revoked"
    assert connection(push_database, subscription_id).state == ConnectionState.ENDED
