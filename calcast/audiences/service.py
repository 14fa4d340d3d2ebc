"""Single targeted event: store an uploaded CSV, match one of its columns to subscriptions, send one event.

The send takes the personal-event API's path (`events.service.push_event`), one chunk of matched subscriptions
per transaction, so feeds, webhooks and Braze see exactly what an API call would have made them see. The
outbox worker does it (`handler.AudienceSender`), and the progress is stored with each chunk.
"""

from __future__ import annotations

import codecs
import csv
import gzip
import io
import zlib
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import dataclass
from typing import IO, Any

from pydantic import ValidationError
from sqlalchemy import delete, insert, select
from sqlalchemy.orm import Session

from calcast.audiences.models import Audience, AudienceMember, AudienceStatus
from calcast.calendars.event_input import event_values
from calcast.core.db import utcnow
from calcast.core.errors import Conflict, Invalid, NotFound, invalid, validation_problems
from calcast.events import service as events
from calcast.events.schemas import EventIn
from calcast.outbox import service as outbox
from calcast.subscriptions.models import Subscription

KIND = "audience.send"
CHUNK = 1000  # identifiers per matching query, and subscriptions per send transaction
PREVIEW_ROWS = 4
EXAMPLES = 5
MAX_FILE_BYTES = 64 * 1024 * 1024  # the CSV as text, after any gzip: a gzip bomb stops here
READ_SIZE = 64 * 1024
ID_KINDS = ("subscription_id", "external_id", "email")
REPORT_KEYS = ("matched", "unknown", "inactive", "duplicates")
DELIMITERS = ",;\t|"


# ---------------------------------------------------------------------------------------------- upload


def _decoded_bytes(stream: IO[bytes]) -> Iterator[bytes]:
    """The upload's bytes, un-gzipped when it is a .gz file, in blocks; Invalid past MAX_FILE_BYTES."""
    head = stream.read(2)
    source: IO[bytes] | gzip.GzipFile = stream
    if head == b"\x1f\x8b":
        stream.seek(0)
        source = gzip.GzipFile(fileobj=stream, mode="rb")
        head = b""
    total = 0
    try:
        block = head + source.read(READ_SIZE)
        while block:
            total += len(block)
            if total > MAX_FILE_BYTES:
                raise invalid(
                    "file", "The file is larger than {most} MB; split it in two.", most=MAX_FILE_BYTES // 2**20
                )
            yield block
            block = source.read(READ_SIZE)
    except (OSError, EOFError, zlib.error):
        raise invalid("file", "The file looks gzip-compressed but cannot be unpacked; upload the CSV itself.") from None


def _preview(text: str, complete: bool) -> tuple[str, list[list[str]]]:
    """The delimiter and the first rows of the file's beginning (a last, cut-off line is left out)."""
    if not complete and "\n" in text:
        text = text[: text.rindex("\n") + 1]
    try:
        delimiter = csv.Sniffer().sniff(text[:8192], delimiters=DELIMITERS).delimiter
    except csv.Error:
        delimiter = ","
    rows = []
    for cells in csv.reader(io.StringIO(text), delimiter=delimiter):
        if any(cell.strip() for cell in cells):
            rows.append([cell.strip()[:200] for cell in cells[:50]])
        if len(rows) == PREVIEW_ROWS:
            break
    return delimiter, rows


def store_upload(
    *, session: Session, account_id: str, created_by: str | None, file_name: str, stream: IO[bytes]
) -> Audience:
    """Keep an uploaded CSV (plain or .gz, UTF-8) compressed in the database, with a preview of its first rows."""
    decoder = codecs.getincrementaldecoder("utf-8-sig")("strict")
    compressor = zlib.compressobj(6, zlib.DEFLATED, 31)  # wbits 31: a gzip stream
    stored = io.BytesIO()
    beginning = ""
    size = 0
    try:
        for block in _decoded_bytes(stream):
            size += len(block)
            text = decoder.decode(block)
            if "\x00" in text:
                raise invalid("file", "The file is not a CSV text file; upload a .csv file (or a .csv.gz).")
            if len(beginning) < READ_SIZE:
                beginning += text
            stored.write(compressor.compress(block))
        beginning += decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        raise invalid("file", "The file is not UTF-8 text; save it as “CSV UTF-8” and upload it again.") from None
    stored.write(compressor.flush())
    delimiter, preview = _preview(beginning, complete=len(beginning) < READ_SIZE)
    if not preview:
        raise invalid("file", "The file is empty; upload a CSV with one identifier per row.")
    audience = Audience(
        account_id=account_id,
        created_by=created_by,
        file_name=(file_name or "audience.csv")[:255],
        upload=stored.getvalue(),
        upload_bytes=size,
        delimiter=delimiter,
        preview=preview,
        status=AudienceStatus.UPLOADED,
        examples={},
    )
    session.add(audience)
    session.flush()
    return audience


