"""Benchmark of push sync: one personal event reaching N Google push subscribers through the Google stand-in.

    .venv/bin/python -m bench.push.run [--subscriptions 10000] [--latency-ms 50] [--backends sqlite,postgresql]

For each backend: a fresh database, one calendar, N subscriptions each connected to its own (stand-in) Google
account, and one outbox worker (CALCAST_PUSH_CONCURRENCY syncs at once) that first makes the N calendars. Then one
`POST /v1/subscriptionevent`-sized change (the personal event attached to all N subscriptions in one call) and the
same worker draining it. The stand-in (tests/support/google_standin.py, in its own process) answers every Calendar
call after the given latency, checks it against the v3 discovery document, and enforces Google's default quotas
(10,000 requests per minute per project, 600 per user): a request over them is refused with 403
`rateLimitExceeded` and calcast waits it out. Printed: calendars made per second, then the event's figures:
events written per second, Calendar requests per event, and the time until the last subscriber has it.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import time
import urllib.parse
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta
from typing import Any

from sqlalchemy import delete, select

from bench.common import BACKEND_NAMES, SECRET_KEY, backends, database_url
from calcast import assembly
from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.core.config import Settings
from calcast.core.db import Database, upgrade, utcnow
from calcast.events import service as events
from calcast.outbox.models import OutboxMessage, OutboxStatus
from calcast.push import service as push
from calcast.push.models import Provider
from calcast.push.providers import Credentials
from calcast.subscriptions import service as subscriptions

BATCH = 500


@contextmanager
def stand_in(latency_ms: float) -> Iterator[dict[str, str]]:
    """The Google stand-in in its own process; yields the CALCAST_GOOGLE_* settings it prints."""
    command = [sys.executable, "-m", "tests.support.google_standin", "--delay-ms", str(latency_ms), "--quotas"]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, text=True)
    try:
        assert process.stdout is not None
        found = dict(process.stdout.readline().strip().split("=", 1) for _ in range(6))
        yield found
    finally:
        process.kill()
        process.wait()


def _post(url: str, form: dict[str, str]) -> Any:
    data = urllib.parse.urlencode(form).encode()
    with urllib.request.urlopen(urllib.request.Request(url, data=data), timeout=120) as response:
        return json.loads(response.read())


def _stats(url: str) -> dict[str, Any]:
    with urllib.request.urlopen(f"{url}/bench/stats", timeout=30) as response:
        found: dict[str, Any] = json.loads(response.read())
        return found


@contextmanager
def fresh_database(backend: str, google: dict[str, str]) -> Iterator[Database]:
    with database_url(backend) as url:
        settings = Settings(
            database_url=url,
            secret_key=SECRET_KEY,
            environment="production",
            google_client_id=google["CALCAST_GOOGLE_CLIENT_ID"],
            google_client_secret=google["CALCAST_GOOGLE_CLIENT_SECRET"],
            google_auth_url=google["CALCAST_GOOGLE_AUTH_URL"],
            google_token_url=google["CALCAST_GOOGLE_TOKEN_URL"],
            google_revoke_url=google["CALCAST_GOOGLE_REVOKE_URL"],
            google_api_url=google["CALCAST_GOOGLE_API_URL"],
            outbox_poll_seconds=0.05,
        )
        database = assembly.database(settings)
        try:
            upgrade(database.settings, database.engine)
            yield database
        finally:
            database.dispose()


def arrange(database: Database, count: int, standin: str) -> list[str]:
    """A calendar and `count` subscriptions, each connected to its own Google account; returns their ids."""
    with database.transaction() as session:
        accounts.create_account(session=session, code="bench", name="Bench")
        calendars.create_calendar(
            session=session,
            account_code="bench",
            code="main",
            settings=calendars.CalendarSettings(title="Bench Calendar"),
            tags=("All Teams",),
        )
    grants = _post(f"{standin}/bench/grants", {"count": str(count)})
    expires = utcnow() + timedelta(seconds=int(grants["expires_in"]))
    ids: list[str] = []
    for first in range(0, count, BATCH):
        with database.transaction() as session:
            for number in range(first, min(first + BATCH, count)):
                done = subscriptions.subscribe(
                    session=session,
                    settings=database.settings,
                    account_code="bench",
                    calendar_code="main",
                    details=subscriptions.SubscriberDetails(subscriber_id=f"user-{number}"),
                )
                grant = grants["grants"][number]
                push.connect(
                    session=session,
                    settings=database.settings,
                    subscription=done.subscription,
                    provider=Provider.GOOGLE,
                    credentials=Credentials(grant["refresh_token"], grant["access_token"], expires),
                )
                ids.append(done.subscription.id)
    with database.transaction() as session:
        # Only push is measured: no Braze or webhooks are configured for the account.
        session.execute(delete(OutboxMessage).where(OutboxMessage.kind != push.KIND))
    return ids


def drain(database: Database) -> float:
    """Run one worker until no push row is pending (waiting out backoffs); returns the seconds it took."""
    worker = assembly.worker(database)
    started = time.perf_counter()
    try:
        while True:
            worker.drain()
            with database.sessions() as session:
                pending = session.scalar(
                    select(OutboxMessage.id).where(
                        OutboxMessage.kind == push.KIND, OutboxMessage.status == OutboxStatus.PENDING
                    )
                )
            if pending is None:
                return time.perf_counter() - started
            time.sleep(0.05)
    finally:
        worker.close()


def run(backend: str, count: int, google: dict[str, str]) -> None:
    standin = google["CALCAST_GOOGLE_AUTH_URL"].split("/o/oauth2")[0]
    name = BACKEND_NAMES[backend]
    with fresh_database(backend, google) as database:
        ids = arrange(database, count, standin)
        made = drain(database)
        print(f"{name}: {count} calendars made in {made:.1f} s ({count / made:,.0f}/s)")
        before = _stats(standin)
        start = utcnow() + timedelta(days=1)
        with database.transaction() as session:
            events.push_event(
                session=session,
                account_id=accounts.get_account(session=session, code="bench").id,
                event=events.PersonalEventInput(
                    event_id="bench-1",
                    title="Your seat for the final",
                    start=start.isoformat(),
                    end=(start + timedelta(hours=2)).isoformat(),
                    timezone="Europe/London",
                    notify_before=60,
                ),
                subscription_ids=ids,
            )
        elapsed = drain(database)
        after = _stats(standin)
        calls = sum(after["calls"].values()) - sum(before["calls"].values())
        inserted = after["calls"].get("calendar.events.insert", 0) - before["calls"].get("calendar.events.insert", 0)
        throttled = after["throttled"] - before["throttled"]
        print(
            f"{name}: one event to {count} subscribers: {inserted / elapsed:,.0f} events/s, "
            f"{calls / count:.2f} Calendar requests per event, last subscriber after {elapsed:.1f} s, "
            f"{throttled} requests refused by the quotas"
        )
        assert inserted == count, f"{inserted} events written for {count} subscribers"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--subscriptions", type=int, default=10_000)
    parser.add_argument("--latency-ms", type=float, default=50.0)
    parser.add_argument("--backends", default="sqlite,postgresql")
    arguments = parser.parse_args()
    with stand_in(arguments.latency_ms) as google:
        for backend in backends(arguments.backends):
            run(backend, arguments.subscriptions, google)


if __name__ == "__main__":
    main()
