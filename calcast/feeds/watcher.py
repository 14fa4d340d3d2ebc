"""How each server process learns, within a second, which feeds it keeps in memory have changed.

Database triggers (migration `feed_changes`) announce every change that alters what a feed shows: a row in
`feed_changes` on SQLite, a NOTIFY on PostgreSQL's `calcast_feed_changes` channel. One thread per process
follows them (`ChangeWatcher`) and moves a local clock: each changed subscription or calendar remembers the
clock's value at its latest change, and a feed answer kept in memory is used only while it was read after
its subscription's and its calendar's latest change (`FeedChanges.current`).

The memory answers only while the watcher is known to be up to date: it must have finished a round (a read of
`feed_changes`, or a query on the listening connection, which delivers every notification committed before
it) that started less than `FRESH_SECONDS` ago, and no write committed in this process since that round
started (this process's own writes are seen at once, as they were without the cache). Otherwise requests
take the database path, which reads the current state. So a change committed anywhere is served by every
process's next poll within one second, and a watcher that cannot reach the database stops the memory path
instead of serving stale feeds.
"""

from __future__ import annotations

import logging
import threading
import time
import weakref
from collections.abc import Callable
from typing import Any

import psycopg
from sqlalchemy import Engine, event, func, select, text
from sqlalchemy.engine import make_url

from calcast.core.config import Settings
from calcast.feeds.models import FeedChange

log = logging.getLogger("calcast.feeds")

CHANNEL = "calcast_feed_changes"
POLL_SECONDS = 0.2  # how often a round starts
FRESH_SECONDS = 0.8  # how long a finished round vouches for the memory (a change is seen within POLL + FRESH < 1 s)
KEEP_SECONDS = 300.0  # how long rows stay in feed_changes (a process further behind drops its whole memory)
# The database triggers that announce feed changes (migration `feed_changes`). A table rebuilt by a later
# migration on SQLite loses its triggers: without all of them the memory path stays off.
TRIGGERS = frozenset(
    f"feed_change_{name}"
    for name in (
        "subscriptions_update",
        "subscriptions_delete",
        "calendars_update",
        "calendars_delete",
        "feed_tokens_update",
        "feed_tokens_delete",
    )
)
_MAX_REMEMBERED = 200_000  # changed ids remembered before the memory is dropped and the record starts anew
_WRITE_VERBS = ("INSERT", "UPDATE", "DELETE", "REPLACE")


class FeedChanges:
    """This process's record of feed changes: a clock, and the clock value of each changed id's latest change."""

    def __init__(self) -> None:
        self.clock = 1
        self.floor = 1  # answers read before the floor are stale (the record was started anew)
        self.subscriptions: dict[str, int] = {}
        self.calendars: dict[str, int] = {}
        self._fresh_until = 0.0
        self._local_writes = 0
        self._lock = threading.Lock()

    def stamp(self) -> int:
        """The clock before a read of the database: an answer read after this stamp reflects changes up to it."""
        return self.clock

    def current(self, subscription_id: str, calendar_id: str, as_of: int) -> bool:
        """Whether an answer read at `as_of` still shows the feed as it is (and the record is up to date)."""
        return (
            time.monotonic() < self._fresh_until
            and as_of >= self.floor
            and as_of >= self.subscriptions.get(subscription_id, 0)
            and as_of >= self.calendars.get(calendar_id, 0)
        )

    def changed(self, *, subscription_id: str | None = None, calendar_id: str | None = None) -> None:
        with self._lock:
            self.clock += 1
            if subscription_id is not None:
                self.subscriptions[subscription_id] = self.clock
            if calendar_id is not None:
                self.calendars[calendar_id] = self.clock
            if len(self.subscriptions) + len(self.calendars) > _MAX_REMEMBERED:
                self._start_anew()

    def start_anew(self) -> None:
        """Forget every answer read so far (the watcher may have missed changes)."""
        with self._lock:
            self._start_anew()

    def _start_anew(self) -> None:
        self.clock += 1
        self.floor = self.clock
        self.subscriptions.clear()
        self.calendars.clear()

    def wrote(self) -> None:
        """A write was committed in this process: the memory waits for a round that started after it."""
        with self._lock:
            self._local_writes += 1
            self._fresh_until = 0.0

    def round_started(self) -> tuple[float, int]:
        with self._lock:
            return time.monotonic(), self._local_writes

    def round_finished(self, started: tuple[float, int]) -> None:
        """A round that started at `started` has applied every change committed before it."""
        at, writes = started
        with self._lock:
            if writes == self._local_writes:
                self._fresh_until = at + FRESH_SECONDS

    def stale(self) -> None:
        self._fresh_until = 0.0


_after_commit: weakref.WeakKeyDictionary[Engine, list[Callable[[], None]]] = weakref.WeakKeyDictionary()


