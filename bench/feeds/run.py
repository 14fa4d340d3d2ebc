"""Feed benchmark: calcast's webcal feed against a bare ASGI app serving the same bytes, and against Radicale.

    .venv/bin/python -m bench.feeds.run [--seconds 10] [--connections 16] [--backends sqlite,postgresql]
                                        [--workers 1] [--skip-growth]

For each backend, in one run, with one load generator (wrk, Debian's package, installed when missing) and the
same number of processes for every server (`--workers`):
- the reference: `bench.bare` (the same feed bytes from memory) under the same uvicorn settings, 200 and 304;
- calcast's /healthz (for comparison), a 50-event feed served from memory (200, gzip), the same feed with
  If-None-Match and If-Modified-Since (304), the same two with the JSON access log on;
- Radicale (installed from PyPI when missing) under gunicorn, serving the same 50 events as one collection GET;
- feed latency with 1,000 and then 100,000 subscriptions (each with a personal event) in the database: the
  first fetch of 200 different feeds (rendering) and a 304 under load.
Prints one line per figure with its ratio to the bare app (or to Radicale, or between the two database sizes).
"""

from __future__ import annotations

import argparse
import base64
import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

import icalendar
from sqlalchemy import insert

from bench.common import (
    BACKEND_NAMES,
    SECRET_KEY,
    Load,
    backends,
    calcast_server,
    database_url,
    ensure_wrk,
    free_listener,
    line,
    serving,
    wait_for,
    wrk,
)
from calcast import assembly
from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.calendars.models import Calendar
from calcast.core.config import Settings
from calcast.core.db import upgrade
from calcast.core.security import digest, feed_token
from calcast.events.models import PersonalEvent, PersonalEventTarget
from calcast.subscriptions.models import FeedToken, Subscription, subscription_tags

# Radicale's default rights let a user read and write their own collections: /bench/… belongs to "bench".
RADICALE_AUTH = {"Authorization": "Basic " + base64.b64encode(b"bench:bench").decode()}
TARGETS = {"cached": 0.50, "not_modified": 0.50, "radicale": 10.0}


def ensure_radicale() -> None:
    """Radicale and gunicorn (how Radicale is run in production), from PyPI when missing."""
    missing = [name for name in ("radicale", "gunicorn") if importlib.util.find_spec(name) is None]
    if missing:
        print(f"Installing {', '.join(missing)} from PyPI…", flush=True)
        subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "radicale>=3.2", "gunicorn"], check=True)


@contextmanager
def radicale_server(folder: Path, workers: int) -> Iterator[str]:
    """Radicale as its WSGI application under gunicorn (sync workers, `workers` processes), any password accepted."""
    listener = free_listener()
    port = listener.getsockname()[1]
    listener.close()  # gunicorn binds by itself; the port was free a moment ago
    config = folder / "radicale.conf"
    config.write_text(
        f"[auth]\ntype = none\n[storage]\nfilesystem_folder = {folder / 'collections'}\n[logging]\nlevel = error\n"
    )
    command = [
        sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", str(workers),
        "--log-level", "error", "radicale:application",
    ]  # fmt: skip
    process = subprocess.Popen(command, env={**os.environ, "RADICALE_CONFIG": str(config)})
    base = f"http://127.0.0.1:{port}"
    try:
        wait_for(f"{base}/.web/")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=30)


