"""Changes as data: a service function records what it changed; the consumers registered for it react.

A feature announces its changes as typed records (subclasses of `Change`, defined in the feature's own
`changes.py`) and knows nothing of who listens. Consumers (Braze sync, webhooks, …) are registered where
the application is assembled (`calcast/assembly.py`). `record()` runs every consumer of the change right
away, inside the caller's transaction: what a consumer writes (its own outbox rows) commits together with
the change that caused it, or not at all.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from sqlalchemy.orm import Session

# Where a session finds the consumers of the database it belongs to (see `Database`).
SESSION_KEY = "calcast.consumers"


@dataclass(frozen=True)
class Change:
    """The base of every change record."""


C = TypeVar("C", bound=Change)
Handler = Callable[[Session, Any], None]


class Consumers:
    """Which handlers run for which kind of change; a handler registered for a base class sees its subclasses."""

    def __init__(self) -> None:
        self._handlers: dict[type[Change], list[Handler]] = {}

    def on(self, kind: type[C], handler: Callable[[Session, C], None]) -> None:
        """Run `handler(session, change)` for every recorded change of this kind (or a subclass of it)."""
        self._handlers.setdefault(kind, []).append(handler)

    def handlers(self, change: Change) -> list[Handler]:
        """The handlers for this change, in the order they were registered."""
        found: list[Handler] = []
        for kind in reversed(type(change).__mro__):
            found.extend(self._handlers.get(kind, ()))
        return found


def record(session: Session, change: Change) -> None:
    """Announce a change to the consumers of the session's database, inside the session's transaction."""
    consumers: Consumers | None = session.info.get(SESSION_KEY)
    if consumers is None:
        raise RuntimeError("This session belongs to no Database: its changes would reach no consumer.")
    for handler in consumers.handlers(change):
        handler(session, change)
