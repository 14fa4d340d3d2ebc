"""The console's subscriber list: search, filters and keyset pages over 100,000s of subscriptions; one's record.

Pages are keyset pages (newest first, by created_at then id): page 1,000 costs what page 1 costs.
"""

from __future__ import annotations

import base64
import binascii
import csv
import io
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Select, and_, exists, func, or_, select
from sqlalchemy.orm import Session, selectinload

from calcast.calendars.models import Calendar, Tag
from calcast.core.clients import FAMILIES
from calcast.core.errors import NotFound
from calcast.events import service as events
from calcast.outbox.models import OutboxMessage
from calcast.subscribers.privacy import EXPORT_COLUMNS, WEBHOOK_SUBSCRIPTION_PATH, export_row
from calcast.subscriptions.models import Subscription, subscription_tags
from calcast.webhooks.models import KIND as WEBHOOK_KIND
from calcast.webhooks.models import WebhookDelivery

PAGE_SIZE = 50
STATUSES = ("active", "ended", "lapsed")
# Sorts after every character a stored value holds: the values that begin with a term lie in [term, term + LAST).
LAST_CHARACTER = "\U0010ffff"
# A cell starting with one of these is run as a formula by Excel, LibreOffice and Google Sheets; subscribers
# type some of them (utm_*, tags, e-mail) into anonymous forms. OWASP's "CSV injection" advice: prefix a '.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


@dataclass(frozen=True)
class SubscriberFilter:
    """What the list shows: a search (the start of an e-mail address or external id, or a subscription id) and
    filters, all optional."""

    search: str = ""
    calendar: str = ""  # calendar code
    tag: str = ""  # tag name, in any calendar
    status: str = ""  # active, ended or lapsed
    method: str = ""  # WebCal, Google, Microsoft
    app: str = ""  # the polling client's family (google, apple, outlook, …)

    def cleaned(self) -> SubscriberFilter:
        values = {name: str(getattr(self, name) or "").strip()[:320] for name in self.__dataclass_fields__}
        return replace(self, **values)


@dataclass(frozen=True)
class Row:
    subscription: Subscription
    calendar_code: str


@dataclass
class Page:
    rows: list[Row]
    next_cursor: str | None
    calendars: list[str] = field(default_factory=list)


def _starts_with(column: Any, term: str) -> ColumnElement[bool]:
    """The values of an indexed column that begin with `term`, as a range of its index.

    Not LIKE: neither database reads an index for it under its default settings (SQLite's LIKE ignores case,
    PostgreSQL's needs the C collation or a pattern index), and `%` and `_` would need escaping. The range is
    exact where text sorts by code point (SQLite; PostgreSQL's C and C.UTF-8 collations); the substring check
    keeps it exact under a collation that sorts otherwise.
    """
    return and_(column >= term, column < term + LAST_CHARACTER, func.substr(column, 1, len(term)) == term)


def _conditions(session: Session, account_id: str, wanted: SubscriberFilter) -> list[ColumnElement[bool]]:
    conditions: list[ColumnElement[bool]] = [Subscription.account_id == account_id]
    if wanted.search:
        term = wanted.search
        # E-mail addresses are stored in lower case, so any case finds them; external ids as the brand wrote them.
        found = [_starts_with(Subscription.email, term.lower()), _starts_with(Subscription.subscriber_id, term)]
        if "@" not in term:
            found.append(Subscription.id == term.lower())
        conditions.append(or_(*found))
    if wanted.calendar:
        calendar_id = session.scalar(
            select(Calendar.id).where(Calendar.account_id == account_id, Calendar.code == wanted.calendar)
        )
        conditions.append(Subscription.calendar_id == (calendar_id or ""))
    if wanted.tag:
        conditions.append(
            exists()
            .where(subscription_tags.c.subscription_id == Subscription.id)
            .where(subscription_tags.c.tag_id == Tag.id, Tag.name == wanted.tag)
        )
    if wanted.status == "active":
        conditions.append(Subscription.deactivated_at.is_(None))
    elif wanted.status == "ended":
        conditions.append(Subscription.deactivated_at.is_not(None))
    elif wanted.status == "lapsed":
        conditions.append(and_(Subscription.deactivated_at.is_(None), Subscription.lapsed_at.is_not(None)))
    if wanted.method:
        conditions.append(Subscription.method == wanted.method)
    if wanted.app:
        conditions.append(Subscription.client_family == wanted.app)
    return conditions


def _query(session: Session, account_id: str, wanted: SubscriberFilter) -> Select[Subscription, str]:
    return (
        select(Subscription, Calendar.code)
        .join(Calendar, Calendar.id == Subscription.calendar_id)
        .where(*_conditions(session, account_id, wanted.cleaned()))
        .options(selectinload(Subscription.tags))
        .order_by(Subscription.created_at.desc(), Subscription.id.desc())
    )


def encode_cursor(created_at: datetime, subscription_id: str) -> str:
    return base64.urlsafe_b64encode(f"{created_at.isoformat()}|{subscription_id}".encode()).decode().rstrip("=")


def decode_cursor(cursor: str) -> tuple[datetime, str] | None:
    """The position a cursor names; None for a cursor that is not one of ours (the first page is shown)."""
    try:
        text = base64.urlsafe_b64decode(cursor + "=" * (-len(cursor) % 4)).decode()
        moment, subscription_id = text.split("|", 1)
        return datetime.fromisoformat(moment), subscription_id
    except (ValueError, binascii.Error, UnicodeDecodeError):
        return None


