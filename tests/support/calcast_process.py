"""calcast as a reader starts it: a real `calcast …` process in a folder of its own, on a port of its own."""

from __future__ import annotations

import os
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

import httpx

VENV_BIN = Path(sys.prefix) / "bin"
CALCAST = VENV_BIN / "calcast"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def clean_environment(**extra: str) -> dict[str, str]:
    """The environment of a fresh shell: no CALCAST_* settings of the test run, calcast not on PATH."""
    environment = {name: value for name, value in os.environ.items() if not name.startswith(("CALCAST_", "PYTEST"))}
    path = [part for part in environment.get("PATH", "/usr/bin:/bin").split(os.pathsep) if Path(part) != VENV_BIN]
    environment["PATH"] = os.pathsep.join(path)
    environment.update(extra)
    return environment


@dataclass
class Running:
    process: subprocess.Popen[str]
    output: list[str] = field(default_factory=list)

    @property
    def text(self) -> str:
        return "".join(self.output)


def wait_until_healthy(url: str, running: Running, timeout: float = 30) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if running.process.poll() is not None:
            raise AssertionError(f"calcast stopped (exit {running.process.returncode}):\n{running.text}")
        try:
            if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    raise AssertionError(f"{url}/healthz did not answer within {timeout} s:\n{running.text}")


@contextmanager
def running_calcast(command: list[str] | str, *, cwd: Path, env: Mapping[str, str]) -> Iterator[Running]:
    """Start a command (argv, or a bash script) in its own process group; stopped with SIGTERM afterwards."""
    argv = ["bash", "-c", command] if isinstance(command, str) else command
    process = subprocess.Popen(
        argv,
        cwd=cwd,
        env=dict(env),
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
        start_new_session=True,
    )
    running = Running(process)
    output = process.stdout
    assert output is not None
    reader = threading.Thread(target=lambda: running.output.extend(iter(output.readline, "")), daemon=True)
    reader.start()
    try:
        yield running
    finally:
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGTERM)
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=5)
        reader.join(timeout=5)
        output.close()
