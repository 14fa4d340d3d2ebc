"""Calendars, their tags and their broadcast events."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from urllib.parse import quote, urlencode

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from calcast.accounts.service import get_account, sign_external_id
from calcast.calendars.changes import BroadcastEventChange
from calcast.calendars.event_input import EventInput, apply_changes, event_values, invalid
from calcast.calendars.models import EMAIL_CAPTURE_MODES, IDENTITY_MODES, LANGUAGES, BroadcastEvent, Calendar, Tag
from calcast.core import changes
from calcast.core.codes import check_code
from calcast.core.config import Settings
from calcast.core.db import utcnow
from calcast.core.errors import Conflict, FieldError, Invalid, NotFound
from calcast.core.security import Cipher
from calcast.timezones import service as timezones

# The welcome event's bounds: it starts within a day of subscribing and lasts a minute to a day.
MAX_WELCOME_AFTER_MINUTES = 1440
MAX_WELCOME_DURATION_MINUTES = 1440
DEFAULT_WELCOME_AFTER_MINUTES = 5
DEFAULT_WELCOME_DURATION_MINUTES = 30


@dataclass(frozen=True, kw_only=True)
class WelcomeEvent:
    """The event a new subscriber finds in their calendar right after subscribing, so they see that it worked."""

    title: str
    description: str | None = None
    url: str | None = None
    after_minutes: int = DEFAULT_WELCOME_AFTER_MINUTES
    duration_minutes: int = DEFAULT_WELCOME_DURATION_MINUTES


def _welcome_columns(welcome: WelcomeEvent | None) -> dict[str, object]:
    """The calendar's welcome columns; Invalid for what the feed could not show (the rules of every event)."""
    if welcome is None:
        return {"welcome_title": None, "welcome_description": None, "welcome_url": None}
    if not 0 <= welcome.after_minutes <= MAX_WELCOME_AFTER_MINUTES:
        raise invalid(
            "welcome_after",
            f"The welcome event starts 0 to {MAX_WELCOME_AFTER_MINUTES} minutes (a day) after subscribing, "
            f"not {welcome.after_minutes}.",
        )
    if not 1 <= welcome.duration_minutes <= MAX_WELCOME_DURATION_MINUTES:
        raise invalid(
            "welcome_duration",
            f"The welcome event lasts 1 to {MAX_WELCOME_DURATION_MINUTES} minutes (a day), "
            f"not {welcome.duration_minutes}.",
        )
    if len(welcome.title.strip()) > 255:
        raise invalid("welcome_title", "The welcome event's title is at most 255 characters; shorten it.")
    if len((welcome.url or "").strip()) > 2048:
        raise invalid("welcome_url", "The welcome event's link is at most 2048 characters; shorten it.")
    # The same rules as every event (a title, an http(s) link): checked once here, so delivery cannot fail.
    start = utcnow()
    values = event_values(
        EventInput(
            title=welcome.title,
            start=start.isoformat(),
            end=(start + timedelta(minutes=welcome.duration_minutes)).isoformat(),
            timezone="UTC",
            description=welcome.description,
            url=welcome.url,
        ),
        default_duration_minutes=welcome.duration_minutes,
    )
    return {
        "welcome_title": values["title"],
        "welcome_description": values["description"],
        "welcome_url": values["url"],
        "welcome_after_minutes": welcome.after_minutes,
        "welcome_duration_minutes": welcome.duration_minutes,
    }


def welcome_event(calendar: Calendar) -> WelcomeEvent | None:
    """The calendar's welcome event, or None when it has none."""
    if not calendar.welcome_title:
        return None
    return WelcomeEvent(
        title=calendar.welcome_title,
        description=calendar.welcome_description,
        url=calendar.welcome_url,
        after_minutes=calendar.welcome_after_minutes,
        duration_minutes=calendar.welcome_duration_minutes,
    )


@dataclass(frozen=True)
class CalendarSettings:
    """What a brand chooses when it creates a calendar (everything but code and title has a default)."""

    title: str
    description: str | None = None
    email_capture: str = "off"
    language: str = "en"
    merge_flag: bool = True
    subscriber_id_fallback: bool = False
    # "signed": a landing link's external id counts only with the brand's signature; "unsigned": any id counts.
    identity: str = "signed"
    # Feed links go through the /r/ redirect that counts clicks; text links: also addresses in descriptions.
    click_tracking: bool = True
    track_text_links: bool = False
    default_duration_minutes: int = 60
    opt_in1_label: str | None = None
    opt_in2_label: str | None = None
    image_url: str | None = None
    welcome: WelcomeEvent | None = None


