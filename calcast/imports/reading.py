"""Reading an import source: iCalendar, CSV or JSON lines, into events as given, each with its key and line.

Nothing here touches the database: a bad row becomes a `RowProblem` naming its line (or, in an iCalendar file,
its event), and the caller decides. Recurring iCalendar events are expanded into single events between two
instants (docs/import.md says why), each keyed by its UID and recurrence id.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from typing import Any

import icalendar

from calcast.calendars.service import BroadcastEventInput
from calcast.core.errors import Invalid
from calcast.timezones import service as timezones

# The columns of a CSV file and the fields of a JSON line (docs/import.md).
COLUMNS = (
    "key",
    "title",
    "start",
    "end",
    "timezone",
    "all_day",
    "tags",
    "description",
    "location",
    "url",
    "notify_before",
)
REQUIRED = ("key", "title", "start")
# The bounds the API holds events to (calcast.events.schemas), so an import stores what an API call could.
MAX_LENGTHS = {"key": 255, "title": 255, "description": 10_000, "location": 1024, "url": 2048, "timezone": 64}
TAG_SEPARATOR = ";"
TRUE_WORDS = frozenset({"true", "yes", "1", "y"})
FALSE_WORDS = frozenset({"false", "no", "0", "n", ""})


class SourceFormat(StrEnum):
    ICS = "ics"
    CSV = "csv"
    JSONL = "jsonl"


@dataclass(frozen=True)
class SourceEvent:
    """One event of a source: where it stands (for messages) and the event as given, its key included."""

    where: str
    event: BroadcastEventInput
    # The row's place in the source (its line, or its order in an iCalendar file): problems are listed by it.
    position: int = 0


@dataclass(frozen=True)
class RowProblem:
    """Why one row of a source cannot be imported."""

    where: str
    message: str
    position: int = 0

    def __str__(self) -> str:
        return f"{self.where}: {self.message}"


@dataclass(frozen=True)
class SourceContent:
    """What a source holds: its events, and the rows that could not be read."""

    events: list[SourceEvent]
    problems: list[RowProblem]


def detect_format(body: bytes, name: str = "") -> SourceFormat:
    """iCalendar when the text starts with BEGIN:VCALENDAR; JSON lines when the name says so or a line starts
    with `{`; CSV otherwise."""
    text = body.lstrip(b"\xef\xbb\xbf \t\r\n")
    lowered = name.lower().split("?")[0]
    if text[:15].upper() == b"BEGIN:VCALENDAR" or lowered.endswith((".ics", ".ical", ".ifb")):
        return SourceFormat.ICS
    if lowered.endswith((".jsonl", ".ndjson", ".json")) or text.startswith(b"{"):
        return SourceFormat.JSONL
    return SourceFormat.CSV


def _text(body: bytes) -> str:
    return body.decode("utf-8-sig", errors="replace").replace("\x00", "")


def read_source(
    body: bytes, *, source_format: SourceFormat, expand_from: datetime, expand_until: datetime
) -> SourceContent:
    """The events of a source's bytes in the given format; recurring iCalendar events between the two instants."""
    if source_format is SourceFormat.ICS:
        return read_ics(body, expand_from=expand_from, expand_until=expand_until)
    if source_format is SourceFormat.JSONL:
        return read_jsonl(body)
    return read_csv(body)


# --- CSV and JSON lines ------------------------------------------------------------------------------------


def _flag(value: Any, name: str) -> bool:
    if isinstance(value, bool):
        return value
    word = str(value if value is not None else "").strip().lower()
    if word in TRUE_WORDS:
        return True
    if word in FALSE_WORDS:
        return False
    raise ValueError(f"{name} is true or false (or yes/no, 1/0), not {value!r}.")


def _minutes(value: Any) -> int | None:
    if value is None or (isinstance(value, str) and not value.strip()):
        return None
    if isinstance(value, bool) or not isinstance(value, int | str):
        raise ValueError(f"notify_before is a whole number of minutes, not {value!r}.")
    try:
        return int(value)
    except ValueError:
        raise ValueError(f"notify_before is a whole number of minutes, not {value!r}.") from None


