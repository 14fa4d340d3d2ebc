"""The command blocks of README.md and docs/*.md, run as a reader runs them, against one running calcast.

Every ```sh block runs, in the order the guides give them, in one folder with one SQLite database and one
`calcast serve` (started as a reader starts it, its base URL derived from its port). The guides' placeholders
are filled in as a reader would: `https://calendar.example.com` is that server, the Braze REST endpoint and key
are a local Braze stand-in, and `CLIENT_ID:CLIENT_SECRET` is the pair `calcast client create` printed.
"""

from __future__ import annotations

import json
import re
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest

from tests.support.calcast_process import (
    CALCAST,
    VENV_BIN,
    clean_environment,
    free_port,
    running_calcast,
    wait_until_healthy,
)
from tests.support.fake_braze import FakeBraze, running_fake_braze

pytestmark = pytest.mark.slow

ROOT = Path(__file__).resolve().parents[1]
DOCUMENTS = ("README.md", "docs/braze.md", "docs/button.md", "docs/operations.md", "docs/import.md")
BLOCK = re.compile(r"^```(sh|bash|shell)\n(.*?)^```", re.DOTALL | re.MULTILINE)
# Blocks a reader runs that this test does not, by their first line, and why.
NOT_RUN = {
    "make demo": "`make demo` serves until Ctrl-C and `make test` is this suite; tests/test_demo_walkthrough.py "
    "starts `calcast demo` the same way and runs everything it prints",
    "export CALCAST_DATABASE_URL=postgresql+psycopg://calcast@db.internal": "needs the PostgreSQL host db.internal "
    "and starts web processes and workers on several hosts (tests/outbox and bench/scale run that setup)",
}
SECRET_KEY = "docs-test-secret-key-long-enough"


def blocks(document: str) -> list[str]:
    return [match.group(2) for match in BLOCK.finditer((ROOT / document).read_text(encoding="utf-8"))]


def test_every_guide_has_its_blocks_accounted_for() -> None:
    found = {document: blocks(document) for document in DOCUMENTS}
    assert len(found["docs/braze.md"]) >= 3
    first_lines = [block.splitlines()[0] for document_blocks in found.values() for block in document_blocks]
    for start in NOT_RUN:
        assert any(line.startswith(start) for line in first_lines), f"no block starts with {start!r} any more"


@dataclass
class Reader:
    """One reader's shell: a folder, an environment, a running calcast, and what earlier commands printed."""

    folder: Path
    environment: dict[str, str]
    base_url: str
    braze: FakeBraze
    client: str = ""
    outputs: list[str] = field(default_factory=list)

    def fill_in(self, block: str) -> str:
        text = block.replace("https://calendar.example.com", self.base_url)
        text = text.replace("https://rest.iad-01.braze.com", self.braze.url)
        text = text.replace("YOUR-REST-API-KEY", self.braze.api_key)
        if "CLIENT_ID:CLIENT_SECRET" in text:
            assert self.client, "a block needs client credentials before `calcast client create` ran"
            text = text.replace("CLIENT_ID:CLIENT_SECRET", self.client)
        return text

    def run(self, block: str) -> str:
        script = self.fill_in(block)
        if script.strip().splitlines()[-1].startswith("calcast serve"):
            return self.run_server(script)
        done = subprocess.run(
            ["bash", "-e", "-o", "pipefail", "-c", script],
            cwd=self.folder,
            env=self.environment,
            capture_output=True,
            text=True,
            timeout=120,
            check=False,
        )
        assert done.returncode == 0, f"{script}\n--- stdout\n{done.stdout}\n--- stderr\n{done.stderr}"
        assert '"Code":' not in done.stdout, f"{script}\n{done.stdout}"  # calcast's error body from a curl
        found = re.search(r"client_id:\s+(\S+)\nclient_secret:\s+(\S+)", done.stdout)
        if found:
            self.client = f"{found.group(1)}:{found.group(2)}"
        self.outputs.append(done.stdout)
        return done.stdout

    def run_server(self, script: str) -> str:
        """A block that ends by starting a server: it must come up and answer, on a port of this test's choosing."""
        port = free_port()
        script = re.sub(r"--port \d+", f"--port {port}", script)
        folder = self.folder / f"server-{port}"
        folder.mkdir()
        with running_calcast(script, cwd=folder, env=self.environment) as server:
            wait_until_healthy(f"http://127.0.0.1:{port}", server)
            assert httpx.get(f"http://127.0.0.1:{port}/").status_code == 200
        return server.text


@pytest.fixture(scope="module")
def reader(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Reader]:
    folder = tmp_path_factory.mktemp("reader")
    environment = clean_environment(
        CALCAST_DATABASE_URL=f"sqlite:///{folder / 'calcast.db'}",
        CALCAST_SECRET_KEY=SECRET_KEY,
        CALCAST_OUTBOX_POLL_SECONDS="0.2",
        # The Braze stand-in listens on loopback, which outbound requests may otherwise not reach.
        CALCAST_ALLOW_PRIVATE_DESTINATIONS="true",
    )
    environment["PATH"] = f"{VENV_BIN}:{environment['PATH']}"  # the guides write `calcast`: an activated venv
    port = free_port()
    with (
        running_fake_braze() as braze,
        running_calcast([str(CALCAST), "serve", "--port", str(port)], cwd=folder, env=environment) as server,
    ):
        base_url = f"http://127.0.0.1:{port}"
        wait_until_healthy(base_url, server)
        yield Reader(folder=folder, environment=environment, base_url=base_url, braze=braze)


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_guides_commands_run_as_written(reader: Reader, document: str) -> None:
    for block in blocks(document):
        first_line = block.splitlines()[0]
        if any(first_line.startswith(start) for start in NOT_RUN):
            continue
        reader.run(block)
    if document == "docs/braze.md":
        braze_sync_reached_braze(reader)


def braze_sync_reached_braze(reader: Reader) -> None:
    """The subscriber docs/braze.md subscribes reaches Braze as the profile `calcast braze profile` wrote."""
    written = (reader.folder / "user.json").read_text(encoding="utf-8")
    deadline = time.monotonic() + 10
    while not reader.braze.profiles and time.monotonic() < deadline:
        time.sleep(0.1)
    profile = json.loads(written)
    assert reader.braze.profile("ext-42").attributes == profile["custom_attributes"]
    assert any("delivered 202" in output for output in reader.outputs)
    listed = reader.run("calcast outbox list")
    assert "braze.track\tsubscribe\tdone" in listed
