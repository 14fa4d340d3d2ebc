"""Benchmark of the click redirect (GET /r/{token}) against the same server's /healthz ceiling, SQLite and PostgreSQL.

    .venv/bin/python -m bench.clicks.run [--seconds 10] [--connections 8] [--backends sqlite,postgresql]

Seeds an account with a calendar, SUBSCRIBERS subscriptions and one broadcast event with a URL, then loads with
wrk (a phone browser's User-Agent, so that every click counts as a person's): the same subscriber's link every
time (a repeated click), and each request another subscriber's link (first clicks while they last: the first-click
row and the consumers' outbox rows too). The redirect reads; the clicks are written in batches every second
(`engagement.recorder`), and after the server stops the benchmark checks that every answered click was written.
"""

from __future__ import annotations

import argparse
import json
import secrets

from sqlalchemy import func, insert, select

from bench.common import SECRET_KEY, Load, backends, calcast_server, database_url, ensure_wrk, line, wrk
from calcast import assembly
from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.core.clicks import CLICK_PATH, click_token
from calcast.core.config import Settings
from calcast.core.db import upgrade
from calcast.engagement.models import Click
from calcast.subscriptions.models import Subscription

SUBSCRIBERS = 20_000
SAFARI = (
    "Mozilla/5.0 (iPhone; CPU iPhone OS 17_4 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
    "Version/17.4 Mobile/15E148 Safari/604.1"
)
# The redirect is on a person's way to the brand's page (issue 14): at least half of what the server can do at all.
TARGET = 0.50


def seed(url: str) -> list[str]:
    """The click paths of SUBSCRIBERS subscriptions for one broadcast event's URL."""
    settings = Settings(database_url=url, secret_key=SECRET_KEY, environment="production")
    database = assembly.database(settings)
    upgrade(settings, database.engine)
    with database.transaction() as session:
        accounts.create_account(session=session, code="bench", name="Bench")
        calendar = calendars.create_calendar(
            session=session, account_code="bench", code="main", settings=calendars.CalendarSettings(title="Bench")
        )
        event = calendars.add_broadcast_event(
            session=session,
            account_code="bench",
            calendar_code="main",
            event=calendars.BroadcastEventInput(
                title="Match",
                start="2030-01-01T18:00:00",
                end="2030-01-01T20:00:00",
                timezone="Europe/Berlin",
                url="https://tickets.example.com/match",
            ),
        )
        rows = [
            {"account_id": calendar.account_id, "calendar_id": calendar.id, "suffix": secrets.token_hex(6)}
            for _ in range(SUBSCRIBERS)
        ]
        session.execute(insert(Subscription), rows)
        event_id, link = event.id, event.url or ""
    with database.sessions() as session:
        ids = [row[0] for row in session.query(Subscription.id).order_by(Subscription.id)]
    database.dispose()
    paths = []
    for subscription_id in ids:
        token = click_token(
            SECRET_KEY, subscription_id=subscription_id, event_kind="broadcast", event_id=event_id, link=link
        )
        assert token is not None
        paths.append(f"{CLICK_PATH}{token}")
    return paths


def lua_paths(paths: list[str]) -> str:
    """A wrk script that GETs the next of `paths` each request (each thread from its own offset)."""
    table = "{" + ",".join(json.dumps(path) for path in paths) + "}"
    return (
        f'wrk.headers["User-Agent"] = "{SAFARI}"\n'
        f"local paths = {table}\n"
        "local counter = 0\nthread_number = 0\nthreads = 0\n"
        "function setup(thread) threads = threads + 1; thread:set('thread_number', threads) end\n"
        "request = function()\n  counter = counter + 1\n"
        "  return wrk.format('GET', paths[(thread_number * 9973 + counter) % #paths + 1])\nend\n"
    )


def run(backend: str, seconds: int, connections: int) -> None:
    def show(name: str, load: Load, target: float | None) -> None:
        line(f"{backend:10} {name:34}", load, ceiling, "ceiling", target)

    with database_url(backend) as url:
        paths = seed(url)
        with calcast_server(url) as base:
            wrk(f"{base}/healthz", 3, connections)  # warm-up
            ceiling = wrk(f"{base}/healthz", seconds, connections)
            show("GET /healthz (ceiling)", ceiling, None)
            repeated = wrk(f"{base}{paths[0]}", seconds, connections, headers={"User-Agent": SAFARI})
            show("GET /r/… the same link (repeat)", repeated, TARGET)
            spread = wrk(f"{base}/healthz", seconds, connections, script=lua_paths(paths[1:]))
            show("GET /r/… each another subscriber", spread, TARGET)
        # The server has stopped: every click it answered is written (they are written in batches).
        answered = repeated.requests + spread.requests  # wrk leaves out the answers in flight when it stops
        print(f"{backend:10} clicks written {written(url):,}, redirects wrk counted {answered:,}")


def written(url: str) -> int:
    database = assembly.database(Settings(database_url=url, secret_key=SECRET_KEY, environment="production"))
    with database.sessions() as session:
        count = session.scalar(select(func.count()).select_from(Click)) or 0
    database.dispose()
    return count


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--backends", default="sqlite,postgresql")
    arguments = parser.parse_args()
    ensure_wrk()
    print(f"calcast click benchmark: wrk -t2 -c{arguments.connections} -d{arguments.seconds}s, one uvicorn process")
    for backend in backends(arguments.backends):
        run(backend, arguments.seconds, arguments.connections)


if __name__ == "__main__":
    main()
