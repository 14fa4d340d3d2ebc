"""Arranging Braze sync tests: an account pointed at a FakeBraze, subscriptions, and a worker to drain."""

from __future__ import annotations

from typing import Any

from calcast import assembly
from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.core.db import Database
from calcast.core.security import Cipher
from calcast.outbox.worker import Worker
from calcast.subscriptions import service as subscriptions
from calcast.subscriptions.capture import Capture
from tests.support.fake_braze import FakeBraze

FAST = {"outbox_backoff_base_seconds": 0.05, "outbox_backoff_max_seconds": 0.2, "outbox_poll_seconds": 0.05}


def connect_braze(database: Database, fake: FakeBraze, account_code: str = "owner", api_key: str | None = None) -> None:
    with database.transaction() as session:
        accounts.set_braze(
            session=session,
            cipher=Cipher(database.settings.secret_key),
            code=account_code,
            rest_endpoint=fake.url,
            api_key=api_key or fake.api_key,
            allow_private_destinations=database.settings.allow_private_destinations,
        )


def set_calendar_flags(database: Database, *, merge: bool | None = None, fallback: bool | None = None) -> None:
    with database.transaction() as session:
        calendar = calendars.get_calendar(session=session, account_code="owner", code="main")
        if merge is not None:
            calendar.merge_flag = merge
        if fallback is not None:
            calendar.subscriber_id_fallback = fallback


def subscribe(
    database: Database, calendar_code: str = "main", account_code: str = "owner", **details: Any
) -> subscriptions.Subscribed:
    with database.transaction() as session:
        return subscriptions.subscribe(
            session=session,
            settings=database.settings,
            account_code=account_code,
            calendar_code=calendar_code,
            details=subscriptions.SubscriberDetails(**details),
        )


def unsubscribe(database: Database, subscription_id: str, reason: str | None = None) -> None:
    with database.transaction() as session:
        subscription = subscriptions.get_subscription(session=session, subscription_id=subscription_id)
        subscriptions.deactivate(session=session, subscription=subscription, reason_text=reason)


def change_tags(database: Database, subscription_id: str, tags: list[str]) -> None:
    with database.transaction() as session:
        subscription = subscriptions.get_subscription(session=session, subscription_id=subscription_id)
        subscriptions.change_tags(session=session, subscription=subscription, tags=tags)


def worker(database: Database, **overrides: Any) -> Worker:
    """A worker with quick backoff (tests wait in tenths of seconds, not minutes)."""
    return assembly.worker(database, settings=database.settings.model_copy(update={**FAST, **overrides}))


def drain(database: Database, **overrides: Any) -> None:
    """Deliver everything due with a quick-backoff worker, then close it."""
    runner = worker(database, **overrides)
    try:
        runner.drain()
    finally:
        runner.close()


def a_capture() -> Capture:
    return Capture(device="Desktop", country_code="AU", country_name="Australia", source="brazetest.example.com")
