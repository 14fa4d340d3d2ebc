"""Broadcast events obey the same input rules as personal events: the `calcast event add` front door refuses alike."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from calcast.calendars.models import BroadcastEvent
from calcast.core.db import Database
from tests.conftest import Cli


@pytest.fixture
def calendar(cli: Cli) -> None:
    assert cli("account", "create", "brazetest", "--name", "Braze Test").exit_code == 0
    assert cli("calendar", "create", "brazetest", "cal", "--title", "T", "--tag", "All Teams").exit_code == 0


@pytest.mark.usefixtures("calendar")
@pytest.mark.parametrize(
    ("options", "message"),
    [
        (["--start", "0001-01-01T10:00"], "outside the years 1970 to 2200"),
        (["--start", "9998-06-01T10:00"], "outside the years 1970 to 2200"),
        (["--start", "2030-01-01T10:00", "--end", "9998-01-01T10:00"], "outside the years 1970 to 2200"),
        (["--start", "2030-01-01T10:00", "--end", "2031-06-01T10:00"], "longer than 366 days"),
        (["--start", "2030-01-01T10:00", "--url", "javascript:alert(1)"], "http:// or https://"),
        (["--start", "2030-01-01T10:00", "--timezone", "localtime"], "is not known"),
        (["--start", "2030-01-01T10:00", "--timezone", "Factory"], "is not known"),
    ],
)
def test_event_add_refuses_what_the_event_api_refuses(
    cli: Cli, database: Database, options: list[str], message: str
) -> None:
    arguments = ["event", "add", "brazetest", "cal", "--title", "X", "--timezone", "UTC", *options]
    done = cli(*arguments)
    assert done.exit_code == 1, done.stdout
    assert message in done.stderr
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(BroadcastEvent)) == 0


@pytest.mark.usefixtures("calendar")
def test_event_add_keeps_an_https_link(cli: Cli) -> None:
    done = cli(
        "event",
        "add",
        "brazetest",
        "cal",
        "--title",
        "X",
        "--start",
        "2030-01-01T10:00",
        "--timezone",
        "UTC",
        "--url",
        "https://example.test/match",
    )
    assert done.exit_code == 0, done.stderr
