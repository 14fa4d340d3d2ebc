"""What every benchmark shares: a fresh database, the server under production settings, wrk and its figures.

The server is started the way production runs it (`CALCAST_ENVIRONMENT=production`, a random secret key, no
access log, uvicorn with one process, TCP_NODELAY on its connections as `calcast serve` has them) on a port the
OS picked, handed over as an open socket. The embedded
outbox worker is off unless a benchmark asks for it: the API and feed figures measure the web path alone.
Every figure is loaded the same way as the ceiling: the same wrk threads, connections and duration.
"""

from __future__ import annotations

import os
import re
import secrets
import shutil
import socket
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import psycopg

POSTGRES_ADMIN = os.environ.get("CALCAST_TEST_POSTGRES", "postgresql://postgres@127.0.0.1:5432/postgres")
# One random key per run: production refuses the development default.
SECRET_KEY = "bench-" + secrets.token_hex(16)
WRK_THREADS = 2
BACKEND_NAMES = {"sqlite": "SQLite", "postgresql": "PostgreSQL"}


# --- databases ------------------------------------------------------------------------------------------


@contextmanager
def database_url(backend: str) -> Iterator[str]:
    """A fresh, empty database for one run: a SQLite file in a temporary folder, or a new PostgreSQL database."""
    if backend == "sqlite":
        with tempfile.TemporaryDirectory() as folder:
            yield f"sqlite:///{folder}/bench.db"
        return
    if backend != "postgresql":
        raise SystemExit(f"Unknown backend {backend!r}; use sqlite or postgresql.")
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


def backends(text: str) -> list[str]:
    """`--backends sqlite,postgresql` as a list."""
    return [name.strip() for name in text.split(",") if name.strip()]


# --- servers --------------------------------------------------------------------------------------------


def free_listener() -> socket.socket:
    """A listening loopback socket on a port the OS chose."""
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    listener.listen(1024)
    return listener


def wait_for(url: str, attempts: int = 200) -> None:
    """Until `url` answers (any status), or RuntimeError."""
    for _ in range(attempts):
        try:
            with urllib.request.urlopen(url, timeout=1):
                return
        except urllib.error.HTTPError:
            return
        except OSError:
            time.sleep(0.1)
    raise RuntimeError(f"{url} did not answer")


@contextmanager
def serving(
    app: str,
    *,
    factory: bool,
    environment: Mapping[str, str],
    workers: int = 1,
    ready_path: str = "/healthz",
    stdout: Any = None,
) -> Iterator[str]:
    """`workers` uvicorn processes serving `app` on one listening socket (the kernel spreads the connections, as
    `uvicorn --workers` does); yields the base URL."""
    listener = free_listener()
    base = f"http://127.0.0.1:{listener.getsockname()[1]}"
    env = {**os.environ, "CALCAST_BASE_URL": base, **environment}
    command = [sys.executable, "-m", "bench.common", str(listener.fileno()), app, "factory" if factory else "app"]
    processes = [
        subprocess.Popen(command, env=env, pass_fds=[listener.fileno()], stdout=stdout) for _ in range(workers)
    ]
    try:
        wait_for(f"{base}{ready_path}")
        time.sleep(0.5 if workers > 1 else 0)  # every process listening, not just the first
        yield base
    finally:
        for process in processes:
            process.terminate()
        for process in processes:
            process.wait(timeout=30)
        listener.close()


@contextmanager
def calcast_server(
    url: str,
    *,
    worker: bool = False,
    environment: Mapping[str, str] | None = None,
    workers: int = 1,
    stdout: Any = None,
) -> Iterator[str]:
    """uvicorn serving calcast with production settings, `workers` processes; yields its base URL."""
    env = {
        "CALCAST_ENVIRONMENT": "production",
        "CALCAST_SECRET_KEY": SECRET_KEY,
        "CALCAST_DATABASE_URL": url,
        "CALCAST_RUN_WORKER_IN_SERVER": "true" if worker else "false",
        **(environment or {}),
    }
    with serving("calcast.server:served_app", factory=True, environment=env, workers=workers, stdout=stdout) as base:
        yield base