def subscriber_page(
    *, session: Session, account_id: str, wanted: SubscriberFilter, cursor: str | None = None, size: int = PAGE_SIZE
) -> Page:
    """One page of the account's subscriptions, newest first, after the cursor's position."""
    query = _query(session, account_id, wanted)
    position = decode_cursor(cursor) if cursor else None
    if position is not None:
        moment, subscription_id = position
        query = query.where(
            or_(
                Subscription.created_at < moment,
                and_(Subscription.created_at == moment, Subscription.id < subscription_id),
            )
        )
    found = [Row(subscription, str(code)) for subscription, code in session.execute(query.limit(size + 1))]
    next_cursor = None
    if len(found) > size:
        found = found[:size]
        last = found[-1].subscription
        next_cursor = encode_cursor(last.created_at, last.id)
    return Page(rows=found, next_cursor=next_cursor)


def filter_choices(*, session: Session, account_id: str) -> dict[str, list[str]]:
    """The values the filters offer: the account's calendars and tag names, methods, and the calendar apps calcast
    tells apart (every family, rather than those seen: finding those reads every subscription of the account)."""
    calendars = session.scalars(select(Calendar.code).where(Calendar.account_id == account_id).order_by(Calendar.code))
    tags = session.scalars(
        select(Tag.name).join(Calendar, Calendar.id == Tag.calendar_id).where(Calendar.account_id == account_id)
        .distinct().order_by(Tag.name)
    )  # fmt: skip
    return {
        "calendar": list(calendars),
        "tag": list(tags),
        "status": list(STATUSES),
        "method": ["WebCal", "Google", "Microsoft"],
        "app": sorted(FAMILIES),
    }


# ---------------------------------------------------------------------------------------------- CSV


def plain_text(value: Any) -> str:
    """A stored value as text: lists joined by |, None empty, times in ISO 8601."""
    if isinstance(value, list):
        return "|".join(str(item) for item in value)
    if value is None:
        return ""
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def spreadsheet_cell(value: Any) -> str:
    """The value as CSV text a spreadsheet shows as text, never runs as a formula."""
    text = plain_text(value)
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_lines(rows: Iterable[dict[str, Any]]) -> Iterator[str]:
    """The header and one line per row, each written as soon as it is read (a streaming body)."""
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS)
    writer.writeheader()
    yield buffer.getvalue()
    for row in rows:
        buffer.seek(0)
        buffer.truncate()
        writer.writerow({name: spreadsheet_cell(value) for name, value in row.items()})
        yield buffer.getvalue()


def filtered_rows(*, session: Session, account_id: str, wanted: SubscriberFilter) -> Iterator[dict[str, Any]]:
    """Every subscription the filter shows, newest first, as export rows (read 1,000 at a time)."""
    query = _query(session, account_id, wanted).execution_options(yield_per=1000)
    for subscription, code in session.execute(query):
        yield export_row(subscription, str(code))


# ---------------------------------------------------------------------------------------------- one subscriber


@dataclass(frozen=True)
class Delivery:
    kind: str
    topic: str
    status: str
    attempts: int
    created_at: datetime
    delivered_at: datetime | None
    last_status_code: int | None
    last_error: str | None


@dataclass(frozen=True)
class SubscriberRecord:
    subscription: Subscription
    calendar_code: str
    calendar_title: str
    events: list[events.AttachedEvent]
    sync: list[Delivery]  # the subscription's own outbox rows (Braze's), newest first
    webhooks: list[Delivery]  # webhook rows about it, newest first
    webhook_attempts: list[WebhookDelivery]


def _delivery(message: OutboxMessage) -> Delivery:
    return Delivery(
        kind=message.kind,
        topic=message.topic,
        status=str(message.status.value),
        attempts=message.attempts,
        created_at=message.created_at,
        delivered_at=message.delivered_at,
        last_status_code=message.last_status_code,
        last_error=message.last_error,
    )


def subscriber_record(*, session: Session, account_id: str, subscription_id: str, limit: int = 20) -> SubscriberRecord:
    """One subscription of the account with its events, its sync state and its webhook deliveries; NotFound else."""
    found = session.execute(
        select(Subscription, Calendar)
        .join(Calendar, Calendar.id == Subscription.calendar_id)
        .where(Subscription.id == subscription_id, Subscription.account_id == account_id)
        .options(selectinload(Subscription.tags))
    ).first()
    if found is None:
        raise NotFound("There is no subscription {subscription_id!r} in this account.", subscription_id=subscription_id)
    subscription, calendar = found
    sync = session.scalars(
        select(OutboxMessage)
        .where(OutboxMessage.ordering_key == subscription.id, OutboxMessage.account_id == account_id)
        .order_by(OutboxMessage.id.desc())
        .limit(limit)
    )
    about = list(
        session.scalars(
            select(OutboxMessage)
            .where(
                OutboxMessage.account_id == account_id,
                OutboxMessage.kind == WEBHOOK_KIND,
                OutboxMessage.payload[WEBHOOK_SUBSCRIPTION_PATH].as_string() == subscription.id,
            )
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )
    attempts = (
        list(
            session.scalars(
                select(WebhookDelivery)
                .where(WebhookDelivery.outbox_id.in_([message.id for message in about]))
                .order_by(WebhookDelivery.id.desc())
                .limit(limit)
            )
        )
        if about
        else []
    )
    return SubscriberRecord(
        subscription=subscription,
        calendar_code=calendar.code,
        calendar_title=calendar.title,
        events=events.events_of_subscription(session=session, subscription_id=subscription.id),
        sync=[_delivery(message) for message in sync],
        webhooks=[_delivery(message) for message in about],
        webhook_attempts=attempts,
    )


def person_of(subscription: Subscription) -> str | None:
    """How `calcast export person` and `calcast forget` name the subscription's person: external id, else e-mail."""
    return subscription.subscriber_id or subscription.email
