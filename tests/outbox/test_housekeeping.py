"""The worker's periodic jobs: lapse detection runs on its own, once per interval."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import update

from calcast import assembly
from calcast.core.db import Database, utcnow
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription
from tests.conftest import Persona


def subscribe(database: Database, subscriber_id: str) -> str:
    with database.transaction() as session:
        return subscriptions.subscribe(
            session=session,
            settings=database.settings,
            account_code="owner",
            calendar_code="main",
            details=subscriptions.SubscriberDetails(subscriber_id=subscriber_id),
        ).subscription.id


def lapsed(database: Database, subscription_id: str) -> bool:
    with database.sessions() as session:
        row = session.get(Subscription, subscription_id)
        assert row is not None
        return row.lapsed_at is not None


def test_the_worker_marks_silent_subscriptions_lapsed_once_per_interval(database: Database, owner: Persona) -> None:
    silent = subscribe(database, "silent")
    polled = subscribe(database, "polled")
    later = subscribe(database, "later")
    long_ago = utcnow() - timedelta(days=60)
    with database.transaction() as session:
        session.execute(
            update(Subscription)
            .where(Subscription.id.in_([silent, later]))
            .values(created_at=long_ago, last_polled_at=long_ago, client_family="google")
        )
        session.execute(
            update(Subscription)
            .where(Subscription.id == polled)
            .values(last_polled_at=utcnow(), client_family="google")
        )
    worker = assembly.worker(database, name="housekeeping-test")
    interval = next(job.interval for job in worker.jobs if job.name == "mark-lapsed")
    try:
        start = utcnow()
        worker.run_periodic_jobs(now=start)
        assert lapsed(database, silent)
        assert not lapsed(database, polled)

        with database.transaction() as session:
            session.execute(update(Subscription).where(Subscription.id == later).values(lapsed_at=None))
        worker.run_periodic_jobs(now=start + interval / 2)
        assert not lapsed(database, later), "the job ran again before its interval was over"
        worker.run_periodic_jobs(now=start + interval)
        assert lapsed(database, later)
    finally:
        worker.close()
