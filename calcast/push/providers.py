"""What the sync engine asks of a provider (Google, CalDAV, …), and the faults a provider answers with.

An adapter turns feed events into the provider's own form and writes them; the engine decides what to write.
Every write is idempotent: the remote id of an event is derived from the connection and the feed's UID, so a
write repeated after a crash (before calcast stored its outcome) finds the event it made the first time.
"""

from __future__ import annotations

import email.utils
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any, Protocol

import httpx

from calcast.core.config import Settings
from calcast.core.db import utcnow
from calcast.feeds.render import FeedContent, FeedEvent


class PushFault(Exception):
    """A provider's answer the engine acts on; the message says what happened, for the operator."""

    def __init__(self, message: str, *, status: int | None = None) -> None:
        super().__init__(message)
        self.status = status


class AccessExpired(PushFault):
    """The provider refused the access token (401): the engine refreshes it and tries once more."""


class GrantLost(PushFault):
    """The subscriber revoked calcast's access (or changed the app password): the subscription ends."""

    reason = "push_access_revoked"


class ScopeMissing(PushFault):
    """The grant lacks the calendar permission (granular consent: the subscriber unticked it)."""


class CalendarGone(PushFault):
    """The subscriber deleted calcast's calendar: the subscription ends, the calendar is never made again."""

    reason = "push_calendar_deleted"


class RateLimited(PushFault):
    """The provider asks to slow down; tried again after `retry_after` (None: the outbox's backoff)."""

    def __init__(self, message: str, retry_after: timedelta | None = None, *, status: int | None = None) -> None:
        super().__init__(message, status=status)
        self.retry_after = retry_after


class Unavailable(PushFault):
    """A network error or a 5xx: tried again with the outbox's backoff."""


class Refused(PushFault):
    """The provider refused a request as invalid: kept as failed for the operator (a bug, not a fault to wait out)."""


def retry_after(headers: Mapping[str, str], *, now: datetime | None = None) -> timedelta | None:
    """A `Retry-After` header (seconds or an HTTP date) as a wait; None when absent or unreadable."""
    value = (headers.get("retry-after") or "").strip()
    if not value:
        return None
    if value.isdigit():
        return timedelta(seconds=int(value))
    try:
        moment = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=UTC)
    return max(timedelta(0), moment - (now or utcnow()))


@dataclass(frozen=True)
class Written:
    """An event as the provider stored it: its id there and its version (etag), when the provider gives one."""

    remote_id: str
    etag: str | None = None


@dataclass(frozen=True)
class Credentials:
    """A connection's secrets, decrypted for one sync; `access_token` changes when the adapter refreshes it."""

    credential: str | None
    access_token: str | None
    access_token_expires_at: datetime | None
    server_url: str | None = None
    username: str | None = None


class HttpAdapter:
    """What the Google and Microsoft adapters share: one HTTP client, and a provider out of reach is Unavailable."""

    provider = ""  # the name the messages give

    def __init__(self, settings: Settings, *, transport: httpx.BaseTransport | None = None) -> None:
        self.settings = settings
        self.http = httpx.Client(timeout=settings.push_timeout_seconds, transport=transport)

    def close(self) -> None:
        self.http.close()

    def _send(self, method: str, url: str, **kwargs: Any) -> httpx.Response:
        try:
            return self.http.request(method, url, **kwargs)
        except httpx.HTTPError as error:
            raise Unavailable(f"{self.provider} could not be reached ({error}).") from None


class Adapter(Protocol):
    """One provider's calls, as the engine uses them. Each raises PushFault subclasses, nothing else it expects."""

    def fresh_credentials(self, credentials: Credentials) -> Credentials:
        """The credentials with a usable access token (refreshed when it expires within minutes)."""
        ...

    def payload(self, *, connection_id: str, event: FeedEvent, content: FeedContent) -> dict[str, Any]:
        """The provider's representation of one feed event; its hash decides whether a write is due."""
        ...

    def create_calendar(self, credentials: Credentials, *, name: str, description: str | None) -> str:
        """Make calcast's own calendar in the account; returns its id (stored at once by the engine)."""
        ...

    def delete_calendar(self, credentials: Credentials, calendar_id: str) -> None:
        """Remove calcast's calendar (already gone counts as done)."""
        ...

    def put_event(
        self, credentials: Credentials, calendar_id: str, payload: dict[str, Any], known: Written | None
    ) -> Written:
        """Insert or replace the event (`known`: what calcast last wrote of it)."""
        ...

    def delete_event(self, credentials: Credentials, calendar_id: str, written: Written) -> None:
        """Delete the event (already gone counts as done)."""
        ...

    def remote_versions(self, credentials: Credentials, calendar_id: str) -> dict[str, str | None]:
        """remote id → version of every event in calcast's calendar (CalendarGone when the calendar is gone)."""
        ...

    def close(self) -> None: ...
