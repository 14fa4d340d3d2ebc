from __future__ import annotations

import stat
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest
from sqlalchemy import text

from calcast import assembly
from calcast.core.db import Database, current_revision, head_revision
from tests.conftest import make_settings


def test_the_schema_is_at_the_newest_revision(database: Database) -> None:
    assert current_revision(database.engine) == head_revision(database.settings)


def test_sqlite_is_created_and_migrated_on_first_start(tmp_path: Path) -> None:
    target = tmp_path / "nested" / "calcast.db"
    database = assembly.database(make_settings(f"sqlite:///{target}"))
    database.ensure_schema()
    with database.engine.connect() as connection:
        assert connection.execute(text("PRAGMA journal_mode")).scalar() == "wal"
        assert connection.execute(text("PRAGMA busy_timeout")).scalar() == 10000
        assert connection.execute(text("SELECT count(*) FROM accounts")).scalar() == 0
    database.dispose()
    assert target.exists()


@pytest.mark.slow  # runs `python -m calcast` in a process of its own
@pytest.mark.skipif(sys.platform == "win32", reason="POSIX permissions")
def test_an_unwritable_sqlite_path_is_refused_in_one_sentence() -> None:
    tmp_path = Path(tempfile.mkdtemp(prefix="calcast-"))
    tmp_path.chmod(0o755)
    locked = tmp_path / "locked"
    locked.mkdir()
    locked.chmod(0o555)
    env = {"CALCAST_DATABASE_URL": f"sqlite:///{locked}/calcast.db", "PATH": "/usr/bin:/bin"}
    try:
        done = subprocess.run(
            [
                "setpriv",
                "--reuid=nobody",
                "--regid=nogroup",
                "--clear-groups",
                sys.executable,
                "-m",
                "calcast",
                "account",
                "list",
            ],
            env=env,
            capture_output=True,
            text=True,
            check=False,
            cwd=tmp_path,
        )
    finally:
        locked.chmod(stat.S_IRWXU)
    assert done.returncode == 2, done.stderr
    assert "cannot write" in done.stderr
    assert "Traceback" not in done.stderr
    assert not (locked / "calcast.db").exists()
