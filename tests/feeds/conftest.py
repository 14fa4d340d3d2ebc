"""Feed test helpers: subscriptions, broadcast and personal events, and the parsers a feed must satisfy."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

import icalendar
import pytest
import vobject
from ical.calendar_stream import IcsCalendarStream
from sqlalchemy.orm import Session

from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.core.db import Database, utcnow
from calcast.events import service as events
from calcast.subscriptions import service as subscriptions
from tests.conftest import Persona


@dataclass
class Feed:
    subscription_id: str
    token: str

    @property
    def path(self) -> str:
        return f"/webcal/{self.token}"


class World:
    """The owner persona's calendar, seen from the feed: subscribe, add and change events."""

    def __init__(self, database: Database, persona: Persona) -> None:
        self.database = database
        self.account_code = persona.account_code or ""
        self.calendar_code = persona.calendar_code or ""

    def subscribe(self, subscriber_id: str, tags: Sequence[str] = ("All Teams",)) -> Feed:
        with self.database.transaction() as session:
            done = subscriptions.subscribe(
                session=session,
                settings=self.database.settings,
                account_code=self.account_code,
                calendar_code=self.calendar_code,
                details=subscriptions.SubscriberDetails(subscriber_id=subscriber_id, tags=tags),
            )
            return Feed(done.subscription.id, done.feed_token)

    def broadcast(
        self,
        title: str,
        start: str,
        end: str | None = None,
        *,
        timezone: str = "Europe/Berlin",
        tags: Sequence[str] = (),
        visible_from: datetime | None = None,
        **fields: Any,
    ) -> str:
        with self.database.transaction() as session:
            event = calendars.add_broadcast_event(
                session=session,
                account_code=self.account_code,
                calendar_code=self.calendar_code,
                event=calendars.BroadcastEventInput(
                    title=title,
                    start=start,
                    end=end,
                    timezone=timezone,
                    tags=tags,
                    visible_from=visible_from.isoformat() if visible_from else None,
                    **fields,
                ),
            )
            return event.event_key

    def change_broadcast(self, event_key: str, **changes: Any) -> None:
        """Change a broadcast event as the calendar's editor would: the event's details with these replaced."""
        with self.database.transaction() as session:
            row = calendars.get_broadcast_event(
                session=session, account_code=self.account_code, calendar_code=self.calendar_code, event_key=event_key
            )
            current: dict[str, Any] = {
                "title": row.title,
                "start": row.start_at.isoformat(),
                "end": row.end_at.isoformat(),
                "timezone": row.timezone,
                "description": row.description,
                "location": row.location,
                "url": row.url,
                "notify_before": row.notify_before,
                "visible_from": row.visible_from.isoformat() if row.visible_from else None,
                "tags": [tag.name for tag in row.tags],
            }
            calendars.update_broadcast_event(
                session=session,
                account_code=self.account_code,
                calendar_code=self.calendar_code,
                event_key=event_key,
                event=calendars.BroadcastEventInput(**(current | changes)),
            )

    def delete_broadcast(self, event_key: str) -> None:
        with self.database.transaction() as session:
            calendars.delete_broadcast_event(
                session=session, account_code=self.account_code, calendar_code=self.calendar_code, event_key=event_key
            )

    def _account_id(self, session: Session) -> str:
        return accounts.get_account(session=session, code=self.account_code).id

    def personal(
        self,
        feeds: Sequence[Feed],
        event_id: str,
        title: str,
        start: str,
        end: str | None = None,
        *,
        timezone: str = "America/New_York",
        **fields: Any,
    ) -> None:
        """A 1:1 event pushed to these subscriptions through the personal-event service."""
        with self.database.transaction() as session:
            events.push_event(
                session=session,
                account_id=self._account_id(session),
                event=events.PersonalEventInput(
                    event_id=event_id,
                    title=title,
                    start=start,
                    end=end,
                    timezone=timezone,
                    **fields,
                ),
                subscription_ids=[feed.subscription_id for feed in feeds],
            )

    def update_personal(
        self,
        event_id: str,
        title: str,
        start: str,
        end: str | None = None,
        *,
        timezone: str = "America/New_York",
        **fields: Any,
    ) -> None:
        with self.database.transaction() as session:
            events.update_event(
                session=session,
                account_id=self._account_id(session),
                event=events.PersonalEventInput(
                    event_id=event_id,
                    title=title,
                    start=start,
                    end=end,
                    timezone=timezone,
                    **fields,
                ),
            )

    def delete_personal(self, event_id: str) -> None:
        with self.database.transaction() as session:
            events.delete_event(session=session, account_id=self._account_id(session), event_id=event_id)


@pytest.fixture
def world(database: Database, owner: Persona) -> World:
    return World(database, owner)


def in_days(days: int, hour: int = 10) -> str:
    """Naive local ISO text `days` from now at `hour` o'clock (what the API receives)."""
    day = (utcnow() + timedelta(days=days)).date()
    return f"{day.isoformat()}T{hour:02d}:00:00"


def utc_in_days(days: float) -> datetime:
    return (datetime.now(UTC) + timedelta(days=days)).replace(microsecond=0)


def parse_everywhere(body: bytes) -> icalendar.Calendar:
    """Parse a feed with icalendar (no errors, no missing VTIMEZONE), strictly with `ical`, and with vobject."""
    calendar = icalendar.Calendar.from_ical(body)
    for component in calendar.walk():
        assert not component.errors, f"{component.name}: {component.errors}"
    assert calendar.get_missing_tzids() == set()
    text = body.decode("utf-8")
    IcsCalendarStream.calendar_from_ics(text)
    parsed = vobject.readOne(text)
    assert parsed.name == "VCALENDAR"
    return calendar


def summaries(body: bytes) -> list[str]:
    return [str(event["SUMMARY"]) for event in icalendar.Calendar.from_ical(body).walk("VEVENT")]
