"""Where calcast is put together: which consumers hear which changes, which handlers deliver which outbox rows,
which periodic jobs the workers run. The web app (`app.py`) and the command line (`cli.py`) both build from here.

A new consumer touches only its own package and this file: it registers for the changes it needs, writes
outbox rows of its own kind in the change's transaction, and adds a handler for that kind.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import timedelta

import httpx

from calcast.analytics import counts, rollups
from calcast.audiences.handler import AudienceSender
from calcast.braze import service as braze
from calcast.braze.handler import BrazeHandler
from calcast.calendars.changes import BroadcastEventChange
from calcast.console import service as console
from calcast.core.changes import Consumers
from calcast.core.config import Settings
from calcast.core.db import Database
from calcast.engagement import service as engagement
from calcast.engagement.changes import EventClicked
from calcast.events import welcome
from calcast.events.changes import PersonalEventChange
from calcast.feeds import telemetry
from calcast.imports import service as imports
from calcast.outbox import service as outbox
from calcast.outbox.delivery import Handler, PeriodicJob
from calcast.outbox.worker import Worker
from calcast.push import service as push
from calcast.push.handler import PushHandler
from calcast.subscriptions.changes import SubscriptionChange, SubscriptionCreated, SubscriptionLapsed
from calcast.webhooks import endpoints as webhook_endpoints
from calcast.webhooks import envelopes as webhooks
from calcast.webhooks.handler import WebhookHandler


def consumers() -> Consumers:
    """The application's consumers of the domain's changes, in the order they run."""
    registry = Consumers()
    registry.on(SubscriptionChange, braze.on_subscription_change)
    registry.on(SubscriptionChange, webhooks.on_subscription_change)
    registry.on(SubscriptionCreated, welcome.on_subscription_created)
    registry.on(PersonalEventChange, webhooks.on_personal_event_change)
    registry.on(EventClicked, braze.on_event_clicked)
    registry.on(EventClicked, webhooks.on_event_clicked)
    registry.on(SubscriptionLapsed, braze.on_subscription_lapsed)
    registry.on(SubscriptionChange, push.on_subscription_change)
    registry.on(PersonalEventChange, push.on_personal_event_change)
    registry.on(BroadcastEventChange, push.on_broadcast_event_change)
    return registry


def database(settings: Settings) -> Database:
    """The database with the application's consumers attached."""
    return Database(settings, consumers())


def handlers(
    database: Database, *, settings: Settings | None = None, braze_transport: httpx.BaseTransport | None = None
) -> list[Handler]:
    """One outbox handler per kind of delivery."""
    settings = settings or database.settings
    return [
        BrazeHandler(settings=settings, transaction=database.transaction, transport=braze_transport),
        WebhookHandler(settings=settings, transaction=database.transaction),
        AudienceSender(settings=settings, transaction=database.transaction),
        PushHandler(settings=settings, transaction=database.transaction),
    ]


def periodic_jobs() -> Sequence[PeriodicJob]:
    """Housekeeping every worker runs now and then."""
    hourly = timedelta(hours=1)
    return [
        PeriodicJob(
            name="source-url-sync",
            # Each calendar's own interval (15 minutes or more) decides when its source is due; this is how
            # often a worker looks for due ones.
            interval=timedelta(minutes=1),
            run=imports.sync_sources,
            report="Source URLs: %d events added, changed or removed.",
        ),
        PeriodicJob(
            name="mark-lapsed",
            interval=hourly,
            run=telemetry.mark_lapsed_job,
            report="Marked %d subscriptions lapsed (no poll for their client's lapse days).",
        ),
        PeriodicJob(
            name="outbox-retention",
            interval=hourly,
            run=outbox.Retention(hourly),
            report="Deleted %d delivered or superseded outbox rows past CALCAST_OUTBOX_RETENTION_DAYS.",
        ),
        PeriodicJob(
            name="webhook-log-retention",
            interval=hourly,
            run=webhook_endpoints.prune_delivery_logs,
            report="Deleted %d webhook delivery logs past CALCAST_OUTBOX_RETENTION_DAYS.",
        ),
        PeriodicJob(
            name="push-reconciliation",
            interval=timedelta(minutes=15),
            run=push.Reconciliation(),
            report="Queued %d push calendars for a comparison with what calcast wrote.",
        ),
        PeriodicJob(
            name="console-session-retention",
            interval=hourly,
            run=console.prune_sessions,
            report="Deleted %d console sessions past their idle or absolute limit.",
        ),
        PeriodicJob(
            name="click-retention",
            interval=hourly,
            run=engagement.click_retention,
            report="Deleted %d clicks past CALCAST_CLICK_RETENTION_DAYS.",
        ),
        PeriodicJob(
            name="daily-rollups",
            interval=hourly,
            run=rollups.rollup_job,
            report="Rolled up %d day(s) of polls, reminders sent and clicks.",
        ),
        PeriodicJob(
            name="reminders-today",
            interval=timedelta(minutes=5),
            run=rollups.reminders_today_job,
            report="Rolled up the reminders of %d event(s) triggered today.",
        ),
        PeriodicJob(
            name="subscription-counts",
            interval=timedelta(minutes=1),
            run=counts.counts_job,
            report="Brought %d subscription count(s) up to date.",
        ),
    ]


def worker(
    database: Database,
    *,
    name: str | None = None,
    settings: Settings | None = None,
    braze_transport: httpx.BaseTransport | None = None,
) -> Worker:
    """An outbox worker with every handler and periodic job."""
    return Worker(
        database,
        handlers=handlers(database, settings=settings, braze_transport=braze_transport),
        jobs=periodic_jobs(),
        name=name,
        settings=settings,
    )
