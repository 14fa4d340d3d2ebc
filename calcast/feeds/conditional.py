"""Validators (ETag, Last-Modified) of a feed URL, kept so that polls need no rendering; and conditional requests.

What the last rendering of a feed URL produced is stored with the versions it belongs to (`FeedState`): while the
calendar's and the subscription's versions (and the settings the bytes depend on) stay the same and no time-driven
change has come due, those validators are current without rendering. The HTTP layer decides with
`is_not_modified` whether a request's If-None-Match / If-Modified-Since make the answer a 304.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.utils import parsedate_to_datetime
from functools import lru_cache
from typing import Any

from sqlalchemy.dialects.postgresql import insert as postgresql_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from calcast.core.config import Settings
from calcast.core.security import digest
from calcast.feeds.content import FeedRow, FeedStatus
from calcast.feeds.models import FeedState
from calcast.feeds.render import FORMAT_VERSION


@dataclass(frozen=True)
class Validators:
    etag: str  # SHA-256 of the identity-encoded body, unquoted
    last_modified: datetime


@dataclass(frozen=True)
class ValidatorsToStore:
    version_key: str
    validators: Validators
    valid_until: datetime | None


@lru_cache(maxsize=8)
def _fingerprint(base_url: str, secret_key: str, window_days: int) -> str:
    """Settings the rendered bytes depend on (links, window): a change makes stored validators stale."""
    material = f"{FORMAT_VERSION}|{base_url}|{digest(secret_key)}|{window_days}"
    return hashlib.sha256(material.encode()).hexdigest()[:16]


def version_key(row: FeedRow, status: FeedStatus, settings: Settings) -> str:
    """What the feed's bytes depend on besides time: render settings, status, calendar and subscription versions."""
    fingerprint = _fingerprint(settings.base_url, settings.secret_key, settings.feed_window_days)
    return f"{fingerprint}.{status}.{row.calendar_version}.{row.subscription_version}"


def stored_validators(row: FeedRow, key: str, now: datetime) -> Validators | None:
    """The stored validators when they belong to these versions and no time-driven change has come due."""
    if row.stored_version_key != key or row.stored_etag is None or row.stored_last_modified is None:
        return None
    if row.stored_valid_until is not None and now >= row.stored_valid_until:
        return None
    return Validators(etag=row.stored_etag, last_modified=row.stored_last_modified)


def new_validators(row: FeedRow, etag: str, now: datetime) -> Validators:
    """The validators of what was just rendered; Last-Modified moves only when the bytes changed."""
    if row.stored_etag == etag and row.stored_last_modified is not None:
        return Validators(etag=etag, last_modified=row.stored_last_modified)
    last_modified = now.replace(microsecond=0)
    if row.stored_last_modified is not None and last_modified <= row.stored_last_modified:
        # HTTP dates have whole seconds: a change must be visible to If-Modified-Since.
        last_modified = row.stored_last_modified.replace(microsecond=0) + timedelta(seconds=1)
    return Validators(etag=etag, last_modified=last_modified)


def store_validators(*, session: Session, token_digest: str, stored: ValidatorsToStore) -> None:
    """Remember the validators of what was rendered, so that the next poll needs no rendering."""
    values: dict[str, Any] = {
        "version_key": stored.version_key,
        "etag": stored.validators.etag,
        "last_modified": stored.validators.last_modified,
        "valid_until": stored.valid_until,
    }
    insert = sqlite_insert if session.get_bind().dialect.name == "sqlite" else postgresql_insert
    session.execute(
        insert(FeedState)
        .values(token_digest=token_digest, **values)
        .on_conflict_do_update(index_elements=[FeedState.token_digest], set_=values)
    )


# ---------------------------------------------------------------------------------------------------------------
# Conditional requests (RFC 9110 §13)


def etag_values(header: str) -> set[str]:
    """The entity tags an If-None-Match lists, unquoted, weak or strong alike, the gzip variant's as the plain one's."""
    values = set()
    for part in header.split(","):
        tag = part.strip().removeprefix("W/").strip('"')
        values.add(tag.removesuffix("-gzip"))
    return values


def modified_since(header: str) -> datetime | None:
    """An If-Modified-Since date, or None when it is not a date."""
    try:
        since = parsedate_to_datetime(header)
    except (TypeError, ValueError, IndexError):
        return None
    return since.replace(tzinfo=UTC) if since.tzinfo is None else since


def is_not_modified(validators: Validators, *, if_none_match: str | None, if_modified_since: str | None) -> bool:
    """RFC 9110 §13.2.2: If-None-Match decides when present; otherwise If-Modified-Since, compared as dates."""
    if if_none_match is not None:
        values = etag_values(if_none_match)
        return "*" in values or validators.etag in values
    if if_modified_since:
        since = modified_since(if_modified_since)
        return since is not None and validators.last_modified <= since
    return False
