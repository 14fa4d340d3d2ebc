"""What the events feature announces when a personal event changes in subscriptions' feeds."""

from __future__ import annotations

from dataclasses import dataclass

from calcast.core.changes import Change
from calcast.events.models import PersonalEvent


@dataclass(frozen=True)
class PersonalEventChange(Change):
    account_id: str
    event_id: str
    # The subscriptions whose feeds this change reaches.
    subscription_ids: tuple[str, ...]


@dataclass(frozen=True)
class EventAttached(PersonalEventChange):
    """The event now appears in these subscriptions' feeds."""

    event: PersonalEvent


@dataclass(frozen=True)
class EventChanged(PersonalEventChange):
    """The event changed in every feed that holds it."""

    event: PersonalEvent


@dataclass(frozen=True)
class EventDetached(PersonalEventChange):
    """The event was taken out of one subscription's feed; it stays in the others."""

    event: PersonalEvent


@dataclass(frozen=True)
class EventDeleted(PersonalEventChange):
    """The event is gone from every feed and from the database."""
