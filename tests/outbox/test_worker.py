"""The outbox worker as an operator runs it: real `calcast worker` processes, killed, stopped, run side by side."""

from __future__ import annotations

import os
import secrets
import signal
import subprocess
import sys
import time
from collections import Counter
from collections.abc import Callable
from pathlib import Path

import psycopg
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from calcast import assembly
from calcast.app import create_app
from calcast.core.config import Settings
from calcast.core.db import Database, upgrade
from calcast.outbox.models import OutboxMessage
from tests.conftest import BACKENDS, POSTGRES_ADMIN, SECRET_KEY, Cli
from tests.support.braze_sync import subscribe, worker
from tests.support.fake_braze import FakeBraze


def statuses(database: Database) -> Counter[str]:
    with database.sessions() as session:
        return Counter(session.scalars(select(OutboxMessage.status)))


def wait_for(condition: Callable[[], bool], timeout: float, what: str) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if condition():
            return
        time.sleep(0.05)
    raise AssertionError(f"timed out waiting for {what}")


def start_worker(database: Database, log: Path, **env: str) -> subprocess.Popen[bytes]:
    environment = {
        **os.environ,
        "CALCAST_DATABASE_URL": database.settings.database_url,
        "CALCAST_SECRET_KEY": SECRET_KEY,
        "CALCAST_OUTBOX_POLL_SECONDS": "0.1",
        "CALCAST_OUTBOX_LEASE_SECONDS": "2",
        "CALCAST_OUTBOX_BACKOFF_BASE_SECONDS": "0.1",
        "CALCAST_OUTBOX_BACKOFF_MAX_SECONDS": "0.5",
        "CALCAST_ALLOW_PRIVATE_DESTINATIONS": "true",
        **env,
    }
    with log.open("ab") as output:
        return subprocess.Popen(
            [sys.executable, "-m", "calcast", "worker"], env=environment, stdout=output, stderr=output
        )


def stop(process: subprocess.Popen[bytes]) -> int:
    process.send_signal(signal.SIGTERM)
    return process.wait(timeout=20)


@pytest.mark.slow  # starts `calcast worker` processes
def test_a_worker_killed_mid_batch_leaves_the_batch_to_the_next_worker(
    database: Database, braze: FakeBraze, tmp_path: Path
) -> None:
    done = [subscribe(database, subscriber_id=f"user-{n}") for n in range(60)]
    braze.delay_seconds = 3.0  # the first request hangs: the worker is mid-batch when it dies
    first = start_worker(database, tmp_path / "worker.log")
    try:
        assert braze.in_flight.wait(timeout=20), "the worker never sent a request"
    finally:
        first.kill()  # SIGKILL: no chance to clean up
        first.wait(timeout=10)
    assert first.returncode == -signal.SIGKILL
    assert statuses(database)["done"] == 0
    braze.delay_seconds = 0.0
    second = start_worker(database, tmp_path / "worker.log")
    try:
        wait_for(lambda: statuses(database) == Counter({"done": 60}), 30, "every row to be delivered")
    finally:
        assert stop(second) == 0
    delivered = {item["external_id"] for item in braze.accepted_attributes()}
    assert delivered == {d.subscription.subscriber_id for d in done}


@pytest.mark.slow  # starts `calcast worker` processes
def test_two_workers_side_by_side_never_deliver_the_same_row_twice(
    database: Database, braze: FakeBraze, tmp_path: Path
) -> None:
    for number in range(400):
        subscribe(database, subscriber_id=f"user-{number}")
    braze.delay_seconds = 0.05
    small_batches = {"CALCAST_BRAZE_BATCH_SIZE": "10"}
    workers = [start_worker(database, tmp_path / f"worker-{n}.log", **small_batches) for n in range(2)]
    try:
        wait_for(lambda: statuses(database) == Counter({"done": 400}), 90, "every row to be delivered")
    finally:
        codes = [stop(process) for process in workers]
    assert codes == [0, 0]
    sent = Counter(item["external_id"] for item in braze.accepted_attributes())
    assert len(sent) == 400
    assert max(sent.values()) == 1, [user for user, count in sent.items() if count > 1]
    with database.sessions() as session:
        claims = list(session.scalars(select(OutboxMessage.claimed_by)))
    assert None not in claims, "every delivered row was claimed"
    claimers = {claim.split(":")[1] for claim in claims if claim is not None}
    assert len(claimers) == 2, "both workers should have delivered a share"


@pytest.mark.slow  # starts `calcast worker` processes
def test_sigterm_stops_the_worker_cleanly(database: Database, braze: FakeBraze, tmp_path: Path) -> None:
    process = start_worker(database, tmp_path / "worker.log")
    wait_for(lambda: "running" in (tmp_path / "worker.log").read_text(), 20, "the worker to start")
    assert stop(process) == 0
    assert "Stopping after the current batch (SIGTERM)" in (tmp_path / "worker.log").read_text()