def _check_choice(value: str, choices: Sequence[str], field: str) -> None:
    if value not in choices:
        message = f"{field} must be one of {', '.join(choices)}, not {value!r}."
        raise Invalid(message, [FieldError(field, message)])


def create_calendar(
    *, session: Session, account_code: str, code: str, settings: CalendarSettings, tags: Sequence[str] = ()
) -> Calendar:
    """Create a calendar of the account, with its tags in the given order (the first is the default)."""
    account = get_account(session=session, code=account_code)
    check_code(code, what="calendar")
    _check_choice(settings.email_capture, EMAIL_CAPTURE_MODES, "email_capture")
    _check_choice(settings.language, LANGUAGES, "language")
    _check_choice(settings.identity, IDENTITY_MODES, "identity")
    if not settings.title.strip():
        raise Invalid("The calendar needs a title; pass --title with what subscribers should see.")
    if settings.default_duration_minutes < 0:
        raise Invalid("The default event duration cannot be negative.")
    welcome = _welcome_columns(settings.welcome)
    taken = select(Calendar.id).where(Calendar.account_id == account.id, Calendar.code == code)
    if session.scalar(taken) is not None:
        raise Conflict(f"The account {account_code!r} already has a calendar {code!r}; choose another code.")
    names = [name.strip() for name in tags]
    if any(not name for name in names) or len(set(names)) != len(names):
        raise Invalid("Tag names must be non-empty and different from each other.")
    calendar = Calendar(
        account_id=account.id,
        code=code,
        name=settings.title.strip(),
        subscription_title=settings.title.strip(),
        description=settings.description,
        language=settings.language,
        email_capture=settings.email_capture,
        merge_flag=settings.merge_flag,
        subscriber_id_fallback=settings.subscriber_id_fallback,
        identity=settings.identity,
        click_tracking=settings.click_tracking,
        track_text_links=settings.track_text_links,
        default_duration_minutes=settings.default_duration_minutes,
        opt_in1_label=settings.opt_in1_label,
        opt_in2_label=settings.opt_in2_label,
        image_url=settings.image_url,
        **welcome,
    )
    calendar.tags = [Tag(name=name, position=index, is_default=index == 0) for index, name in enumerate(names)]
    session.add(calendar)
    session.flush()
    return calendar


def list_calendars(*, session: Session, account_code: str) -> list[Calendar]:
    """The account's calendars, by code."""
    account = get_account(session=session, code=account_code)
    query = (
        select(Calendar)
        .where(Calendar.account_id == account.id)
        .options(selectinload(Calendar.tags))
        .order_by(Calendar.code)
    )
    return list(session.scalars(query))


def get_calendar(*, session: Session, account_code: str, code: str) -> Calendar:
    """The account's calendar with this code, or NotFound."""
    account = get_account(session=session, code=account_code)
    query = (
        select(Calendar)
        .where(Calendar.account_id == account.id, Calendar.code == code)
        .options(selectinload(Calendar.tags))
    )
    calendar = session.scalar(query)
    if calendar is None:
        raise NotFound(
            f"The account {account_code!r} has no calendar {code!r}; `calcast calendar list {account_code}` shows them."
        )
    return calendar


def get_calendar_by_id(*, session: Session, calendar_id: str) -> Calendar:
    calendar = session.get(Calendar, calendar_id)
    if calendar is None:
        raise NotFound("This calendar no longer exists.")
    return calendar


def set_identity(*, session: Session, account_code: str, code: str, identity: str) -> Calendar:
    """Choose whether landing-page links must carry the brand's signature for their external id to count."""
    _check_choice(identity, IDENTITY_MODES, "identity")
    calendar = get_calendar(session=session, account_code=account_code, code=code)
    calendar.identity = identity
    session.flush()
    return calendar


def set_click_tracking(
    *,
    session: Session,
    account_code: str,
    code: str,
    click_tracking: bool | None = None,
    track_text_links: bool | None = None,
) -> Calendar:
    """Turn click tracking of the calendar's feed links (and of links in event texts) on or off."""
    calendar = get_calendar(session=session, account_code=account_code, code=code)
    changed = False
    if click_tracking is not None and click_tracking != calendar.click_tracking:
        calendar.click_tracking = click_tracking
        changed = True
    if track_text_links is not None and track_text_links != calendar.track_text_links:
        calendar.track_text_links = track_text_links
        changed = True
    if changed:
        # Every feed's links change.
        bump_feed_version(session=session, calendar_id=calendar.id)
    session.flush()
    return calendar


