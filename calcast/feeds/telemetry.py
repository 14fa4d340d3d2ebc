"""Poll telemetry: who fetches each feed and when, and the job that marks silent subscriptions as lapsed.

Client families: `calcast.core.clients`.

Writing telemetry on every poll would turn each cheap 304 into a database write. Instead fetches are counted
in the process (`FetchCounter`: how many, when last, by which client) and written in batches: every
CALCAST_FEED_TELEMETRY_INTERVAL_SECONDS (default 60) by the process's `TelemetryWriter`, one transaction for all
subscriptions polled since, and once more when the server stops. A fetch that reads the database anyway (a feed
rendered or not in memory) also writes its subscription's count at once when the stored `last_polled_at` is older
than that interval. So `last_polled_at` is exact to within the interval; a batch that fails to write is kept
and added to the next one (and logged), never dropped.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from sqlalchemy import Integer, String, and_, bindparam, case, insert, or_, select, update
from sqlalchemy.orm import Session, sessionmaker

from calcast.core import changes
from calcast.core.clients import FAMILIES, OTHER, client_family
from calcast.core.config import Settings
from calcast.core.db import Transaction, UTCDateTime, utcnow
from calcast.core.periodic import Periodic, write_or_keep
from calcast.feeds.models import FeedPoll
from calcast.subscriptions.changes import SubscriptionLapsed
from calcast.subscriptions.models import Subscription


@dataclass
class Polls:
    """Fetches of one subscription not yet written: how many, the latest one's time and client family."""

    count: int
    last_at: float  # seconds since the epoch
    family: str

    def merge(self, other: Polls) -> None:
        self.count += other.count
        if other.last_at >= self.last_at:
            self.last_at, self.family = other.last_at, other.family


class FetchCounter:
    """Fetches this process has seen but not yet written, per subscription."""

    def __init__(self) -> None:
        self._pending: dict[str, Polls] = {}
        self._families: dict[bytes | str | None, str] = {}
        self._lock = threading.Lock()

    def family(self, user_agent: bytes | str | None) -> str:
        """client_family, remembered for the User-Agents seen most (a poll's hot path)."""
        family = self._families.get(user_agent)
        if family is None:
            text = user_agent.decode("latin-1") if isinstance(user_agent, bytes) else user_agent
            family = client_family(text)
            if len(self._families) < 1024:
                self._families[user_agent] = family
        return family

    def add(self, subscription_id: str, user_agent: bytes | str | None, at: float) -> None:
        family = self.family(user_agent)
        with self._lock:
            polls = self._pending.get(subscription_id)
            if polls is None:
                self._pending[subscription_id] = Polls(1, at, family)
            else:
                polls.count += 1
                if at >= polls.last_at:
                    polls.last_at, polls.family = at, family

    def take(self, subscription_id: str) -> Polls | None:
        with self._lock:
            return self._pending.pop(subscription_id, None)

    def take_all(self) -> dict[str, Polls]:
        with self._lock:
            pending, self._pending = self._pending, {}
            return pending

    def put_back(self, pending: dict[str, Polls]) -> None:
        """Fetches whose write failed: counted again with the next batch."""
        with self._lock:
            for subscription_id, polls in pending.items():
                mine = self._pending.get(subscription_id)
                if mine is None:
                    self._pending[subscription_id] = polls
                else:
                    mine.merge(polls)

    def __len__(self) -> int:
        return len(self._pending)


_LAST_AT = bindparam("last_at", type_=UTCDateTime())
_WRITE = (
    update(Subscription)
    .where(Subscription.id == bindparam("subscription_id"))
    .values(
        # A later poll already written (by another process) keeps its time and family.
        last_polled_at=case(
            (
                or_(Subscription.last_polled_at.is_(None), Subscription.last_polled_at < _LAST_AT),
                _LAST_AT,
            ),
            else_=Subscription.last_polled_at,
        ),
        client_family=case(
            (
                or_(Subscription.last_polled_at.is_(None), Subscription.last_polled_at < _LAST_AT),
                bindparam("family"),
            ),
            else_=Subscription.client_family,
        ),
        poll_count=Subscription.poll_count + bindparam("count"),
        lapsed_at=None,
        # A poll is not a change of the subscription's details.
        updated_at=Subscription.updated_at,
    )
)

# The raw rows of the daily poll rollups: one per subscription and batch, with the subscription's calendar.
_RECORD = insert(FeedPoll).from_select(
    ["subscription_id", "calendar_id", "client_family", "polled_at", "polls"],
    select(
        Subscription.id,
        Subscription.calendar_id,
        bindparam("family", type_=String()),
        _LAST_AT,
        bindparam("count", type_=Integer()),
    ).where(Subscription.id == bindparam("subscription_id")),
)


