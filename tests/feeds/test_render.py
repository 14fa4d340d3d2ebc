"""The iCalendar a feed is made of: golden files, RFC 5545 framing, and text that cannot break out."""

from __future__ import annotations

import os
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo, available_timezones

import icalendar
import vobject
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from ical.calendar_stream import IcsCalendarStream

from calcast.feeds.render import FeedContent, FeedEvent, broadcast_uid, personal_uid, render
from tests.feeds.conftest import parse_everywhere

GOLDEN = Path(__file__).parent / "golden"
NEW_YORK = ZoneInfo("America/New_York")
BERLIN = ZoneInfo("Europe/Berlin")
STAMP = datetime(2026, 2, 1, 9, 30, 15, 123456, tzinfo=UTC)
MANAGE = "https://calcast.test/manage/0b5c6f1e-0000-4000-8000-000000000001/manage-token"


def sample_events() -> list[FeedEvent]:
    return [
        FeedEvent(
            # 01:30–09:30 in New York on the night clocks go forward: 5 h before the change, 3 h after.
            uid=personal_uid("account-1", "shift-2026-03-08"),
            title="Night shift",
            start_at=datetime(2026, 3, 8, 1, 30, tzinfo=NEW_YORK),
            end_at=datetime(2026, 3, 8, 9, 30, tzinfo=NEW_YORK),
            timezone="America/New_York",
            updated_at=STAMP,
            sequence=2,
            notify_before=30,
        ),
        FeedEvent(
            uid=broadcast_uid("calendar-1", "match-day"),
            title="Match day, Team I; all welcome \\ bring friends ⚽ — " + "ü" * 40,
            description="Line one\r\nLine two\rLine three\nDESCRIPTION:not a property\nEND:VEVENT",
            location="Stadion an der Alten Försterei, Berlin",
            url="https://example.test/match?day=1&team=I",
            start_at=datetime(2026, 3, 14, 15, 30, tzinfo=BERLIN),
            end_at=datetime(2026, 3, 14, 17, 30, tzinfo=BERLIN),
            timezone="Europe/Berlin",
            updated_at=STAMP + timedelta(days=1),
            sequence=5,
            notify_before=15,
        ),
        FeedEvent(
            uid=broadcast_uid("calendar-1", "season-opening"),
            title="Season opening",
            start_at=datetime(2026, 3, 20, tzinfo=BERLIN),
            end_at=datetime(2026, 3, 22, tzinfo=BERLIN),
            timezone="Europe/Berlin",
            all_day=True,
            updated_at=STAMP,
        ),
        FeedEvent(
            uid=personal_uid("account-1", "ticket-sale"),
            title="Ticket sale opens",
            start_at=datetime(2026, 3, 10, 8, 0, tzinfo=UTC),
            end_at=datetime(2026, 3, 10, 8, 0, tzinfo=UTC),
            timezone="UTC",
            updated_at=STAMP,
            notify_before=0,
        ),
    ]


def sample_feed() -> bytes:
    return render(
        FeedContent(
            name="Union Berlin, Spielplan",
            description="Every match; with reminders.",
            events=sample_events(),
            manage_url=MANAGE,
        )
    )


def unsubscribed_feed() -> bytes:
    return render(
        FeedContent(
            name="Union Berlin (abbestellt)",
            language="de",
            description="Sie haben diesen Kalender abbestellt und können ihn aus Ihrer Kalender-App entfernen.",
            events=[],
        )
    )


def assert_golden(name: str, body: bytes) -> None:
    path = GOLDEN / name
    if os.environ.get("CALCAST_UPDATE_GOLDEN") == "1":
        path.write_bytes(body)
    assert body == path.read_bytes(), (
        f"{name} differs from the golden file; review and rerun with CALCAST_UPDATE_GOLDEN=1"
    )


def vevents(body: bytes) -> list[icalendar.Component]:
    return list(icalendar.Calendar.from_ical(body).walk("VEVENT"))


def test_it_renders_the_golden_feed() -> None:
    assert_golden("feed.ics", sample_feed())