@contextmanager
def bare_server(body: bytes, etag: str, workers: int) -> Iterator[str]:
    """bench.bare (the same bytes from memory) under the same uvicorn settings and number of processes."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "feed.ics"
        path.write_bytes(body)
        environment = {"BENCH_BARE_BODY": str(path), "BENCH_BARE_ETAG": etag}
        with serving("bench.bare:app", factory=False, environment=environment, workers=workers, ready_path="/") as base:
            yield base


# ---------------------------------------------------------------------------------------------------------------
# Data


@dataclass
class Seeded:
    calendar_id: str
    account_id: str
    tag_id: str
    feed_token: str


def seed(url: str) -> Seeded:
    """An account with a calendar of 50 events (in three zones, some all-day, with reminders) and one subscriber."""
    settings = Settings(database_url=url, secret_key=SECRET_KEY, environment="production")
    database = assembly.database(settings)
    upgrade(settings, database.engine)
    with database.transaction() as session:
        accounts.create_account(session=session, code="bench", name="Bench")
        calendar = calendars.create_calendar(
            session=session,
            account_code="bench",
            code="main",
            settings=calendars.CalendarSettings(title="Bench, the calendar", description="Fifty events; one feed."),
            tags=("All",),
        )
        zones = ("Europe/Berlin", "America/New_York", "W. Europe Standard Time")
        for number in range(49):  # and one personal event: 50 in the feed
            calendars.add_broadcast_event(
                session=session,
                account_code="bench",
                calendar_code="main",
                event=calendars.BroadcastEventInput(
                    title=f"Match {number}: Team I, Team II; the derby",
                    description="Gates open an hour early.\nBring your ticket, and a scarf.\n" * 3,
                    location="Stadium, Main Street 1",
                    url=f"https://example.test/matches/{number}",
                    start=calendars.upcoming_start(number + 1, 15, "Europe/Berlin"),
                    end=None,
                    timezone=zones[number % 3],
                    tags=("All",) if number % 2 else (),
                    notify_before=30,
                    all_day=number % 10 == 0,
                ),
            )
        seeded = Seeded(calendar.id, calendar.account_id, calendar.tags[0].id, "")
    database.dispose()
    return seeded


def add_subscriptions(url: str, seeded: Seeded, count: int, start: int) -> list[str]:
    """`count` more subscriptions with the calendar's tag, each with one personal event; returns their feed tokens."""
    database = assembly.database(Settings(database_url=url, secret_key=SECRET_KEY, environment="production"))
    now = datetime.now(UTC)
    tokens = []
    for first in range(start, start + count, 10_000):
        batch = range(first, min(first + 10_000, start + count))
        subscription_rows, token_rows, tag_rows, event_rows, target_rows = [], [], [], [], []
        for number in batch:
            subscription_id = f"00000000-0000-4000-8000-{number:012d}"
            token = feed_token(SECRET_KEY, subscription_id, 1)
            tokens.append(token)
            subscription_rows.append(
                {"id": subscription_id, "account_id": seeded.account_id, "calendar_id": seeded.calendar_id,
                 "suffix": f"{number:012x}", "subscriber_id": f"user-{number}", "feed_version": 1,
                 "feed_token_generation": 1, "poll_count": 0}
            )  # fmt: skip
            token_rows.append({"digest": digest(token), "subscription_id": subscription_id, "generation": 1})
            tag_rows.append({"subscription_id": subscription_id, "tag_id": seeded.tag_id})
            event_id = f"00000000-0000-4000-9000-{number:012d}"
            start_at = now + timedelta(days=1 + number % 60)
            event_rows.append(
                {"id": event_id, "account_id": seeded.account_id, "event_id": f"seat-{number}",
                 "title": f"Your seat, row {number % 40}", "start_at": start_at,
                 "end_at": start_at + timedelta(hours=2), "timezone": "America/New_York", "notify_before": 15,
                 "sequence": 0, "all_day": False}
            )  # fmt: skip
            target_rows.append({"personal_event_id": event_id, "subscription_id": subscription_id})
        with database.transaction() as session:
            session.execute(insert(Subscription), subscription_rows)
            session.execute(insert(FeedToken), token_rows)
            session.execute(insert(subscription_tags), tag_rows)
            session.execute(insert(PersonalEvent), event_rows)
            session.execute(insert(PersonalEventTarget), target_rows)
            session.query(Calendar).filter(Calendar.id == seeded.calendar_id).update(
                {Calendar.feed_version: Calendar.feed_version + 1}
            )
    database.dispose()
    return tokens


def show(name: str, load: Load, reference: Load, reference_name: str, target: float | None) -> None:
    line(f"{name:40}", load, reference, reference_name, target)