def get_audience(*, session: Session, account_id: str, audience_id: str) -> Audience:
    """The account's audience with this id, or NotFound (another account's is not found either)."""
    audience = session.scalar(select(Audience).where(Audience.id == audience_id, Audience.account_id == account_id))
    if audience is None:
        raise NotFound("There is no audience {id!r} in this account.", id=audience_id)
    return audience


def list_audiences(*, session: Session, account_id: str, limit: int = 50) -> list[Audience]:
    """The account's latest audiences, newest first."""
    query = select(Audience).where(Audience.account_id == account_id).order_by(Audience.created_at.desc()).limit(limit)
    return list(session.scalars(query))


# ---------------------------------------------------------------------------------------------- matching


def _cells(audience: Audience) -> Iterator[list[str]]:
    """The stored file's rows, read as a stream (never the whole text at once)."""
    if audience.upload is None:
        raise Conflict("The uploaded file is no longer stored; upload it again.")
    raw = gzip.GzipFile(fileobj=io.BytesIO(audience.upload), mode="rb")
    text = io.TextIOWrapper(raw, encoding="utf-8-sig", newline="")
    csv.field_size_limit(1024 * 1024)
    yield from csv.reader(text, delimiter=audience.delimiter)


def normalize(value: str, id_kind: str) -> str:
    """An identifier as stored: e-mail addresses and subscription ids (UUIDs) lower-cased, all trimmed."""
    cleaned = value.strip().strip("\ufeff")
    return cleaned.lower() if id_kind in ("email", "subscription_id") else cleaned


def _column(id_kind: str) -> Any:
    return {
        "subscription_id": Subscription.id,
        "external_id": Subscription.subscriber_id,
        "email": Subscription.email,
    }[id_kind]


def _resolve(
    session: Session, account_id: str, id_kind: str, identifiers: Sequence[str]
) -> dict[str, list[tuple[str, bool]]]:
    """identifier → [(subscription id, active)] for the account's subscriptions, oldest first (one query)."""
    column = _column(id_kind)
    query = (
        select(column, Subscription.id, Subscription.deactivated_at)
        .where(Subscription.account_id == account_id, column.in_(list(identifiers)))
        .order_by(Subscription.created_at, Subscription.id)
    )
    found: dict[str, list[tuple[str, bool]]] = {}
    for identifier, subscription_id, deactivated_at in session.connection().execute(query):
        found.setdefault(identifier, []).append((subscription_id, deactivated_at is None))
    return found


@dataclass
class _Report:
    rows: int = 0
    matched: int = 0
    unknown: int = 0
    inactive: int = 0
    duplicates: int = 0
    blank: int = 0
    subscriptions: int = 0

    def __post_init__(self) -> None:
        self.examples: dict[str, list[str]] = {key: [] for key in REPORT_KEYS}

    def example(self, key: str, value: str) -> None:
        if len(self.examples[key]) < EXAMPLES:
            self.examples[key].append(value[:320])


def _chunks_of(values: Iterable[str]) -> Iterator[list[str]]:
    chunk: list[str] = []
    for value in values:
        chunk.append(value)
        if len(chunk) == CHUNK:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def match(*, session: Session, audience: Audience, column_index: int, id_kind: str, has_header: bool) -> Audience:
    """Match one column of the file to the account's subscriptions and store the report and the matched ids.

    Each identifier counts once (a repeat is a duplicate); an identifier is matched when it reaches at least one
    active subscription, inactive when it reaches only ended ones, unknown otherwise. Runs again from scratch
    when the marketer picks another column.
    """
    if audience.status not in (AudienceStatus.UPLOADED, AudienceStatus.MATCHED, AudienceStatus.READY):
        raise Conflict("This audience was sent already; upload the file again for another event.")
    if id_kind not in ID_KINDS:
        raise invalid("id_kind", "Choose what the column holds: subscription ids, external ids or e-mail addresses.")
    width = max((len(row) for row in audience.preview), default=0)
    if not 0 <= column_index < width:
        raise invalid("column", "Choose one of the file's columns.")
    session.execute(delete(AudienceMember).where(AudienceMember.audience_id == audience.id))
    report = _Report()
    seen: set[str] = set()

    def identifiers() -> Iterator[str]:
        rows = _cells(audience)
        if has_header:
            next(rows, None)
        for cells in rows:
            if not any(cell.strip() for cell in cells):
                continue  # an empty line is no row
            report.rows += 1
            value = normalize(cells[column_index], id_kind) if column_index < len(cells) else ""
            if not value:
                report.blank += 1
            elif value in seen:
                report.duplicates += 1
                report.example("duplicates", value)
            else:
                seen.add(value)
                yield value

    position = 0
    for chunk in _chunks_of(identifiers()):
        found = _resolve(session, audience.account_id, id_kind, chunk)
        members = []
        for value in chunk:
            reached = found.get(value, [])
            active = [subscription_id for subscription_id, is_active in reached if is_active]
            key = "matched" if active else "inactive" if reached else "unknown"
            setattr(report, key, getattr(report, key) + 1)
            report.example(key, value)
            for subscription_id in active:
                members.append({"audience_id": audience.id, "position": position, "subscription_id": subscription_id})
                position += 1
        if members:
            session.connection().execute(insert(AudienceMember), members)
    for name in ("rows", "matched", "unknown", "inactive", "duplicates", "blank"):
        setattr(audience, name, getattr(report, name))
    audience.subscriptions = position
    audience.examples = report.examples
    audience.column_index = column_index
    audience.id_kind = id_kind
    audience.has_header = has_header
    audience.status = AudienceStatus.MATCHED if audience.event is None else AudienceStatus.READY
    session.flush()
    return audience


