"""Importing events into a calendar from a file or URL, and keeping a calendar in step with its source URL.

An import upserts the source's events by key through the calendars' own event functions (the rules of
`calcast event add/update/delete`), then removes the events that the same source brought before and no longer
lists. It is all or nothing: a bad row stops it before anything is written, with the row's line in the message.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.calendars.event_input import event_values
from calcast.calendars.models import CalendarSource
from calcast.core import outbound
from calcast.core.config import Settings
from calcast.core.db import Transaction, rowcount, utcnow
from calcast.core.errors import DomainError, Invalid
from calcast.imports.reading import RowProblem, SourceContent, SourceEvent, detect_format, read_source

log = logging.getLogger(__name__)

# Problems listed in one message; the rest are counted.
MAX_LISTED_PROBLEMS = 20
# A run of the source job starts no new poll after this many seconds; the sources still due wait a minute.
RUN_SECONDS = 20.0
# Claims lost to other workers before a run gives up until its next turn.
CLAIM_ATTEMPTS = 10
# The longest import source name an event stores (BroadcastEvent.import_source).
MAX_SOURCE_NAME = 2048
ACCEPT = "text/calendar, text/csv;q=0.9, application/x-ndjson;q=0.9, */*;q=0.5"


class ImportRejected(Invalid):
    """The source cannot be imported as it is; the message lists the rows and what is wrong with each."""


class SourceUnavailable(Invalid):
    """The source could not be fetched (refused address, network, status, size); the message says why."""


def rejected(problems: Sequence[RowProblem]) -> ImportRejected:
    """The rows' problems as one message, in the order of the source."""
    ordered = sorted(problems, key=lambda problem: problem.position)
    listed = [str(problem) for problem in ordered[:MAX_LISTED_PROBLEMS]]
    more = len(problems) - len(listed)
    if more:
        listed.append(f"… and {more} more.")
    count = f"{len(problems)} row{'' if len(problems) == 1 else 's'}"
    return ImportRejected(f"Nothing was imported: {count} cannot be read.\n" + "\n".join(listed))


@dataclass
class ImportReport:
    """What an import did (or, in a dry run, would do): event keys and titles, by outcome."""

    added: list[tuple[str, str]] = field(default_factory=list)
    changed: list[tuple[str, str]] = field(default_factory=list)
    removed: list[tuple[str, str]] = field(default_factory=list)
    unchanged: int = 0

    @property
    def touched(self) -> int:
        return len(self.added) + len(self.changed) + len(self.removed)


def expansion_window(settings: Settings, now: datetime) -> tuple[datetime, datetime]:
    """From the feed window's start to import_horizon_days ahead: where recurring events become single events."""
    return now - timedelta(days=settings.feed_window_days), now + timedelta(days=settings.import_horizon_days)


def read(body: bytes, *, name: str, settings: Settings, now: datetime | None = None) -> SourceContent:
    """The events of a source's bytes, in the format its content (or name) shows."""
    start, end = expansion_window(settings, now or utcnow())
    return read_source(body, source_format=detect_format(body, name), expand_from=start, expand_until=end)


def import_source_of(source: str) -> str:
    """The stable name an import source's events carry: a URL as given, a file by its name."""
    name = source.strip() if "://" in source else Path(source).name
    if len(name) > MAX_SOURCE_NAME:
        raise Invalid(f"The source's address is longer than {MAX_SOURCE_NAME} characters; give a shorter one.")
    return name


def _with_tag(event: calendars.BroadcastEventInput, tag: str | None) -> calendars.BroadcastEventInput:
    return event if event.tags or not tag else replace(event, tags=(tag,))


def _key(item: SourceEvent) -> str:
    return (item.event.event_key or "").strip()


def _check(
    *,
    session: Session,
    account_code: str,
    calendar_code: str,
    import_source: str,
    events: Sequence[SourceEvent],
    settings: Settings,
) -> list[RowProblem]:
    """Every row's problems, found before anything is written (the rules `add` and `update` apply)."""
    calendar = calendars.get_calendar(session=session, account_code=account_code, code=calendar_code)
    problems: list[RowProblem] = []
    if len(events) > settings.import_max_events:
        problems.append(
            RowProblem(
                "the source",
                f"it holds {len(events)} events, more than the {settings.import_max_events} one import may "
                "(CALCAST_IMPORT_MAX_EVENTS).",
            )
        )
    first_seen: dict[str, str] = {}
    for item in events:
        key = _key(item)
        if key in first_seen:
            message = f"the key {key!r} was already used by {first_seen[key]}."
            problems.append(RowProblem(item.where, message, item.position))
            continue
        first_seen[key] = item.where
        try:
            event_values(item.event, default_duration_minutes=calendar.default_duration_minutes)
            calendars.resolve_tags(calendar=calendar, names=item.event.tags)
        except Invalid as error:
            problems.append(RowProblem(item.where, error.message, item.position))
    used = calendars.keys_used_elsewhere(
        session=session,
        account_code=account_code,
        calendar_code=calendar_code,
        keys=list(first_seen),
        import_source=import_source,
    )
    problems += [RowProblem(item.where, used[key], item.position) for item in events if (key := _key(item)) in used]
    return problems


