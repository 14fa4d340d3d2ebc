"""The outbox worker: claim due rows, deliver them by kind, record each outcome; stop cleanly on request.

Claiming is one UPDATE … RETURNING that moves `available_at` to the end of a lease and stamps the
claim: on PostgreSQL the candidate rows are picked with `FOR UPDATE SKIP LOCKED`, so any number of
workers share the queue without waiting on each other or taking the same row; on SQLite the UPDATE's
own conditions (still pending, still due) make the claim, and SQLite runs one writer at a time. A
worker that dies (even by SIGKILL) leaves its rows pending; they become due again when the lease ends.
Rows with the same ordering key are claimed one at a time, oldest first; a row never goes out after a newer
row with its key was delivered (an operator's retry can put an old row back in the queue): it is superseded.

The worker knows no consumer: it is given a handler per kind (Braze, webhooks, …) and a list of periodic
jobs, both chosen where the application is assembled (`calcast/assembly.py`).
"""

from __future__ import annotations

import fcntl
import logging
import os
import secrets
import socket
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from datetime import datetime, timedelta
from pathlib import Path

from sqlalchemy import ScalarSelect, exists, select, update
from sqlalchemy.engine import make_url
from sqlalchemy.orm import aliased

from calcast.core.config import Settings
from calcast.core.db import Database, utcnow
from calcast.outbox import service as outbox
from calcast.outbox.delivery import Claimed, Handler, PeriodicJob, Result, backoff
from calcast.outbox.models import OutboxMessage, OutboxStatus

log = logging.getLogger("calcast.outbox")


class Worker:
    """One delivery loop; several may run in one process or in many."""

    def __init__(
        self,
        database: Database,
        *,
        handlers: Sequence[Handler],
        jobs: Sequence[PeriodicJob] = (),
        name: str | None = None,
        settings: Settings | None = None,
    ) -> None:
        self.database = database
        self.settings = settings or database.settings
        self.handlers = {handler.kind: handler for handler in handlers}
        self.jobs = list(jobs)
        self.next_runs: dict[str, datetime] = {}
        self.name = name or f"{socket.gethostname()}:{os.getpid()}:{secrets.token_hex(3)}"

    def close(self) -> None:
        for handler in self.handlers.values():
            handler.close()

    def claim(self, kind: str, *, limit: int, ids: Sequence[int] | None = None) -> tuple[str, list[Claimed]]:
        """Take a lease on up to `limit` due rows of one kind; returns the claim's token and the rows."""
        token = f"{self.name}:{secrets.token_hex(4)}"[:64]
        now = utcnow()
        # The candidates come from their own alias of the table: were they written against OutboxMessage,
        # the subquery would correlate to the UPDATE's row and its LIMIT would limit nothing.
        candidate, earlier, later = aliased(OutboxMessage), aliased(OutboxMessage), aliased(OutboxMessage)
        blocked = exists().where(
            earlier.ordering_key == candidate.ordering_key,
            earlier.status == OutboxStatus.PENDING,
            earlier.id < candidate.id,
        )
        # A row put back in the queue (a retry) while a newer row with its key is being sent waits for its
        # outcome: delivered, it supersedes this row (below); failed, this row goes first.
        overtaken = exists().where(
            later.ordering_key == candidate.ordering_key,
            later.id > candidate.id,
            later.status == OutboxStatus.PENDING,
            later.claimed_by.is_not(None),
            later.available_at > now,
        )
        candidates = select(candidate.id).where(
            candidate.status == OutboxStatus.PENDING,
            candidate.available_at <= now,
            candidate.kind == kind,
            ~blocked,
            ~overtaken,
        )
        if ids is not None:
            candidates = candidates.where(candidate.id.in_(list(ids)))
        candidates = candidates.order_by(candidate.id).limit(limit)
        due = (OutboxMessage.status == OutboxStatus.PENDING, OutboxMessage.available_at <= now)
        with self.database.transaction() as session:
            if self.settings.is_sqlite:
                # One statement: SQLite runs one writer at a time, and the UPDATE re-checks that each row is due.
                chosen: ScalarSelect[int] | list[int] = candidates.scalar_subquery()
            else:
                # Locked first, in their own statement: PostgreSQL may re-run a LIMIT … SKIP LOCKED subquery
                # inside an UPDATE and so take more rows than asked for.
                chosen = list(session.scalars(candidates.with_for_update(skip_locked=True)))
                if not chosen:
                    return token, []
            statement = (
                update(OutboxMessage)
                .where(OutboxMessage.id.in_(chosen), *due)
                .values(
                    claimed_by=token,
                    available_at=now + timedelta(seconds=self.settings.outbox_lease_seconds),
                    attempts=OutboxMessage.attempts + 1,
                )
                .returning(
                    OutboxMessage.id,
                    OutboxMessage.account_id,
                    OutboxMessage.kind,
                    OutboxMessage.topic,
                    OutboxMessage.payload,
                    OutboxMessage.attempts,
                    OutboxMessage.created_at,
                )
            )
            rows = session.execute(statement, execution_options={"synchronize_session": False}).all()
            claimed_ids = [row[0] for row in rows]
            superseded = set(outbox.supersede_overtaken(session=session, status=OutboxStatus.PENDING, ids=claimed_ids))
        if superseded:
            log.info("Superseded %d re-queued rows: newer rows with their keys were delivered.", len(superseded))
        claimed = [Claimed(*row) for row in rows if row[0] not in superseded]
        return token, sorted(claimed, key=lambda row: row.id)

    def _record(self, token: str, rows: Sequence[Claimed], results: Sequence[Result]) -> None:
        """Store the results; should the database refuse one, each is stored on its own, so the others stick."""
        try:
            self._store(token, rows, results)
            return
        except Exception:
            log.exception("Recording %d delivery results at once failed; recording them one by one.", len(results))
        for result in results:
            try:
                self._store(token, rows, [result])
            except Exception:
                log.exception("The result of outbox row %d could not be stored; its lease will run out.", result.id)

    def _store(self, token: str, rows: Sequence[Claimed], results: Sequence[Result]) -> None:
        attempts = {row.id: row.attempts for row in rows}
        now = utcnow()
        done = [result.id for result in results if result.outcome == "done"]
        mine = (OutboxMessage.claimed_by == token, OutboxMessage.status == OutboxStatus.PENDING)
        with self.database.transaction() as session:
            if done:
                session.execute(
                    update(OutboxMessage)
                    .where(OutboxMessage.id.in_(done), *mine)
                    .values(status=OutboxStatus.DONE, delivered_at=now, last_status_code=None, last_error=None),
                    execution_options={"synchronize_session": False},
                )
            for result in results:
                if result.outcome == "done":
                    continue
                values: dict[str, object] = {"last_status_code": result.status_code, "last_error": result.error}
                if result.outcome == "failed":
                    values.update(status=OutboxStatus.FAILED, available_at=now)
                else:
                    values["available_at"] = result.retry_at or now + backoff(
                        attempts[result.id],
                        base=self.settings.outbox_backoff_base_seconds,
                        cap=self.settings.outbox_backoff_max_seconds,
                    )
                session.execute(
                    update(OutboxMessage).where(OutboxMessage.id == result.id, *mine).values(**values),
                    execution_options={"synchronize_session": False},
                )

    def run_once(self, *, ids: Sequence[int] | None = None) -> int:
        """Claim and deliver one batch of each kind; returns how many rows were handled."""
        handled = 0
        for kind, handler in self.handlers.items():
            token, rows = self.claim(kind, limit=handler.claim_size, ids=ids)
            if not rows:
                continue
            try:
                results = handler.deliver(rows)
            except Exception:
                # A bug or a database hiccup: keep the rows (the lease ends), say so, keep serving.
                log.exception("Delivering %d %s rows failed; they will be retried.", len(rows), kind)
                continue
            answered = {result.id for result in results}
            missing = [Result(row.id, "retry", None, "no result") for row in rows if row.id not in answered]
            self._record(token, rows, [*results, *missing])
            handled += len(rows)
        return handled

    def run_periodic_jobs(self, *, now: datetime | None = None) -> None:
        """Run each periodic job that is due in this worker (at most once per its interval)."""
        moment = now or utcnow()
        for job in self.jobs:
            due = self.next_runs.get(job.name)
            if due is not None and moment < due:
                continue
            self.next_runs[job.name] = moment + job.interval
            count = job.run(transaction=self.database.transaction, settings=self.settings, now=moment)
            if count:
                log.info(job.report, count)

    def run(self, stop: threading.Event) -> None:
        """Deliver until `stop` is set; a batch in flight is finished first."""
        log.info("Outbox worker %s started.", self.name)
        while not stop.is_set():
            try:
                self.run_periodic_jobs()
                handled = self.run_once()
            except Exception:
                log.exception("The outbox worker could not reach the database; trying again shortly.")
                handled = 0
            if not handled:
                stop.wait(self.settings.outbox_poll_seconds)
        log.info("Outbox worker %s stopped.", self.name)

    def drain(self, *, until: datetime | None = None) -> int:
        """Deliver until nothing is due (tests, benchmarks, `calcast worker --drain`); returns rows handled."""
        total = 0
        while until is None or utcnow() < until:
            handled = self.run_once()
            if not handled:
                break
            total += handled
        return total