def load_into_radicale(base: str, feed: bytes) -> str:
    """The feed's 50 events as one Radicale calendar collection (one item per event, as CalDAV stores them)."""
    calendar = icalendar.Calendar.from_ical(feed)
    timezones = list(calendar.walk("VTIMEZONE"))
    collection = f"{base}/bench/main/"
    request = urllib.request.Request(collection, method="MKCALENDAR", headers=RADICALE_AUTH)
    urllib.request.urlopen(request, timeout=10).close()
    for event in calendar.walk("VEVENT"):
        item = icalendar.Calendar()
        item.add("VERSION", "2.0")
        item.add("PRODID", "-//calcast//bench//EN")
        for zone in timezones:
            item.add_component(zone)
        item.add_component(event)
        uid = str(event["UID"]).split("@")[0]
        put = urllib.request.Request(
            f"{collection}{uid}.ics", data=item.to_ical(), method="PUT",
            headers={"Content-Type": "text/calendar; charset=utf-8", **RADICALE_AUTH},
        )  # fmt: skip
        urllib.request.urlopen(put, timeout=10).close()
    return collection


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, bytes, dict[str, str], float]:
    request = urllib.request.Request(url, headers=headers or {})
    started = time.perf_counter()
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            body = response.read()
            return response.status, body, dict(response.headers), time.perf_counter() - started
    except urllib.error.HTTPError as error:
        return error.code, b"", dict(error.headers), time.perf_counter() - started


# ---------------------------------------------------------------------------------------------------------------
# Runs


def throughput(url: str, seeded: Seeded, seconds: int, connections: int, workers: int) -> None:
    token = add_subscriptions(url, seeded, 1, start=0)[0]
    with calcast_server(url, workers=workers) as base:
        feed_url = f"{base}/webcal/{token}"
        status, body, headers, _ = get(feed_url)
        assert status == 200, status
    events = len(icalendar.Calendar.from_ical(body).walk("VEVENT"))
    print(f"feed: {events} events, {len(body)} bytes, ETag {headers['etag'][:14]}…", flush=True)
    etag = headers["etag"].strip('"')
    with bare_server(body, etag, workers) as bare:
        wrk(bare, 2, connections)
        bare_ok = wrk(bare, seconds, connections)
        bare_304 = wrk(bare, seconds, connections, {"If-None-Match": headers["etag"]})
    show("bare ASGI app, same bytes (200)", bare_ok, bare_ok, "bare 200", None)
    show("bare ASGI app, 304", bare_304, bare_ok, "bare 200", None)
    with calcast_server(url, workers=workers) as base:
        feed_url = f"{base}/webcal/{token}"
        for warm in (f"{base}/healthz", feed_url):
            wrk(warm, 2, connections)
        ceiling = wrk(f"{base}/healthz", seconds, connections)
        show("calcast /healthz", ceiling, bare_ok, "bare 200", None)
        cached = wrk(feed_url, seconds, connections)
        show("calcast feed, 50 events, cached (200)", cached, bare_ok, "bare 200", TARGETS["cached"])
        zipped = wrk(feed_url, seconds, connections, {"Accept-Encoding": "gzip"})
        show("calcast feed, cached, gzip (200)", zipped, bare_ok, "bare 200", None)
        not_modified = wrk(feed_url, seconds, connections, {"If-None-Match": headers["etag"]})
        show("calcast feed, If-None-Match (304)", not_modified, bare_ok, "bare 200", TARGETS["not_modified"])
        show("calcast feed, If-None-Match (304)", not_modified, bare_304, "bare 304", None)
        since = wrk(feed_url, seconds, connections, {"If-Modified-Since": headers["last-modified"]})
        show("calcast feed, If-Modified-Since (304)", since, bare_ok, "bare 200", TARGETS["not_modified"])

    with (
        tempfile.TemporaryFile() as log,
        calcast_server(url, workers=workers, environment={"CALCAST_ACCESS_LOG": "true"}, stdout=log) as base,
    ):
        feed_url = f"{base}/webcal/{token}"
        wrk(feed_url, 2, connections)
        logged = wrk(feed_url, seconds, connections)
        show("… cached (200), access log on", logged, bare_ok, "bare 200", TARGETS["cached"])
        logged_304 = wrk(feed_url, seconds, connections, {"If-None-Match": headers["etag"]})
        show("… If-None-Match (304), access log on", logged_304, bare_ok, "bare 200", TARGETS["not_modified"])
        log.seek(0)
        print(f"    (access log: {sum(1 for _ in log)} lines written to a file)", flush=True)

    with tempfile.TemporaryDirectory() as folder, radicale_server(Path(folder), workers) as radicale:
        collection = load_into_radicale(radicale, body)
        status, radicale_body, _, _ = get(collection, RADICALE_AUTH)
        assert status == 200, status
        radicale_events = len(icalendar.Calendar.from_ical(radicale_body).walk("VEVENT"))
        print(f"radicale: collection GET with {radicale_events} events, {len(radicale_body)} bytes", flush=True)
        wrk(collection, 2, connections, RADICALE_AUTH)
        radicale_load = wrk(collection, seconds, connections, RADICALE_AUTH)
    show("radicale (gunicorn) collection GET", radicale_load, bare_ok, "bare 200", None)
    show("calcast feed cached vs radicale", cached, radicale_load, "radicale", TARGETS["radicale"])


