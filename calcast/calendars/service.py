"""Calendars, their tags and their broadcast events."""

from __future__ import annotations

import uuid
from collections.abc import Callable, Collection, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import quote, urlencode

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, selectinload

from calcast.accounts.service import get_account, sign_external_id
from calcast.calendars.changes import BroadcastEventChange
from calcast.calendars.event_input import EventInput, apply_changes, event_values
from calcast.calendars.models import (
    EMAIL_CAPTURE_MODES,
    IDENTITY_MODES,
    LANGUAGES,
    BroadcastEvent,
    Calendar,
    CalendarSource,
    Tag,
)
from calcast.core import changes, outbound
from calcast.core.codes import check_code
from calcast.core.config import Settings
from calcast.core.db import utcnow
from calcast.core.errors import Conflict, NotFound, invalid
from calcast.core.event_columns import MAX_EVENT_LENGTH, web_url
from calcast.core.security import Cipher
from calcast.timezones import service as timezones

# The welcome event's bounds: it starts within a day of subscribing and lasts a minute to a day.
MAX_WELCOME_AFTER_MINUTES = 1440
MAX_WELCOME_DURATION_MINUTES = 1440
DEFAULT_WELCOME_AFTER_MINUTES = 5
DEFAULT_WELCOME_DURATION_MINUTES = 30
# A calendar's default event length: events without an end last this long (a year at most, as any event).
MAX_DEFAULT_DURATION_MINUTES = MAX_EVENT_LENGTH // timedelta(minutes=1)


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
            "The welcome event starts 0 to {most} minutes (a day) after subscribing, not {given}.",
            most=MAX_WELCOME_AFTER_MINUTES,
            given=welcome.after_minutes,
        )
    if not 1 <= welcome.duration_minutes <= MAX_WELCOME_DURATION_MINUTES:
        raise invalid(
            "welcome_duration",
            "The welcome event lasts 1 to {most} minutes (a day), not {given}.",
            most=MAX_WELCOME_DURATION_MINUTES,
            given=welcome.duration_minutes,
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
        raise invalid(
            field,
            "{field} must be one of {choices}, not {value!r}.",
            field=field,
            choices=", ".join(choices),
            value=value,
        )


def _check_image(image_url: str | None) -> None:
    """A picture for the landing page: an http(s) address, since visitors' browsers load it."""
    cleaned = (image_url or "").strip()
    if len(cleaned) > 2048:
        raise invalid("image_url", "The image address is at most 2048 characters; shorten it.")
    if cleaned and web_url(cleaned) is None:
        raise invalid("image_url", "The image address must start with https:// or http:// and contain no spaces.")


def _check_tag_name(name: str) -> str:
    cleaned = name.strip()
    if not cleaned:
        raise invalid("name", "The tag needs a name.")
    if len(cleaned) > 255:
        raise invalid("name", "A tag name is at most 255 characters; shorten it.")
    return cleaned


def _check_choices(settings: CalendarSettings) -> None:
    """The rules every calendar's settings follow, however they are set."""
    _check_choice(settings.email_capture, EMAIL_CAPTURE_MODES, "email_capture")
    _check_choice(settings.language, LANGUAGES, "language")
    _check_choice(settings.identity, IDENTITY_MODES, "identity")
    if settings.default_duration_minutes < 0:
        raise invalid("default_duration_minutes", "The default event duration cannot be negative.")
    if settings.default_duration_minutes > MAX_DEFAULT_DURATION_MINUTES:
        raise invalid(
            "default_duration_minutes",
            "The default event duration is at most {most} minutes (a year).",
            most=MAX_DEFAULT_DURATION_MINUTES,
        )
    _check_image(settings.image_url)
    if len(settings.title.strip()) > 255:
        raise invalid("title", "The title is at most 255 characters; shorten it.")
    for field_name, label in (("opt_in1_label", settings.opt_in1_label), ("opt_in2_label", settings.opt_in2_label)):
        if len(label or "") > 500:
            raise invalid(field_name, "An opt-in label is at most 500 characters; shorten it.")


def create_calendar(
    *, session: Session, account_code: str, code: str, settings: CalendarSettings, tags: Sequence[str] = ()
) -> Calendar:
    """Create a calendar of the account, with its tags in the given order (the first is the default)."""
    account = get_account(session=session, code=account_code)
    check_code(code, what="calendar")
    _check_choices(settings)
    if not settings.title.strip():
        raise invalid("title", "The calendar needs a title: the name subscribers see in their calendar app.")
    welcome = _welcome_columns(settings.welcome)
    taken = select(Calendar.id).where(Calendar.account_id == account.id, Calendar.code == code)
    if session.scalar(taken) is not None:
        raise Conflict(
            "The account {account!r} already has a calendar {code!r}; choose another code.",
            account=account_code,
            code=code,
        )
    names = [name.strip() for name in tags]
    if any(len(name) > 255 for name in names):
        raise invalid("tags", "A tag name is at most 255 characters; shorten it.")
    if any(not name for name in names) or len(set(names)) != len(names):
        raise invalid("tags", "Tag names must be non-empty and different from each other.")
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
            "The account {account!r} has no calendar {code!r}; `calcast calendar list {account}` shows them.",
            account=account_code,
            code=code,
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


@dataclass(frozen=True, kw_only=True)
class CalendarEdit(CalendarSettings):
    """A calendar's settings as edited: the internal name apart from the title subscribers see."""

    name: str


def update_calendar(*, session: Session, account_code: str, code: str, edit: CalendarEdit) -> Calendar:
    """Replace the calendar's settings (its code, tags and welcome event stay); feeds show the change."""
    calendar = get_calendar(session=session, account_code=account_code, code=code)
    _check_choices(edit)
    if not edit.name.strip():
        raise invalid("name", "The calendar needs a name; it is what the console and reports call it.")
    if len(edit.name.strip()) > 255 or len(edit.title.strip()) > 255:
        raise invalid("title", "Names and titles are at most 255 characters; shorten them.")
    values: dict[str, object] = {
        "name": edit.name.strip(),
        "subscription_title": edit.title.strip() or None,
        "description": (edit.description or "").strip() or None,
        "language": edit.language,
        "email_capture": edit.email_capture,
        "merge_flag": edit.merge_flag,
        "subscriber_id_fallback": edit.subscriber_id_fallback,
        "identity": edit.identity,
        "click_tracking": edit.click_tracking,
        "track_text_links": edit.track_text_links,
        "default_duration_minutes": edit.default_duration_minutes,
        "opt_in1_label": (edit.opt_in1_label or "").strip() or None,
        "opt_in2_label": (edit.opt_in2_label or "").strip() or None,
        "image_url": (edit.image_url or "").strip() or None,
    }
    changed = {name: value for name, value in values.items() if getattr(calendar, name) != value}
    for name, value in changed.items():
        setattr(calendar, name, value)
    if changed:
        # The title, the links and the defaults are part of every feed.
        bump_feed_version(session=session, calendar_id=calendar.id)
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
    cleaned = _check_tag_name(name)
    _check_image(image_url)
    image_url = (image_url or "").strip() or None
    if any(tag.name == cleaned for tag in calendar.tags):
        raise Conflict("The calendar {calendar!r} already has a tag {tag!r}.", calendar=calendar_code, tag=cleaned)
    position = max((tag.position for tag in calendar.tags), default=-1) + 1
    tag = Tag(calendar_id=calendar.id, name=cleaned, position=position, is_default=default, image_url=image_url)
    session.add(tag)
    bump_feed_version(session=session, calendar_id=calendar.id)
    session.flush()
    return tag


def _calendar_tag(calendar: Calendar, tag_id: str) -> Tag:
    for tag in calendar.tags:
        if tag.id == tag_id:
            return tag
    raise NotFound("The calendar {calendar!r} has no such tag; it may have been removed.", calendar=calendar.code)


def update_tag(
    *,
    session: Session,
    account_code: str,
    calendar_code: str,
    tag_id: str,
    name: str,
    default: bool,
    image_url: str | None = None,
) -> Tag:
    """Rename a tag, give it an image, make it preselected or not; subscriptions keep it under the new name."""
    calendar = get_calendar(session=session, account_code=account_code, code=calendar_code)
    tag = _calendar_tag(calendar, tag_id)
    cleaned = _check_tag_name(name)
    _check_image(image_url)
    image = (image_url or "").strip() or None
    if any(other.name == cleaned and other.id != tag.id for other in calendar.tags):
        raise Conflict("The calendar {calendar!r} already has a tag {tag!r}.", calendar=calendar_code, tag=cleaned)
    if (tag.name, tag.is_default, tag.image_url) != (cleaned, default, image):
        tag.name, tag.is_default, tag.image_url = cleaned, default, image
        bump_feed_version(session=session, calendar_id=calendar.id)
    session.flush()
    return tag


def reorder_tags(*, session: Session, account_code: str, calendar_code: str, tag_ids: Sequence[str]) -> list[Tag]:
    """Put the calendar's tags in this order (every tag once), as the landing page lists them."""
    calendar = get_calendar(session=session, account_code=account_code, code=calendar_code)
    if sorted(tag_ids) != sorted(tag.id for tag in calendar.tags):
        raise Conflict("The tags changed meanwhile; reload the page and order them again.")
    by_id = {tag.id: tag for tag in calendar.tags}
    for position, tag_id in enumerate(tag_ids):
        by_id[tag_id].position = position
    bump_feed_version(session=session, calendar_id=calendar.id)
    session.flush()
    session.refresh(calendar, ["tags"])
    return list(calendar.tags)


def move_tag(*, session: Session, account_code: str, calendar_code: str, tag_id: str, step: int) -> list[Tag]:
    """Move a tag `step` places up (negative) or down the calendar's list; at an end it stays."""
    calendar = get_calendar(session=session, account_code=account_code, code=calendar_code)
    order = [tag.id for tag in calendar.tags]
    index = order.index(_calendar_tag(calendar, tag_id).id)
    target = min(max(index + step, 0), len(order) - 1)
    order.insert(target, order.pop(index))
    return reorder_tags(session=session, account_code=account_code, calendar_code=calendar_code, tag_ids=order)


def resolve_tags(*, calendar: Calendar, names: Sequence[str]) -> list[Tag]:
    """The calendar's tags with these names (or ids), in calendar order; Invalid for an unknown name."""
    by_key = {tag.name.casefold(): tag for tag in calendar.tags} | {tag.id: tag for tag in calendar.tags}
    chosen: dict[str, Tag] = {}
    for name in names:
        tag = by_key.get(name.strip().casefold()) or by_key.get(name.strip())
        if tag is None:
            known = ", ".join(tag.name for tag in calendar.tags) or "none"
            raise invalid("tags", "The calendar has no tag {name!r}; its tags are: {known}.", name=name, known=known)
        chosen[tag.id] = tag
    return sorted(chosen.values(), key=lambda tag: tag.position)


@dataclass(frozen=True, kw_only=True)
class BroadcastEventInput(EventInput):
    """A broadcast event as given; `tags` limit who sees it (none: everyone)."""

    tags: Sequence[str] = ()
    event_key: str | None = None


def _new_event(
    *, calendar: Calendar, event: BroadcastEventInput, event_key: str, import_source: str | None = None
) -> BroadcastEvent:
    """A new broadcast event row of the calendar (not yet added to the session)."""
    values = event_values(event, default_duration_minutes=calendar.default_duration_minutes)
    row = BroadcastEvent(
        calendar_id=calendar.id, event_key=event_key, sequence=0, import_source=import_source, **values
    )
    row.tags = resolve_tags(calendar=calendar, names=event.tags)
    return row


def add_broadcast_event(
    *, session: Session, account_code: str, calendar_code: str, event: BroadcastEventInput
) -> BroadcastEvent:
    """Add a broadcast event; it reaches every subscription with one of its tags (untagged: everyone)."""
    calendar = get_calendar(session=session, account_code=account_code, code=calendar_code)
    event_key = (event.event_key or "").strip() or str(uuid.uuid4())
    row = _new_event(calendar=calendar, event=event, event_key=event_key)
    taken = select(BroadcastEvent.id).where(
        BroadcastEvent.calendar_id == calendar.id, BroadcastEvent.event_key == event_key
    )
    if session.scalar(taken) is not None:
        raise Conflict(
            "The calendar {calendar!r} already has (or had) an event {key!r}; choose another key.",
            calendar=calendar_code,
            key=event_key,
        )
    session.add(row)
    bump_feed_version(session=session, calendar_id=calendar.id)
    session.flush()
    _announce(session, calendar, event_key)
    return row


def preview_broadcast_event(
    *, session: Session, account_code: str, calendar_code: str, event: BroadcastEventInput
) -> dict[str, Any]:
    """The columns the event would be stored with (tags included), without storing it; Invalid as when adding."""
    calendar = get_calendar(session=session, account_code=account_code, code=calendar_code)
    values = event_values(event, default_duration_minutes=calendar.default_duration_minutes)
    return {**values, "tags": resolve_tags(calendar=calendar, names=event.tags)}


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
            "The calendar {calendar!r} has no event {event!r}; "
            "`calcast event list {account} {calendar}` shows the keys.",
            calendar=calendar_code,
            event=event_key,
            account=account_code,
        )
    return row