def apply_import(
    *,
    session: Session,
    settings: Settings,
    account_code: str,
    calendar_code: str,
    import_source: str,
    content: SourceContent,
    tag: str | None = None,
    now: datetime | None = None,
    progress: Callable[[int], None] | None = None,
) -> ImportReport:
    """Make the calendar's events of `import_source` match the content; ImportRejected (nothing written) when a
    row is bad. Events that `tag` names no tags of their own get it. The caller commits, or rolls back a dry run.
    """
    now = now or utcnow()
    if tag:
        calendar = calendars.get_calendar(session=session, account_code=account_code, code=calendar_code)
        calendars.resolve_tags(calendar=calendar, names=[tag])
    events = [replace(item, event=_with_tag(item.event, tag)) for item in content.events]
    problems = [
        *content.problems,
        *_check(
            session=session,
            account_code=account_code,
            calendar_code=calendar_code,
            import_source=import_source,
            events=events,
            settings=settings,
        ),
    ]
    if problems:
        raise rejected(problems)
    outcomes = calendars.import_broadcast_events(
        session=session,
        account_code=account_code,
        calendar_code=calendar_code,
        events=[item.event for item in events],
        import_source=import_source,
        progress=progress,
    )
    report = ImportReport()
    for item, outcome in zip(events, outcomes, strict=True):
        entry = (item.event.event_key or "", item.event.title.strip())
        if outcome == "added":
            report.added.append(entry)
        elif outcome == "changed":
            report.changed.append(entry)
        else:
            report.unchanged += 1
    # Events that ended before the feed window are in no feed any more: leave them be rather than report them.
    window_start, _ = expansion_window(settings, now)
    removed = calendars.remove_imported_events(
        session=session,
        account_code=account_code,
        calendar_code=calendar_code,
        import_source=import_source,
        keep={item.event.event_key or "" for item in events},
        ended_after=window_start,
    )
    report.removed = [(row.event_key, row.title) for row in removed]
    return report


# --- fetching ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Fetched:
    """A source's answer: its bytes and validators, or `modified=False` when the validators still hold (304)."""

    modified: bool
    body: bytes = b""
    etag: str | None = None
    last_modified: str | None = None


def fetch(url: str, *, settings: Settings, etag: str | None = None, last_modified: str | None = None) -> Fetched:
    """GET a source under the outbound policy (https, public addresses) and its size limit; conditional when
    validators are given. SourceUnavailable with a sentence when there is no usable answer."""
    headers = {"Accept": ACCEPT}
    if etag:
        headers["If-None-Match"] = etag
    if last_modified:
        headers["If-Modified-Since"] = last_modified
    client = outbound.OutboundClient(
        allow_private=settings.allow_private_destinations,
        timeout=settings.source_timeout_seconds,
        user_agent="calcast (event source)",
        max_answer_bytes=settings.source_max_bytes,
    )
    try:
        answer = client.get(url, headers=headers)
    except outbound.OutboundError as error:
        raise SourceUnavailable(f"The source {url} could not be fetched: {error}.") from None
    finally:
        client.close()
    if answer.status_code == 304 and (etag or last_modified):
        return Fetched(modified=False, etag=etag, last_modified=last_modified)
    if answer.status_code != 200:
        raise SourceUnavailable(
            f"The source {url} answered HTTP {answer.status_code}, not 200 with events; check the URL."
        )
    if answer.truncated:
        raise SourceUnavailable(
            f"The source {url} is larger than {settings.source_max_bytes} bytes (CALCAST_SOURCE_MAX_BYTES); "
            "split it or raise the limit."
        )
    return Fetched(
        modified=True,
        body=answer.content,
        etag=answer.headers.get("ETag"),
        last_modified=answer.headers.get("Last-Modified"),
    )


