"""Benchmark of the Braze export: 10,000 new subscriptions delivered to a local Braze stand-in.

    .venv/bin/python -m bench.braze.run [--subscriptions 10000] [--backends sqlite,postgresql]

For each backend: a fresh database, one account pointed at the stand-in (tests/support/fake_braze.py, run
in its own process, validating every request as Braze documents it), 10,000 subscriptions created through
the subscription service (each queues its users.track objects in the outbox, in its own transaction),
then one outbox worker drains the queue. Printed per backend and batch scope: requests used against the
⌈n/75⌉ target, and subscriptions delivered per second (target ≥ 2,000/s).

Each subscription is two Braze objects (its attributes and its `subscribe` event). With Braze's current
limit of 75 objects per request in total (calcast's default, CALCAST_BRAZE_BATCH_SCOPE=total) that is 37
subscriptions per request, so ⌈2n/75⌉ requests; the ⌈n/75⌉ target needs the legacy limit of 75 per array
(CALCAST_BRAZE_BATCH_SCOPE=per_array). Both are measured.
"""

from __future__ import annotations

import argparse
import json
import math
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any

from sqlalchemy import update

from bench.common import SECRET_KEY, backends, database_url
from calcast import assembly
from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.core.config import Settings
from calcast.core.db import Database, upgrade, utcnow
from calcast.core.security import Cipher
from calcast.outbox.models import OutboxMessage
from calcast.subscriptions import service as subscriptions

API_KEY = "braze-rest-key"


@contextmanager
def stand_in(per_array: bool, latency_ms: float) -> Iterator[str]:
    """The Braze stand-in in its own process (so it does not share the worker's interpreter)."""
    command = [sys.executable, "-m", "tests.support.fake_braze", *(["--per-array"] if per_array else [])]
    command += ["--delay-ms", str(latency_ms)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        yield process.stdout.readline().strip()
    finally:
        process.kill()
        process.wait()


def stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/stats", timeout=10) as response:
        found: dict[str, Any] = json.loads(response.read())
        return found


@contextmanager
def fresh_database(backend: str) -> Iterator[Database]:
    with database_url(backend) as url:
        settings = Settings(
            database_url=url,
            secret_key=SECRET_KEY,
            environment="production",
            # The Braze stand-in listens on loopback over plain http.
            allow_private_destinations=True,
        )
        database = assembly.database(settings)
        try:
            upgrade(database.settings, database.engine)
            yield database
        finally:
            database.dispose()


def arrange(database: Database, count: int, url: str) -> float:
    """Account (Braze set), calendar and `count` subscriptions; returns subscriptions created per second."""
    with database.transaction() as session:
        accounts.create_account(session=session, code="bench", name="Bench")
        accounts.set_braze(
            session=session,
            cipher=Cipher(SECRET_KEY),
            code="bench",
            rest_endpoint=url,
            api_key=API_KEY,
            allow_private_destinations=True,
        )
        calendars.create_calendar(
            session=session,
            account_code="bench",
            code="main",
            settings=calendars.CalendarSettings(title="Bench Calendar"),
            tags=("All Teams", "Team I", "Team II"),
        )
    started = time.perf_counter()
    for first in range(0, count, 500):
        with database.transaction() as session:
            for number in range(first, min(first + 500, count)):
                subscriptions.subscribe(
                    session=session,
                    settings=database.settings,
                    account_code="bench",
                    calendar_code="main",
                    details=subscriptions.SubscriberDetails(
                        subscriber_id=f"user-{number}", email=f"user-{number}@example.com", opt_in1=True
                    ),
                )
    return count / (time.perf_counter() - started)


def point_braze(database: Database, url: str) -> None:
    with database.transaction() as session:
        accounts.set_braze(
            session=session,
            cipher=Cipher(SECRET_KEY),
            code="bench",
            rest_endpoint=url,
            api_key=API_KEY,
            allow_private_destinations=True,
        )
        session.execute(update(OutboxMessage).values(status="pending", available_at=utcnow(), attempts=0))


def deliver(database: Database, scope: str, count: int, url: str, concurrency: int) -> None:
    point_braze(database, url)
    before = stats(url)
    settings = database.settings.model_copy(update={"braze_batch_scope": scope, "braze_concurrency": concurrency})
    worker = assembly.worker(database, settings=settings)
    started = time.perf_counter()
    handled = worker.drain()
    elapsed = time.perf_counter() - started
    worker.close()
    after = stats(url)
    requests = after["requests"] - before["requests"]
    failed = sum(1 for status in after["statuses"][before["requests"] :] if status >= 300)
    delivered = after["attributes"] - before["attributes"]
    target = math.ceil(count / 75)
    prefix = f"  scope={scope:9} c={concurrency}"
    print(f"{prefix} rows handled {handled}, subscriptions delivered {delivered}")
    print(
        f"{prefix} requests used {requests} ({failed} failed/retried); target ≤ {target} + retries: "
        f"{'met' if requests - failed <= target else 'not met'} (ratio {requests / target:.2f})"
    )
    print(
        f"{prefix} subscriptions/s {delivered / elapsed:,.0f} in {elapsed:.2f} s; target ≥ 2,000/s: "
        f"{'met' if delivered / elapsed >= 2000 else 'not met'} (ratio {delivered / elapsed / 2000:.2f})"
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--concurrency", default="4", help="requests in flight (CALCAST_BRAZE_CONCURRENCY), e.g. 1,4")
    parser.add_argument("--braze-latency-ms", type=float, default=0.0, help="the stand-in holds each answer this long")
    options = parser.parse_args()
    latency = options.braze_latency_ms
    print(f"Braze stand-in answering after {latency:g} ms; concurrency {options.concurrency}", flush=True)
    with stand_in(False, latency) as total_url, stand_in(True, latency) as per_array_url:
        for backend in backends(options.backends):
            with fresh_database(backend) as database:
                created = arrange(database, options.subscriptions, total_url)
                print(f"{backend}: {options.subscriptions} subscriptions queued ({created:,.0f} subscribe calls/s)")
                for concurrency in (int(value) for value in options.concurrency.split(",")):
                    deliver(database, "total", options.subscriptions, total_url, concurrency)
                    deliver(database, "per_array", options.subscriptions, per_array_url, concurrency)


if __name__ == "__main__":
    main()