def _apply_details(*, calendar: Calendar, row: BroadcastEvent, event: BroadcastEventInput) -> bool:
    """Give the row the event's details and tags (a visible change bumps SEQUENCE); True when anything changed."""
    values = event_values(event, default_duration_minutes=calendar.default_duration_minutes)
    tags = resolve_tags(calendar=calendar, names=event.tags)
    changed = apply_changes(row, values)
    if [tag.id for tag in row.tags] != [tag.id for tag in tags]:
        row.tags = tags
        changed = True
    return changed


def update_broadcast_event(
    *, session: Session, account_code: str, calendar_code: str, event_key: str, event: BroadcastEventInput
) -> BroadcastEvent:
    """Replace a broadcast event's details and tags; a visible change bumps its SEQUENCE, a repeat changes nothing."""
    row = get_broadcast_event(
        session=session, account_code=account_code, calendar_code=calendar_code, event_key=event_key
    )
    calendar = get_calendar_by_id(session=session, calendar_id=row.calendar_id)
    changed = _apply_details(calendar=calendar, row=row, event=event)
    if changed:
        bump_feed_version(session=session, calendar_id=calendar.id)
    session.flush()
    if changed:
        _announce(session, calendar, event_key)
    return row


def _key_used_message(calendar_code: str, key: str, import_source: str | None) -> str:
    origin = f"imported from {import_source}" if import_source else "added one by one (calcast event add or the API)"
    return (
        f"The calendar {calendar_code!r} already has (or had) an event {key!r} {origin}; "
        "give this event another key, or delete the other one."
    )


