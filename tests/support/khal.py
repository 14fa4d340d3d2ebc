"""A real calendar client pair in processes of their own: vdirsyncer pulls a feed URL, khal shows it."""

from __future__ import annotations

import os
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

BIN = Path(sys.executable).parent


def run(*command: str, env: dict[str, str]) -> str:
    done = subprocess.run(command, env=env, capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 0, f"{command[0]} failed: {done.stderr}"
    assert "error" not in done.stderr.lower(), done.stderr  # vdirsyncer reports some failures with exit 0
    return done.stdout


@dataclass
class KhalClient:
    """vdirsyncer syncing one feed URL into a folder and khal reading it, with Berlin as the local zone."""

    calendars: Path
    vdirsyncer: list[str]
    khal: list[str]
    env: dict[str, str]

    def sync(self) -> None:
        run(*self.vdirsyncer, "discover", "feed", env=self.env)
        run(*self.vdirsyncer, "sync", "feed", env=self.env)

    def list(self, start: str, span: str) -> str:
        """`khal list START SPAN`: the events in those days, `HH:MM-HH:MM Title` in Berlin time."""
        return run(*self.khal, "list", start, span, env=self.env)

    def search(self, text: str) -> str:
        return run(*self.khal, "search", text, env=self.env)


def khal_client(tmp_path: Path, feed_url: str) -> KhalClient:
    """A vdirsyncer and khal of their own under `tmp_path`, for the feed at `feed_url`."""
    home = tmp_path / "home"
    calendars = home / "calendars" / "feed"
    calendars.mkdir(parents=True)
    vdirsyncer_config = tmp_path / "vdirsyncer.conf"
    vdirsyncer_config.write_text(
        "[general]\n"
        f'status_path = "{home}/status/"\n\n'
        "[pair feed]\n"
        'a = "feed_remote"\nb = "feed_local"\ncollections = null\nconflict_resolution = "a wins"\n'
        'partial_sync = "revert"\n\n'
        "[storage feed_remote]\n"
        f'type = "http"\nurl = "{feed_url}"\nuseragent = "vdirsyncer-feed-test"\n\n'
        "[storage feed_local]\n"
        f'type = "filesystem"\npath = "{calendars}/"\nfileext = ".ics"\n'
    )
    khal_config = tmp_path / "khal.conf"
    khal_config.write_text(
        "[calendars]\n[[feed]]\n"
        f"path = {calendars}/\ntype = calendar\nreadonly = True\n\n"
        "[locale]\nlocal_timezone = Europe/Berlin\ndefault_timezone = Europe/Berlin\ntimeformat = %H:%M\n"
        "dateformat = %Y-%m-%d\nlongdateformat = %Y-%m-%d\ndatetimeformat = %Y-%m-%d %H:%M\n"
        "longdatetimeformat = %Y-%m-%d %H:%M\n"
    )
    env = {
        "PATH": os.environ.get("PATH", ""),
        "HOME": str(home),
        "XDG_CONFIG_HOME": str(home / "config"),
        "XDG_DATA_HOME": str(home / "data"),
        "XDG_CACHE_HOME": str(home / "cache"),
        "LANG": "C.UTF-8",
        "LC_ALL": "C.UTF-8",
    }
    return KhalClient(
        calendars=calendars,
        vdirsyncer=[str(BIN / "vdirsyncer"), "-c", str(vdirsyncer_config)],
        khal=[str(BIN / "khal"), "-c", str(khal_config)],
        env=env,
    )
