"""Reading sources without a database: what Outlook, floating and odd files turn into, and how formats are told."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from calcast.calendars.event_input import event_values
from calcast.calendars.service import fetchable_url
from calcast.imports.reading import SourceFormat, detect_format, read_ics

NEW_YEAR_2035 = datetime(2035, 1, 1, tzinfo=UTC)
OUTLOOK = b"""BEGIN:VCALENDAR\r
VERSION:2.0\r
PRODID:Microsoft Exchange Server 2010\r
BEGIN:VTIMEZONE\r
TZID:W. Europe Standard Time\r
BEGIN:STANDARD\r
DTSTART:16010101T030000\r
TZOFFSETFROM:+0200\r
TZOFFSETTO:+0100\r
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=10\r
END:STANDARD\r
BEGIN:DAYLIGHT\r
DTSTART:16010101T020000\r
TZOFFSETFROM:+0100\r
TZOFFSETTO:+0200\r
RRULE:FREQ=YEARLY;INTERVAL=1;BYDAY=-1SU;BYMONTH=3\r
END:DAYLIGHT\r
END:VTIMEZONE\r
BEGIN:VTIMEZONE\r
TZID:Customized Time Zone\r
BEGIN:STANDARD\r
DTSTART:16010101T000000\r
TZOFFSETFROM:+0530\r
TZOFFSETTO:+0530\r
END:STANDARD\r
END:VTIMEZONE\r
BEGIN:VEVENT\r
UID:outlook-1\r
DTSTART;TZID=W. Europe Standard Time:20350601T100000\r
DTEND;TZID=W. Europe Standard Time:20350601T110000\r
SUMMARY:Sponsor meeting\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:custom-1\r
DTSTART;TZID=Customized Time Zone:20350601T100000\r
DURATION:PT45M\r
SUMMARY:Call with Pune\r
END:VEVENT\r
BEGIN:VEVENT\r
UID:floating-1\r
DTSTART:20350601T100000\r
SUMMARY:Kick-off\r
END:VEVENT\r
BEGIN:VEVENT\r
SUMMARY:No identity\r
DTSTART:20350601T100000Z\r
END:VEVENT\r
END:VCALENDAR\r
"""


def stored(body: bytes) -> dict[str, tuple[str, str, str]]:
    """Each event's stored start and end (UTC) and zone, by key."""
    content = read_ics(body, expand_from=NEW_YEAR_2035, expand_until=datetime(2036, 1, 1, tzinfo=UTC))
    result = {}
    for item in content.events:
        values = event_values(item.event, default_duration_minutes=60)
        result[item.event.event_key or ""] = (
            values["start_at"].strftime("%Y-%m-%dT%H:%MZ"),
            values["end_at"].strftime("%Y-%m-%dT%H:%MZ"),
            values["timezone"],
        )
    return result


def test_a_windows_tzid_keeps_its_zone_and_an_unknown_one_keeps_the_instant() -> None:
    assert stored(OUTLOOK) == {
        "outlook-1": ("2035-06-01T08:00Z", "2035-06-01T09:00Z", "Europe/Berlin"),
        "custom-1": ("2035-06-01T04:30Z", "2035-06-01T05:15Z", "Etc/UTC"),
        # Floating, without X-WR-TIMEZONE: read as UTC; without DTEND or DURATION it lasts no time (RFC 5545).
        "floating-1": ("2035-06-01T10:00Z", "2035-06-01T10:00Z", "Etc/UTC"),
    }


def test_an_event_without_uid_or_a_broken_file_is_a_problem_not_a_crash() -> None:
    content = read_ics(OUTLOOK, expand_from=NEW_YEAR_2035, expand_until=NEW_YEAR_2035)
    assert [str(problem) for problem in content.problems] == [
        "event 4 'No identity': the event has no UID, which is its key; give each VEVENT one."
    ]
    broken = read_ics(b"BEGIN:VCALENDAR\r\nBEGIN:VEVENT\r\n", expand_from=NEW_YEAR_2035, expand_until=NEW_YEAR_2035)
    assert broken.events == []
    assert str(broken.problems[0]).startswith("the file: this is not an iCalendar file that can be read")


@pytest.mark.parametrize(
    ("body", "name", "expected"),
    [
        (b"\xef\xbb\xbfBEGIN:VCALENDAR\r\n", "feed", SourceFormat.ICS),
        (b"BEGIN:VCALENDAR", "https://club.example/export?format=csv", SourceFormat.ICS),
        (b"", "https://club.example/fixtures.ics?v=2", SourceFormat.ICS),
        (b'{"key": "a"}\n', "events.txt", SourceFormat.JSONL),
        (b"", "events.jsonl", SourceFormat.JSONL),
        (b"key,title,start\n", "events.txt", SourceFormat.CSV),
    ],
)
def test_the_format_is_told_by_content_or_name(body: bytes, name: str, expected: SourceFormat) -> None:
    assert detect_format(body, name) is expected


def test_a_webcal_link_is_fetched_over_https() -> None:
    assert fetchable_url(" webcal://club.example/fixtures.ics ") == "https://club.example/fixtures.ics"
    assert fetchable_url("https://club.example/f.ics") == "https://club.example/f.ics"
