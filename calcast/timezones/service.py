"""Time zone names as Braze and Rokt send them (Windows or IANA), resolved to canonical IANA zones."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from functools import lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError, available_timezones

from icalendar.timezone.windows_to_olson import WINDOWS_TO_OLSON

from calcast.core.errors import invalid
from calcast.core.event_columns import outside_years

# Legacy IANA aliases that CLDR still lists; clients expect the current names in TZIDs.
_CANONICAL = {
    "Asia/Calcutta": "Asia/Kolkata",
    "Asia/Katmandu": "Asia/Kathmandu",
    "Asia/Rangoon": "Asia/Yangon",
    "Asia/Saigon": "Asia/Ho_Chi_Minh",
    "America/Buenos_Aires": "America/Argentina/Buenos_Aires",
    "America/Indianapolis": "America/Indiana/Indianapolis",
    "Atlantic/Faeroe": "Atlantic/Faroe",
    "Pacific/Truk": "Pacific/Chuuk",
    "Pacific/Ponape": "Pacific/Pohnpei",
    "Europe/Kiev": "Europe/Kyiv",
}


@dataclass(frozen=True)
class Zone:
    windows_name: str | None
    iana_id: str
    utc_offset_minutes: int


def _canonical(iana: str) -> str:
    return _CANONICAL.get(iana, iana)


# Files a zoneinfo directory holds that are not IANA zones: the host's own zone (localtime), tzdata's placeholder
# zone (Factory), and the leap-second (right/) and POSIX (posix/) copies of the whole tree some systems install.
_NOT_ZONES = frozenset({"localtime", "Factory", "posixrules"})
_NOT_ZONE_TREES = ("posix/", "right/")


def _is_iana_zone(name: str) -> bool:
    """Whether a zoneinfo key is a real IANA zone name (not a host file or a copy of the tree)."""
    return name not in _NOT_ZONES and not name.startswith(_NOT_ZONE_TREES)


@lru_cache(maxsize=1)
def _iana_names() -> frozenset[str]:
    return frozenset(name for name in available_timezones() if _is_iana_zone(name))


@lru_cache(maxsize=1024)
def _lookup(name: str) -> str | None:
    if name in WINDOWS_TO_OLSON:
        return _canonical(WINDOWS_TO_OLSON[name])
    lowered = {key.lower(): value for key, value in WINDOWS_TO_OLSON.items()}
    if name.lower() in lowered:
        return _canonical(lowered[name.lower()])
    if name in _iana_names() or name == "UTC":
        return _canonical(name)
    return None


def resolve(name: str, *, field: str = "timezone") -> str:
    """The canonical IANA id for a Windows or IANA zone name; Invalid names `GET /v1/timezones`."""
    cleaned = (name or "").strip()
    iana = _lookup(cleaned) if cleaned else None
    if iana is None:
        raise invalid(
            field,
            "The time zone {name!r} is not known; use a Windows name such as 'Eastern Standard Time' "
            "or an IANA id such as 'America/New_York' (GET /v1/timezones lists them all).",
            name=cleaned,
        )
    return iana


def zone(iana_id: str) -> ZoneInfo:
    try:
        return ZoneInfo(iana_id)
    except ZoneInfoNotFoundError:
        return ZoneInfo(resolve(iana_id))


def list_zones(now: datetime | None = None) -> list[Zone]:
    """Every accepted Windows zone with its IANA id and current offset, sorted by offset."""
    instant = now or datetime.now(UTC)
    zones = []
    for windows_name, iana in WINDOWS_TO_OLSON.items():
        iana_id = _canonical(iana)
        offset = instant.astimezone(ZoneInfo(iana_id)).utcoffset() or timedelta(0)
        zones.append(Zone(windows_name, iana_id, int(offset.total_seconds() // 60)))
    return sorted(zones, key=lambda item: (item.utc_offset_minutes, item.windows_name or ""))


def parse_instant(text: str, iana_id: str, *, field: str = "start") -> datetime:
    """An ISO 8601 time as a UTC instant: naive times are wall-clock times in `iana_id`, `Z`/offsets are absolute.

    Wall-clock times that a DST change skips or repeats follow RFC 5545 §3.3.5: a skipped time is read with
    the offset in force before the gap (02:30 on a spring-forward night becomes 03:30), a repeated time is the
    first of the two.
    """
    raw = (text or "").strip()
    try:
        parsed = datetime.fromisoformat(raw.replace("Z", "+00:00") if raw.endswith(("Z", "z")) else raw)
    except ValueError:
        raise invalid(
            field, "{field} {text!r} is not a date and time such as 2019-02-21T15:00:00.", field=field, text=raw
        ) from None
    if parsed.tzinfo is None:
        parsed = parsed.replace(tzinfo=zone(iana_id), fold=0)
    try:
        return parsed.astimezone(UTC)
    except OverflowError:  # year 1 east of UTC or year 9999 west of it: before or after what a datetime holds
        raise outside_years(field, raw) from None


@lru_cache(maxsize=1024)
def windows_name(iana_id: str) -> str | None:
    """The Windows zone name CLDR maps to this IANA id (the first, by name), or None."""
    names = sorted(name for name, iana in WINDOWS_TO_OLSON.items() if _canonical(iana) == _canonical(iana_id))
    return names[0] if names else None


def list_all_zones(now: datetime | None = None) -> list[Zone]:
    """Every accepted name: the Windows zones (list_zones), then each IANA id no Windows zone maps to."""
    windows = list_zones(now)
    instant = now or datetime.now(UTC)
    covered = {item.iana_id for item in windows}
    iana_only = []
    for iana_id in sorted(_iana_names() - covered):
        offset = instant.astimezone(ZoneInfo(iana_id)).utcoffset() or timedelta(0)
        iana_only.append(Zone(None, iana_id, int(offset.total_seconds() // 60)))
    return windows + iana_only