# Keys per IN (…) query: well below the parameter limits of SQLite and PostgreSQL.
KEYS_PER_QUERY = 500


def _events_by_key(*, session: Session, calendar_id: str, keys: Sequence[str]) -> dict[str, BroadcastEvent]:
    """The calendar's events with these keys, deleted ones too, with their tags."""
    found: dict[str, BroadcastEvent] = {}
    unique = sorted(set(keys))
    for start in range(0, len(unique), KEYS_PER_QUERY):
        query = (
            select(BroadcastEvent)
            .where(
                BroadcastEvent.calendar_id == calendar_id,
                BroadcastEvent.event_key.in_(unique[start : start + KEYS_PER_QUERY]),
            )
            .options(selectinload(BroadcastEvent.tags))
        )
        found.update((row.event_key, row) for row in session.scalars(query))
    return found


def keys_used_elsewhere(
    *, session: Session, account_code: str, calendar_code: str, keys: Sequence[str], import_source: str
) -> dict[str, str]:
    """The keys an import may not take, each with why: the calendar has (or had) an event of another source, or one
    added one by one, under that key."""
    calendar = get_calendar(session=session, account_code=account_code, code=calendar_code)
    return {
        key: _key_used_message(calendar_code, key, row.import_source)
        for key, row in _events_by_key(session=session, calendar_id=calendar.id, keys=keys).items()
        if row.import_source != import_source
    }


