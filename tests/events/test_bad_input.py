"""Whatever a client sends, a clear 4xx with a sentence, never a 500, and nothing stored."""

from __future__ import annotations

from typing import Any

import pytest
from fastapi.testclient import TestClient

from calcast.core.db import Database
from tests.conftest import Persona
from tests.rokt_api import bearer, count_events, event_body, subscribe


@pytest.fixture
def headers(client: TestClient, owner: Persona) -> dict[str, str]:
    return bearer(client, owner)


@pytest.fixture
def subscription_id(database: Database, owner: Persona) -> str:
    return subscribe(database, owner, "ext-42")


def assert_refused(response: Any, status: int, database: Database) -> dict[str, Any]:
    assert response.status_code == status, response.text
    body: dict[str, Any] = response.json()
    assert body["Code"] == status
    assert body["Reason"].endswith(".")
    assert count_events(database) == 0
    return body


def test_a_quote_in_a_title_breaks_the_json_and_gets_400_with_the_position(
    client: TestClient, database: Database, headers: dict[str, str], subscription_id: str
) -> None:
    broken = (
        '{"event": {"eventId": "e-1", "title": "The "Big" Sale", "start": "2019-02-21T15:00:00",'
        f' "timezone": "Eastern Standard Time"}}, "subscriptionIds": ["{subscription_id}"]}}'
    )
    response = client.post(
        "/v1/subscriptionevent/owner", content=broken, headers={**headers, "Content-Type": "application/json"}
    )
    body = assert_refused(response, 400, database)
    assert "line 1, column 45" in body["Reason"]  # the B of "Big"
    assert broken[44] == "B"
    assert "json_escape" in body["Reason"]


def test_a_json_array_is_refused_with_a_sentence(
    client: TestClient, database: Database, headers: dict[str, str], subscription_id: str
) -> None:
    response = client.post("/v1/subscriptionevent/owner", json=[event_body()], headers=headers)
    body = assert_refused(response, 422, database)
    assert "JSON object" in body["Reason"]


def test_a_body_over_one_megabyte_is_413(
    client: TestClient, database: Database, headers: dict[str, str], subscription_id: str
) -> None:
    body = {"event": event_body(description="x" * 1_100_000), "subscriptionIds": [subscription_id]}
    assert_refused(client.post("/v1/subscriptionevent/owner", json=body, headers=headers), 413, database)


def test_a_body_without_a_content_type_is_still_read_as_json(
    client: TestClient, database: Database, headers: dict[str, str], subscription_id: str
) -> None:
    import json

    raw = json.dumps({"event": event_body(), "subscriptionIds": [subscription_id]})
    response = client.post(
        "/v1/subscriptionevent/owner", content=raw, headers={**headers, "Content-Type": "text/plain"}
    )
    assert response.status_code == 202


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("eventId", "x" * 256),
        ("title", "x" * 256),
        ("location", "x" * 1025),
        ("url", "x" * 2049),
        ("start", "2019-02-21T15:00:00" + " " * 60),
        ("timezone", "x" * 65),
    ],
)
def test_fields_over_their_length_are_422_naming_the_field(
    client: TestClient, database: Database, headers: dict[str, str], subscription_id: str, field: str, value: str
) -> None:
    body = {"event": event_body(**{field: value}), "subscriptionIds": [subscription_id]}
    refused = assert_refused(client.post("/v1/subscriptionevent/owner", json=body, headers=headers), 422, database)
    assert refused["errors"][0]["field"] == f"event.{field}"


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("eventId", 42),
        ("eventId", None),
        ("title", ["a list"]),
        ("title", ""),
        ("description", {"an": "object"}),
        ("location", 12),
        ("url", False),
        ("start", 20190221),
        ("start", "next tuesday"),
        ("end", 1.5),
        ("end", "2019-02-21T14:59:00"),
        ("timezone", 5),
        ("timezone", "Mars Standard Time"),
        ("timezoneIanaId", "Moon/Base"),
        ("notifyBefore", "fifteen"),
        ("notifyBefore", -5),
        ("notifyBefore", "1.5"),
        ("notifyBefore", True),
        ("notifyBefore", [15]),
        ("allDayEvent", "sometimes"),
        ("visibleFromDateTimeUtc", "soon"),
    ],
)
def test_every_field_of_the_wrong_type_or_value_is_a_clear_4xx(
    client: TestClient, database: Database, headers: dict[str, str], subscription_id: str, field: str, value: Any
) -> None:
    body = {"event": event_body(**{field: value}), "subscriptionIds": [subscription_id]}
    refused = assert_refused(client.post("/v1/subscriptionevent/owner", json=body, headers=headers), 422, database)
    assert refused["errors"], refused
    assert field in refused["errors"][0]["field"]


