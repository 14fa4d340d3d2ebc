from __future__ import annotations

import re
import stat
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from calcast.core.config import ConfigError, get_settings, load_settings, secret_key_path
from calcast.core.security import issue_access_token, read_access_token

# The key every install used to fall back to without CALCAST_SECRET_KEY: published, so anybody could sign with it.
FORMER_DEVELOPMENT_KEY = "calcast-development-key-do-not-use-in-production"
POSTGRES_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/calcast"


@pytest.fixture(autouse=True)
def _no_settings_from_outside(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    """Each test starts like a fresh install: no key, no environment, a database in its own folder."""
    for variable in ("CALCAST_SECRET_KEY", "CALCAST_ENVIRONMENT"):
        monkeypatch.delenv(variable, raising=False)
    monkeypatch.setenv("CALCAST_DATABASE_URL", f"sqlite:///{tmp_path / 'data' / 'calcast.db'}")


def sqlite_in(folder: Path) -> str:
    return f"sqlite:///{folder / 'calcast.db'}"


@pytest.mark.parametrize(
    ("variable", "value", "expected"),
    [
        (
            "CALCAST_DATABASE_URL",
            "mysql://root@localhost/calcast",
            "CALCAST_DATABASE_URL uses the driver 'mysql'",
        ),
        ("CALCAST_DATABASE_URL", "not a url at all", "CALCAST_DATABASE_URL is not a database URL"),
        ("CALCAST_BASE_URL", "calendar.example.com", "CALCAST_BASE_URL must start with http:// or https://"),
        ("CALCAST_TOKEN_TTL_SECONDS", "soon", "CALCAST_TOKEN_TTL_SECONDS is invalid"),
        ("CALCAST_SECRET_KEY", "short", "CALCAST_SECRET_KEY must be at least 16 characters"),
        ("CALCAST_OUTBOX_RETENTION_DAYS", "0", "CALCAST_OUTBOX_RETENTION_DAYS is invalid"),
    ],
)
def test_it_names_the_variable_and_the_problem(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str, expected: str
) -> None:
    monkeypatch.setenv(variable, value)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert str(raised.value).startswith(expected)
    assert str(raised.value).count("\n") == 0


def test_each_install_makes_its_own_private_key_and_keeps_it(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CALCAST_DATABASE_URL", sqlite_in(tmp_path / "first"))
    first = load_settings().secret_key
    monkeypatch.setenv("CALCAST_DATABASE_URL", sqlite_in(tmp_path / "second"))
    second = load_settings().secret_key
    assert len(first) >= 32
    assert first != second

    key_file = tmp_path / "first" / "calcast.db.secret-key"
    assert secret_key_path(str(tmp_path / "first" / "calcast.db")) == key_file
    assert key_file.read_text().strip() == first
    assert stat.S_IMODE(key_file.stat().st_mode) == 0o600
    monkeypatch.setenv("CALCAST_DATABASE_URL", sqlite_in(tmp_path / "first"))
    assert load_settings().secret_key == first
    assert sorted(path.name for path in (tmp_path / "first").iterdir()) == ["calcast.db.secret-key"]


def test_a_token_signed_with_the_former_public_key_is_refused() -> None:
    forged = issue_access_token(FORMER_DEVELOPMENT_KEY, "demo-client", 300)
    key = load_settings().secret_key
    assert key != FORMER_DEVELOPMENT_KEY
    assert read_access_token(key, forged) is None


def test_an_explicit_key_wins_and_no_key_file_is_made(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CALCAST_SECRET_KEY", "an-explicit-key-of-enough-length")
    assert load_settings().secret_key == "an-explicit-key-of-enough-length"
    assert not (tmp_path / "data").exists()


@pytest.mark.slow  # runs `python -m calcast` in a process of its own
def test_postgresql_without_a_key_is_refused_in_one_sentence(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALCAST_DATABASE_URL", POSTGRES_URL)
    with pytest.raises(ConfigError) as raised:
        load_settings()
    assert str(raised.value) == (
        "CALCAST_SECRET_KEY must be set when the database is PostgreSQL, to the same long random value "
        "on every machine that runs calcast against it."
    )
    done = subprocess.run(
        [sys.executable, "-m", "calcast", "account", "list"],
        env={"CALCAST_DATABASE_URL": POSTGRES_URL, "PATH": "/usr/bin:/bin"},
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == f"Error: {raised.value}"


def test_production_insists_on_an_explicit_key(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("CALCAST_ENVIRONMENT", "production")
    with pytest.raises(ConfigError, match=r"^CALCAST_SECRET_KEY must be set to a long random value in production\.$"):
        load_settings()
    assert not (tmp_path / "data").exists()


def test_a_database_whose_key_file_is_gone_is_not_given_a_new_key(tmp_path: Path) -> None:
    load_settings()
    (tmp_path / "data" / "calcast.db").write_bytes(b"")  # the database the key was made for
    (tmp_path / "data" / "calcast.db.secret-key").unlink()
    with pytest.raises(ConfigError, match=r"exists but its secret key file .* does not; restore the file"):
        load_settings()
    assert not (tmp_path / "data" / "calcast.db.secret-key").exists()


def test_a_damaged_key_file_is_refused(tmp_path: Path) -> None:
    load_settings()
    (tmp_path / "data" / "calcast.db.secret-key").write_text("\n")
    with pytest.raises(ConfigError, match="is empty or damaged; restore it from a backup"):
        load_settings()


@pytest.fixture
def demo(monkeypatch: pytest.MonkeyPatch) -> Iterator[object]:
    """`calcast demo --no-serve` on an SQLite file in a given folder, with no secret key set; returns the secret."""
    from calcast.cli import app

    def run(folder: Path) -> str:
        monkeypatch.setenv("CALCAST_DATABASE_URL", sqlite_in(folder))
        get_settings.cache_clear()
        result = CliRunner().invoke(app, ["demo", "--no-serve"], catch_exceptions=False)
        get_settings.cache_clear()
        assert result.exit_code == 0, result.stderr
        found = re.search(r"client_secret\s+(\S+)", result.stdout)
        assert found
        return found.group(1)

    yield run
    get_settings.cache_clear()


def test_the_demo_client_secret_is_stable_per_install_and_differs_between_installs(demo: Any, tmp_path: Path) -> None:
    first = demo(tmp_path / "one")
    assert demo(tmp_path / "one") == first
    assert demo(tmp_path / "two") != first


def test_it_strips_a_trailing_slash_from_the_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALCAST_BASE_URL", "https://cal.example.com/")
    assert load_settings().base_url == "https://cal.example.com"


@pytest.mark.slow  # runs `python -m calcast` in a process of its own
def test_the_command_stops_with_one_sentence_and_no_traceback(tmp_path: object) -> None:
    env = {"CALCAST_DATABASE_URL": "oracle://scott@db/orcl", "PATH": "/usr/bin:/bin"}
    done = subprocess.run(
        [sys.executable, "-m", "calcast", "account", "list"],
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 2
    assert done.stderr.strip() == (
        "Error: CALCAST_DATABASE_URL uses the driver 'oracle'; calcast supports sqlite:///… and postgresql+psycopg://…."
    )
    assert "Traceback" not in done.stderr
