"""What the calendars feature announces when a calendar's broadcast events change (see `calcast.core.changes`)."""

from __future__ import annotations

from dataclasses import dataclass

from calcast.core.changes import Change


@dataclass(frozen=True)
class BroadcastEventChange(Change):
    """A broadcast event of the calendar was added, changed or deleted: every feed of the calendar may differ."""

    account_id: str
    calendar_id: str
    event_key: str