def test_an_unknown_zone_names_the_timezones_endpoint(
    client: TestClient, database: Database, headers: dict[str, str], subscription_id: str
) -> None:
    body = {"event": event_body(timezone="Central Europe Time"), "subscriptionIds": [subscription_id]}
    refused = assert_refused(client.post("/v1/subscriptionevent/owner", json=body, headers=headers), 422, database)
    assert "GET /v1/timezones" in refused["Reason"]


@pytest.mark.parametrize("ids", [[""], [], ["", "  "], "not-a-list", [42], None])
def test_subscription_ids_that_name_nobody_are_refused(
    client: TestClient, database: Database, headers: dict[str, str], ids: object
) -> None:
    body = {"event": event_body(), "subscriptionIds": ids}
    refused = assert_refused(client.post("/v1/subscriptionevent/owner", json=body, headers=headers), 422, database)
    assert "subscriptionIds" in refused["errors"][0]["field"]


@pytest.mark.parametrize("body", [{}, {"event": "text"}, {"subscriptionIds": ["x"]}, {"event": {}}])
def test_missing_parts_are_named(client: TestClient, database: Database, headers: dict[str, str], body: object) -> None:
    assert_refused(client.post("/v1/subscriptionevent/owner", json=body, headers=headers), 422, database)


@pytest.mark.parametrize("content", [b"", b"\xff\xfe\x00garbage", b"[" * 100_000, b"null", b'"text"', b"12"])
def test_empty_undecodable_deep_or_scalar_bodies_are_4xx(
    client: TestClient, database: Database, headers: dict[str, str], content: bytes
) -> None:
    response = client.post(
        "/v1/subscriptionevent/owner", content=content, headers={**headers, "Content-Type": "application/json"}
    )
    assert 400 <= response.status_code < 500, response.text
    assert response.json()["Reason"]
    assert count_events(database) == 0


def test_a_nul_character_in_a_field_or_the_path_is_refused_on_both_backends(
    client: TestClient, database: Database, headers: dict[str, str], subscription_id: str
) -> None:
    body = {"event": event_body(title="Sale\u0000"), "subscriptionIds": [subscription_id]}
    refused = assert_refused(client.post("/v1/subscriptionevent/owner", json=body, headers=headers), 422, database)
    assert "NUL" in refused["Reason"]
    body = {"event": event_body(), "subscriptionIds": ["\u0000"]}
    assert_refused(client.post("/v1/subscriptionevent/owner", json=body, headers=headers), 422, database)
    assert client.delete("/v1/subscriptionevent/owner/e%00x", headers=headers).status_code == 422
    assert client.get("/v1/calendar/owner/ma%00in/events", headers=headers).status_code == 422
    assert (
        client.post("/oauth2/token", data={"grant_type": "client_credentials", "client_id": "a\u0000"}).status_code
        == 422
    )


