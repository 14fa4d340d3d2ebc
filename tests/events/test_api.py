"""Personal events through the HTTP API: create, repeat, update, delete, remove from one feed."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import httpx2
import pytest
from fastapi.testclient import TestClient

from calcast.core.db import Database
from tests.conftest import Persona
from tests.rokt_api import bearer, count_events, event_body, feed_version, stored_event, subscribe, targets_of

EVENT_ID = "Event_0001_ext-42"


@pytest.fixture
def headers(client: TestClient, owner: Persona) -> dict[str, str]:
    return bearer(client, owner)


def push(client: TestClient, headers: dict[str, str], ids: list[str], **event: Any) -> httpx2.Response:
    body = {"event": event_body(**event), "subscriptionIds": ids}
    return client.post("/v1/subscriptionevent/owner", json=body, headers=headers)


def test_it_stores_the_event_as_a_utc_instant_and_attaches_it(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    first, second = subscribe(database, owner, "a"), subscribe(database, owner, "b")
    versions = feed_version(database, first), feed_version(database, second)
    response = push(client, headers, [first, second, ""])
    assert response.status_code == 202
    summary = response.json()
    assert summary["eventId"] == EVENT_ID
    assert summary["status"] == "created"
    assert summary["attached"] == 2
    assert summary["sequence"] == 0
    event = stored_event(database, EVENT_ID)
    assert event is not None
    # 15:00 Eastern Standard Time on a winter date is 20:00 UTC; end == start is a zero-length event.
    assert event.start_at == datetime(2019, 2, 21, 20, 0, tzinfo=UTC)
    assert event.end_at == event.start_at
    assert event.timezone == "America/New_York"
    assert event.notify_before == 15
    assert targets_of(database, EVENT_ID) == {first, second}
    assert feed_version(database, first) > versions[0]
    assert feed_version(database, second) > versions[1]


def test_the_same_request_twice_leaves_the_same_state_and_sequence(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    subscription_id = subscribe(database, owner, "a")
    push(client, headers, [subscription_id])
    before = stored_event(database, EVENT_ID)
    version = feed_version(database, subscription_id)
    again = push(client, headers, [subscription_id])
    assert again.status_code == 202
    assert again.json()["status"] == "unchanged"
    assert again.json()["attached"] == 0
    after = stored_event(database, EVENT_ID)
    assert before is not None
    assert after is not None
    assert (after.sequence, after.updated_at) == (before.sequence, before.updated_at)
    assert count_events(database) == 1
    assert targets_of(database, EVENT_ID) == {subscription_id}
    assert feed_version(database, subscription_id) == version


def test_a_visible_change_by_push_bumps_sequence_and_adds_new_subscriptions(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    first, second = subscribe(database, owner, "a"), subscribe(database, owner, "b")
    push(client, headers, [first])
    response = push(client, headers, [second], title="New title")
    assert response.json()["status"] == "updated"
    assert response.json()["sequence"] == 1
    assert targets_of(database, EVENT_ID) == {first, second}


def test_update_replaces_the_event_everywhere_and_bumps_sequence_once(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    subscription_id = subscribe(database, owner, "a")
    push(client, headers, [subscription_id])
    version = feed_version(database, subscription_id)
    changed = event_body(start="2019-02-22T09:30", end="2019-02-22T10:00", title="Moved")
    response = client.post("/v1/subscriptionevent/owner/update", json={"event": changed}, headers=headers)
    assert response.status_code == 202
    assert response.json()["sequence"] == 1
    event = stored_event(database, EVENT_ID)
    assert event is not None
    assert (event.title, event.start_at) == ("Moved", datetime(2019, 2, 22, 14, 30, tzinfo=UTC))
    assert feed_version(database, subscription_id) > version
    # Rokt's reference sends the bare event object; the same content again changes nothing.
    bare = client.post("/v1/subscriptionevent/owner/update", json=changed, headers=headers)
    assert bare.status_code == 202
    assert bare.json()["status"] == "unchanged"
    assert bare.json()["sequence"] == 1


def test_updating_an_unknown_event_is_404(client: TestClient, owner: Persona, headers: dict[str, str]) -> None:
    response = client.post(
        "/v1/subscriptionevent/owner/update", json={"event": event_body("never-created")}, headers=headers
    )
    assert response.status_code == 404
    assert "never-created" in response.json()["Reason"]


def test_delete_removes_the_event_from_every_feed(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    first, second = subscribe(database, owner, "a"), subscribe(database, owner, "b")
    push(client, headers, [first, second])
    version = feed_version(database, first)
    response = client.delete(f"/v1/subscriptionevent/owner/{EVENT_ID}", headers=headers)
    assert response.status_code == 202
    assert response.json()["status"] == "deleted"
    assert stored_event(database, EVENT_ID) is None
    assert targets_of(database, EVENT_ID) == set()
    assert feed_version(database, first) > version
    assert client.delete(f"/v1/subscriptionevent/owner/{EVENT_ID}", headers=headers).status_code == 404


def test_remove_takes_the_event_out_of_one_feed_only(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    first, second = subscribe(database, owner, "a"), subscribe(database, owner, "b")
    push(client, headers, [first, second])
    response = client.delete(f"/v2/subscription/owner/{first}/subscriptionevent/{EVENT_ID}", headers=headers)
    assert response.status_code == 202
    assert response.json()["status"] == "removed"
    assert targets_of(database, EVENT_ID) == {second}
    repeat = client.delete(f"/v2/subscription/owner/{first}/subscriptionevent/{EVENT_ID}", headers=headers)
    assert repeat.status_code == 202
    assert repeat.json()["status"] == "unchanged"


def test_remove_from_another_accounts_subscription_is_404(
    client: TestClient, database: Database, owner: Persona, other: Persona, headers: dict[str, str]
) -> None:
    mine, theirs = subscribe(database, owner, "a"), subscribe(database, other, "a")
    push(client, headers, [mine])
    response = client.delete(f"/v2/subscription/owner/{theirs}/subscriptionevent/{EVENT_ID}", headers=headers)
    assert response.status_code == 404


def test_inactive_subscriptions_are_reported_and_not_attached(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    active, ended = subscribe(database, owner, "a"), subscribe(database, owner, "b")
    client.request("DELETE", "/v1/subscription/owner/main", json={"id": ended}, headers=headers)
    response = push(client, headers, [active, ended, "not-a-subscription"])
    assert response.json()["inactiveSubscriptionIds"] == [ended]
    assert response.json()["unknownSubscriptionIds"] == ["not-a-subscription"]
    assert targets_of(database, EVENT_ID) == {active}


@pytest.mark.parametrize(
    ("fields", "start", "end"),
    [
        ({"timezone": "AUS Eastern Standard Time"}, datetime(2019, 2, 21, 4, 0, tzinfo=UTC), None),
        ({"timezone": "Europe/Berlin"}, datetime(2019, 2, 21, 14, 0, tzinfo=UTC), None),
        ({"timezone": "", "timezoneIanaId": "Asia/Tokyo"}, datetime(2019, 2, 21, 6, 0, tzinfo=UTC), None),
        (
            {"start": "2019-02-21T15:00:00Z", "end": "2019-02-21T16:00:00+01:00"},
            datetime(2019, 2, 21, 15, 0, tzinfo=UTC),
            datetime(2019, 2, 21, 15, 0, tzinfo=UTC),
        ),
        # Spring forward in New York, 2019-03-10: 02:30 does not exist and is read with the offset before the gap.
        ({"start": "2019-03-10T02:30", "end": "2019-03-10T02:30"}, datetime(2019, 3, 10, 7, 30, tzinfo=UTC), None),
        # Fall back, 2019-11-03: 01:30 happens twice; the first (EDT) is meant.
        ({"start": "2019-11-03T01:30", "end": "2019-11-03T01:30"}, datetime(2019, 11, 3, 5, 30, tzinfo=UTC), None),
    ],
)
def test_zone_names_and_times_are_read_as_documented(
    client: TestClient,
    database: Database,
    owner: Persona,
    headers: dict[str, str],
    fields: dict[str, str],
    start: datetime,
    end: datetime | None,
) -> None:
    response = push(client, headers, [subscribe(database, owner, "a")], **fields)
    assert response.status_code == 202, response.text
    event = stored_event(database, EVENT_ID)
    assert event is not None
    assert event.start_at == start
    if end is not None:
        assert event.end_at == end


@pytest.mark.parametrize(("value", "stored"), [("15", 15), (30, 30), ("", None), (None, None), (" 0 ", 0)])
def test_notify_before_is_an_integer_or_a_numeric_string(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str], value: object, stored: int | None
) -> None:
    response = push(client, headers, [subscribe(database, owner, "a")], notifyBefore=value)
    assert response.status_code == 202
    event = stored_event(database, EVENT_ID)
    assert event is not None
    assert event.notify_before == stored


def test_a_missing_end_takes_the_calendars_default_duration(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    body = event_body()
    del body["end"]
    subscription_id = subscribe(database, owner, "a")
    client.post(
        "/v1/subscriptionevent/owner", json={"event": body, "subscriptionIds": [subscription_id]}, headers=headers
    )
    event = stored_event(database, EVENT_ID)
    assert event is not None
    assert (event.end_at - event.start_at).total_seconds() == 3600


def test_an_all_day_event_spans_local_midnights_and_visible_from_is_utc(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    fields = {
        "allDayEvent": True,
        "start": "2019-02-21",
        "end": "2019-02-22",
        "visibleFromDateTimeUtc": "2019-02-01T08:00",
    }
    push(client, headers, [subscribe(database, owner, "a")], **fields)
    event = stored_event(database, EVENT_ID)
    assert event is not None
    assert event.all_day
    assert event.start_at == datetime(2019, 2, 21, 5, 0, tzinfo=UTC)
    assert event.end_at == datetime(2019, 2, 23, 5, 0, tzinfo=UTC)
    assert event.visible_from == datetime(2019, 2, 1, 8, 0, tzinfo=UTC)


def test_a_busy_database_is_a_retryable_503_with_retry_after(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    from sqlalchemy.exc import OperationalError

    from calcast.events import service

    def locked(**_: object) -> None:
        raise OperationalError("INSERT …", {}, Exception("database is locked"))

    monkeypatch.setattr(service, "push_event", locked)
    response = push(client, headers, [subscribe(database, owner, "a")])
    assert response.status_code == 503
    assert response.headers["retry-after"] == "5"
    assert "retry" in response.json()["Reason"]


def in_days(days: int) -> str:
    return (datetime.now(UTC) + timedelta(days=days)).strftime("%Y-%m-%dT%H:%M:%S")


def test_the_summary_says_when_an_event_ended_outside_every_feeds_window(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    """The seed template's sample date (2019-02-21) is accepted and attached, and the summary says nobody sees it."""
    subscription_id = subscribe(database, owner, "a")
    response = push(client, headers, [subscription_id])
    assert response.status_code == 202
    summary = response.json()
    assert summary["attached"] == 1
    assert summary["visibleInFeeds"] is False
    assert summary["note"] == "The event ended more than 30 days ago, so it is outside every feed's window."
    updated = client.post(
        "/v1/subscriptionevent/owner/update", json={"event": event_body(title="Still old")}, headers=headers
    ).json()
    assert (updated["visibleInFeeds"], updated["note"]) == (False, summary["note"])


