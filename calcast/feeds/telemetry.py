"""Poll telemetry: who fetches each feed and when, and the job that marks silent subscriptions as lapsed.

Client families come from the User-Agent by the small table below (general-purpose parsers do not know
calendar fetchers). Order matters: the first family with a matching fragment wins, so Thunderbird is tested
before anything that also says "Mozilla", and Google before the generic fragments.

| family      | User-Agent fragments (case-insensitive)                           | for example                       |
|-------------|-------------------------------------------------------------------|-----------------------------------|
| google      | Google-Calendar-Importer, Google-Calendar                         | Google-Calendar-Importer          |
| thunderbird | Thunderbird/                                                      | Mozilla/5.0 … Thunderbird/128.0   |
| evolution   | Evolution/                                                        | Evolution/3.46.4                  |
| apple       | CalendarAgent/, dataaccessd/, iCal/, Mac_OS_X/, Mac+OS+X/, macOS/ | iOS/17.4 (21E219) dataaccessd/1.0 |
| outlook     | Outlook, Exchange, Microsoft                                      | Microsoft Office/16.0 (… Outlook) |
| icsx5       | ICSx5                                                             | ICSx5/2.2                         |
| other       | anything else, or no User-Agent                                   | vdirsyncer/0.21.0                 |

Writing telemetry on every poll would turn each cheap 304 into a database write. Instead a fetch writes
`last_polled_at`, `poll_count` and `client_family` only when the stored `last_polled_at` is older than
CALCAST_FEED_TELEMETRY_INTERVAL_SECONDS (default 60); fetches in between are counted in the process and
added with the next write. So `last_polled_at` is exact to within that interval, and a process that stops
loses at most the uncounted fetches of its last interval. Real clients poll every 5 minutes or less often,
so for them every poll is written.
"""

from __future__ import annotations

import threading
from datetime import datetime, timedelta

from sqlalchemy import and_, or_, update
from sqlalchemy.orm import Session

from calcast.core import changes
from calcast.core.config import Settings
from calcast.core.db import Transaction, utcnow
from calcast.subscriptions.changes import SubscriptionLapsed
from calcast.subscriptions.models import Subscription

CLIENT_FAMILIES: tuple[tuple[str, tuple[str, ...]], ...] = (
    ("google", ("google-calendar-importer", "google-calendar")),
    ("thunderbird", ("thunderbird/",)),
    ("evolution", ("evolution/",)),
    ("apple", ("calendaragent/", "dataaccessd/", "ical/", "mac_os_x/", "mac+os+x/", "macos/")),
    ("outlook", ("outlook", "exchange", "microsoft")),
    ("icsx5", ("icsx5",)),
)
OTHER = "other"
FAMILIES = (*(family for family, _ in CLIENT_FAMILIES), OTHER)


def client_family(user_agent: str | None) -> str:
    """The calendar client family a User-Agent belongs to (see the table above)."""
    lowered = (user_agent or "").lower()
    for family, fragments in CLIENT_FAMILIES:
        if any(fragment in lowered for fragment in fragments):
            return family
    return OTHER


class FetchCounter:
    """Fetches this process has seen but not yet written, per subscription."""

    def __init__(self) -> None:
        self._pending: dict[str, int] = {}
        self._lock = threading.Lock()

    def add(self, subscription_id: str) -> None:
        with self._lock:
            self._pending[subscription_id] = self._pending.get(subscription_id, 0) + 1

    def take(self, subscription_id: str) -> int:
        with self._lock:
            return self._pending.pop(subscription_id, 0)


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
    counter.add(subscription_id)
    interval = timedelta(seconds=settings.feed_telemetry_interval_seconds)
    if last_polled_at is not None and now - last_polled_at < interval:
        return False
    fetches = counter.take(subscription_id)
    session.execute(
        update(Subscription)
        .where(Subscription.id == subscription_id)
        .values(
            last_polled_at=now,
            poll_count=Subscription.poll_count + fetches,
            client_family=client_family(user_agent),
            lapsed_at=None,
            # A poll is not a change of the subscription's details.
            updated_at=Subscription.updated_at,
        )
    )
    return True


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