def test_it_renders_the_golden_unsubscribed_feed() -> None:
    assert_golden("unsubscribed.ics", unsubscribed_feed())


def test_the_same_content_gives_the_same_bytes() -> None:
    assert sample_feed() == sample_feed()
    reordered = render(
        FeedContent(
            name="Union Berlin, Spielplan",
            description="Every match; with reminders.",
            events=list(reversed(sample_events())),
            manage_url=MANAGE,
        )
    )
    assert reordered == sample_feed()


def test_every_golden_file_parses_without_errors_everywhere() -> None:
    for path in sorted(GOLDEN.glob("*.ics")):
        parse_everywhere(path.read_bytes())


def test_it_frames_lines_as_rfc_5545_says() -> None:
    body = sample_feed()
    assert not body.startswith(b"\xef\xbb\xbf")
    assert body.endswith(b"END:VCALENDAR\r\n")
    assert b"\n" not in body.replace(b"\r\n", b"")
    lines = body.split(b"\r\n")[:-1]
    assert max(len(line) for line in lines) <= 75
    for line in lines:
        line.decode("utf-8")  # folding never splits a UTF-8 sequence
    assert any(line.startswith(b" ") for line in lines), "the long title must have been folded"


def test_it_writes_the_calendar_properties_clients_read() -> None:
    text = sample_feed().decode()
    header = text.split("BEGIN:VTIMEZONE")[0]
    for line in (
        "VERSION:2.0",
        "METHOD:PUBLISH",
        "NAME:Union Berlin\\, Spielplan",
        "X-WR-CALNAME:Union Berlin\\, Spielplan",
        "REFRESH-INTERVAL;VALUE=DURATION:PT1H",
        "X-PUBLISHED-TTL:PT1H",
    ):
        assert f"\r\n{line}\r\n" in header
    assert "\r\nUID:" not in header, "a calendar-level UID makes vdirsyncer collapse the feed"
    assert "PRODID:" in header


def test_each_event_has_a_stable_uid_stamp_and_sequence() -> None:
    by_title = {str(event["SUMMARY"]): event for event in vevents(sample_feed())}
    night = by_title["Night shift"]
    assert str(night["UID"]) == personal_uid("account-1", "shift-2026-03-08")
    assert night["SEQUENCE"] == 2
    assert night.decoded("DTSTAMP") == STAMP.replace(microsecond=0)
    assert night.decoded("LAST-MODIFIED") == STAMP.replace(microsecond=0)
    assert personal_uid("a", "x") != broadcast_uid("a", "x"), "personal and broadcast UIDs live apart"
    assert personal_uid("a", "x") == personal_uid("a", "x")


def test_times_carry_an_iana_zone_with_a_vtimezone_or_utc_never_floating() -> None:
    body = sample_feed()
    calendar = icalendar.Calendar.from_ical(body)
    defined = {str(zone["TZID"]) for zone in calendar.walk("VTIMEZONE")}
    assert defined == {"America/New_York", "Europe/Berlin"}
    assert defined <= available_timezones()
    for event in calendar.walk("VEVENT"):
        for name in ("DTSTART", "DTEND"):
            if name not in event:
                continue
            value = event.decoded(name)
            if isinstance(value, datetime):
                assert value.tzinfo is not None, f"{name} of {event['SUMMARY']} is floating"
                tzid = event[name].params.get("TZID")
                assert tzid is None or tzid in defined
    night = {str(event["SUMMARY"]): event for event in vevents(body)}["Night shift"]
    assert night.decoded("DTSTART") == datetime(2026, 3, 8, 6, 30, tzinfo=UTC)
    assert night.decoded("DTEND") == datetime(2026, 3, 8, 13, 30, tzinfo=UTC)


def test_an_all_day_event_has_dates_with_an_exclusive_end() -> None:
    opening = {str(event["SUMMARY"]): event for event in vevents(sample_feed())}["Season opening"]
    assert opening.decoded("DTSTART") == date(2026, 3, 20)
    assert opening.decoded("DTEND") == date(2026, 3, 22)
    assert "DTSTART;VALUE=DATE:20260320" in sample_feed().decode()


