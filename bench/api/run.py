"""Benchmark of the Rokt-compatible API against the same server's /healthz ceiling, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.api.run [--seconds 10] [--connections 8] [--backends sqlite,postgresql]

Starts uvicorn (`calcast.server:served_app`) with production settings on a free loopback port, warms it up, loads
it with wrk (Debian's package, installed when missing) and prints one line per figure with its ratio to the
ceiling: POST /oauth2/token, POST /v1/subscriptionevent with one subscription id (a new event each request,
for another subscription each time, then for the same one every time), and one request with 10,000
subscription ids (timed end to end).
"""

from __future__ import annotations

import argparse
import json
import secrets
import statistics
import time
import urllib.request
from base64 import b64encode
from dataclasses import dataclass

from sqlalchemy import insert

from bench.common import (
    SECRET_KEY,
    Load,
    backends,
    calcast_server,
    database_url,
    ensure_wrk,
    line,
    wrk,
)
from calcast import assembly
from calcast.accounts import service as accounts
from calcast.accounts.auth import Credentials, account_caller
from calcast.calendars import service as calendars
from calcast.core.config import Settings
from calcast.core.db import upgrade
from calcast.events import service as events
from calcast.events.schemas import PushEventIn
from calcast.subscriptions.models import Subscription

MANY = 10_000
TARGETS = {"token": 0.50, "event": 0.30}


@dataclass
class Seeded:
    client_id: str
    client_secret: str
    subscription_ids: list[str]


def seed(url: str) -> Seeded:
    """An account with a calendar, an OAuth client and MANY + 1 subscriptions."""
    settings = Settings(database_url=url, secret_key=SECRET_KEY, environment="production")
    database = assembly.database(settings)
    upgrade(settings, database.engine)
    with database.transaction() as session:
        accounts.create_account(session=session, code="bench", name="Bench")
        calendar = calendars.create_calendar(
            session=session,
            account_code="bench",
            code="main",
            settings=calendars.CalendarSettings(title="Bench"),
            tags=("All",),
        )
        created = accounts.create_client(session=session, account_code="bench")
        rows = [
            {"account_id": calendar.account_id, "calendar_id": calendar.id, "suffix": secrets.token_hex(6)}
            for _ in range(MANY + 1)
        ]
        session.execute(insert(Subscription), rows)
        client_id, client_secret = created.client.client_id, created.client_secret
    with database.sessions() as session:
        ids = [row[0] for row in session.query(Subscription.id).order_by(Subscription.id)]
    database.dispose()
    return Seeded(client_id, client_secret, ids)


def lua_post(path: str, headers: dict[str, str], body: str, unique: bool = False, ids: list[str] | None = None) -> str:
    """A wrk script that POSTs `body`.

    With `unique`, %d in the body becomes a per-thread request counter; with `ids` as well, %s becomes the next
    of those ids (each wrk thread walks the list from its own offset).
    """
    header_lines = "".join(f'wrk.headers["{key}"] = "{value}"\n' for key, value in headers.items())
    if not unique:
        return f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n{header_lines}'
    table = "{" + ",".join(json.dumps(value) for value in ids or []) + "}"
    pick = ", ids[(thread_number * 4999 + counter) % #ids + 1]" if ids else ""
    return (
        f"{header_lines}"
        f"local ids = {table}\n"
        "local counter = 0\nthread_number = 0\nthreads = 0\n"
        "function setup(thread) threads = threads + 1; thread:set('thread_number', threads) end\n"
        "request = function()\n  counter = counter + 1\n"
        f"  local body = string.format({json.dumps(body)}, thread_number * 100000000 + counter{pick})\n"
        f'  return wrk.format("POST", "{path}", nil, body)\nend\n'
    )


def post_json(url: str, body: dict[str, object], token: str) -> tuple[int, float, dict[str, object]]:
    data = json.dumps(body).encode()
    request = urllib.request.Request(
        url, data=data, headers={"Content-Type": "application/json", "Authorization": f"Bearer {token}"}
    )
    started = time.perf_counter()
    with urllib.request.urlopen(request, timeout=60) as response:
        answer = json.loads(response.read())
        return response.status, time.perf_counter() - started, answer


def fetch_token(base: str, seeded: Seeded) -> str:
    basic = b64encode(f"{seeded.client_id}:{seeded.client_secret}".encode()).decode()
    request = urllib.request.Request(
        f"{base}/oauth2/token", data=b"grant_type=client_credentials", headers={"Authorization": f"Basic {basic}"}
    )
    with urllib.request.urlopen(request, timeout=10) as response:
        return str(json.loads(response.read())["access_token"])


