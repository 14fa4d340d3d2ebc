"""Benchmark of the Rokt-compatible API against the same server's /healthz ceiling, on SQLite and PostgreSQL.

    .venv/bin/python -m bench.api.run [--seconds 10] [--connections 8] [--backends sqlite,postgresql]

Starts `uvicorn calcast.app:create_app` with production settings on a free loopback port, warms it up, loads
it with wrk (Debian's package, installed when missing) and prints one line per figure with its ratio to the
ceiling: POST /oauth2/token, POST /v1/subscriptionevent with one subscription id (a new event each request),
and one request with 10,000 subscription ids (timed end to end).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import secrets
import shutil
import socket
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request
from base64 import b64encode
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import psycopg
from sqlalchemy import insert

from calcast.accounts import service as accounts
from calcast.calendars import service as calendars
from calcast.core.config import Settings
from calcast.core.db import Database, upgrade
from calcast.subscriptions.models import Subscription

POSTGRES_ADMIN = os.environ.get("CALCAST_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
SECRET_KEY = "bench-" + secrets.token_hex(16)
MANY = 10_000
TARGETS = {"token": 0.50, "event": 0.30}


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int


def ensure_wrk() -> str:
    found = shutil.which("wrk")
    if found:
        return found
    print("Installing Debian's wrk…", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], check=True, env=env)
    return shutil.which("wrk") or "wrk"


@contextmanager
def database_url(backend: str) -> Iterator[str]:
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    name = f"calcast_bench_{os.getpid()}_{secrets.token_hex(3)}"
    admin = psycopg.conninfo.conninfo_to_dict(POSTGRES_ADMIN)
    with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
        connection.execute(f'CREATE DATABASE "{name}"')
    try:
        host, port, user = admin.get("host", "127.0.0.1"), admin.get("port", "5432"), admin.get("user", "postgres")
        yield f"postgresql+psycopg://{user}@{host}:{port}/{name}"
    finally:
        with psycopg.connect(POSTGRES_ADMIN, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@dataclass
class Seeded:
    client_id: str
    client_secret: str
    subscription_ids: list[str]


def seed(url: str) -> Seeded:
    """An account with a calendar, an OAuth client and MANY + 1 subscriptions."""
    settings = Settings(database_url=url, secret_key=SECRET_KEY, environment="production")
    database = Database(settings)
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


@contextmanager
def server(url: str) -> Iterator[str]:
    """uvicorn with production settings on a port the OS picks, handed over as an open socket."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    env = {
        **os.environ,
        "CALCAST_ENVIRONMENT": "production",
        "CALCAST_SECRET_KEY": SECRET_KEY,
        "CALCAST_DATABASE_URL": url,
        "CALCAST_BASE_URL": base,
    }
    command = [sys.executable, "-m", "uvicorn", "calcast.app:create_app", "--factory", "--fd", str(listener.fileno())]
    command += ["--no-access-log", "--log-level", "warning"]
    process = subprocess.Popen(command, env=env, pass_fds=[listener.fileno()])
    try:
        for _ in range(100):
            try:
                with urllib.request.urlopen(f"{base}/healthz", timeout=1) as response:
                    if response.status == 200:
                        break
            except OSError:
                time.sleep(0.1)
        else:
            raise RuntimeError("the server did not start")
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
        listener.close()