def set_welcome_event(*, session: Session, account_code: str, code: str, welcome: WelcomeEvent | None) -> Calendar:
    """Set the event new subscribers find in their calendar right after subscribing; None: no more of them.

    Only subscriptions made from now on get it; welcome events already given stay until they leave the feeds.
    """
    calendar = get_calendar(session=session, account_code=account_code, code=code)
    for name, value in _welcome_columns(welcome).items():
        setattr(calendar, name, value)
    session.flush()
    return calendar


def landing_url(
    *, session: Session, settings: Settings, account_code: str, code: str, external_id: str | None = None
) -> str:
    """The calendar's landing page; with an external id, signed with the account's link key (`sig`)."""
    calendar = get_calendar(session=session, account_code=account_code, code=code)
    url = f"{settings.base_url}/{quote(account_code)}/{quote(calendar.code)}"
    cleaned = (external_id or "").strip()
    if not cleaned:
        return url
    account = get_account(session=session, code=account_code)
    signature = sign_external_id(cipher=Cipher(settings.secret_key), account=account, external_id=cleaned)
    return f"{url}?{urlencode({'external_id': cleaned, 'sig': signature})}"


def _announce(session: Session, calendar: Calendar, event_key: str) -> None:
    """Tell the consumers (push sync) that a broadcast event of the calendar changed."""
    changes.record(
        session, BroadcastEventChange(account_id=calendar.account_id, calendar_id=calendar.id, event_key=event_key)
    )


def bump_feed_version(*, session: Session, calendar_id: str) -> None:
    """Mark every feed of the calendar as changed (a broadcast event, tag or setting changed)."""
    session.execute(update(Calendar).where(Calendar.id == calendar_id).values(feed_version=Calendar.feed_version + 1))


def add_tag(
    *,
    session: Session,
    account_code: str,
    calendar_code: str,
    name: str,
    default: bool = False,
    image_url: str | None = None,
) -> Tag:
    """Add a tag at the end of the calendar's tag list."""
    calendar = get_calendar(session=session, account_code=account_code, code=calendar_code)
    cleaned = name.strip()
    if not cleaned:
        raise Invalid("The tag needs a name.")
    if any(tag.name == cleaned for tag in calendar.tags):
        raise Conflict(f"The calendar {calendar_code!r} already has a tag {cleaned!r}.")
    position = max((tag.position for tag in calendar.tags), default=-1) + 1
    tag = Tag(calendar_id=calendar.id, name=cleaned, position=position, is_default=default, image_url=image_url)
    session.add(tag)
    bump_feed_version(session=session, calendar_id=calendar.id)
    session.flush()
    return tag


def resolve_tags(*, calendar: Calendar, names: Sequence[str]) -> list[Tag]:
    """The calendar's tags with these names (or ids), in calendar order; Invalid for an unknown name."""
    by_key = {tag.name.casefold(): tag for tag in calendar.tags} | {tag.id: tag for tag in calendar.tags}
    chosen: dict[str, Tag] = {}
    for name in names:
        tag = by_key.get(name.strip().casefold()) or by_key.get(name.strip())
        if tag is None:
            known = ", ".join(tag.name for tag in calendar.tags) or "none"
            message = f"The calendar has no tag {name!r}; its tags are: {known}."
            raise Invalid(message, [FieldError("tags", message)])
        chosen[tag.id] = tag
    return sorted(chosen.values(), key=lambda tag: tag.position)


@dataclass(frozen=True, kw_only=True)
class BroadcastEventInput(EventInput):
    """A broadcast event as given; `tags` limit who sees it (none: everyone)."""

    tags: Sequence[str] = ()
    event_key: str | None = None