def run(backend: str, seconds: int, connections: int, workers: int) -> None:
    def show(name: str, load: Load, target: float | None) -> None:
        line(f"{backend:10} {name:34}", load, ceiling, "ceiling", target)

    with database_url(backend) as url:
        seeded = seed(url)
        with calcast_server(url, workers=workers) as base:
            wrk(f"{base}/healthz", 3, connections)  # warm-up
            ceiling = wrk(f"{base}/healthz", seconds, connections)
            show("GET /healthz (ceiling)", ceiling, None)

            basic = b64encode(f"{seeded.client_id}:{seeded.client_secret}".encode()).decode()
            token_script = lua_post(
                "/oauth2/token",
                {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
                "grant_type=client_credentials",
            )
            token_load = wrk(f"{base}/oauth2/token", seconds, connections, script=token_script)
            show("POST /oauth2/token", token_load, TARGETS["token"])

            token = fetch_token(base, seeded)
            event = (
                '{"event":{"eventId":"bench-%d","title":"Bench","start":"2030-01-01T10:00:00",'
                '"end":"2030-01-01T11:00:00","timezone":"Eastern Standard Time","notifyBefore":"15"},'
                '"subscriptionIds":["%s"]}'
            )
            event_headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
            path = "/v1/subscriptionevent/bench"
            # As a campaign's webhooks arrive: each call a new event for another subscriber (the figure with the
            # target), then every call for the same subscriber, whose feed version each one bumps (a hot row).
            spread = lua_post(path, event_headers, event, unique=True, ids=seeded.subscription_ids[:MANY])
            event_load = wrk(f"{base}{path}", seconds, connections, script=spread)
            show("POST /v1/subscriptionevent (1 id)", event_load, TARGETS["event"])
            print(f"{backend:10} {'':34} p99 target < 100 ms: {'ok' if event_load.p99_ms < 100 else 'MISSED'}")
            same = lua_post(path, event_headers, event, unique=True, ids=seeded.subscription_ids[-1:])
            same_load = wrk(f"{base}{path}", seconds, connections, script=same)
            show("  the same subscription every time", same_load, None)

            many = seeded.subscription_ids[:MANY]
            timings = []
            for attempt in range(3):
                body: dict[str, object] = {
                    "event": {
                        "eventId": f"bench-many-{attempt}",
                        "title": "Bench for everyone",
                        "start": "2030-01-02T10:00:00",
                        "end": "2030-01-02T11:00:00",
                        "timezone": "Eastern Standard Time",
                    },
                    "subscriptionIds": many,
                }
                status, elapsed, answer = post_json(f"{base}/v1/subscriptionevent/bench", body, token)
                assert status == 202
                assert answer["attached"] == MANY, answer
                timings.append(elapsed)
            verdict = "ok" if max(timings) < 2 else "MISSED"
            print(
                f"{backend:10} {'POST /v1/subscriptionevent (10,000 ids)':34} "
                f"{' / '.join(f'{t:.2f} s' for t in timings)}  (median {statistics.median(timings):.2f} s, "
                f"target < 2 s: {verdict})",
                flush=True,
            )


def service_time(backend: str, batches: int = 8, size: int = 200) -> None:
    """The personal event's work in its worker thread, timed in this process without a server or a load generator:
    authentication's caller lookup, the change and its commit, one request after the other (ms per event).

    Less sensitive to what else runs on the machine than a ratio under wrk: one thread, and the fastest batch
    is the figure (the median is printed too).
    """
    with database_url(backend) as url:
        seeded = seed(url)
        settings = Settings(database_url=url, secret_key=SECRET_KEY, environment="production")
        database = assembly.database(settings)
        credentials = Credentials(client_id=seeded.client_id)

        def one(number: int) -> None:
            body = PushEventIn.model_validate(
                {
                    "event": {
                        "eventId": f"timed-{number}",
                        "title": "Bench",
                        "start": "2030-01-01T10:00:00",
                        "end": "2030-01-01T11:00:00",
                        "timezone": "Eastern Standard Time",
                        "notifyBefore": "15",
                    },
                    "subscriptionIds": [seeded.subscription_ids[number % MANY]],
                }
            )
            with database.transaction() as session:
                caller = account_caller(session=session, credentials=credentials, account_code="bench")
                events.push_event(
                    session=session,
                    account_id=caller.account_id,
                    event=body.event.to_input(),
                    subscription_ids=body.subscription_ids,
                    feed_window_days=settings.feed_window_days,
                )

        for number in range(size):  # warm-up: statement caches, connections
            one(number)
        timings = []
        for batch in range(1, batches + 1):
            started = time.perf_counter()
            for number in range(batch * size, (batch + 1) * size):
                one(number)
            timings.append((time.perf_counter() - started) / size * 1000)
        database.dispose()
    print(
        f"{backend:10} {'personal event, in-process service time':34} fastest batch {min(timings):.2f} ms, "
        f"median {statistics.median(timings):.2f} ms ({batches} batches of {size} events, one thread)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--workers", type=int, default=1, help="server processes (calcast serve --workers)")
    parser.add_argument(
        "--service-time", action="store_true", help="time the personal event's work in this process instead"
    )
    arguments = parser.parse_args()
    if arguments.service_time:
        for backend in backends(arguments.backends):
            service_time(backend)
        return
    ensure_wrk()
    load = f"wrk -t2 -c{arguments.connections} -d{arguments.seconds}s"
    print(f"calcast API benchmark: {load}, {arguments.workers} process(es)")
    for backend in backends(arguments.backends):
        run(backend, arguments.seconds, arguments.connections, arguments.workers)


if __name__ == "__main__":
    main()
