"""The Rokt subscriptions API: /v2/subscribe, /v1/subscription lookups, and deactivation."""

from __future__ import annotations

import pytest
from fastapi.testclient import TestClient

from calcast.core.db import Database
from calcast.core.security import digest
from calcast.subscriptions.models import FeedToken, Subscription
from tests.conftest import Persona
from tests.rokt_api import bearer, event_body


@pytest.fixture
def headers(client: TestClient, owner: Persona) -> dict[str, str]:
    return bearer(client, owner)


def test_subscribe_from_the_brands_app_returns_the_feed_url_and_records_the_capture(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str]
) -> None:
    body = {
        "subscriberId": "ext-42",
        "emailAddress": "Fan@Example.com",
        "marketingAllowed": True,
        "additionalOptIn": False,
        "tags": ["Team I"],
        "calendarTags": [{"externalId": "Team II"}],
        "subscriptionMethod": "WebCal",
        "utmSource": "newsletter",
        "utmCampaign": "spring",
        "userAgent": "Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X)",
        "ipAddress": "203.0.113.77",
    }
    response = client.post("/v2/subscribe/owner/main", json=body, headers=headers)
    assert response.status_code == 200, response.text
    answer = response.json()
    assert answer["isNewSubscription"] is True
    assert answer["subscriptionUrl"].startswith("https://calcast.test/webcal/")
    token = answer["subscriptionUrl"].rsplit("/", 1)[1]
    with database.sessions() as session:
        subscription = session.get(Subscription, answer["subscriptionId"])
        assert subscription is not None
        assert session.get(FeedToken, digest(token)) is not None
        assert subscription.subscriber_id == "ext-42"
        assert subscription.email == "fan@example.com"
        assert (subscription.opt_in1, subscription.opt_in2) == (True, False)
        assert sorted(tag.name for tag in subscription.tags) == ["Team I", "Team II"]
        assert subscription.device == "iOS"
        assert subscription.ip_address == "203.0.113.0"
        assert (subscription.utm_source, subscription.source) == ("newsletter", "newsletter")

    again = client.post("/v2/subscribe/owner/main", json={"subscriberId": "ext-42"}, headers=headers)
    assert again.json()["isNewSubscription"] is False
    assert again.json()["subscriptionId"] == answer["subscriptionId"]


def test_subscribe_takes_a_tag_id_and_defaults_to_the_default_tag(
    client: TestClient, owner: Persona, headers: dict[str, str]
) -> None:
    plain = client.post("/v2/subscribe/owner/main", json={"userName": "ext-1"}, headers=headers).json()
    details = client.get(f"/v1/subscription/{plain['subscriptionId']}", headers=headers).json()
    assert [tag["name"] for tag in details["tags"]] == ["All Teams"]
    tag_id = details["tags"][0]["id"]
    by_id = client.post("/v2/subscribe/owner/main", json={"userName": "ext-2", "tagId": tag_id}, headers=headers)
    assert by_id.status_code == 200


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"tags": ["No such team"]}, "tags"),
        ({"emailAddress": "not-an-address"}, "email"),
        ({"subscriptionMethod": "Fax"}, "subscriptionMethod"),
        ({"marketingAllowed": "perhaps"}, "marketingAllowed"),
        ({"tags": "Team I"}, "tags"),
        ({"subscriberId": "x" * 256}, "subscriberId"),
    ],
)
def test_bad_subscribe_input_is_422_naming_the_field(
    client: TestClient, database: Database, owner: Persona, headers: dict[str, str], body: dict[str, object], field: str
) -> None:
    response = client.post("/v2/subscribe/owner/main", json=body, headers=headers)
    assert response.status_code == 422, response.text
    assert field in response.json()["errors"][0]["field"]
    with database.sessions() as session:
        assert session.query(Subscription).count() == 0