@contextmanager
def embedded_worker(worker: Worker) -> Iterator[Worker]:
    """Run the worker in a thread inside the web process (the embedded default); stopped and joined on exit."""
    stop = threading.Event()
    thread = threading.Thread(target=worker.run, args=(stop,), name="calcast-outbox", daemon=True)
    thread.start()
    try:
        yield worker
    finally:
        stop.set()
        thread.join(timeout=max(30.0, worker.settings.braze_timeout_seconds * 3))
        worker.close()


@contextmanager
def embedded_worker_slot(make_worker: Callable[[], Worker], settings: Settings) -> Iterator[None]:
    """The embedded outbox worker, in one of the server's processes on SQLite (in each on PostgreSQL).

    Several workers would be safe (a claim is a conditional update), but on SQLite they would only take turns
    at the one write lock. The process holding a lock file next to the database runs it; the others try again
    every few seconds, so the worker comes back when its process ends.
    """
    if not settings.is_sqlite:
        with embedded_worker(make_worker()):
            yield
        return
    path = make_url(settings.database_url).database or ""
    lock_path = None if path in ("", ":memory:") else Path(f"{path}.worker.lock")
    stop = threading.Event()

    def hold_and_run() -> None:
        with ExitStack() as held:
            while lock_path is not None:
                lock_file = held.enter_context(lock_path.open("a"))
                try:
                    fcntl.flock(lock_file, fcntl.LOCK_EX | fcntl.LOCK_NB)
                    break
                except OSError:
                    held.close()
                    if stop.wait(5.0):
                        return
            held.enter_context(embedded_worker(make_worker()))
            stop.wait()

    thread = threading.Thread(target=hold_and_run, name="calcast-outbox-slot", daemon=True)
    thread.start()
    try:
        yield
    finally:
        stop.set()
        thread.join(timeout=max(30.0, settings.braze_timeout_seconds * 3) + 5)
