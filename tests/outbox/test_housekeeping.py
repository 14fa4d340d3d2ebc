"""The worker's periodic jobs: lapse detection and the outbox retention run on their own, once per interval."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import select, update

from calcast import assembly
from calcast.accounts import service as accounts
from calcast.core.db import Database, utcnow
from calcast.core.security import Cipher
from calcast.outbox import service as outbox
from calcast.outbox.models import OutboxMessage
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.models import Subscription
from calcast.webhooks import endpoints as webhooks
from calcast.webhooks.models import WebhookDelivery
from tests.conftest import Cli, Persona


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


def a_message(database: Database, *, status: str, days_ago: float, key: str | None = None) -> int:
    """An outbox row that settled (delivered, failed, superseded, or last tried) `days_ago` days ago."""
    settled = utcnow() - timedelta(days=days_ago)
    with database.transaction() as session:
        account = accounts.get_account(session=session, code="owner")
        [message_id] = outbox.enqueue(
            session=session,
            messages=[outbox.NewMessage(account.id, "braze.track", "subscribe", {"events": []}, key)],
        )
        session.execute(
            update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(status=status, available_at=settled, created_at=settled)
        )
    return message_id


def a_log_entry(database: Database, endpoint_id: str, *, days_ago: float) -> int:
    with database.transaction() as session:
        entry = WebhookDelivery(
            endpoint_id=endpoint_id,
            event_id="e",
            event_type="Subscribe",
            attempt=1,
            status_code=200,
            response_excerpt='{"email": "fan@example.com"}',
            duration_ms=5,
            created_at=utcnow() - timedelta(days=days_ago),
        )
        session.add(entry)
        session.flush()
        return entry.id


def remaining(database: Database) -> tuple[dict[int, str], set[int]]:
    with database.sessions() as session:
        messages = {row.id: row.status for row in session.execute(select(OutboxMessage.id, OutboxMessage.status))}
        return messages, set(session.scalars(select(WebhookDelivery.id)))


def run_housekeeping(database: Database, *, now: datetime | None = None, **settings: object) -> None:
    worker = assembly.worker(database, name="retention-test", settings=database.settings.model_copy(update=settings))
    try:
        worker.run_periodic_jobs(now=now)
    finally:
        worker.close()


def test_delivered_rows_and_webhook_logs_past_the_retention_are_deleted_the_rest_kept(
    database: Database, owner: Persona
) -> None:
    with database.transaction() as session:
        endpoint = webhooks.add_endpoint(
            session=session,
            cipher=Cipher(database.settings.secret_key),
            account_code="owner",
            url="https://hooks.example.com/calcast",
            event_types=["Subscribe"],
        ).endpoint.id
    old_done = a_message(database, status="done", days_ago=31)
    old_superseded = a_message(database, status="superseded", days_ago=31)
    recent_done = a_message(database, status="done", days_ago=29)
    old_failed = a_message(database, status="failed", days_ago=90)
    old_pending = a_message(database, status="pending", days_ago=90)
    old_log = a_log_entry(database, endpoint, days_ago=31)
    recent_log = a_log_entry(database, endpoint, days_ago=29)

    run_housekeeping(database)

    messages, logs = remaining(database)
    assert old_done not in messages
    assert old_superseded not in messages
    assert messages == {recent_done: "done", old_failed: "failed", old_pending: "pending"}
    assert logs == {recent_log}
    assert old_log not in logs


def test_the_retention_is_a_setting(database: Database, owner: Persona) -> None:
    week_old = a_message(database, status="done", days_ago=8)
    run_housekeeping(database)
    assert week_old in remaining(database)[0]
    run_housekeeping(database, outbox_retention_days=7)
    assert week_old not in remaining(database)[0]


def test_a_failed_row_whose_newer_delivered_row_is_pruned_is_superseded_first(
    database: Database, owner: Persona, cli: Cli
) -> None:
    failed = a_message(database, status="failed", days_ago=40, key="subscription-1")
    a_message(database, status="done", days_ago=35, key="subscription-1")
    run_housekeeping(database)
    assert remaining(database)[0] == {failed: "superseded"}
    retried = cli("outbox", "retry", "--all-failed")
    assert retried.stdout.strip() == "Queued 0 failed messages again."
    assert remaining(database)[0] == {failed: "superseded"}
