from __future__ import annotations

import subprocess
import sys

import pytest

from calcast.core.config import ConfigError, load_settings


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


def test_it_refuses_the_development_key_in_production(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALCAST_ENVIRONMENT", "production")
    with pytest.raises(ConfigError, match="CALCAST_SECRET_KEY must be set"):
        load_settings()


def test_it_strips_a_trailing_slash_from_the_base_url(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("CALCAST_BASE_URL", "https://cal.example.com/")
    assert load_settings().base_url == "https://cal.example.com"


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
