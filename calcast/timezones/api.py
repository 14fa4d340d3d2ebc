"""GET /v1/timezones: every zone name the event API accepts, with its IANA id and current UTC offset."""

from __future__ import annotations

from fastapi import APIRouter
from pydantic import BaseModel

from calcast.core.schemas import CAMEL_OUT
from calcast.timezones import service

router = APIRouter(tags=["time zones"])


class ZoneOut(BaseModel):
    model_config = CAMEL_OUT

    windows_name: str | None
    iana_id: str
    utc_offset_minutes: int


@router.get("/v1/timezones", response_model=list[ZoneOut])
def list_timezones() -> list[ZoneOut]:
    """Windows names (as Braze templates send them) with their IANA ids, then IANA ids without a Windows name.

    Public: it holds nothing of any account, and error messages point marketers to it.
    """
    return [
        ZoneOut(windows_name=zone.windows_name, iana_id=zone.iana_id, utc_offset_minutes=zone.utc_offset_minutes)
        for zone in service.list_all_zones()
    ]
