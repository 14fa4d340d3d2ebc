"""The Rokt event API's JSON: lenient where Braze is sloppy (notifyBefore as "15"), strict about types and lengths."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import BaseModel, Field, field_validator, model_validator

from calcast.calendars.event_input import MAX_NOTIFY_BEFORE
from calcast.core.schemas import CAMEL_IN, CAMEL_OUT
from calcast.events.service import EventChange, PersonalEventInput

Text255 = Annotated[str, Field(max_length=255)]
TimeText = Annotated[str, Field(max_length=64, examples=["2019-02-21T15:00:00"])]


class EventIn(BaseModel):
    """A personal event; start/end are local times in `timezone` unless they carry Z or an offset."""

    model_config = CAMEL_IN

    event_id: Annotated[str, Field(min_length=1, max_length=255, examples=["Event_0001_ext-42"])]
    title: Annotated[str, Field(min_length=1, max_length=255)]
    description: Annotated[str | None, Field(max_length=10_000)] = None
    location: Annotated[str | None, Field(max_length=1024)] = None
    url: Annotated[str | None, Field(max_length=2048)] = None
    start: TimeText
    end: TimeText | None = None
    timezone: Annotated[str | None, Field(max_length=64, examples=["Eastern Standard Time"])] = None
    timezone_iana_id: Annotated[str | None, Field(max_length=64, examples=["America/New_York"])] = None
    notify_before: Annotated[
        int | None,
        Field(ge=0, le=MAX_NOTIFY_BEFORE, description='Minutes; a numeric string such as "15" is accepted.'),
    ] = None
    all_day_event: bool = False
    visible_from_date_time_utc: TimeText | None = None
    action_type: Annotated[str | None, Field(max_length=64)] = None

    @field_validator("notify_before", mode="before")
    @classmethod
    def _minutes(cls, value: Any) -> Any:
        """Braze renders the number as a JSON string; "" or null means no reminder."""
        if isinstance(value, str):
            cleaned = value.strip()
            if not cleaned:
                return None
            if cleaned.isdigit():
                return int(cleaned)
            raise ValueError(f"must be a whole number of minutes such as 15, not {value!r}")
        if isinstance(value, bool):
            raise ValueError("must be a whole number of minutes such as 15, not true or false")
        return value

    def to_input(self) -> PersonalEventInput:
        return PersonalEventInput(
            event_id=self.event_id,
            title=self.title,
            start=self.start,
            end=self.end,
            timezone=self.timezone,
            timezone_iana_id=self.timezone_iana_id,
            description=self.description,
            location=self.location,
            url=self.url,
            notify_before=self.notify_before,
            all_day=self.all_day_event,
            visible_from=self.visible_from_date_time_utc,
            action_type=self.action_type,
        )


class PushEventIn(BaseModel):
    model_config = CAMEL_IN

    event: EventIn
    subscription_ids: Annotated[
        list[Annotated[str, Field(max_length=64)]],
        Field(max_length=25_000, description='Subscription ids; blanks such as [""] are ignored.'),
    ]
    action_type: Annotated[str | None, Field(max_length=64)] = None


class UpdateEventIn(BaseModel):
    """`{"event": {...}}` as the Braze template sends it, or the bare event as Rokt's reference shows."""

    model_config = CAMEL_IN

    event: EventIn

    @model_validator(mode="before")
    @classmethod
    def _wrap_bare_event(cls, value: Any) -> Any:
        if isinstance(value, dict) and "event" not in value and "eventId" in value:
            return {"event": value}
        return value


class EventChangeOut(BaseModel):
    """What the request did; the change is committed before this answer is sent."""

    model_config = CAMEL_OUT

    event_id: str
    status: Annotated[str, Field(description="created, updated, unchanged, deleted or removed")]
    sequence: int | None
    attached: int
    subscription_count: int
    unknown_subscription_ids: list[str]
    inactive_subscription_ids: list[str]
    visible_in_feeds: Annotated[
        bool | None,
        Field(description="Whether feeds show the event now; null when the event was deleted or removed."),
    ] = None
    note: Annotated[
        str | None,
        Field(description="Why feeds do not show the event now (ended outside the window, or hidden until later)."),
    ] = None

    @classmethod
    def of(cls, change: EventChange) -> EventChangeOut:
        return cls(
            event_id=change.event_id,
            status=change.status,
            sequence=change.sequence,
            attached=change.attached,
            subscription_count=change.subscription_count,
            unknown_subscription_ids=change.unknown_subscription_ids,
            inactive_subscription_ids=change.inactive_subscription_ids,
            visible_in_feeds=change.visible_in_feeds,
            note=change.note,
        )