def _tags(value: Any) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, list) and all(isinstance(item, str) for item in value):
        names: Sequence[str] = value
    elif isinstance(value, str):
        names = value.split(TAG_SEPARATOR)
    else:
        raise ValueError(f"tags is a list of tag names (or names separated by {TAG_SEPARATOR!r}), not {value!r}.")
    return tuple(name.strip() for name in names if name.strip())


def _optional_text(fields: Mapping[str, Any], name: str) -> str | None:
    value = fields.get(name)
    if value is None:
        return None
    if not isinstance(value, str | int | float) or isinstance(value, bool):
        raise ValueError(f"{name} is text, not {value!r}.")
    cleaned = str(value).strip()
    return cleaned or None


def _check_lengths(values: Mapping[str, str | None]) -> None:
    for name, limit in MAX_LENGTHS.items():
        value = values.get(name)
        if value is not None and len(value) > limit:
            raise ValueError(f"{name} is {len(value)} characters long; at most {limit} are stored.")


def event_of_fields(fields: Mapping[str, Any]) -> BroadcastEventInput:
    """An event from the documented fields (one CSV row or JSON line); ValueError with a sentence when bad."""
    unknown = sorted(str(name) for name in fields if name not in COLUMNS)
    if unknown:
        raise ValueError(f"unknown field {', '.join(unknown)}; the fields are: {', '.join(COLUMNS)}.")
    texts = {name: _optional_text(fields, name) for name in ("key", "title", "start", "end", "timezone")}
    texts |= {name: _optional_text(fields, name) for name in ("description", "location", "url")}
    missing = [name for name in REQUIRED if not texts[name]]
    if missing:
        raise ValueError(f"{', '.join(missing)} {'is' if len(missing) == 1 else 'are'} missing; every row needs one.")
    _check_lengths(texts)
    return BroadcastEventInput(
        event_key=texts["key"],
        title=texts["title"] or "",
        start=texts["start"] or "",
        end=texts["end"],
        timezone=texts["timezone"],
        all_day=_flag(fields.get("all_day"), "all_day"),
        tags=_tags(fields.get("tags")),
        description=texts["description"],
        location=texts["location"],
        url=texts["url"],
        notify_before=_minutes(fields.get("notify_before")),
    )


def read_csv(body: bytes) -> SourceContent:
    """The events of a CSV file with a header row of the documented columns."""
    reader = csv.DictReader(io.StringIO(_text(body), newline=""))
    events: list[SourceEvent] = []
    problems: list[RowProblem] = []
    header = [name.strip() for name in reader.fieldnames or []]
    unknown = [name for name in header if name not in COLUMNS]
    missing = [name for name in REQUIRED if name not in header]
    if not header or unknown or missing:
        found = ", ".join(header) or "nothing"
        problems.append(
            RowProblem(
                "line 1",
                f"the header row must name the columns {', '.join(COLUMNS)} (key, title and start at least); "
                f"it has {found}.",
            )
        )
        return SourceContent(events, problems)
    reader.fieldnames = header
    try:
        for row in reader:
            line = reader.line_num
            where = f"line {line}"
            if None in row:
                message = f"the row has more cells than the header's {len(header)} columns."
                problems.append(RowProblem(where, message, line))
                continue
            if not any((value or "").strip() for value in row.values()):
                continue
            try:
                fields = {name: value for name, value in row.items() if value is not None}
                events.append(SourceEvent(where, event_of_fields(fields), line))
            except ValueError as error:
                problems.append(RowProblem(where, str(error), line))
    except csv.Error as error:
        problems.append(RowProblem(f"line {reader.line_num}", f"the CSV cannot be read ({error}).", reader.line_num))
    return SourceContent(events, problems)


def read_jsonl(body: bytes) -> SourceContent:
    """The events of a JSON lines file: one object with the documented fields per line."""
    events: list[SourceEvent] = []
    problems: list[RowProblem] = []
    for number, line in enumerate(_text(body).splitlines(), start=1):
        if not line.strip():
            continue
        where = f"line {number}"
        try:
            fields = json.loads(line)
        except ValueError:
            fields = None
        if not isinstance(fields, dict):
            problems.append(RowProblem(where, "this is not a JSON object; each line holds one event as {...}.", number))
            continue
        try:
            events.append(SourceEvent(where, event_of_fields(fields), number))
        except ValueError as error:
            problems.append(RowProblem(where, str(error), number))
    return SourceContent(events, problems)