def import_broadcast_events(
    *,
    session: Session,
    account_code: str,
    calendar_code: str,
    events: Sequence[BroadcastEventInput],
    import_source: str,
    progress: Callable[[int], None] | None = None,
) -> list[str]:
    """Add or update the events of an import by key; for each, "added", "changed" or "unchanged".

    The rules of `add` and `update` (SEQUENCE bumped only by a visible change), with one feed version bump for the
    lot. An event the same source listed before and was removed comes back under its key with a higher SEQUENCE;
    a key used by another source, or by an event added one by one, is a Conflict (`keys_used_elsewhere` finds
    them first).
    """
    calendar = get_calendar(session=session, account_code=account_code, code=calendar_code)
    keys = [(event.event_key or "").strip() for event in events]
    if not all(keys):
        raise invalid("key", "An imported event needs a key (the UID of an iCalendar event).")
    rows = _events_by_key(session=session, calendar_id=calendar.id, keys=keys)
    outcomes: list[str] = []
    for key, event in zip(keys, events, strict=True):
        row = rows.get(key)
        if row is None:
            rows[key] = row = _new_event(calendar=calendar, event=event, event_key=key, import_source=import_source)
            session.add(row)
            outcomes.append("added")
        elif row.import_source != import_source:
            raise Conflict(_key_used_message(calendar_code, key, row.import_source))
        elif row.deleted_at is not None:
            sequence = row.sequence
            row.deleted_at = None
            _apply_details(calendar=calendar, row=row, event=event)
            # Clients were told it was gone: only a higher SEQUENCE makes them take it back.
            row.sequence = sequence + 1
            outcomes.append("added")
        else:
            outcomes.append("changed" if _apply_details(calendar=calendar, row=row, event=event) else "unchanged")
        if progress is not None:
            progress(1)
    touched = [key for key, outcome in zip(keys, outcomes, strict=True) if outcome != "unchanged"]
    if touched:
        bump_feed_version(session=session, calendar_id=calendar.id)
    session.flush()
    if touched:  # one announcement for the lot: its consumers (push sync) bring whole calendars up to date
        _announce(session, calendar, touched[0])
    return outcomes