def test_a_zero_length_event_has_no_dtend() -> None:
    sale = {str(event["SUMMARY"]): event for event in vevents(sample_feed())}["Ticket sale opens"]
    assert "DTEND" not in sale
    assert "DURATION" not in sale
    assert sale.decoded("DTSTART") == datetime(2026, 3, 10, 8, 0, tzinfo=UTC)


def test_the_reminder_comes_after_every_other_property() -> None:
    text = sample_feed().decode()
    for block in re.findall(r"BEGIN:VEVENT\r\n(.*?)END:VEVENT\r\n", text, flags=re.S):
        if "BEGIN:VALARM" in block:
            assert block.endswith("END:VALARM\r\n"), block
    match = next(event for event in vevents(text.encode()) if str(event["SUMMARY"]).startswith("Match day"))
    (alarm,) = match.subcomponents
    assert alarm["ACTION"] == "DISPLAY"
    assert alarm.decoded("TRIGGER") == timedelta(minutes=-15)
    assert "TRIGGER:-PT15M" in text


def test_the_description_carries_the_text_the_link_and_the_manage_link() -> None:
    match = next(event for event in vevents(sample_feed()) if str(event["SUMMARY"]).startswith("Match day"))
    assert str(match["DESCRIPTION"]) == (
        "Line one\nLine two\nLine three\nDESCRIPTION:not a property\nEND:VEVENT\n\n"
        "https://example.test/match?day=1&team=I\n\n"
        f"Manage or unsubscribe: {MANAGE}"
    )
    assert str(match["URL"]) == "https://example.test/match?day=1&team=I"
    assert str(match["LOCATION"]) == "Stadion an der Alten Försterei, Berlin"


# Text as a person or Braze template might send it; iCalendar has one newline, so CR, CRLF, NEL and the Unicode line
# and paragraph separators arrive as LF, and control characters other than TAB cannot be carried at all.
feed_text = (
    st.lists(
        st.one_of(
            st.sampled_from(
                [
                    *["\r", "\n", "\r\n", "\x85", "\u2028", "\u2029"],
                    *[";", ",", "\\", ":", '"', "\t", "😀", "ß", "BEGIN:VEVENT", "END:VCALENDAR"],
                ]
            ),
            st.characters(blacklist_categories=("Cs", "Cc")),
        ),
        max_size=40,
    )
    .map("".join)
    .map(lambda text: text.strip() or "x")
)
long_text = st.integers(min_value=1000, max_value=1000).map(lambda n: ("a;b,c\\d\r\n😀" * n)[:n])


def raw_value(body: bytes, name: str) -> str:
    unfolded = body.decode().replace("\r\n ", "")
    (value,) = [line.split(":", 1)[1] for line in unfolded.split("\r\n") if line.startswith(f"{name}:")]
    return value


def unescape(value: str) -> str:
    """RFC 5545 §3.3.11 TEXT unescaping, written independently of the code under test."""
    return re.sub(r"\\([\\;,nN])", lambda match: "\n" if match.group(1) in "nN" else match.group(1), value)


def normalized(text: str) -> str:
    for line_break in ("\r\n", "\r", "\x85", "\u2028", "\u2029"):
        text = text.replace(line_break, "\n")
    return text


