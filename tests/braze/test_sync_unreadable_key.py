"""A Braze key saved under another CALCAST_SECRET_KEY fails its deliveries with a sentence, not a traceback."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select

from calcast.accounts import service as accounts
from calcast.core.db import Database
from calcast.core.security import Cipher
from calcast.outbox.models import OutboxMessage
from tests.conftest import Cli, Persona
from tests.support.braze_sync import subscribe, worker
from tests.support.fake_braze import FakeBraze, running_fake_braze


@pytest.fixture
def braze(database: Database, owner: Persona) -> Iterator[FakeBraze]:
    with running_fake_braze() as fake:
        yield fake


def test_it_fails_the_rows_and_says_how_to_fix_it(
    database: Database, braze: FakeBraze, cli: Cli, caplog: pytest.LogCaptureFixture
) -> None:
    with database.transaction() as session:
        accounts.set_braze(
            session=session,
            cipher=Cipher("the-secret-key-of-an-earlier-installation"),
            code="owner",
            rest_endpoint=braze.url,
            api_key=braze.api_key,
            allow_private_destinations=True,
        )
    subscribe(database, subscriber_id="user-1")
    runner = worker(database)
    try:
        runner.drain()
    finally:
        runner.close()
    with database.sessions() as session:
        message = session.scalars(select(OutboxMessage)).one()
    assert message.status == "failed"
    assert "this secret was encrypted with another CALCAST_SECRET_KEY" in (message.last_error or "")
    assert "set the Braze key again with `calcast account set-braze`" in (message.last_error or "")
    assert "Traceback" not in caplog.text
    listed = cli("outbox", "list", "--failed")
    assert "another CALCAST_SECRET_KEY" in listed.stdout
    assert braze.requests == []