def read_file(path: str) -> bytes:
    """A source file's bytes; Invalid with a sentence when it cannot be read."""
    try:
        return Path(path).read_bytes()
    except OSError as error:
        raise Invalid(f"The file {path} cannot be read ({error.strerror or error}); check the path.") from None


# --- the source URL job ------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _DueSource:
    calendar_id: str
    account_code: str
    calendar_code: str
    url: str
    tag_name: str | None
    etag: str | None
    last_modified: str | None


def _claim(session: Session, source: CalendarSource, now: datetime) -> bool:
    """Take the poll: move its due time on by one interval, unless another worker did so first."""
    result = session.execute(
        update(CalendarSource)
        .where(CalendarSource.calendar_id == source.calendar_id, CalendarSource.next_sync_at == source.next_sync_at)
        .values(next_sync_at=now + timedelta(minutes=source.interval_minutes))
        .execution_options(synchronize_session=False)
    )
    return rowcount(result) == 1


def _claim_next(transaction: Transaction, now: datetime) -> _DueSource | None:
    """The next due source, claimed for this worker; None when none is due."""
    for _ in range(CLAIM_ATTEMPTS):
        with transaction() as session:
            query = (
                select(CalendarSource)
                .where(CalendarSource.next_sync_at <= now)
                .order_by(CalendarSource.next_sync_at)
                .limit(1)
            )
            source = session.scalar(query)
            if source is None:
                return None
            if not _claim(session, source, now):
                continue  # another worker took it: look again
            calendar = calendars.get_calendar_by_id(session=session, calendar_id=source.calendar_id)
            return _DueSource(
                calendar_id=source.calendar_id,
                account_code=accounts.get_account_by_id(session=session, account_id=calendar.account_id).code,
                calendar_code=calendar.code,
                url=source.url,
                tag_name=source.tag_name,
                etag=source.etag,
                last_modified=source.last_modified,
            )
    return None


def _record(
    transaction: Transaction,
    due: _DueSource,
    *,
    now: datetime,
    error: str | None,
    validators: Fetched | None = None,
) -> None:
    with transaction() as session:
        source = session.get(CalendarSource, due.calendar_id)
        if source is None or source.url != due.url:
            return  # removed or changed while it was fetched: the new settings' own poll is due
        source.last_error = error
        if error is None:
            source.synced_at = now
        if validators is not None:
            source.etag, source.last_modified = validators.etag, validators.last_modified


def sync_source(*, transaction: Transaction, settings: Settings, due: _DueSource, now: datetime) -> ImportReport | None:
    """Poll one source and make its calendar match; None when the poll failed (logged, kept for next time)."""
    try:
        fetched = fetch(due.url, settings=settings, etag=due.etag, last_modified=due.last_modified)
        if not fetched.modified:
            _record(transaction, due, now=now, error=None)
            return ImportReport()
        content = read(fetched.body, name=due.url, settings=settings, now=now)
        with transaction() as session:
            report = apply_import(
                session=session,
                settings=settings,
                account_code=due.account_code,
                calendar_code=due.calendar_code,
                import_source=calendars.SOURCE_URL_SYNC,
                content=content,
                tag=due.tag_name,
                now=now,
            )
    except DomainError as error:
        log.warning(
            "The source URL of calendar %s/%s was not synced; the next poll tries again: %s",
            due.account_code,
            due.calendar_code,
            error.message,
        )
        _record(transaction, due, now=now, error=error.message)
        return None
    except Exception:
        # A bug or a database hiccup must not stop the other sources; this one is polled again next interval.
        log.exception("The source URL of calendar %s/%s could not be synced.", due.account_code, due.calendar_code)
        _record(transaction, due, now=now, error="An unexpected error stopped this poll; the log has the details.")
        return None
    _record(transaction, due, now=now, error=None, validators=fetched)
    return report


def sync_sources(*, transaction: Transaction, settings: Settings, now: datetime) -> int:
    """The periodic job: poll the source URLs that are due; returns how many events were added, changed or removed.

    One source at a time, for at most RUN_SECONDS (and the answer in flight): the worker delivers the outbox between
    runs, and sources still due wait for the next run. A failed fetch or a bad source changes no event: the error is
    logged and kept on the source, and the next interval tries again.
    """
    started = time.monotonic()
    touched = 0
    while time.monotonic() - started < RUN_SECONDS:
        due = _claim_next(transaction, now)
        if due is None:
            break
        report = sync_source(transaction=transaction, settings=settings, due=due, now=now)
        touched += report.touched if report is not None else 0
    return touched
