"""100,000 rows: uploaded through the console, matched in chunks, sent by the worker in chunks (both backends)."""

from __future__ import annotations

import secrets
import time
from datetime import timedelta

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, insert, select, text

from calcast.audiences.models import AudienceMember, AudienceStatus
from calcast.calendars import service as calendars
from calcast.core.db import Database, new_uuid, utcnow
from calcast.events.models import PersonalEventTarget
from calcast.subscriptions.models import Subscription
from tests.conftest import Persona
from tests.console.conftest import ConsolePersona, act_as
from tests.console.test_audiences import audience_path, define, match, send, stored, upload
from tests.support.braze_sync import drain

pytestmark = pytest.mark.slow

ROWS = 100_000


def add_subscriptions(database: Database, count: int) -> None:
    """`count` active subscriptions with external ids bulk-0 … (written directly: subscribing is tested elsewhere)."""
    with database.transaction() as session:
        calendar = calendars.get_calendar(session=session, account_code="owner", code="main")
        start = utcnow() - timedelta(days=1)
        for first in range(0, count, 10_000):
            rows = [
                {
                    "id": new_uuid(),
                    "account_id": calendar.account_id,
                    "calendar_id": calendar.id,
                    "suffix": secrets.token_hex(6),
                    "feed_token_generation": 1,
                    "subscriber_id": f"bulk-{number}",
                    "email_identifies": False,
                    "method": "WebCal",
                    "opt_in1": False,
                    "opt_in2": False,
                    "created_at": start + timedelta(seconds=number),
                    "updated_at": start,
                    "poll_count": 0,
                    "feed_version": 1,
                }
                for number in range(first, min(first + 10_000, count))
            ]
            session.execute(insert(Subscription), rows)
    if not database.settings.is_sqlite:
        # A live table has planner statistics; one filled a moment ago has none until autovacuum runs, and
        # PostgreSQL would then pick an index by guesswork.
        with database.engine.connect() as connection:
            connection.execution_options(isolation_level="AUTOCOMMIT").execute(text("ANALYZE subscriptions"))


def test_a_100000_row_audience_is_matched_and_sent(
    client: TestClient, personas: dict[str, ConsolePersona], owner: Persona, database: Database
) -> None:
    add_subscriptions(database, ROWS)
    owner_persona = personas["owner"]
    act_as(client, owner_persona)
    # Every id once, 500 of them twice, and 500 unknown ones: 101,000 rows, about 1.4 MB (over the usual body limit).
    lines = ["external_id"] + [f"bulk-{number}" for number in range(ROWS)]
    lines += [f"bulk-{number}" for number in range(500)] + [f"missing-{number}" for number in range(500)]
    content = ("\n".join(lines) + "\n").encode()
    started = time.perf_counter()
    path = audience_path(upload(client, owner_persona, content))
    uploaded = time.perf_counter()
    assert match(client, owner_persona, path, 0, "external_id").status_code == 303
    matched = time.perf_counter()
    audience = stored(database, path)
    assert (audience.rows, audience.matched, audience.duplicates, audience.unknown) == (101_000, ROWS, 500, 500)
    assert audience.subscriptions == ROWS
    assert define(client, owner_persona, path).status_code == 303
    assert send(client, owner_persona, path).status_code == 303
    drain(database)
    sent = time.perf_counter()
    audience = stored(database, path)
    assert (audience.status, audience.sent, audience.attached) == (AudienceStatus.SENT, ROWS, ROWS)
    with database.sessions() as session:
        assert session.scalar(select(func.count()).select_from(PersonalEventTarget)) == ROWS
        assert session.scalar(select(func.count()).select_from(AudienceMember)) == ROWS
    print(  # noqa: T201 - the figures, for a person reading the test output
        f"\n{database.settings.database_url.split(':')[0]}: upload {uploaded - started:.1f} s, "
        f"match {matched - uploaded:.1f} s, send {sent - matched:.1f} s for {ROWS:,} rows"
    )
