"""Braze as an outbox handler: how many braze.track rows a claim takes, and who delivers them."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from contextlib import AbstractContextManager

import httpx
from sqlalchemy.orm import Session

from calcast.braze import service
from calcast.braze.client import BrazeClient
from calcast.core.config import Settings
from calcast.outbox.delivery import Claimed, Result

# Rows per claim, in full requests' worth: enough to keep the connection busy, few enough that several
# workers share a burst.
REQUESTS_PER_CLAIM = 8


def rows_per_request(settings: Settings) -> int:
    """A row holds up to two objects (attributes and an event): in "total" scope a request takes half as many
    rows as objects."""
    per_array = settings.braze_batch_scope == "per_array"
    return max(1, settings.braze_batch_size if per_array else settings.braze_batch_size // 2)


class BrazeHandler:
    """Delivers braze.track rows with users.track, batched per account."""

    kind = service.KIND

    def __init__(
        self,
        *,
        settings: Settings,
        transaction: Callable[[], AbstractContextManager[Session]],
        transport: httpx.BaseTransport | None = None,
    ) -> None:
        self.settings = settings
        self.transaction = transaction
        self.client = BrazeClient(
            timeout=settings.braze_timeout_seconds,
            allow_private=settings.allow_private_destinations,
            transport=transport,
        )
        self.claim_size = rows_per_request(settings) * REQUESTS_PER_CLAIM

    def deliver(self, rows: Sequence[Claimed]) -> list[Result]:
        return service.deliver(rows, settings=self.settings, transaction=self.transaction, client=self.client)

    def close(self) -> None:
        self.client.close()
