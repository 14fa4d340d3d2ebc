"""A process's background writer: a thread that calls a function every few seconds, and once more when stopped.

Facts counted in memory on a request's hot path (feed fetches, clicks, traffic totals) are written this way in
batches rather than by each request.
"""

from __future__ import annotations

import threading
from collections.abc import Callable


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
