"""Push sync as an outbox handler: each row runs the engine for one connection.

Faults decide the row's outcome: throttling and outages wait (honouring `Retry-After`), a lost grant or a deleted
calendar ends the subscription, a refused request is kept for the operator. Each row waits only for its own
subscription's provider: other subscriptions, tenants and methods go on.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor

from calcast.core.config import Settings
from calcast.core.db import Transaction, utcnow
from calcast.outbox.delivery import LEASE_ENDING, Claimed, Result, lease_deadline
from calcast.push import engine, service
from calcast.push.caldav import CalDavAdapter
from calcast.push.google import GoogleAdapter
from calcast.push.microsoft import MicrosoftAdapter
from calcast.push.models import Provider, PushConnection
from calcast.push.providers import Adapter, CalendarGone, GrantLost, RateLimited, Refused, Unavailable

log = logging.getLogger("calcast.push")
# Enough rows to keep `CALCAST_PUSH_CONCURRENCY` syncs busy, few enough that workers share a burst.
CLAIM_SIZE = 32


class PushHandler:
    """Runs push syncs; one adapter per provider, each with its own HTTP connections."""

    kind = service.KIND
    claim_size = CLAIM_SIZE

    def __init__(
        self, *, settings: Settings, transaction: Transaction, adapters: dict[Provider, Adapter] | None = None
    ) -> None:
        self.settings = settings
        self.transaction = transaction
        self.adapters: dict[Provider, Adapter] = adapters if adapters is not None else default_adapters(settings)

    def close(self) -> None:
        for adapter in self.adapters.values():
            adapter.close()

    def _provider(self, connection_id: str) -> Provider | None:
        with self.transaction() as session:
            connection = session.get(PushConnection, connection_id)
            return None if connection is None else connection.provider

    def deliver(self, rows: Sequence[Claimed]) -> list[Result]:
        """Rows of different subscriptions (a claim never holds two of one), synced side by side."""
        deadline = lease_deadline(self.settings.outbox_lease_seconds)

        def one(row: Claimed) -> Result:
            if time.monotonic() > deadline:
                return Result(row.id, "retry", None, LEASE_ENDING)
            return self._deliver_one(row)

        if len(rows) <= 1 or self.settings.push_concurrency <= 1:
            return [one(row) for row in rows]
        with ThreadPoolExecutor(max_workers=min(self.settings.push_concurrency, len(rows))) as pool:
            return list(pool.map(one, rows))

    def _deliver_one(self, row: Claimed) -> Result:
        connection_id = str(row.payload.get("connection_id", ""))
        provider = self._provider(connection_id)
        if provider is None:
            return Result(row.id, "done")  # the subscription was erased with its connection
        adapter = self.adapters.get(provider)
        if adapter is None:
            return Result(row.id, "retry", None, f"This install has no {provider} settings; set them to sync.")
        try:
            engine.sync(
                transaction=self.transaction,
                settings=self.settings,
                adapter=adapter,
                connection_id=connection_id,
                reconcile=row.topic == service.RECONCILE,
            )
        except RateLimited as fault:
            retry_at = utcnow() + fault.retry_after if fault.retry_after is not None else None
            return Result(row.id, "retry", fault.status, str(fault), retry_at=retry_at)
        except Unavailable as fault:
            return Result(row.id, "retry", fault.status, str(fault))
        except (GrantLost, CalendarGone) as fault:
            log.info("Push connection %s lost its access (%s); its subscription ends.", connection_id, fault)
            service.end_for_lost_access(
                transaction=self.transaction, connection_id=connection_id, reason=fault.reason, detail=str(fault)
            )
            return Result(row.id, "done", fault.status, str(fault))
        except Refused as fault:
            return Result(row.id, "failed", fault.status, str(fault))
        except Exception as error:  # a bug or a database hiccup: kept for a retry, and logged
            log.exception("Push sync of connection %s failed.", connection_id)
            return Result(row.id, "retry", None, f"{type(error).__name__}: {error}")
        return Result(row.id, "done")


def default_adapters(settings: Settings) -> dict[Provider, Adapter]:
    """The adapters of the providers this install offers."""
    adapters: dict[Provider, Adapter] = {}
    if settings.google_push_enabled:
        adapters[Provider.GOOGLE] = GoogleAdapter(settings)
    if settings.microsoft_push_enabled:
        adapters[Provider.MICROSOFT] = MicrosoftAdapter(settings)
    if settings.caldav_enabled:
        adapters[Provider.CALDAV] = CalDavAdapter(settings)
    return adapters