def test_the_summary_says_until_when_an_event_is_hidden(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    subscription_id = subscribe(database, owner, "a")
    visible_from = (datetime.now(UTC) + timedelta(days=2)).replace(microsecond=0)
    summary = push(
        client,
        headers,
        [subscription_id],
        start=in_days(5),
        end=in_days(5),
        visibleFromDateTimeUtc=visible_from.strftime("%Y-%m-%dT%H:%M:%S"),
    ).json()
    assert summary["visibleInFeeds"] is False
    assert summary["note"] == (
        f"The event is hidden from feeds until {visible_from:%Y-%m-%dT%H:%M:%SZ} (visibleFromDateTimeUtc)."
    )


def test_the_summary_says_when_an_event_will_be_over_before_it_is_shown(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    subscription_id = subscribe(database, owner, "a")
    summary = push(
        client, headers, [subscription_id], start=in_days(1), end=in_days(1), visibleFromDateTimeUtc=in_days(40)
    ).json()
    assert summary["visibleInFeeds"] is False
    assert "never appears in a feed" in summary["note"]


def test_the_summary_of_an_event_feeds_show_has_no_note(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    subscription_id = subscribe(database, owner, "a")
    summary = push(client, headers, [subscription_id], start=in_days(3), end=in_days(3)).json()
    assert (summary["visibleInFeeds"], summary["note"]) == (True, None)
    deleted = client.delete(f"/v1/subscriptionevent/owner/{EVENT_ID}", headers=headers).json()
    assert (deleted["visibleInFeeds"], deleted["note"]) == (None, None)
