from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel, ConfigDict


class TagOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    name: str
    position: int
    is_default: bool
    image_url: str | None


class CalendarOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    code: str
    name: str
    title: str
    description: str | None
    image_url: str | None
    language: str
    default_duration_minutes: int
    email_capture: str
    opt_in1_label: str | None
    opt_in2_label: str | None
    merge_flag: bool
    subscriber_id_fallback: bool
    identity: str
    click_tracking: bool
    track_text_links: bool
    welcome_title: str | None
    welcome_description: str | None
    welcome_url: str | None
    welcome_after_minutes: int
    welcome_duration_minutes: int
    tags: list[TagOut]
    created_at: datetime


class BroadcastEventOut(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: str
    event_key: str
    title: str
    description: str | None
    location: str | None
    url: str | None
    start_at: datetime
    end_at: datetime
    timezone: str
    all_day: bool
    notify_before: int | None
    visible_from: datetime | None
    sequence: int
    tags: list[str]
    updated_at: datetime
