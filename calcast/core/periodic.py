"""A process's background writer: a thread that calls a function every few seconds, and once more when stopped.

Facts counted in memory on a request's hot path (feed fetches, clicks, traffic totals) are written this way in
batches rather than by each request.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Sized
from typing import TypeVar

from sqlalchemy.orm import Session, sessionmaker

log = logging.getLogger("calcast")

Batch = TypeVar("Batch", bound=Sized)


class Periodic:
    """Calls `tick` every `interval` seconds on a daemon thread, and a last time on `stop`."""

    def __init__(self, *, name: str, interval: float, tick: Callable[[], object]) -> None:
        self.interval = interval
        self.tick = tick
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, name=name, daemon=True)

    def start(self) -> None:
        self._thread.start()

    def stop(self, timeout: float = 10) -> None:
        """Stop the thread, then tick once more (what is still counted gets written)."""
        self._stop.set()
        if self._thread.is_alive():
            self._thread.join(timeout=timeout)
        self.tick()

    def _run(self) -> None:
        while not self._stop.wait(self.interval):
            self.tick()


def write_or_keep(
    *,
    sessions: sessionmaker[Session],
    batch: Batch,
    write: Callable[[Session, Batch], object],
    keep: Callable[[Batch], object],
    what: str,
) -> bool:
    """Write a batch in one transaction; when the database is unreachable or busy, hand it back (`keep`) for the
    next tick and log it, never dropping it. True when written (or nothing was waiting)."""
    if not batch:
        return True
    try:
        with sessions() as session, session.begin():
            write(session, batch)
    except Exception:
        keep(batch)
        log.warning("Could not write %d %s; will retry.", len(batch), what, exc_info=True)
        return False
    return True