# ---------------------------------------------------------------------------------------------- the event


def read_event(fields: dict[str, Any]) -> EventIn:
    """The event as the personal-event API reads it (the same fields, lengths and types); Invalid with sentences."""
    try:
        return EventIn.model_validate(fields)
    except ValidationError as error:
        problems = validation_problems(error.errors())
        problem_fields = [field for problem in problems for field in problem.errors]
        raise Invalid("The event is not complete: {problems}.", problem_fields, problems=problems) from None


def define_event(*, session: Session, audience: Audience, event: EventIn) -> Audience:
    """Attach the event to the matched audience, checked by the same rules the personal-event API applies."""
    if audience.status not in (AudienceStatus.MATCHED, AudienceStatus.READY):
        raise Conflict("Define the event after the match report, and before the audience is sent.")
    if audience.subscriptions == 0:
        raise Conflict("No active subscription matched; there is nobody to send the event to.")
    event_values(event.to_input(), default_duration_minutes=60)  # Invalid with a sentence, as the API
    if events.event_exists(session=session, account_id=audience.account_id, event_id=event.event_id):
        raise invalid(
            "eventId",
            "The account has an event {id!r} already; choose another event id "
            "(sending would change that event for everybody who has it).",
            id=event.event_id,
        )
    audience.event = event.model_dump(mode="json", by_alias=True, exclude_none=True)
    audience.event_id = event.event_id
    audience.status = AudienceStatus.READY
    session.flush()
    return audience


def start_send(*, session: Session, audience: Audience, now: Any = None) -> Audience:
    """Confirm: the worker sends the event to the matched subscriptions, chunk by chunk."""
    if audience.status != AudienceStatus.READY or audience.event is None:
        raise Conflict("This audience is not ready to send: define the event first, or it is sent already.")
    audience.status = AudienceStatus.SENDING
    audience.send_started_at = now or utcnow()
    outbox.enqueue(
        session=session,
        messages=[
            outbox.NewMessage(
                account_id=audience.account_id,
                kind=KIND,
                topic="send",
                payload={"audienceId": audience.id},
                ordering_key=audience.id,
            )
        ],
    )
    session.flush()
    return audience


def send_chunk(*, session: Session, audience_id: str, feed_window_days: int | None, chunk: int = CHUNK) -> bool:
    """Send the event to the next chunk of members (the personal-event API's service); True once all are sent."""
    audience = session.scalar(select(Audience).where(Audience.id == audience_id).with_for_update())
    if audience is None or audience.status != AudienceStatus.SENDING or audience.event is None:
        return True  # deleted with its account, or finished by another worker
    query = (
        select(AudienceMember.subscription_id)
        .where(AudienceMember.audience_id == audience.id, AudienceMember.position >= audience.sent)
        .order_by(AudienceMember.position)
        .limit(chunk)
    )
    ids = list(session.scalars(query))
    if ids:
        change = events.push_event(
            session=session,
            account_id=audience.account_id,
            event=EventIn.model_validate(audience.event).to_input(),
            subscription_ids=ids,
            feed_window_days=feed_window_days,
        )
        audience.sent += len(ids)
        audience.attached += change.attached
        audience.ended_since += len(change.inactive_subscription_ids) + len(change.unknown_subscription_ids)
    if len(ids) < chunk:
        audience.status = AudienceStatus.SENT
        audience.sent_at = utcnow()
        audience.upload = None  # the matched ids stay; the file is not needed any more
    session.flush()
    return audience.status == AudienceStatus.SENT


def fail_send(*, session: Session, audience_id: str, reason: str) -> None:
    """Stop a send that cannot go on (the event no longer passes the API's checks), saying why."""
    audience = session.get(Audience, audience_id)
    if audience is not None and audience.status == AudienceStatus.SENDING:
        audience.status = AudienceStatus.FAILED
        audience.error = reason
