"""SQLite as `calcast serve --workers N` uses it: writers in several processes, one embedded outbox worker."""

from __future__ import annotations

import threading
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import ExitStack, contextmanager
from functools import partial
from pathlib import Path

import pytest
from sqlalchemy import func, select

from calcast import assembly
from calcast.core.config import Settings
from calcast.core.db import Database, upgrade
from calcast.outbox.worker import embedded_worker_slot
from calcast.subscriptions.models import Subscription
from tests.conftest import Persona, make_settings
from tests.rokt_api import subscribe


@pytest.fixture
def sqlite_file(tmp_path: Path) -> Iterator[Database]:
    database = assembly.database(make_settings(f"sqlite:///{tmp_path}/calcast.db", run_worker_in_server=True))
    upgrade(database.settings, database.engine)
    yield database
    database.dispose()


def test_writers_in_separate_processes_never_fail_on_the_lock(sqlite_file: Database) -> None:
    """Two connection pools share no lock in the process: only SQLite's (BEGIN IMMEDIATE, busy timeout) guards."""
    from tests.conftest import _make_persona

    owner: Persona = _make_persona(sqlite_file, "owner")
    other = assembly.database(sqlite_file.settings)
    try:
        with ThreadPoolExecutor(max_workers=8) as pool:
            jobs = [
                pool.submit(subscribe, (sqlite_file, other)[number % 2], owner, f"fan-{number}") for number in range(80)
            ]
            for job in jobs:
                job.result()  # an "database is locked" error would be raised here
    finally:
        other.dispose()
    with sqlite_file.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Subscription)) == 80


@contextmanager
def closing_database(settings: Settings) -> Iterator[Database]:
    database = assembly.database(settings)
    try:
        yield database
    finally:
        database.dispose()


def test_one_process_of_the_server_runs_the_embedded_outbox_worker(sqlite_file: Database) -> None:
    def outbox_threads() -> int:
        return sum(thread.name == "calcast-outbox" for thread in threading.enumerate())

    before = outbox_threads()
    with ExitStack() as processes:
        for _ in range(3):  # three server processes' lifespans on one SQLite file
            database = processes.enter_context(closing_database(sqlite_file.settings))
            processes.enter_context(embedded_worker_slot(partial(assembly.worker, database), database.settings))
        deadline = threading.Event()
        for _ in range(50):
            if outbox_threads() > before:
                break
            deadline.wait(0.05)
        deadline.wait(0.3)
        assert outbox_threads() - before == 1
    assert outbox_threads() == before
