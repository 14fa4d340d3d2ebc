"""GET /v1/calendar/{accountCode}/{calendarCode}/events: a calendar's broadcast events, paged, in Rokt's shape."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path, Query
from pydantic import BaseModel

from calcast.accounts.auth import AccountClient
from calcast.calendars import service
from calcast.calendars.models import BroadcastEvent
from calcast.core.http import SessionDep
from calcast.core.rest import ERROR_RESPONSES, JsonBodyRoute
from calcast.core.schemas import CAMEL_OUT
from calcast.timezones import service as timezones

router = APIRouter(tags=["calendars"], route_class=JsonBodyRoute, responses=ERROR_RESPONSES)


class EventTagOut(BaseModel):
    id: str
    text: str


class CalendarEventOut(BaseModel):
    model_config = CAMEL_OUT

    id: str
    title: str
    description: str | None
    location: str | None
    url: str | None
    reminder_minutes: int | None
    all_day_event: bool
    timezone_bcl_id: str | None
    timezone_iana_id: str
    start_date_time_utc: datetime
    end_date_time_utc: datetime
    start_date_time_local: str
    end_date_time_local: str
    visible_from_date_time_utc: datetime | None
    last_update_date_time_utc: datetime
    calendar_tags: list[EventTagOut]


class CalendarEventsOut(BaseModel):
    model_config = CAMEL_OUT

    events: list[CalendarEventOut]
    page: int
    page_size: int
    total: int


def _local(instant: datetime, iana_id: str) -> str:
    return instant.astimezone(timezones.zone(iana_id)).replace(tzinfo=None).isoformat(timespec="seconds")


def event_out(event: BroadcastEvent) -> CalendarEventOut:
    return CalendarEventOut(
        id=event.event_key,
        title=event.title,
        description=event.description,
        location=event.location,
        url=event.url,
        reminder_minutes=event.notify_before,
        all_day_event=event.all_day,
        timezone_bcl_id=timezones.windows_name(event.timezone),
        timezone_iana_id=event.timezone,
        start_date_time_utc=event.start_at,
        end_date_time_utc=event.end_at,
        start_date_time_local=_local(event.start_at, event.timezone),
        end_date_time_local=_local(event.end_at, event.timezone),
        visible_from_date_time_utc=event.visible_from,
        last_update_date_time_utc=event.updated_at,
        calendar_tags=[EventTagOut(id=tag.id, text=tag.name) for tag in event.tags],
    )


@router.get("/v1/calendar/{accountCode}/{calendarCode}/events", response_model=CalendarEventsOut)
def calendar_events(
    calendar_code: Annotated[str, Path(alias="calendarCode", max_length=64)],
    caller: AccountClient,
    session: SessionDep,
    page: Annotated[int, Query(ge=1, le=1_000_000)] = 1,
    page_size: Annotated[int, Query(alias="pageSize", ge=1, le=500)] = 100,
) -> CalendarEventsOut:
    """The calendar's broadcast events (not deleted), by start time, `pageSize` per page."""
    calendar = service.get_calendar(session=session, account_code=caller.account_code, code=calendar_code)
    events = service.list_broadcast_events(
        session=session,
        account_code=caller.account_code,
        calendar_code=calendar_code,
        offset=(page - 1) * page_size,
        limit=page_size,
    )
    return CalendarEventsOut(
        events=[event_out(event) for event in events],
        page=page,
        page_size=page_size,
        total=service.count_broadcast_events(session=session, calendar_id=calendar.id),
    )