# --- iCalendar ---------------------------------------------------------------------------------------------


def _stamp(value: date | datetime) -> str:
    """A recurrence id as text for a key: UTC basic format for a time, YYYYMMDD for a day."""
    if isinstance(value, datetime):
        moment = value if value.tzinfo is None else value.astimezone(UTC)
        return moment.strftime("%Y%m%dT%H%M%S") + ("Z" if value.tzinfo is not None else "")
    return value.strftime("%Y%m%d")


def _zone_name(component: icalendar.Component, value: datetime) -> str | None:
    """The zone an aware start is shown in: its TZID when that names a Windows or IANA zone (Outlook writes
    `W. Europe Standard Time`), else its zoneinfo key; None for a zone known only by its VTIMEZONE."""
    prop: Any = component.get("DTSTART")
    for name in (str(prop.params.get("TZID", "")), str(getattr(value.tzinfo, "key", "") or "")):
        if name:
            try:
                return timezones.resolve(name)
            except Invalid:
                continue
    return None


def _dt(component: icalendar.Component, name: str) -> Any:
    """A property's value (a date, time or duration), or None; Any since icalendar types every property alike."""
    prop: Any = component.get(name)
    return None if prop is None else prop.dt


def _end(component: icalendar.Component) -> Any:
    start = _dt(component, "DTSTART")
    if "DTEND" in component:
        return _dt(component, "DTEND")
    duration = _dt(component, "DURATION")
    return start + duration if isinstance(duration, timedelta) else None