def remove_imported_events(
    *,
    session: Session,
    account_code: str,
    calendar_code: str,
    import_source: str,
    keep: Collection[str],
    ended_after: datetime,
) -> list[BroadcastEvent]:
    """Remove from every feed the source's events that it no longer lists (`keep`), except those that ended before
    `ended_after` (in no feed any more); the removed ones, by start time."""
    calendar = get_calendar(session=session, account_code=account_code, code=calendar_code)
    query = (
        select(BroadcastEvent)
        .where(
            BroadcastEvent.calendar_id == calendar.id,
            BroadcastEvent.import_source == import_source,
            BroadcastEvent.deleted_at.is_(None),
            BroadcastEvent.end_at > ended_after,
        )
        .order_by(BroadcastEvent.start_at, BroadcastEvent.event_key)
    )
    removed = [row for row in session.scalars(query) if row.event_key not in keep]
    now = utcnow()
    for row in removed:
        row.deleted_at = now
    if removed:
        bump_feed_version(session=session, calendar_id=calendar.id)
    session.flush()
    if removed:
        _announce(session, calendar, removed[0].event_key)
    return removed


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


def find_broadcast_events(
    *,
    session: Session,
    account_code: str,
    calendar_code: str,
    past: bool = False,
    search: str = "",
    now: datetime | None = None,
    limit: int = 200,
) -> list[BroadcastEvent]:
    """Upcoming (not yet ended; soonest first) or past (latest first) events, whose title contains `search`."""
    calendar = get_calendar(session=session, account_code=account_code, code=calendar_code)
    moment = now or utcnow()
    query = (
        select(BroadcastEvent)
        .where(BroadcastEvent.calendar_id == calendar.id, BroadcastEvent.deleted_at.is_(None))
        .options(selectinload(BroadcastEvent.tags))
        .limit(limit)
    )
    if past:
        query = query.where(BroadcastEvent.end_at < moment).order_by(BroadcastEvent.start_at.desc())
    else:
        query = query.where(BroadcastEvent.end_at >= moment).order_by(BroadcastEvent.start_at)
    words = search.strip()
    if words:
        # A plain substring, case-insensitive on both backends; LIKE's wildcards in the search are taken literally.
        escaped = words.lower().replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
        query = query.where(func.lower(BroadcastEvent.title).like(f"%{escaped}%", escape="\\"))
    return list(session.scalars(query))