def add_broadcast_event(
    *, session: Session, account_code: str, calendar_code: str, event: BroadcastEventInput
) -> BroadcastEvent:
    """Add a broadcast event; it reaches every subscription with one of its tags (untagged: everyone)."""
    calendar = get_calendar(session=session, account_code=account_code, code=calendar_code)
    values = event_values(event, default_duration_minutes=calendar.default_duration_minutes)
    event_key = (event.event_key or "").strip() or str(uuid.uuid4())
    taken = select(BroadcastEvent.id).where(
        BroadcastEvent.calendar_id == calendar.id, BroadcastEvent.event_key == event_key
    )
    if session.scalar(taken) is not None:
        raise Conflict(
            f"The calendar {calendar_code!r} already has (or had) an event {event_key!r}; choose another key."
        )
    row = BroadcastEvent(calendar_id=calendar.id, event_key=event_key, sequence=0, **values)
    row.tags = resolve_tags(calendar=calendar, names=event.tags)
    session.add(row)
    bump_feed_version(session=session, calendar_id=calendar.id)
    session.flush()
    _announce(session, calendar, event_key)
    return row


def _find_broadcast_event(*, session: Session, calendar_id: str, event_key: str) -> BroadcastEvent | None:
    query = (
        select(BroadcastEvent)
        .where(
            BroadcastEvent.calendar_id == calendar_id,
            BroadcastEvent.event_key == event_key,
            BroadcastEvent.deleted_at.is_(None),
        )
        .options(selectinload(BroadcastEvent.tags))
    )
    return session.scalar(query)


def get_broadcast_event(*, session: Session, account_code: str, calendar_code: str, event_key: str) -> BroadcastEvent:
    """The calendar's (not deleted) broadcast event with this key, or NotFound."""
    calendar = get_calendar(session=session, account_code=account_code, code=calendar_code)
    row = _find_broadcast_event(session=session, calendar_id=calendar.id, event_key=event_key)
    if row is None:
        raise NotFound(
            f"The calendar {calendar_code!r} has no event {event_key!r}; "
            f"`calcast event list {account_code} {calendar_code}` shows the keys."
        )
    return row


def update_broadcast_event(
    *, session: Session, account_code: str, calendar_code: str, event_key: str, event: BroadcastEventInput
) -> BroadcastEvent:
    """Replace a broadcast event's details and tags; a visible change bumps its SEQUENCE, a repeat changes nothing."""
    row = get_broadcast_event(
        session=session, account_code=account_code, calendar_code=calendar_code, event_key=event_key
    )
    calendar = get_calendar_by_id(session=session, calendar_id=row.calendar_id)
    values = event_values(event, default_duration_minutes=calendar.default_duration_minutes)
    tags = resolve_tags(calendar=calendar, names=event.tags)
    changed = apply_changes(row, values)
    if [tag.id for tag in row.tags] != [tag.id for tag in tags]:
        row.tags = tags
        changed = True
    if changed:
        bump_feed_version(session=session, calendar_id=calendar.id)
    session.flush()
    if changed:
        _announce(session, calendar, event_key)
    return row


def delete_broadcast_event(
    *, session: Session, account_code: str, calendar_code: str, event_key: str
) -> BroadcastEvent:
    """Remove a broadcast event from every feed of the calendar."""
    row = get_broadcast_event(
        session=session, account_code=account_code, calendar_code=calendar_code, event_key=event_key
    )
    row.deleted_at = utcnow()
    bump_feed_version(session=session, calendar_id=row.calendar_id)
    session.flush()
    _announce(session, get_calendar_by_id(session=session, calendar_id=row.calendar_id), event_key)
    return row


def list_broadcast_events(
    *, session: Session, account_code: str, calendar_code: str, offset: int = 0, limit: int | None = None
) -> list[BroadcastEvent]:
    """The calendar's broadcast events that are not deleted, by start time."""
    calendar = get_calendar(session=session, account_code=account_code, code=calendar_code)
    query = (
        select(BroadcastEvent)
        .where(BroadcastEvent.calendar_id == calendar.id, BroadcastEvent.deleted_at.is_(None))
        .options(selectinload(BroadcastEvent.tags))
        .order_by(BroadcastEvent.start_at, BroadcastEvent.event_key)
        .offset(offset)
        .limit(limit)
    )
    return list(session.scalars(query))


def count_broadcast_events(*, session: Session, calendar_id: str) -> int:
    query = select(func.count()).where(BroadcastEvent.calendar_id == calendar_id, BroadcastEvent.deleted_at.is_(None))
    return int(session.scalar(query) or 0)


def upcoming_start(days: int, hour: int, tz: str) -> str:
    """A wall-clock time `days` from today at `hour` in zone `tz`, as naive ISO text (for demo data)."""
    local_today = datetime.now(UTC).astimezone(timezones.zone(tz)).date()
    day = local_today + timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00:00"
