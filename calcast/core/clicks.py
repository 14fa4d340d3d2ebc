"""Tracked links: the signed token in `/r/<token>` that names one stored link of one event for one subscription.

The feed writes the token (a link is rewritten where the feed builds each event); the redirect reads it back
and follows only a link that is still stored with that event. Both sides live in different features, so the
token's one home is here.

A token is 51 bytes, URL-safe base64 without padding (68 characters):

| bytes | what                                                                          |
|-------|-------------------------------------------------------------------------------|
| 1     | the event's kind: `b` broadcast event (calendar), `p` personal event           |
| 16    | the subscription id (a UUID)                                                   |
| 16    | the event's row id (a UUID)                                                    |
| 6     | the first bytes of SHA-256 of the link: which stored link; a changed link is gone |
| 12    | HMAC-SHA256 of the above with a key derived from the server key, truncated     |

It carries no time and no randomness, so one (subscription, event, link) always gives the same token and an
unchanged feed stays byte-identical.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import re
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from functools import lru_cache
from typing import Literal

from calcast.core.event_columns import web_url

EventKind = Literal["broadcast", "personal"]
CLICK_PATH = "/r/"
_KIND_BYTES: dict[EventKind, bytes] = {"broadcast": b"b", "personal": b"p"}
_KINDS_BY_BYTE: dict[bytes, EventKind] = {value: key for key, value in _KIND_BYTES.items()}
_LINK_DIGEST_BYTES = 6
_MAC_BYTES = 12
_BODY_BYTES = 1 + 16 + 16 + _LINK_DIGEST_BYTES
TOKEN_BYTES = _BODY_BYTES + _MAC_BYTES
TOKEN_CHARS = (TOKEN_BYTES * 4 + 2) // 3
# An http(s) address inside free text; trailing punctuation that usually closes a sentence is not part of it.
_TEXT_LINK = re.compile(r"https?://[^\s<>\"'`]+", re.IGNORECASE)
_TRAILING = ".,;:!?)]}»"


@dataclass(frozen=True)
class ClickTarget:
    """What a genuine token names."""

    subscription_id: str
    event_kind: EventKind
    event_id: str
    link_digest: bytes


@lru_cache(maxsize=8)
def _key(secret_key: str) -> bytes:
    return hmac.new(secret_key.encode(), b"click-link", hashlib.sha256).digest()


def link_digest(link: str) -> bytes:
    """The short digest a token uses to name one link of an event."""
    return hashlib.sha256(link.encode()).digest()[:_LINK_DIGEST_BYTES]


def _uuid_bytes(value: str) -> bytes | None:
    try:
        parsed = uuid.UUID(value)
    except ValueError:
        return None
    return parsed.bytes if str(parsed) == value else None


def click_token(
    secret_key: str, *, subscription_id: str, event_kind: EventKind, event_id: str, link: str
) -> str | None:
    """The token for this subscription, event and link; None if an id is not a canonical UUID."""
    subscription = _uuid_bytes(subscription_id)
    event = _uuid_bytes(event_id)
    if subscription is None or event is None:
        return None
    body = _KIND_BYTES[event_kind] + subscription + event + link_digest(link)
    mac = hmac.new(_key(secret_key), body, hashlib.sha256).digest()[:_MAC_BYTES]
    return base64.urlsafe_b64encode(body + mac).rstrip(b"=").decode()


def read_click_token(secret_key: str, token: str) -> ClickTarget | None:
    """What a genuine token names; None for anything else (wrong length, bad characters, forged)."""
    if len(token) != TOKEN_CHARS or not token.isascii():
        return None
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4))
    except (binascii.Error, ValueError):
        return None
    if len(raw) != TOKEN_BYTES:
        return None
    body, mac = raw[:_BODY_BYTES], raw[_BODY_BYTES:]
    expected = hmac.new(_key(secret_key), body, hashlib.sha256).digest()[:_MAC_BYTES]
    kind = _KINDS_BY_BYTE.get(body[:1])
    if not hmac.compare_digest(expected, mac) or kind is None:
        return None
    return ClickTarget(
        subscription_id=str(uuid.UUID(bytes=body[1:17])),
        event_kind=kind,
        event_id=str(uuid.UUID(bytes=body[17:33])),
        link_digest=body[33:],
    )


def tracked_url(
    *, base_url: str, secret_key: str, subscription_id: str, event_kind: EventKind, event_id: str, link: str
) -> str:
    """The redirect URL on calcast's own host that counts a click on `link`; the link itself if no token fits."""
    token = click_token(
        secret_key, subscription_id=subscription_id, event_kind=event_kind, event_id=event_id, link=link
    )
    return link if token is None else f"{base_url}{CLICK_PATH}{token}"


def text_links_in(text: str | None) -> Iterator[str]:
    """The http(s) addresses written in free text (an event's description or location), in order."""
    for match in _TEXT_LINK.finditer(text or ""):
        link = match.group(0).rstrip(_TRAILING)
        if "://" in link and link.split("://", 1)[1]:
            yield link


def event_links(*, url: str | None, description: str | None, location: str | None, text_links: bool) -> list[str]:
    """The links of an event a tracked link may name: its URL, and with `text_links` the addresses in its text."""
    found = [url] if url and web_url(url) else []
    if text_links:
        found.extend(link for text in (description, location) for link in text_links_in(text) if web_url(link))
    return list(dict.fromkeys(found))


def replace_text_links(text: str | None, replace: dict[str, str]) -> str | None:
    """The text with each address found by `text_links_in` replaced as `replace` says (others unchanged)."""

    def one(match: re.Match[str]) -> str:
        found = match.group(0)
        link = found.rstrip(_TRAILING)
        return replace.get(link, link) + found[len(link) :]

    return _TEXT_LINK.sub(one, text) if text else text
