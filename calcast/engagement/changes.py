"""What the engagement feature announces (see `calcast.core.changes`)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from calcast.core.changes import Change


@dataclass(frozen=True)
class EventClicked(Change):
    """A person clicked a link of an event in their feed for the first time (bots and later clicks: no change)."""

    account_id: str
    calendar_id: str
    subscription_id: str
    # "broadcast" or "personal"; the brand's id of the event (a broadcast event's key, a personal eventId).
    event_kind: str
    event_id: str
    title: str
    link: str
    clicked_at: datetime