def latency(url: str, tokens: list[str], seconds: int, connections: int, label: str) -> tuple[float, Load]:
    """Median first-fetch (rendering) time over 200 different feeds, and a 304 under load."""
    with calcast_server(url) as base:
        sample = random.Random(7).sample(tokens, 200)
        get(f"{base}/webcal/{sample[0]}")
        timings = []
        for token in sample[1:]:
            status, _, _, elapsed = get(f"{base}/webcal/{token}")
            assert status == 200, status
            timings.append(elapsed * 1000)
        render_ms = statistics.median(timings)
        feed_url = f"{base}/webcal/{sample[1]}"
        _, _, headers, _ = get(feed_url)
        wrk(feed_url, 2, connections, {"If-None-Match": headers["etag"]})
        not_modified = wrk(feed_url, seconds, connections, {"If-None-Match": headers["etag"]})
    print(
        f"{label:40} first fetch (render) median {render_ms:6.2f} ms over 199 feeds; "
        f"304 {not_modified.requests_per_second:8.0f} req/s p50 {not_modified.p50_ms:6.2f} ms "
        f"p99 {not_modified.p99_ms:6.2f} ms",
        flush=True,
    )
    return render_ms, not_modified


def growth(url: str, seeded: Seeded, seconds: int, connections: int) -> None:
    tokens = add_subscriptions(url, seeded, 999, start=1)
    small_render, small_304 = latency(url, tokens, seconds, connections, "1,000 subscriptions")
    started = time.perf_counter()
    add_subscriptions(url, seeded, 99_000, start=1_000)
    print(f"(added 99,000 subscriptions with personal events in {time.perf_counter() - started:.0f} s)", flush=True)
    large_render, large_304 = latency(url, tokens, seconds, connections, "100,000 subscriptions")
    print(
        f"growth 1,000 → 100,000 subscriptions: render median ×{large_render / small_render:.2f}, "
        f"304 p50 ×{large_304.p50_ms / small_304.p50_ms:.2f}, 304 throughput "
        f"×{large_304.requests_per_second / small_304.requests_per_second:.2f} (target: flat, ≈×1)",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--backends", default="sqlite,postgresql")
    parser.add_argument("--skip-growth", action="store_true")
    parser.add_argument("--workers", type=int, default=1, help="processes of calcast, the bare app and Radicale")
    arguments = parser.parse_args()
    ensure_wrk()
    ensure_radicale()
    for backend in backends(arguments.backends):
        print(
            f"wrk -t2 -c{arguments.connections} -d{arguments.seconds}s, {BACKEND_NAMES.get(backend, backend)}, "
            f"{arguments.workers} process(es) each",
            flush=True,
        )
        with database_url(backend) as url:
            seeded = seed(url)
            throughput(url, seeded, arguments.seconds, arguments.connections, arguments.workers)
            if not arguments.skip_growth:
                growth(url, seeded, arguments.seconds, arguments.connections)
    print(json.dumps({"targets": TARGETS}))


if __name__ == "__main__":
    main()