def _notify_before(component: icalendar.Component) -> int | None:
    """The first display reminder's minutes before the start, if it has one relative to the start."""
    for alarm in component.walk("VALARM"):
        trigger: Any = alarm.get("TRIGGER")
        if trigger is None or str(trigger.params.get("RELATED", "START")).upper() != "START":
            continue
        if isinstance(trigger.dt, timedelta) and trigger.dt <= timedelta(0):
            return int(-trigger.dt.total_seconds() // 60)
    return None


def _times(component: icalendar.Component, default_zone: str) -> dict[str, Any]:
    """start, end, timezone and all_day as the shared input rules read them."""
    start = _dt(component, "DTSTART")
    end = _end(component)
    if not isinstance(start, datetime):
        # A day (or days): iCalendar's DTEND is the day after the last, the input rules take the last day.
        last = end - timedelta(days=1) if isinstance(end, date) and not isinstance(end, datetime) else None
        return {
            "start": start.isoformat(),
            "end": last.isoformat() if last is not None and last >= start else None,
            "timezone": default_zone,
            "all_day": True,
        }
    if start.tzinfo is None:
        # A floating time: read in the calendar's X-WR-TIMEZONE (else UTC), the way most clients show it.
        zone = default_zone
        end_text = end.isoformat() if isinstance(end, datetime) and end.tzinfo is None else None
        return {"start": start.isoformat(), "end": end_text or start.isoformat(), "timezone": zone, "all_day": False}
    # With its offset: the instant is exact even in the hour a DST change repeats; shown in the start's zone.
    zone = _zone_name(component, start) or "UTC"
    if not isinstance(end, datetime):
        end = start
    elif end.tzinfo is None:
        end = end.replace(tzinfo=start.tzinfo)
    return {"start": start.isoformat(), "end": end.isoformat(), "timezone": zone, "all_day": False}


def _vevent_event(component: icalendar.Component, key: str, default_zone: str) -> BroadcastEventInput:
    if "DTSTART" not in component:
        raise ValueError("the event has no DTSTART.")
    texts = {
        "key": key,
        "title": str(component.get("SUMMARY", "")).strip(),
        "description": str(component.get("DESCRIPTION", "")).strip() or None,
        "location": str(component.get("LOCATION", "")).strip() or None,
        "url": str(component.get("URL", "")).strip() or None,
    }
    if not texts["title"]:
        raise ValueError("the event has no SUMMARY (title).")
    _check_lengths(texts)
    return BroadcastEventInput(
        event_key=key,
        title=texts["title"] or "",
        description=texts["description"],
        location=texts["location"],
        url=texts["url"],
        notify_before=_notify_before(component),
        **_times(component, default_zone),
    )


def _default_zone(calendar: icalendar.Calendar) -> str:
    named = str(calendar.get("X-WR-TIMEZONE", "")).strip()
    return named or "UTC"


def _where(component: icalendar.Component, number: int) -> str:
    uid = str(component.get("UID", "")).strip()
    summary = str(component.get("SUMMARY", "")).strip()
    return f"event {number}" + (f" (UID {uid!r})" if uid else "") + (f" {summary!r}" if summary else "")


def _recurring_uids(calendar: icalendar.Calendar) -> set[str]:
    """The UIDs whose events repeat (a rule or dates) or are occurrences of a repeating event."""
    return {
        str(component.get("UID", "")).strip()
        for component in calendar.walk("VEVENT")
        if any(name in component for name in ("RRULE", "RDATE", "RECURRENCE-ID"))
    }


def _cancelled(component: icalendar.Component) -> bool:
    return str(component.get("STATUS", "")).upper() == "CANCELLED"


def _occurrences(
    calendar: icalendar.Calendar, uids: set[str], expand_from: datetime, expand_until: datetime
) -> Iterator[icalendar.Component]:
    # Imported here: only files with recurring events need it, and every web process would load it at start.
    import recurring_ical_events  # type: ignore[import-untyped]  # ships no type hints

    query = recurring_ical_events.of(calendar, components=["VEVENT"])
    for occurrence in query.between(expand_from, expand_until):
        if str(occurrence.get("UID", "")).strip() in uids:
            yield occurrence


def read_ics(body: bytes, *, expand_from: datetime, expand_until: datetime) -> SourceContent:
    """The events of an iCalendar file: single events as they are, recurring ones expanded between the instants.

    An occurrence's key is its UID and recurrence id (`UID/20261215T180000Z`), so an occurrence keeps its key
    when it is moved (RECURRENCE-ID) and the rule is edited elsewhere. Cancelled events are left out.
    """
    events: list[SourceEvent] = []
    problems: list[RowProblem] = []
    try:
        calendar = icalendar.Calendar.from_ical(_text(body))
    except ValueError as error:
        return SourceContent(
            events, [RowProblem("the file", f"this is not an iCalendar file that can be read ({error}).")]
        )
    if not isinstance(calendar, icalendar.Calendar):
        return SourceContent(events, [RowProblem("the file", "the file holds no VCALENDAR.")])
    zone = _default_zone(calendar)
    recurring = _recurring_uids(calendar)
    number = 0
    for number, component in enumerate(calendar.walk("VEVENT"), start=1):
        uid = str(component.get("UID", "")).strip()
        where = _where(component, number)
        if not uid:
            message = "the event has no UID, which is its key; give each VEVENT one."
            problems.append(RowProblem(where, message, number))
            continue
        if uid in recurring or _cancelled(component):
            continue
        try:
            events.append(SourceEvent(where, _vevent_event(component, uid, zone), number))
        except ValueError as error:
            problems.append(RowProblem(where, str(error), number))
    if recurring - {""}:
        try:
            occurrences = list(_occurrences(calendar, recurring, expand_from, expand_until))
        except Exception as error:  # a broken rule or date; the library raises several kinds of error
            problems.append(RowProblem("the file", f"its recurring events cannot be expanded ({error})."))
            occurrences = []
        for position, occurrence in enumerate(occurrences, start=number + 1):
            uid = str(occurrence.get("UID", "")).strip()
            recurrence = _dt(occurrence, "RECURRENCE-ID")
            key = f"{uid}/{_stamp(recurrence if recurrence is not None else _dt(occurrence, 'DTSTART'))}"
            where = f"the occurrence {key!r}" + (f" {str(occurrence.get('SUMMARY', '')).strip()!r}")
            if _cancelled(occurrence):
                continue
            try:
                events.append(SourceEvent(where, _vevent_event(occurrence, key, zone), position))
            except ValueError as error:
                problems.append(RowProblem(where, str(error), position))
    return SourceContent(events, problems)