@pytest.mark.parametrize(
    ("fields", "field"),
    [
        ({"start": "0001-01-01T10:00:00", "end": "0001-01-01T11:00:00"}, "start"),
        ({"start": "9998-06-01T10:00:00", "end": "9998-06-01T11:00:00"}, "start"),
        ({"start": "1969-12-31T12:00:00", "end": "1969-12-31T13:00:00"}, "start"),
        ({"start": "2019-02-21T15:00:00", "end": "9998-02-21T15:00:00"}, "end"),
        # Before or after what a datetime can hold once moved to UTC: year 1 east of UTC, year 9999 west of it.
        ({"start": "0001-01-01T00:00:00", "timezone": "Tokyo Standard Time"}, "start"),
        ({"start": "2019-02-21T15:00:00", "end": "9999-12-31T23:00:00", "timezone": "Hawaiian Standard Time"}, "end"),
        ({"visibleFromDateTimeUtc": "0001-01-01T00:00:00+05:00"}, "visibleFromDateTimeUtc"),
        ({"visibleFromDateTimeUtc": "2201-01-01T00:00:00Z"}, "visibleFromDateTimeUtc"),
    ],
)
def test_times_outside_the_years_1970_to_2200_are_refused_with_a_sentence(
    client: TestClient,
    database: Database,
    headers: dict[str, str],
    subscription_id: str,
    fields: dict[str, str],
    field: str,
) -> None:
    body = {"event": event_body(**fields), "subscriptionIds": [subscription_id]}
    refused = assert_refused(client.post("/v1/subscriptionevent/owner", json=body, headers=headers), 422, database)
    assert refused["errors"][0]["field"] == field
    assert "1970 to 2200" in refused["Reason"]


def test_an_event_longer_than_366_days_is_refused_and_one_of_366_days_is_accepted(
    client: TestClient, database: Database, headers: dict[str, str], subscription_id: str
) -> None:
    too_long = event_body(start="2027-01-01T00:00:00", end="2028-01-02T00:00:01")
    body = {"event": too_long, "subscriptionIds": [subscription_id]}
    refused = assert_refused(client.post("/v1/subscriptionevent/owner", json=body, headers=headers), 422, database)
    assert refused["errors"][0]["field"] == "end"
    assert "longer than 366 days" in refused["Reason"]
    longest = {
        "event": event_body(start="2027-01-01T00:00:00", end="2028-01-02T00:00:00"),
        "subscriptionIds": [subscription_id],
    }
    assert client.post("/v1/subscriptionevent/owner", json=longest, headers=headers).status_code == 202


def test_one_request_for_many_subscriptions_with_an_absurd_date_stores_nothing(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    ids = [subscribe(database, owner, f"fan-{number}") for number in range(5)]
    body = {"event": event_body(start="9998-02-21T15:00:00", end="9998-02-21T16:00:00"), "subscriptionIds": ids}
    assert_refused(client.post("/v1/subscriptionevent/owner", json=body, headers=headers), 422, database)


@pytest.mark.parametrize(
    "url",
    [
        "javascript:alert(document.cookie)",
        " JavaScript:alert(1)",
        "data:text/html,<script>alert(1)</script>",
        "file:///etc/passwd",
        "vbscript:msgbox(1)",
        "//example.test/no-scheme",
        "https://",
        "https://exa mple.test/",
        "https://example.test/\u2028X-INJECTED:1",
    ],
)
def test_a_url_that_is_not_an_http_or_https_address_is_refused(
    client: TestClient, database: Database, headers: dict[str, str], subscription_id: str, url: str
) -> None:
    body = {"event": event_body(url=url), "subscriptionIds": [subscription_id]}
    refused = assert_refused(client.post("/v1/subscriptionevent/owner", json=body, headers=headers), 422, database)
    assert refused["errors"][0]["field"] == "url"
    assert "http:// or https://" in refused["Reason"]


@pytest.mark.parametrize("url", ["https://example.test/sale?a=1&b=2", "http://example.test", "HTTPS://Example.test/ü"])
def test_http_and_https_urls_are_accepted(
    client: TestClient, headers: dict[str, str], subscription_id: str, url: str
) -> None:
    body = {"event": event_body(url=url), "subscriptionIds": [subscription_id]}
    assert client.post("/v1/subscriptionevent/owner", json=body, headers=headers).status_code == 202