def test_rows_claimed_by_a_worker_that_vanished_are_claimed_again_after_the_lease(
    database: Database, braze: FakeBraze
) -> None:
    subscribe(database, subscriber_id="user-1")
    # A lease long enough that a busy machine still claims again within it.
    vanished = assembly.worker(database, settings=database.settings.model_copy(update={"outbox_lease_seconds": 2}))
    _, rows = vanished.claim("braze.track", limit=10)
    vanished.close()
    assert len(rows) == 1
    later = worker(database)
    try:
        assert later.claim("braze.track", limit=10)[1] == []  # still leased
        time.sleep(2.1)
        assert later.drain() == 1
    finally:
        later.close()
    assert statuses(database) == Counter({"done": 1})
    with database.sessions() as session:
        assert session.scalars(select(OutboxMessage.attempts)).one() == 2


def test_an_operator_retries_one_message_by_id(database: Database, braze: FakeBraze, cli: Cli) -> None:
    braze.fail_with = 403
    subscribe(database, subscriber_id="user-1")
    runner = worker(database)
    try:
        runner.drain()
        with database.sessions() as session:
            message = session.scalars(select(OutboxMessage)).one()
        assert (message.status, message.last_status_code) == ("failed", 403)
        listed = cli("outbox", "list", "--json")
        assert '"status": "failed"' in listed.stdout
        assert '"lastStatusCode": 403' in listed.stdout
        braze.fail_with = None
        retried = cli("outbox", "retry", str(message.id))
        assert retried.exit_code == 0
        assert f"Queued message {message.id} again." in retried.stdout
        again = cli("outbox", "retry", str(message.id))
        assert again.exit_code == 1
        assert "still pending" in again.stderr
        runner.drain()
    finally:
        runner.close()
    assert statuses(database) == Counter({"done": 1})
    missing = cli("outbox", "retry", "999999")
    assert missing.exit_code == 1
    assert "There is no outbox message 999999" in missing.stderr


def test_metrics_show_outbox_counts_by_status_and_kind(
    database: Database, braze: FakeBraze, client: TestClient
) -> None:
    braze.reject_when = lambda item: item.get("external_id") == "user-0"
    for number in range(3):
        subscribe(database, subscriber_id=f"user-{number}")
    before = client.get("/metrics")
    assert before.status_code == 200
    assert 'calcast_outbox_messages{kind="braze.track",status="pending"} 3.0' in before.text
    runner = worker(database)
    try:
        runner.drain()
    finally:
        runner.close()
    after = client.get("/metrics").text
    assert 'calcast_outbox_messages{kind="braze.track",status="done"} 2.0' in after
    assert 'calcast_outbox_messages{kind="braze.track",status="failed"} 1.0' in after
    assert "calcast_outbox_oldest_pending_age_seconds 0.0" in after


def test_the_server_delivers_by_itself_with_the_embedded_worker(database: Database, braze: FakeBraze) -> None:
    settings = database.settings.model_copy(update={"run_worker_in_server": True, "outbox_poll_seconds": 0.05})
    with TestClient(create_app(settings, database)):
        subscribe(database, subscriber_id="user-1")
        wait_for(lambda: statuses(database) == Counter({"done": 1}), 10, "the embedded worker")
    assert braze.profile("user-1").events[0]["name"] == "subscribe"


@pytest.mark.slow  # starts a `calcast worker` process
def test_a_worker_started_while_the_database_is_unreachable_waits_for_it(tmp_path: Path) -> None:
    if "postgresql" not in BACKENDS:
        pytest.skip("needs PostgreSQL (a database that appears while the worker waits); CALCAST_TEST_BACKENDS omits it")
    name = f"calcast_wait_{secrets.token_hex(4)}"
    admin = psycopg.conninfo.conninfo_to_dict(POSTGRES_ADMIN)
    host, port = admin.get("host", "127.0.0.1"), admin.get("port", "5432")
    url = f"postgresql+psycopg://{admin.get('user', 'postgres')}@{host}:{port}/{name}"
    log = tmp_path / "worker.log"
    environment = {**os.environ, "CALCAST_DATABASE_URL": url, "CALCAST_SECRET_KEY": SECRET_KEY}
    with log.open("ab") as output:
        process = subprocess.Popen(
            [sys.executable, "-m", "calcast", "worker"], env=environment, stdout=output, stderr=output
        )
    try:
        wait_for(lambda: "cannot be reached yet" in log.read_text(), 30, "the worker to say it waits")
        assert process.poll() is None, log.read_text()
        # The database appears whole (created and migrated under another name, then renamed), as after a restart.
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
            connection.execute(f'CREATE DATABASE "{name}_new"')
        ready = Settings(database_url=url.replace(name, f"{name}_new"), secret_key=SECRET_KEY)
        migrated = assembly.database(ready)
        upgrade(ready, migrated.engine)
        migrated.dispose()
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
            connection.execute(f'ALTER DATABASE "{name}_new" RENAME TO "{name}"')
        wait_for(lambda: "running" in log.read_text(), 30, "the worker to start delivering")
        assert stop(process) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
            for database_name in (name, f"{name}_new"):
                connection.execute(f'DROP DATABASE IF EXISTS "{database_name}" WITH (FORCE)')
