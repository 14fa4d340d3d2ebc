"""A real Radicale CalDAV server for push sync tests: a subprocess on a free loopback port, htpasswd users."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx


@dataclass
class Radicale:
    url: str
    htpasswd: Path
    storage: Path

    def set_password(self, user: str, password: str) -> None:
        """Add the user, or change their password (the app password is revoked)."""
        users = dict(
            line.split(":", 1) for line in self.htpasswd.read_text(encoding="utf-8").splitlines() if ":" in line
        )
        users[user] = password
        self.htpasswd.write_text("".join(f"{name}:{secret}\n" for name, secret in users.items()), encoding="utf-8")

    def collections(self, user: str) -> list[Path]:
        home = self.storage / "collection-root" / user
        return sorted(path for path in home.iterdir() if path.is_dir()) if home.exists() else []

    def items(self, collection: Path) -> dict[str, str]:
        """File name → iCalendar text of every object in a collection."""
        return {
            path.name: path.read_text(encoding="utf-8")
            for path in sorted(collection.iterdir())
            if path.is_file() and not path.name.startswith(".")
        }


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port: int = probe.getsockname()[1]
        return port


@contextmanager
def running_radicale(folder: Path) -> Iterator[Radicale]:
    """Radicale with htpasswd auth (plain passwords, no login cache, no delay), stopped at the end."""
    htpasswd, storage = folder / "users", folder / "storage"
    htpasswd.write_text("", encoding="utf-8")
    port = _free_port()
    command = [
        sys.executable, "-m", "radicale",
        "--server-hosts", f"127.0.0.1:{port}",
        "--auth-type", "htpasswd",
        "--auth-htpasswd-filename", str(htpasswd),
        "--auth-htpasswd-encryption", "plain",
        "--no-auth-htpasswd-cache",
        "--auth-delay", "0",
        "--rights-type", "owner_only",
        "--storage-filesystem-folder", str(storage),
        "--logging-level", "warning",
    ]  # fmt: skip
    log = folder / "radicale.log"
    url = f"http://127.0.0.1:{port}/"
    with log.open("wb") as output:
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=output)
    try:
        deadline = time.monotonic() + 20
        while True:
            if process.poll() is not None:
                raise RuntimeError(f"Radicale stopped: {log.read_text(encoding='utf-8', errors='replace')}")
            try:
                httpx.get(url, timeout=1)
                break
            except httpx.HTTPError:
                if time.monotonic() > deadline:
                    raise RuntimeError("Radicale did not start within 20 s.") from None
                time.sleep(0.1)
        yield Radicale(url=url, htpasswd=htpasswd, storage=storage)
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
