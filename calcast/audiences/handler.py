"""The outbox handler that sends an audience's event: chunk after chunk, each in its own transaction."""

from __future__ import annotations

import time
from collections.abc import Sequence

from calcast.audiences import service
from calcast.core.config import Settings
from calcast.core.db import Transaction, utcnow
from calcast.core.errors import DomainError
from calcast.outbox.delivery import Claimed, Result, lease_deadline


class AudienceSender:
    """Delivers `audience.send` rows: the progress is stored with every chunk, so a stopped send resumes."""

    kind = service.KIND
    claim_size = 1

    def __init__(self, *, settings: Settings, transaction: Transaction, chunk: int = service.CHUNK) -> None:
        self.settings = settings
        self.transaction = transaction
        self.chunk = chunk

    def deliver(self, rows: Sequence[Claimed]) -> list[Result]:
        deadline = lease_deadline(self.settings.outbox_lease_seconds)
        return [self._send(row, deadline) for row in rows]

    def _send(self, row: Claimed, deadline: float) -> Result:
        audience_id = str(row.payload.get("audienceId", ""))
        while time.monotonic() < deadline:
            try:
                with self.transaction() as session:
                    done = service.send_chunk(
                        session=session,
                        audience_id=audience_id,
                        feed_window_days=self.settings.feed_window_days,
                        chunk=self.chunk,
                    )
            except DomainError as error:
                with self.transaction() as session:
                    service.fail_send(session=session, audience_id=audience_id, reason=error.message)
                return Result(row.id, "failed", error=error.message)
            if done:
                return Result(row.id, "done")
        # The lease is ending: the next claim goes on from the stored progress.
        return Result(row.id, "retry", retry_at=utcnow())

    def close(self) -> None:
        pass