def _milliseconds(text: str) -> float:
    match = re.fullmatch(r"([\d.]+)(us|ms|s|m)", text)
    if match is None:
        raise RuntimeError(f"wrk printed a latency calcast cannot read: {text!r}")
    return float(match.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[match.group(2)]


def wrk(base: str, path: str, seconds: int, connections: int, script: str | None = None) -> Load:
    command = ["wrk", "-t2", f"-c{connections}", f"-d{seconds}s", "--latency"]
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as lua:
        lua.write(script or "")
    if script:
        command += ["-s", lua.name]
    output = subprocess.run([*command, base + path], capture_output=True, text=True, check=True).stdout
    Path(lua.name).unlink()
    if "99%" not in output:
        raise RuntimeError(f"wrk printed no latency distribution:\n{output}")
    rate = float(re.search(r"Requests/sec:\s+([\d.]+)", output).group(1))  # type: ignore[union-attr]
    p50 = _milliseconds(re.search(r"^\s+50%\s+(\S+)", output, re.MULTILINE).group(1))  # type: ignore[union-attr]
    p99 = _milliseconds(re.search(r"^\s+99%\s+(\S+)", output, re.MULTILINE).group(1))  # type: ignore[union-attr]
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    socket_errors = re.search(r"Socket errors: .*", output)
    if socket_errors:
        print(f"    wrk: {socket_errors.group(0)}")
    return Load(rate, p50, p99, int(errors.group(1)) if errors else 0)


def lua_post(path: str, headers: dict[str, str], body: str, unique: bool = False) -> str:
    """A wrk script that POSTs `body`; with `unique`, %d in the body becomes a per-thread request counter."""
    header_lines = "".join(f'wrk.headers["{key}"] = "{value}"\n' for key, value in headers.items())
    if not unique:
        return f'wrk.method = "POST"\nwrk.body = {json.dumps(body)}\n{header_lines}'
    return (
        f"{header_lines}"
        "local counter = 0\nthread_number = 0\nthreads = 0\n"
        "function setup(thread) threads = threads + 1; thread:set('thread_number', threads) end\n"
        "request = function()\n  counter = counter + 1\n"
        f"  local body = string.format({json.dumps(body)}, thread_number * 100000000 + counter)\n"
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


def line(backend: str, name: str, load: Load, ceiling: Load, target: float | None) -> None:
    ratio = load.requests_per_second / ceiling.requests_per_second
    verdict = "" if target is None else (" ok" if ratio >= target else f" BELOW target {target:.0%}")
    print(
        f"{backend:10} {name:34} {load.requests_per_second:8.0f} req/s  p50 {load.p50_ms:6.1f} ms  "
        f"p99 {load.p99_ms:6.1f} ms  errors {load.errors}  ratio {ratio:5.0%}{verdict}",
        flush=True,
    )


def run(backend: str, seconds: int, connections: int) -> None:
    with database_url(backend) as url:
        seeded = seed(url)
        with server(url) as base:
            wrk(base, "/healthz", 3, connections)  # warm-up
            ceiling = wrk(base, "/healthz", seconds, connections)
            line(backend, "GET /healthz (ceiling)", ceiling, ceiling, None)

            basic = b64encode(f"{seeded.client_id}:{seeded.client_secret}".encode()).decode()
            token_script = lua_post(
                "/oauth2/token",
                {"Authorization": f"Basic {basic}", "Content-Type": "application/x-www-form-urlencoded"},
                "grant_type=client_credentials",
            )
            token_load = wrk(base, "/oauth2/token", seconds, connections, token_script)
            line(backend, "POST /oauth2/token", token_load, ceiling, TARGETS["token"])

            token = fetch_token(base, seeded)
            one = seeded.subscription_ids[-1]
            event = (
                '{"event":{"eventId":"bench-%d","title":"Bench","start":"2030-01-01T10:00:00",'
                '"end":"2030-01-01T11:00:00","timezone":"Eastern Standard Time","notifyBefore":"15"},'
                f'"subscriptionIds":["{one}"]}}'
            )
            event_script = lua_post(
                "/v1/subscriptionevent/bench",
                {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
                event,
                unique=True,
            )
            event_load = wrk(base, "/v1/subscriptionevent/bench", seconds, connections, event_script)
            line(backend, "POST /v1/subscriptionevent (1 id)", event_load, ceiling, TARGETS["event"])
            print(f"{backend:10} {'':34} p99 target < 100 ms: {'ok' if event_load.p99_ms < 100 else 'MISSED'}")

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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=int, default=10)
    parser.add_argument("--connections", type=int, default=8)
    parser.add_argument("--backends", default="sqlite,postgresql")
    arguments = parser.parse_args()
    ensure_wrk()
    print(f"calcast API benchmark: wrk -t2 -c{arguments.connections} -d{arguments.seconds}s, one uvicorn process")
    for backend in arguments.backends.split(","):
        run(backend.strip(), arguments.seconds, arguments.connections)


if __name__ == "__main__":
    main()