def test_subscribe_to_an_unknown_calendar_is_404(client: TestClient, owner: Persona, headers: dict[str, str]) -> None:
    response = client.post("/v2/subscribe/owner/nope", json={}, headers=headers)
    assert response.status_code == 404


def test_details_show_calendar_tags_state_and_personal_events(
    client: TestClient, owner: Persona, headers: dict[str, str]
) -> None:
    created = client.post(
        "/v2/subscribe/owner/main", json={"subscriberId": "ext-42", "emailAddress": "a@example.com"}, headers=headers
    ).json()
    client.post(
        "/v1/subscriptionevent/owner",
        json={"event": event_body("sale-ext-42"), "subscriptionIds": [created["subscriptionId"]]},
        headers=headers,
    )
    details = client.get(f"/v1/subscription/{created['subscriptionId']}", headers=headers).json()
    assert details["calendar"]["code"] == "main"
    assert details["subscriberId"] == "ext-42"
    assert details["emailAddress"] == "a@example.com"
    assert details["isActive"] is True
    assert details["deactivatedDate"] is None
    assert details["subscriptionType"] == "WebCal"
    assert [event["externalId"] for event in details["events"]] == ["sale-ext-42"]
    listed = client.get("/v1/subscription/owner/main/ext-42", headers=headers).json()
    assert [item["subscriptionId"] for item in listed] == [created["subscriptionId"]]
    assert (
        client.get("/v1/subscription/owner/main/a@example.com", headers=headers).json()[0]["subscriberId"] == "ext-42"
    )
    assert client.get("/v1/subscription/owner/main/nobody", headers=headers).json() == []


def test_deactivate_by_id_or_by_user_name(client: TestClient, owner: Persona, headers: dict[str, str]) -> None:
    first = client.post("/v2/subscribe/owner/main", json={"subscriberId": "ext-1"}, headers=headers).json()
    second = client.post("/v2/subscribe/owner/main", json={"subscriberId": "ext-2"}, headers=headers).json()
    response = client.request(
        "DELETE",
        "/v1/subscription/owner/main",
        json={"id": first["subscriptionId"], "unsubscribeReasonId": 3, "unsubscribeReasonText": "Too many events"},
        headers=headers,
    )
    assert response.status_code == 202
    assert response.json()["deactivatedSubscriptionIds"] == [first["subscriptionId"]]
    details = client.get(f"/v1/subscription/{first['subscriptionId']}", headers=headers).json()
    assert details["isActive"] is False
    assert details["deactivatedDate"] is not None
    by_name = client.request("DELETE", "/v1/subscription/owner/main", json={"userName": "ext-2"}, headers=headers)
    assert by_name.json()["deactivatedSubscriptionIds"] == [second["subscriptionId"]]
    # Once ended, later events do not reach it.
    pushed = client.post(
        "/v1/subscriptionevent/owner",
        json={"event": event_body(), "subscriptionIds": [second["subscriptionId"]]},
        headers=headers,
    )
    assert pushed.json()["inactiveSubscriptionIds"] == [second["subscriptionId"]]


def test_deactivate_needs_an_id_or_user_name_and_finds_only_this_accounts(
    client: TestClient, owner: Persona, other: Persona, headers: dict[str, str]
) -> None:
    assert client.request("DELETE", "/v1/subscription/owner/main", json={}, headers=headers).status_code == 422
    theirs = client.post("/v2/subscribe/other/main", json={"subscriberId": "x"}, headers=bearer(client, other)).json()
    response = client.request(
        "DELETE", "/v1/subscription/owner/main", json={"id": theirs["subscriptionId"]}, headers=headers
    )
    assert response.status_code == 404
    on_their_path = client.request(
        "DELETE", "/v1/subscription/other/main", json={"id": theirs["subscriptionId"]}, headers=headers
    )
    assert on_their_path.status_code == 403
    assert client.get(f"/v1/subscription/{theirs['subscriptionId']}", headers=headers).status_code == 404
