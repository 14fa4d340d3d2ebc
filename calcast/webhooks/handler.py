"""Webhooks as an outbox handler: a few rows per claim (one request each), delivered signed."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

from sqlalchemy.orm import Session

from calcast.core.config import Settings
from calcast.core.db import Database
from calcast.outbox.delivery import Claimed, Result
from calcast.outbox.worker import Worker
from calcast.webhooks import delivery
from calcast.webhooks.models import KIND

# One request per row: few are taken at once, to stay well inside the lease.
CLAIM_SIZE = 32


class WebhookHandler:
    """POSTs webhook rows to their endpoints and logs every attempt."""

    kind = KIND
    claim_size = CLAIM_SIZE

    def __init__(self, *, settings: Settings, transaction: Callable[[], AbstractContextManager[Session]]) -> None:
        self.settings = settings
        self.transaction = transaction
        self.http = delivery.client(settings)

    def deliver(self, rows: Sequence[Claimed]) -> list[Result]:
        return delivery.deliver(rows, settings=self.settings, transaction=self.transaction, http=self.http)

    def close(self) -> None:
        self.http.close()


def deliver_now(database: Database, *, message_ids: Sequence[int]) -> None:
    """Deliver these queued webhook messages at once (a test, a retry), each judged and logged like any delivery:
    one that fails is retried later by the worker. The messages must be committed before this is called."""
    runner = Worker(database, handlers=[WebhookHandler(settings=database.settings, transaction=database.transaction)])
    try:
        runner.run_once(ids=list(message_ids))
    finally:
        runner.close()