def write_polls(*, session: Session, pending: dict[str, Polls]) -> None:
    """Add these fetches to their subscriptions' telemetry and to the raw poll rows, in batches of subscriptions."""
    parameters = [
        {
            "subscription_id": subscription_id,
            "last_at": datetime.fromtimestamp(polls.last_at, UTC),
            "family": polls.family,
            "count": polls.count,
        }
        for subscription_id, polls in pending.items()
    ]
    for first in range(0, len(parameters), 1000):
        session.connection().execute(_WRITE, parameters[first : first + 1000])
        session.connection().execute(_RECORD, parameters[first : first + 1000])


def record_fetch(
    *,
    session: Session,
    settings: Settings,
    counter: FetchCounter,
    subscription_id: str,
    last_polled_at: datetime | None,
    user_agent: str | None,
    now: datetime,
) -> bool:
    """Count one fetch of the subscription's feed; write it (and earlier uncounted ones) when due. True if written."""
    counter.add(subscription_id, user_agent, now.timestamp())
    interval = timedelta(seconds=settings.feed_telemetry_interval_seconds)
    if last_polled_at is not None and now - last_polled_at < interval:
        return False
    polls = counter.take(subscription_id)
    if polls is not None:
        write_polls(session=session, pending={subscription_id: polls})
    return True


class TelemetryWriter:
    """Writes a process's counted fetches in batches on a thread (`core.periodic`), and a last time when the server
    stops."""

    def __init__(self, *, sessions: sessionmaker[Session], settings: Settings, counter: FetchCounter) -> None:
        self.sessions = sessions
        self.counter = counter
        interval = max(float(settings.feed_telemetry_interval_seconds), 1.0)
        self._periodic = Periodic(name="calcast-feed-telemetry", interval=interval, tick=self.flush)

    def start(self) -> None:
        self._periodic.start()

    def stop(self) -> None:
        """Stop, writing what is still counted."""
        self._periodic.stop()

    def flush(self) -> bool:
        """Write every counted fetch now; on failure keep them for the next attempt. True when written."""
        return write_or_keep(
            sessions=self.sessions,
            batch=self.counter.take_all(),
            write=lambda session, pending: write_polls(session=session, pending=pending),
            keep=self.counter.put_back,
            what="subscription(s)' poll telemetry",
        )


def lapse_days(settings: Settings, family: str | None) -> int:
    """Days without a poll after which a subscription of this client family counts as lapsed."""
    return settings.lapse_days_by_client.get(family or OTHER, settings.lapse_days_default)


def mark_lapsed(*, session: Session, settings: Settings, now: datetime | None = None) -> int:
    """Mark active subscriptions lapsed whose feed was not polled for their family's number of days.

    A subscription never polled at all is measured from its creation with the default number of days.
    Returns how many subscriptions were newly marked; a later poll clears the mark. Each newly marked
    subscription is recorded as `SubscriptionLapsed`, in the same transaction.
    """
    now = now or utcnow()
    known = [family for family in FAMILIES if family in settings.lapse_days_by_client]
    silent_by_family = [
        and_(
            Subscription.client_family == family,
            Subscription.last_polled_at < now - timedelta(days=lapse_days(settings, family)),
        )
        for family in known
    ]
    default_cutoff = now - timedelta(days=settings.lapse_days_default)
    silent_by_default = and_(
        or_(Subscription.client_family.is_(None), Subscription.client_family.not_in(known)),
        or_(
            Subscription.last_polled_at < default_cutoff,
            and_(Subscription.last_polled_at.is_(None), Subscription.created_at < default_cutoff),
        ),
    )
    marked = session.scalars(
        update(Subscription)
        .where(
            Subscription.deactivated_at.is_(None),
            Subscription.lapsed_at.is_(None),
            or_(silent_by_default, *silent_by_family),
        )
        .values(lapsed_at=now, updated_at=Subscription.updated_at)
        .returning(Subscription.id)
        .execution_options(synchronize_session=False)
    ).all()
    for subscription_id in sorted(marked):
        changes.record(session, SubscriptionLapsed(subscription_id=subscription_id, lapsed_at=now))
    return len(marked)


def mark_lapsed_job(*, transaction: Transaction, settings: Settings, now: datetime) -> int:
    """`mark_lapsed` as the workers' periodic job."""
    with transaction() as session:
        return mark_lapsed(session=session, settings=settings, now=now)
