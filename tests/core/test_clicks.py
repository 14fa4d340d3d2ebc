"""Tracked-link tokens: deterministic, compact, URL-safe, unforgeable; links found in free text."""

from __future__ import annotations

import uuid

from calcast.core import clicks

KEY = "a-server-key-long-enough-for-tests"
SUBSCRIPTION = str(uuid.uuid4())
EVENT = str(uuid.uuid4())


def token(key: str = KEY, link: str = "https://example.com/a") -> str:
    found = clicks.click_token(key, subscription_id=SUBSCRIPTION, event_kind="personal", event_id=EVENT, link=link)
    assert found is not None
    return found


def test_a_token_is_the_same_every_time_compact_and_url_safe() -> None:
    assert token() == token()
    assert len(token()) == clicks.TOKEN_CHARS == 68
    assert all(character.isalnum() or character in "-_" for character in token())
    assert token(link="https://example.com/b") != token()


def test_a_token_names_its_subscription_event_and_link_and_nothing_else_reads() -> None:
    target = clicks.read_click_token(KEY, token())
    assert target == clicks.ClickTarget(SUBSCRIPTION, "personal", EVENT, clicks.link_digest("https://example.com/a"))
    assert clicks.read_click_token("another-key-long-enough-for-tests", token()) is None
    assert clicks.read_click_token(KEY, token()[:-2] + "AA") is None
    assert clicks.read_click_token(KEY, "é" * clicks.TOKEN_CHARS) is None
    assert clicks.read_click_token(KEY, "") is None


def test_an_id_that_is_not_a_uuid_keeps_the_plain_link() -> None:
    assert clicks.click_token(KEY, subscription_id="7", event_kind="broadcast", event_id=EVENT, link="x") is None
    plain = clicks.tracked_url(
        base_url="https://c.test", secret_key=KEY, subscription_id="7", event_kind="broadcast", event_id=EVENT, link="x"
    )
    assert plain == "x"


def test_links_in_text_are_found_without_the_punctuation_that_ends_a_sentence() -> None:
    text = "Tickets: https://t.example.com/a?b=1. Map (https://m.example.com/x), mail me@example.com; ftp://no"
    assert list(clicks.text_links_in(text)) == ["https://t.example.com/a?b=1", "https://m.example.com/x"]
    replaced = clicks.replace_text_links(text, {"https://t.example.com/a?b=1": "https://c.test/r/T"})
    assert replaced == text.replace("https://t.example.com/a?b=1.", "https://c.test/r/T.")