def get_broadcast_event_by_id(
    *, session: Session, account_code: str, calendar_code: str, event_id: str
) -> BroadcastEvent:
    """The calendar's (not deleted) broadcast event with this id, or NotFound."""
    calendar = get_calendar(session=session, account_code=account_code, code=calendar_code)
    row = session.scalar(
        select(BroadcastEvent)
        .where(
            BroadcastEvent.id == event_id,
            BroadcastEvent.calendar_id == calendar.id,
            BroadcastEvent.deleted_at.is_(None),
        )
        .options(selectinload(BroadcastEvent.tags))
    )
    if row is None:
        raise NotFound("The calendar {calendar!r} has no such event; it may have been deleted.", calendar=calendar_code)
    return row


def count_broadcast_events(*, session: Session, calendar_id: str) -> int:
    query = select(func.count()).where(BroadcastEvent.calendar_id == calendar_id, BroadcastEvent.deleted_at.is_(None))
    return int(session.scalar(query) or 0)


def upcoming_start(days: int, hour: int, tz: str) -> str:
    """A wall-clock time `days` from today at `hour` in zone `tz`, as naive ISO text (for demo data)."""
    local_today = datetime.now(UTC).astimezone(timezones.zone(tz)).date()
    day = local_today + timedelta(days=days)
    return f"{day.isoformat()}T{hour:02d}:00:00"


# A calendar's source URL: polled at most every 15 minutes, so that a brand's server is not hammered.
MIN_SOURCE_INTERVAL_MINUTES = 15
DEFAULT_SOURCE_INTERVAL_MINUTES = 60
# The import source of the events a calendar's source URL brings (whatever the URL is now): a new URL replaces
# the old one's events at its first successful poll. No file name (which has no slash) or URL (which has "://")
# an import names can be this.
SOURCE_URL_SYNC = "calendar/source-url"


def fetchable_url(text: str) -> str:
    """The URL to fetch a source from: webcal:// (how calendar links are often given) is https://."""
    cleaned = text.strip()
    if cleaned.lower().startswith("webcal://"):
        return "https://" + cleaned[len("webcal://") :]
    return cleaned


def set_source(
    *,
    session: Session,
    account_code: str,
    code: str,
    url: str,
    interval_minutes: int | None = None,
    tag: str | None = None,
    allow_private: bool = False,
) -> CalendarSource:
    """Give the calendar a source URL the worker polls (https, public address); its first poll is due now."""
    calendar = get_calendar(session=session, account_code=account_code, code=code)
    checked = outbound.check_destination(
        fetchable_url(url), allow_private=allow_private, what="source URL", field="source_url"
    )
    if len(checked) > 2048:
        raise invalid("source_url", "The source URL is at most 2048 characters long; shorten it.")
    source = session.get(CalendarSource, calendar.id)
    if interval_minutes is not None:
        minutes = interval_minutes
    else:
        minutes = source.interval_minutes if source else DEFAULT_SOURCE_INTERVAL_MINUTES
    if minutes < MIN_SOURCE_INTERVAL_MINUTES:
        raise invalid(
            "source_interval",
            "A source URL is polled at most every {least} minutes; give an interval of {least} or more, not {given}.",
            least=MIN_SOURCE_INTERVAL_MINUTES,
            given=minutes,
        )
    tag_name = resolve_tags(calendar=calendar, names=[tag])[0].name if tag else None
    if source is None:
        source = CalendarSource(calendar_id=calendar.id, url=checked, interval_minutes=minutes)
        session.add(source)
    if source.url != checked:
        source.etag = source.last_modified = None
    source.url = checked
    source.interval_minutes = minutes
    if tag is not None:
        source.tag_name = tag_name
    source.next_sync_at = utcnow()
    session.flush()
    return source


def remove_source(*, session: Session, account_code: str, code: str) -> None:
    """Stop polling the calendar's source URL; the events it brought stay until deleted."""
    calendar = get_calendar(session=session, account_code=account_code, code=code)
    source = session.get(CalendarSource, calendar.id)
    if source is not None:
        session.delete(source)
        session.flush()


def get_source(*, session: Session, calendar_id: str) -> CalendarSource | None:
    """The calendar's source URL and the state of its polls, or None."""
    return session.get(CalendarSource, calendar_id)
