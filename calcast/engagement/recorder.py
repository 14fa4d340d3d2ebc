"""Clicks counted in memory and written in batches: the redirect answers after one read, never waiting on a write.

Each server process keeps the clicks of its redirects (`ClickRecorder.add`) and writes them every
CALCAST_CLICK_WRITE_INTERVAL_SECONDS (default 1) in one transaction, and once more when the server stops. A batch
that cannot be written (the database unreachable or busy) is kept and written with the next one, never dropped.
A person's first click on an event is decided when it is written, by the database (`engagement.service`), so two
processes never both report one.
"""

from __future__ import annotations

import threading

from sqlalchemy.orm import Session, sessionmaker

from calcast.core.config import Settings
from calcast.core.periodic import Periodic, write_or_keep
from calcast.engagement import service
from calcast.engagement.service import PendingClick


class ClickRecorder:
    """The process's clicks not yet written, and the thread that writes them."""

    def __init__(self, *, sessions: sessionmaker[Session], settings: Settings) -> None:
        self.sessions = sessions
        self._pending: list[PendingClick] = []
        self._lock = threading.Lock()
        self._periodic = Periodic(
            name="calcast-clicks", interval=settings.click_write_interval_seconds, tick=self.flush
        )

    def add(self, click: PendingClick) -> None:
        with self._lock:
            self._pending.append(click)

    def __len__(self) -> int:
        return len(self._pending)

    def flush(self) -> bool:
        """Write every click counted so far; on failure keep them for the next attempt. True when written."""
        with self._lock:
            pending, self._pending = self._pending, []
        return write_or_keep(
            sessions=self.sessions,
            batch=pending,
            write=lambda session, clicks: service.record_clicks(session=session, clicks=clicks),
            keep=self._keep,
            what="click(s)",
        )

    def _keep(self, clicks: list[PendingClick]) -> None:
        with self._lock:
            self._pending[:0] = clicks

    def start(self) -> None:
        self._periodic.start()

    def stop(self) -> None:
        """Stop, writing what is still counted."""
        self._periodic.stop()