@settings(max_examples=100, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(title=st.one_of(feed_text, long_text), description=st.one_of(feed_text, long_text), location=feed_text)
def test_any_text_round_trips_and_cannot_add_a_property_or_component(
    title: str, description: str, location: str
) -> None:
    event = FeedEvent(
        uid=personal_uid("account", "event"),
        title=title,
        description=description,
        location=location,
        start_at=datetime(2026, 5, 1, 10, tzinfo=BERLIN),
        end_at=datetime(2026, 5, 1, 11, tzinfo=BERLIN),
        timezone="Europe/Berlin",
        updated_at=STAMP,
        notify_before=10,
    )
    body = render(FeedContent(name=title, events=[event], manage_url=MANAGE))
    calendar = parse_everywhere(body)
    (parsed,) = calendar.walk("VEVENT")
    assert str(parsed["SUMMARY"]) == normalized(title)
    assert str(parsed["LOCATION"]) == normalized(location)
    assert str(parsed["DESCRIPTION"]) == f"{normalized(description)}\n\nManage or unsubscribe: {MANAGE}"
    strict = IcsCalendarStream.calendar_from_ics(body.decode()).events[0]
    assert (strict.summary, strict.description, strict.location) == (
        parsed["SUMMARY"],
        parsed["DESCRIPTION"],
        parsed["LOCATION"],
    )
    loose = vobject.readOne(body.decode()).vevent
    assert loose.summary.value == normalized(title)
    assert loose.location.value == normalized(location)
    for name in ("NAME", "X-WR-CALNAME"):  # untyped for the parsers: read the raw line
        assert unescape(raw_value(body, name)) == normalized(title)
    assert set(parsed.keys()) == {
        "SUMMARY",
        "DTSTART",
        "DTEND",
        "DTSTAMP",
        "UID",
        "SEQUENCE",
        "DESCRIPTION",
        "LAST-MODIFIED",
        "LOCATION",
    }
    components = [component.name for component in calendar.walk() if component.name not in ("STANDARD", "DAYLIGHT")]
    assert components == ["VCALENDAR", "VTIMEZONE", "VEVENT", "VALARM"]
    assert set(calendar.keys()) == {
        "VERSION",
        "PRODID",
        "CALSCALE",
        "METHOD",
        "NAME",
        "X-WR-CALNAME",
        "REFRESH-INTERVAL",
        "X-PUBLISHED-TTL",
    }
    assert len(calendar.walk("VEVENT")) == 1
    assert len(calendar.walk("VALARM")) == 1


def observance_years(body: bytes, tzid: str) -> set[int]:
    """The years of every onset (DTSTART and RDATE) the feed's VTIMEZONE for `tzid` lists."""
    (vtimezone,) = [zone for zone in icalendar.Calendar.from_ical(body).walk("VTIMEZONE") if zone["TZID"] == tzid]
    years = set()
    for observance in vtimezone.subcomponents:
        years.add(observance.decoded("DTSTART").year)
        rdates = observance.get("RDATE", [])
        for rdate in rdates if isinstance(rdates, list) else [rdates]:
            years.update(moment.dt.year for moment in rdate.dts)
    return years


def test_each_vtimezone_covers_only_the_years_of_its_own_events() -> None:
    events = [
        FeedEvent(
            uid=personal_uid("account-1", "soon"),
            title="Soon",
            start_at=datetime(2026, 5, 1, 10, tzinfo=NEW_YORK),
            end_at=datetime(2026, 5, 1, 11, tzinfo=NEW_YORK),
            timezone="America/New_York",
            updated_at=STAMP,
        ),
        FeedEvent(
            uid=broadcast_uid("calendar-1", "far"),
            title="Far ahead",
            start_at=datetime(2199, 5, 1, 10, tzinfo=BERLIN),
            end_at=datetime(2199, 5, 1, 11, tzinfo=BERLIN),
            timezone="Europe/Berlin",
            updated_at=STAMP,
        ),
    ]
    body = render(FeedContent(name="Two zones", events=events))
    parse_everywhere(body)
    assert observance_years(body, "America/New_York") <= {2025, 2026, 2027}
    assert observance_years(body, "Europe/Berlin") <= {2198, 2199, 2200}
    assert len(body) < 5_000


def test_an_event_outside_the_accepted_years_or_length_is_left_out() -> None:
    good, *_ = sample_events()
    millennia = FeedEvent(
        uid=personal_uid("account-1", "millennia"),
        title="Forever",
        start_at=datetime(1, 1, 1, tzinfo=UTC),
        end_at=datetime(9998, 12, 31, tzinfo=UTC),
        timezone="America/New_York",
        updated_at=STAMP,
    )
    body = render(FeedContent(name="Feed", events=[good, millennia]))
    assert [str(event["SUMMARY"]) for event in vevents(body)] == ["Night shift"]
    assert observance_years(body, "America/New_York") <= {2025, 2026, 2027}