def _serve(fd: int, app: str, factory: bool) -> None:
    """Run uvicorn on an inherited listening TCP socket (the child side of `serving`).

    Not `uvicorn --fd`: it wraps the descriptor as a Unix socket, so asyncio leaves Nagle's algorithm on for
    every accepted TCP connection and each small response waits for the client's delayed ACK (about 40 ms).
    """
    import uvicorn

    config = uvicorn.Config(
        app,
        factory=factory,
        access_log=False,
        server_header=False,
        proxy_headers=True,
        log_level="warning",
    )
    uvicorn.Server(config).run(sockets=[socket.socket(fileno=fd)])


# --- load -----------------------------------------------------------------------------------------------


@dataclass
class Load:
    requests_per_second: float
    p50_ms: float
    p99_ms: float
    errors: int
    requests: int = 0  # answered in the run


def ensure_wrk() -> None:
    """Debian's wrk, installed when missing."""
    if shutil.which("wrk"):
        return
    print("Installing Debian's wrk…", flush=True)
    env = {**os.environ, "DEBIAN_FRONTEND": "noninteractive"}
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "--no-install-recommends", "wrk"], check=True, env=env)


def _milliseconds(output: str, percentile: str) -> float:
    found = re.search(rf"^\s+{percentile}%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    if found is None:
        raise RuntimeError(f"wrk printed no {percentile}th percentile:\n{output}")
    return float(found.group(1)) * {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}[found.group(2)]


def parse_wrk(output: str) -> Load:
    """Requests/s, p50, p99 and non-2xx/3xx answers from `wrk --latency` output."""
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    if rate is None:
        raise RuntimeError(f"wrk printed no request rate:\n{output}")
    errors = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    answered = re.search(r"(\d+) requests in", output)
    return Load(
        float(rate.group(1)),
        _milliseconds(output, "50"),
        _milliseconds(output, "99"),
        int(errors.group(1)) if errors else 0,
        int(answered.group(1)) if answered else 0,
    )


def wrk(
    url: str, seconds: int, connections: int, headers: Mapping[str, str] | None = None, script: str | None = None
) -> Load:
    """`wrk -t2 -cN -dS --latency` against `url`, with extra headers or a Lua script (for POSTs)."""
    command = ["wrk", f"-t{WRK_THREADS}", f"-c{connections}", f"-d{seconds}s", "--latency"]
    for name, value in (headers or {}).items():
        command += ["-H", f"{name}: {value}"]
    with tempfile.TemporaryDirectory() as folder:
        if script:
            lua = Path(folder) / "load.lua"
            lua.write_text(script)
            command += ["-s", str(lua)]
        output = subprocess.run([*command, url], capture_output=True, text=True, check=True).stdout
    socket_errors = re.search(r"Socket errors: .*", output)
    if socket_errors:
        print(f"    wrk: {socket_errors.group(0)}", flush=True)
    return parse_wrk(output)


def verdict(value: float, target: float | None, *, at_least: bool = True, shown: str | None = None) -> str:
    """' ok' or ' BELOW target …' (' ABOVE target …' for a ceiling such as a latency); '' without a target."""
    if target is None:
        return ""
    met = value >= target if at_least else value < target
    if met:
        return " ok"
    return f" {'BELOW' if at_least else 'ABOVE'} target {shown or f'{target:g}'}"


def ratio_text(ratio: float) -> str:
    """A ratio as a percentage below 2, as a multiple from 2 on."""
    return f"{ratio:6.1f}x" if ratio >= 2 else f"{ratio:6.0%}"


def line(label: str, load: Load, reference: Load, reference_name: str, target: float | None) -> None:
    """One figure: rate, p50, p99, errors and its ratio to `reference` (with the target's verdict)."""
    ratio = load.requests_per_second / reference.requests_per_second
    shown = f"{target:.0%}" if target is not None and target < 2 else None
    print(
        f"{label} {load.requests_per_second:8.0f} req/s  p50 {load.p50_ms:6.2f} ms  p99 {load.p99_ms:6.2f} ms  "
        f"errors {load.errors}  {ratio_text(ratio)} of {reference_name}{verdict(ratio, target, shown=shown)}",
        flush=True,
    )


if __name__ == "__main__":
    _serve(int(sys.argv[1]), sys.argv[2], sys.argv[3] == "factory")