def _committed_writes(engine: Engine) -> list[Callable[[], None]]:
    """The functions called after each write transaction committed on `engine` (installed once per engine).

    After, not before: SQLAlchemy's own commit event comes before the commit, when a watcher round could
    still miss the change and vouch for the memory again.
    """
    callbacks = _after_commit.get(engine)
    if callbacks is not None:
        return callbacks
    callbacks = _after_commit[engine] = []
    dialect: Any = engine.dialect
    commit = dialect.do_commit

    def do_commit(connection: Any) -> None:
        commit(connection)
        if connection.info.pop("calcast_wrote", False):
            for callback in list(callbacks):
                callback()

    def before_execute(conn: Any, _cursor: Any, statement: str, *_args: Any) -> None:
        if statement.lstrip()[:7].upper().startswith(_WRITE_VERBS):
            conn.info["calcast_wrote"] = True

    def on_rollback(conn: Any) -> None:
        # A connection the database dropped (a restart) has no state left to clear, and reading its `info`
        # would raise instead of letting the request end with the database error (a 503).
        if not (conn.invalidated or conn.closed):
            conn.info.pop("calcast_wrote", None)

    dialect.do_commit = do_commit
    event.listen(engine, "before_cursor_execute", before_execute)
    event.listen(engine, "rollback", on_rollback)
    return callbacks


def watch_local_writes(engine: Engine, changes: FeedChanges, *, wake: Callable[[], None]) -> Callable[[], None]:
    """Tell `changes` about every write transaction this process commits on `engine` (and `wake` the watcher).

    Returns the function that stops watching.
    """

    def committed() -> None:
        changes.wrote()
        wake()

    callbacks = _committed_writes(engine)
    callbacks.append(committed)
    return lambda: callbacks.remove(committed)


class ChangeWatcher:
    """The thread that follows feed changes in the database for one process."""

    def __init__(self, *, settings: Settings, engine: Engine, changes: FeedChanges) -> None:
        self.settings = settings
        self.engine = engine
        self.changes = changes
        self._stop = threading.Event()
        self._wake = threading.Event()
        self._thread = threading.Thread(target=self._run, name="calcast-feed-changes", daemon=True)

    def start(self) -> None:
        self._thread.start()

    def wake(self) -> None:
        self._wake.set()

    def stop(self) -> None:
        self._stop.set()
        self._wake.set()
        self._thread.join(timeout=5)

    def missing_triggers(self) -> set[str]:
        """The change triggers the database lacks (none, after `calcast db upgrade`)."""
        query = (
            "SELECT name FROM sqlite_master WHERE type = 'trigger'"
            if self.settings.is_sqlite
            else "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal"
        )
        with self.engine.connect() as connection:
            present = set(connection.execute(text(query)).scalars())
        return set(TRIGGERS - present)

    def _run(self) -> None:
        follow = self._follow_sqlite if self.settings.is_sqlite else self._follow_postgresql
        while not self._stop.is_set():
            try:
                if missing := self.missing_triggers():
                    log.error(
                        "The database lacks the feed change triggers %s; feeds are read from the database on every "
                        "poll until `calcast db upgrade` restores them.",
                        ", ".join(sorted(missing)),
                    )
                    self._stop.wait(60)
                    continue
                follow()
            except Exception:  # the database went away: serve from the database until it is back
                log.warning("Feed change watcher lost the database; feeds are read from it until it is back.")
            self.changes.stale()
            self.changes.start_anew()
            self._stop.wait(POLL_SECONDS)

    # -- SQLite: read feed_changes -------------------------------------------------------------------------

    def _follow_sqlite(self) -> None:
        with self.engine.connect() as connection:
            started = self.changes.round_started()
            last = connection.execute(select(func.coalesce(func.max(FeedChange.seq), 0))).scalar_one()
            connection.rollback()
            self.changes.start_anew()
            self.changes.round_finished(started)
            pruned_at = time.monotonic()
            history: list[tuple[float, int]] = []
            while not self._stop.is_set():
                self._wake.wait(POLL_SECONDS)
                self._wake.clear()
                started = self.changes.round_started()
                rows = connection.execute(
                    select(FeedChange.seq, FeedChange.subscription_id, FeedChange.calendar_id)
                    .where(FeedChange.seq > last)
                    .order_by(FeedChange.seq)
                ).all()
                connection.rollback()  # end the read transaction: the next round sees later commits
                for seq, subscription_id, calendar_id in rows:
                    self.changes.changed(subscription_id=subscription_id, calendar_id=calendar_id)
                    last = seq
                self.changes.round_finished(started)
                history.append((started[0], last))
                if started[0] - pruned_at > 60:
                    pruned_at = started[0]
                    keep_from = max((seq for at, seq in history if at < started[0] - KEEP_SECONDS), default=0)
                    history = [(at, seq) for at, seq in history if at >= started[0] - KEEP_SECONDS]
                    if keep_from:
                        connection.execute(text("DELETE FROM feed_changes WHERE seq <= :seq"), {"seq": keep_from})
                        connection.commit()

    # -- PostgreSQL: LISTEN ----------------------------------------------------------------------------------

    def _follow_postgresql(self) -> None:
        url = make_url(self.settings.database_url).set(drivername="postgresql")
        conninfo = url.render_as_string(hide_password=False)
        with psycopg.connect(conninfo, autocommit=True, connect_timeout=5) as connection:
            connection.execute(f"LISTEN {CHANNEL}")
            self.changes.start_anew()  # anything before LISTEN may have been missed
            while not self._stop.is_set():
                started = self.changes.round_started()
                # Every notification committed before this query has arrived once it returns.
                connection.execute("SELECT 1")
                for notification in connection.notifies(timeout=0):
                    self._apply(notification.payload)
                self.changes.round_finished(started)
                for notification in connection.notifies(timeout=POLL_SECONDS):
                    self._apply(notification.payload)

    def _apply(self, payload: str) -> None:
        kind, _, key = payload.partition(":")
        if kind == "s":
            self.changes.changed(subscription_id=key)
        elif kind == "c":
            self.changes.changed(calendar_id=key)
