"""The rokt:* mapping as a marketer's Braze sees it (Rokt Calendar's partner page's table, docs/braze.md)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime
from pathlib import Path

from calcast.braze import payloads

GOLDEN = Path(__file__).parent / "golden"
SEED = payloads.SubscriptionFacts(
    subscription_id="06423672-b6ba-4536-aa36-70788a7a0a36",
    suffix="f5733866ade2",
    account_code="brazetest",
    account_id="d0ce4299-7d6c-4888-bfd8-c7e867a0fa6c",
    account_name="Braze Test",
    calendar_code="test-calendar-1",
    calendar_id="9a9007c7-f5a4-e811-b13c-06424c4f2724",
    calendar_title="Test Calendar 1",
    subscription_method="WebCal",
    tags=("All Teams", "Team I"),
    calendar_tags=("All Teams", "Team I", "Team II"),
    opt_in1=True,
    opt_in2=False,
    country_code="AU",
    device_name="Desktop",
    geo_country="Australia",
    source="brazetest.example.com",
    subscriber_email="test@email.com",
    external_id="ext-42",
    action_type="SubscriptionViaCalendarPage",
)


def test_it_writes_the_sixteen_attributes_and_the_subscribe_event_exactly_as_the_golden_file() -> None:
    who = payloads.identifier(SEED, fallback=False)
    assert who == {"external_id": "ext-42"}
    track = {
        "attributes": [payloads.attributes_object(SEED, who=who, mode="add")],
        "events": [
            payloads.event_object(
                SEED, who=who, name="subscribe", at=datetime(2026, 11, 26, 19, 36, 3, 512000, tzinfo=UTC)
            )
        ],
    }
    assert track == json.loads((GOLDEN / "subscribe_merge_on.json").read_text())
    assert len([name for name in track["attributes"][0] if name.startswith("rokt:")]) == 16


def test_with_the_merge_flag_off_the_arrays_are_replaced_by_this_subscription() -> None:
    body = payloads.attributes_object(SEED, who={"external_id": "ext-42"}, mode="replace")
    assert body["rokt:tags"] == ["Test Calendar 1/All Teams/f5733866ade2", "Test Calendar 1/Team I/f5733866ade2"]
    assert body["rokt:subscription_id"] == ["06423672-b6ba-4536-aa36-70788a7a0a36"]
    assert body["rokt:optIn2"] == ["False/f5733866ade2"]
    nothing = replace(SEED, subscriber_email=None, country_code=None)
    cleared = payloads.attributes_object(nothing, who={"external_id": "ext-42"}, mode="replace")
    assert cleared["rokt:subscriber_email"] == []
    assert cleared["rokt:country_code"] == []


def test_an_unsubscribe_removes_exactly_this_subscriptions_entries() -> None:
    body = payloads.attributes_object(SEED, who={"external_id": "ext-42"}, mode="remove")
    assert body["rokt:account_code"] == {"remove": ["brazetest/f5733866ade2"]}
    assert body["rokt:subscription_id"] == {"remove": ["06423672-b6ba-4536-aa36-70788a7a0a36"]}
    assert all(set(value) == {"remove"} for name, value in body.items() if name.startswith("rokt:"))


def test_a_changed_value_removes_its_old_entry() -> None:
    body = payloads.attributes_object(
        replace(SEED, subscription_method="Google"),
        who={"external_id": "ext-42"},
        mode="add",
        previous={"rokt:subscription_method": "WebCal"},
    )
    assert body["rokt:subscription_method"] == {"add": ["Google/f5733866ade2"], "remove": ["WebCal/f5733866ade2"]}


def test_identification_goes_external_id_then_email_then_the_fallback_flag() -> None:
    vouched = replace(SEED, external_id=None, email_identifies=True)
    assert payloads.identifier(vouched, fallback=False) == {"email": "test@email.com"}
    typed = replace(SEED, external_id=None, email_identifies=False)  # typed into a signed calendar's form
    assert payloads.identifier(typed, fallback=True) == {"external_id": SEED.subscription_id}
    assert payloads.identifier(typed, fallback=False) is None
    anonymous = replace(SEED, external_id=None, subscriber_email=None)
    assert payloads.identifier(anonymous, fallback=True) == {"external_id": SEED.subscription_id}
    assert payloads.identifier(anonymous, fallback=False) is None


def test_values_stay_within_255_characters_and_carry_no_quotes_or_backslashes() -> None:
    long_title = 'The "Big" \\ Calendar ' + "x" * 400
    facts = replace(SEED, calendar_title=long_title, source="a" * 300)
    values = payloads.attribute_values(facts)
    for entries in values.values():
        for entry in entries:
            assert len(entry) <= 255
            assert '"' not in entry
            assert "\\" not in entry
    assert values["rokt:calendar_title"][0].endswith("/f5733866ade2")
    assert values["rokt:calendar_title"][0].startswith("The Big  Calendar xxx")
    event = payloads.event_object(facts, who={"external_id": "x"}, name="subscribe", at=datetime.now(UTC))
    assert all(len(value) <= 255 for value in event["properties"].values() if isinstance(value, str))
